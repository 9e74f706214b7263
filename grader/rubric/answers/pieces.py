"""One line of the student's text, cut where a reader sees a new answer begin.

``1) 答: 有 2) 答: Adadelta 3) 2層`` is three pieces, each with its question's number; a
comment ``# 模型總共疊了幾層卷積層? 答：2層`` is one piece that names question 3 by its prompt and
holds ``2層``. A piece knows its cues (prompt, number, marker) and its own words; which question
it answers is decided by ``segment.py``, which sees the pieces around it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from grader.rubric.answers.cues import Label, is_filler, labels, leading_label, strip_marker
from grader.rubric.answers.fingerprint import Fingerprints
from grader.rubric.answers.prompts import PromptHit, find_prompt
from grader.submission.prose import ProseLine


@dataclass(frozen=True)
class Piece:
    line: ProseLine
    words: str  # the student's own words in it: after any prompt, number and marker
    label: Label | None = None
    prompt: PromptHit | None = None
    marker: bool = False
    template: bool = False  # template text, not the student's
    chained: bool = False  # one of several numbered answers on the line
    raw: str = ""  # the piece as written, its number included

    @property
    def filler(self) -> bool:
        return not self.words or is_filler(self.words)

    @property
    def cue(self) -> bool:
        """Something marks it as an answer: a prompt, a number or a marker."""
        return self.prompt is not None or self.label is not None or self.marker

    def as_line(self) -> ProseLine:
        """The piece as a line of an answer: its words, where the line was read."""
        return ProseLine(self.line.cell, self.line.line, self.words, self.line.source)


def split(line: ProseLine, prints: Fingerprints, questions: int) -> list[Piece]:
    """``line`` cut at the numbers of questions 1..``questions`` ("37、38行" is no question 37), and after a word label
    of another ("Q7：...": the text is numbered, for no question of ours)."""
    text = line.text
    lead = leading_label(text)
    cuts: list[Label | None] = [c for c in labels(text)
                                if 1 <= c.number <= questions or (c == lead and c.strong)]
    if not cuts or re.search(r"\w", text[:cuts[0].start]):
        cuts.insert(0, None)  # words before the first number: a piece of their own
    pieces = []
    for i, cut in enumerate(cuts):
        start = cut.end if cut is not None else 0
        end = cuts[i + 1].start if i + 1 < len(cuts) else len(text)
        piece = _piece(line, text[start:end], cut, prints, chained=len(cuts) > 1)
        pieces.append(replace(piece, raw=text[cut.start if cut is not None else 0:end].strip()))
    return pieces


def loosen(pieces: list[Piece], prints: Fingerprints) -> list[Piece]:
    """Pieces whose tight label ("3.2層") is not the next (or previous) number of the labels around it, read again
    without it: "2.5 layers" alone is a decimal."""
    numbered = [i for i, p in enumerate(pieces) if p.label is not None]
    kept = list(pieces)
    for k, i in enumerate(numbered):
        label = pieces[i].label
        if not label.tight:
            continue
        before = pieces[numbered[k - 1]].label.number if k > 0 else None
        after = pieces[numbered[k + 1]].label.number if k + 1 < len(numbered) else None
        if before != label.number - 1 and after != label.number + 1:
            kept[i] = replace(_piece(pieces[i].line, pieces[i].line.text, None, prints, chained=False),
                              raw=pieces[i].line.text.strip())
    return kept


def _piece(line: ProseLine, text: str, label: Label | None, prints: Fingerprints, chained: bool) -> Piece:
    # A line's only piece may copy the prompt from its first character on ("1. <prompt>" normalises to the
    # prompt); one of several pieces is read alone.
    for candidate in dict.fromkeys([text] if chained else [line.text, text]):
        hit = find_prompt(candidate, prints)
        if hit is not None:
            text = candidate[hit.answer_start(candidate):]
            break
    words, marker = strip_marker(text.strip())
    # template text, or template text after the template's own "Answer:" slot
    template = prints.is_template(text if chained else line.text) or prints.has_line(words)
    return Piece(line, words.strip(), label, hit, marker, template, chained)
