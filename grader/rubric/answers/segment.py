"""Find each question's answer in the student's prose.

Students answer in three layouts, all seen in real submissions:

* under (or on the same line as) each question prompt;
* after the whole list of prompts, as a numbered list ("1. ...", "#2、...", "Q3: ...");
* after the whole list of prompts, one unnumbered line per question, in order.

Prompts are recognised by their fingerprints (see ``fingerprint.py``); other
template lines are skipped, so only what the student wrote is ever matched.
A numbered line before another prompt belongs to the answer above it ("1. x_train
/= 255, 2. x_test /= 255" under question 1), unless its number is one of the
prompts just above; after the last prompt, numbering switches questions. Where
the prompts are found, nothing before the first one is an answer (notes on Part 1
numbered "1." are not answers to question 1); a template line between two prompts
(an empty "Answer:" slot) means the question above it was left blank, so the
prompts around it are not one block. A leading "Answer:" label is not the answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from grader.rubric.answers.fingerprint import Fingerprints
from grader.rubric.answers.matchers import han_number
from grader.submission.prose import ProseLine

_N = r"(?P<{}>\d|[一二三四五六七八九])"
_PREFIX = r"(?:q|ans|answer|問題|问题|題|题|第)"
# A question's label at the start of a line: "1.", "Q2:", "第3題：", "第一題：", "(4)", and, after a
# prefix, "Q1 -", "Q1->", "Q1 答：", "Q1 Ans:" (the "答：" is then dropped as an answer label).
_LABEL = re.compile(
    r"^[\s#>*\-+`|]*(?:"
    rf"(?:{_PREFIX}|a)?\s*{_N.format('n')}\s*(?:題|题)?\s*[.、:：)）]"
    rf"|[(（]\s*{_N.format('paren')}\s*[)）]"
    rf"|{_PREFIX}\s*{_N.format('word')}\s*(?:題|题)?\s*(?:-+>?|→|(?=答|解答|回答|ans|answer))"
    r")\s*(?P<rest>.*)$",
    re.IGNORECASE)


def _labelled(text: str) -> tuple[int, str] | None:
    """(question number, the rest of the line) when ``text`` starts with a question's label."""
    match = _LABEL.match(text)
    if match is None:
        return None
    digit = match.group("n") or match.group("paren") or match.group("word")
    return (int(digit) if digit.isdigit() else han_number(digit)), match.group("rest")


_FILLER = re.compile(r"^[\W_]*(?:ans(?:wer)?s?|a|答案?|解答|回答|作答)?[\W_]*$", re.IGNORECASE)
# "答 / Answer:", "Ans:", "A：" before the student's words: the template's invitation, not the answer.
_ANSWER_LABEL = re.compile(r"^[\s>*#\-]*(?:(?:答案?|解答|回答|作答|answers?|ans|a)[\s*/]*)+[:：]\s*", re.IGNORECASE)


@dataclass
class Answer:
    question: int
    lines: list[ProseLine] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines).strip()

    @property
    def cells(self) -> list[int]:
        return sorted({line.cell for line in self.lines})


def locate_answers(lines: list[ProseLine], fingerprints: Fingerprints, questions: int) -> dict[int, Answer]:
    answers = {n: Answer(n) for n in range(1, questions + 1)}
    current: int | None = None
    pending: list[int] = []  # prompts seen back to back, still waiting for their answers
    block: set[int] = set()  # the questions of the latest run of back-to-back prompts
    slot = False  # a template line (an empty "Answer:" slot) since the last prompt: the next one is no run
    anchors = [fingerprints.question_at(line.text) for line in lines]
    anchored = [i for i, a in enumerate(anchors) if a and a[0] in answers]
    first_anchor, last_anchor = (anchored[0], anchored[-1]) if anchored else (-1, -1)

    def add(n: int, line: ProseLine, text: str) -> None:
        text = _ANSWER_LABEL.sub("", text.strip(), count=1)
        if text.strip() and not _FILLER.match(text):
            answers[n].lines.append(ProseLine(line.cell, line.line, text.strip(), line.source))

    for i, line in enumerate(lines):
        if i < first_anchor:  # notes on Part 1, numbered or not, come before any question
            continue
        anchor = anchors[i]
        if anchor and anchor[0] in answers:
            current, rest = anchor
            if pending and (current != pending[-1] + 1 or slot):
                pending = []
            if not pending:
                block = set()
            pending.append(current)
            block.add(current)
            slot = False
            if rest.strip() and not _FILLER.match(rest):
                add(current, line, rest)
                pending = []
            continue
        label = _labelled(line.text)
        template = fingerprints.is_template(line.text)
        # A bare "1." is template-like once normalised, but it is the student's numbering.
        if label and 1 <= label[0] <= questions and (not label[1].strip() or not template):
            n = label[0]
            if current is not None and i < last_anchor and n not in block:
                add(current, line, line.text)  # a list inside the answer to the prompt above, not question n
                continue
            current = n
            pending = []
            add(current, line, label[1])
            continue
        if template or _FILLER.match(line.text):
            slot = slot or bool(template and line.text.strip())
            continue
        if len(pending) > 1:
            # Unnumbered answers after a block of prompts: one line per question, in order.
            # Comments of code pasted there are not answers: numbered ones were handled above.
            if line.source not in ("comment", "string"):
                add(pending.pop(0), line, line.text)
            continue
        pending = []
        if current is not None:
            add(current, line, line.text)
    return answers
