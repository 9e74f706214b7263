"""Where a line copies, or paraphrases, one of the questions.

A student copies a question to answer under it, or repeats it in a comment before the answer
(``# 模型總共疊了幾層卷積層? 答：2層``), often not verbatim: another number in front, a clause left
out, a word changed, full-width punctuation. Two signals, from the fingerprints (no prompt text
is kept):

* **exact**: the line, normalised, starts with a stored prompt (its hash matches);
* **shingles**: a stretch of the line whose neighbouring-token pairs are the prompt's, with at most
  one foreign pair in a row, covering most of the prompt (60 %) or most of one of its sentences
  (75 %, at least 3 pairs: one language of a bilingual prompt, a question with a clause dropped),
  and ending its sentence: a question mark or an answer marker close behind, or the
  end of the line. An answer that restates the question breaks the stretch where the question
  asked ("共疊了兩層卷積層": 幾 → 兩), or goes straight on with the answer ("使用的優化器為
  Adadelta"), so it stays an answer.

A line that matches two questions about equally is no prompt: a reader could not tell either.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from grader.rubric.answers.cues import find_marker
from grader.rubric.answers.fingerprint import Fingerprints, QuestionPrint, shingle, tokens

_MOST = 0.6  # share of the prompt's pairs that makes a copy, wherever it stands
_SENTENCE = 0.75  # ...or share of one of its sentences' pairs
_FEWEST = 3  # pairs a copy has at least
_DENSE = 0.8  # pairs of the prompt among the stretch's pairs
_CLEAR = 0.1  # how much better the best question must match than the next
_ECHO = 2  # pairs of a prompt an answer repeats to be tied to it by its words
_QUESTION_MARK = re.compile(r"[^?？]{0,8}[?？]")
_LINE_END = re.compile(r"[\W_]*$")


@dataclass(frozen=True)
class PromptHit:
    question: int
    start: int  # where the copied prompt begins in the line as written
    end: int  # just after it
    exact: bool  # verbatim (its hash matched), not a paraphrase

    def answer_start(self, text: str) -> int:
        """Where the student's own words begin after the prompt: after a marker (``答：``) if one follows,
        else after a question mark close behind the copied stretch (a paraphrase's last words), else at its end."""
        marker = find_marker(text, self.end)
        if marker is not None:
            return marker
        mark = _QUESTION_MARK.match(text, self.end)
        return mark.end() if mark else self.end


def find_prompt(text: str, prints: Fingerprints) -> PromptHit | None:
    exact = prints.prompt_span(text)
    if exact is not None:
        question, start, end = exact
        return PromptHit(question, start, end, exact=True)
    found = tokens(text)
    if len(found) < 2:
        return None
    pairs = _word_pairs(found)
    best: dict[int, tuple[float, int, int]] = {}  # question -> (coverage, first pair, last pair)
    for prompt in prints.questions:
        if prompt.shingles:
            for coverage, lo, hi in _stretches(pairs, prompt):
                if coverage > best.get(prompt.question, (0.0, 0, 0))[0]:
                    best[prompt.question] = (coverage, lo, hi)
    ranked = sorted(best.items(), key=lambda item: -item[1][0])
    if not ranked:
        return None
    question, (coverage, lo, hi) = ranked[0]
    if len(ranked) > 1 and ranked[1][1][0] > coverage - _CLEAR:
        return None
    hit = PromptHit(question, found[lo][1], found[hi + 1][2], exact=False)
    ends = _LINE_END.match(text, hit.end) or _QUESTION_MARK.match(text, hit.end) or find_marker(text, hit.end)
    return hit if ends else None


def echoes(text: str, prints: Fingerprints, questions: list[int]) -> int | None:
    """Which of ``questions`` an answer clearly echoes: it repeats more of that prompt's word pairs than of any
    other's, and at least two ("DNN 的參數較多" under "哪個模型的參數數量比較多?"). None when none stands out."""
    pairs = set(_word_pairs(tokens(text)))
    shared: dict[int, int] = {}
    for prompt in prints.questions:
        if prompt.question in questions and prompt.shingles:
            shared[prompt.question] = max(shared.get(prompt.question, 0), len(pairs & prompt.pairs))
    ranked = sorted(shared.items(), key=lambda item: -item[1])
    if not ranked or ranked[0][1] < _ECHO or (len(ranked) > 1 and ranked[1][1] >= ranked[0][1]):
        return None
    return ranked[0][0]


def _word_pairs(found: list[tuple[str, int, int]]) -> list[str]:
    """The shingles of each two neighbouring words of ``tokens(text)``, in order (what prompts are printed as)."""
    return [shingle(a[0], b[0]) for a, b in zip(found, found[1:])]


def _stretches(pairs: list[str], prompt: QuestionPrint):
    """(coverage, first pair, last pair) of each stretch of ``pairs`` that reads as a copy of ``prompt``."""
    every = prompt.pairs
    hits = [p in every for p in pairs]
    i = 0
    while i < len(pairs):
        if not hits[i]:
            i += 1
            continue
        lo = hi = i
        j = i + 1
        while j < len(pairs) and (hits[j] or (j + 1 < len(pairs) and hits[j + 1])):
            if hits[j]:
                hi = j
            j += 1
        span = range(lo, hi + 1)
        found = {pairs[k] for k in span if hits[k]}
        whole = len(found) / len(every)
        sentence = max((len(found & part) / len(part) for part in prompt.shingles if len(found & part) >= _FEWEST),
                       default=0.0)
        dense = sum(hits[k] for k in span) / len(span) >= _DENSE
        if dense and len(found) >= _FEWEST and (whole >= _MOST or sentence >= _SENTENCE):
            yield max(whole, sentence), lo, hi
        i = hi + 1
