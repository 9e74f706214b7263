"""The questions of a reference solution, and where its answers are written, for ``grader new``.

A question's prompt is a line of a markdown (or raw) cell that starts with a
question label (``Q1.``, ``**P2.**``, ``Question 3:``, ``問題 4``, ``第五題``),
or a numbered line that asks something (``1. Which optimizer ...?``). Its
answer is what follows it: the next lines of the cell up to the next prompt or
heading, else the next cell when that is prose without a prompt, or the rest
of the prompt's own line after its question mark.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from grader.submission.model import Cell, Submission

_LABELLED = re.compile(
    r"^(?P<lead>[\s>*_#\-]*)(?P<label>(?:Q|P|Question|Problem|問題|題目?)\s*\d{1,2}(?!\d)"
    r"|第\s*(?:\d{1,2}|[一二三四五六七八九十]+)\s*題)(?P<after>[\s*_]*[.:：、)）]?[*_]*)", re.IGNORECASE)
_NUMBERED = re.compile(r"^(?P<lead>[\s>*_]*)(?P<label>\d{1,2}[.、)）])(?P<after>[*_]*)\s*\S.*[?？]")
_HEADING = re.compile(r"^\s*#")
_ASKED = re.compile(r"[?？]")
# "答 / Answer:", "Ans:", "A：": the template's invitation to answer, which the template keeps.
ANSWER_LABEL = re.compile(r"^[\s>*_\-]*(?:(?:答案?|解答|回答|作答|answers?|ans|a)[\s*_/]*)+[:：][*_]*\s*",
                          re.IGNORECASE)


@dataclass(frozen=True)
class Place:
    """Characters ``start:`` of line ``line`` (1-based) of cell ``cell``: the answer written there."""

    cell: int
    line: int
    start: int = 0


@dataclass(frozen=True)
class Question:
    number: int
    cell: int
    line: int
    prompt: str  # the prompt's line
    pattern: str  # a regex matching that line and no other prompt: for [answers] prompts
    answer: tuple[Place, ...]


def find_questions(submission: Submission) -> list[Question]:
    cells = submission.cells
    prompts = [(cell.index, n, line, _pattern(line)) for cell in cells if cell.kind in ("markdown", "raw")
               for n, line in enumerate(cell.source.splitlines(), 1) if _pattern(line) is not None]
    starts = {(c, n) for c, n, _, _ in prompts}
    found = []
    for number, (cell, line, text, pattern) in enumerate(prompts, 1):
        found.append(Question(number, cell, line, text, pattern or "", _answer(cells, cell, line, text, starts)))
    return found


def _pattern(line: str) -> str | None:
    """A regex for the prompt's line, anchored on its label; None when the line is not a prompt."""
    match = _LABELLED.match(line) or _NUMBERED.match(line)
    if match is None:
        return None
    head = match.group("lead").lstrip() + match.group("label") + match.group("after")
    tail = r"(?!\d)" if not match.group("after").strip() else ""
    return r"^\s*" + re.escape(head.rstrip()) + tail


def _answer(cells: tuple[Cell, ...], cell: int, line: int, text: str, starts: set[tuple[int, int]]
            ) -> tuple[Place, ...]:
    lines = cells[cell].source.splitlines()
    places = []
    asked = list(_ASKED.finditer(text))
    if asked and text[asked[-1].end():].strip():  # "Q2. Which optimizer? Adadelta"
        places.append(Place(cell, line, asked[-1].end()))
    below = _lines_below(lines, line, lambda n: (cell, n) in starts)
    places += [Place(cell, n) for n in below]
    if not places and cell + 1 < len(cells) and cells[cell + 1].kind in ("markdown", "raw"):
        following = cells[cell + 1]
        if not any((following.index, n) in starts for n in range(1, following.source.count("\n") + 2)):
            places += [Place(following.index, n) for n in _lines_below(following.source.splitlines(), 0,
                                                                         lambda n: False)]
    return tuple(places)


def _lines_below(lines: list[str], line: int, is_prompt) -> list[int]:
    """The non-blank lines after ``line`` up to the next prompt or heading."""
    found = []
    for n in range(line + 1, len(lines) + 1):
        if is_prompt(n) or _HEADING.match(lines[n - 1]):
            break
        if lines[n - 1].strip():
            found.append(n)
    return found
