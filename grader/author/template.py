"""The student's template from the reference solution: its solution code and its answers left out.

Code (or text) between a ``### BEGIN SOLUTION`` line and a ``### END
SOLUTION`` line, as nbgrader and otter-grader authors mark it, becomes one
placeholder line at the same indentation. Every written answer (``questions``)
is removed, keeping its "Answer:" label, so the student sees where to write.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from grader.author.questions import ANSWER_LABEL, Question
from grader.errors import UsageError
from grader.submission.model import Cell, Submission

_BEGIN = re.compile(r"^(?P<indent>\s*)#+\s*BEGIN SOLUTION\b", re.IGNORECASE)
_END = re.compile(r"^\s*#+\s*END SOLUTION\b", re.IGNORECASE)
CODE_PLACEHOLDER = "# YOUR CODE HERE"
TEXT_PLACEHOLDER = "YOUR ANSWER HERE"


@dataclass(frozen=True)
class Template:
    cells: tuple[Cell, ...]
    marked_cells: int  # cells that held BEGIN/END SOLUTION markers
    answers_removed: int


def make_template(solution: Submission, questions: list[Question]) -> Template:
    lines = {cell.index: cell.source.splitlines() for cell in solution.cells}
    removed = 0
    for question in questions:
        for place in question.answer:
            text = lines[place.cell][place.line - 1]
            kept, answer = text[:place.start], text[place.start:]
            label = ANSWER_LABEL.match(answer)
            if label:
                kept, answer = kept + label.group().rstrip(), answer[label.end():]
            lines[place.cell][place.line - 1] = kept.rstrip()
            removed += bool(answer.strip())
    cells, marked = [], 0
    for cell in solution.cells:
        new = _unmarked(cell, lines[cell.index], str(solution.path))
        marked += new != lines[cell.index]
        cells.append(Cell(index=cell.index, kind=cell.kind, source="\n".join(new), line=cell.line))
    return Template(tuple(cells), marked, removed)


def _unmarked(cell: Cell, lines: list[str], where: str) -> list[str]:
    out: list[str] = []
    begin: int | None = None
    for n, line in enumerate(lines, 1):
        start = _BEGIN.match(line)
        if begin is None and start:
            begin = n
            placeholder = CODE_PLACEHOLDER if cell.kind == "code" else TEXT_PLACEHOLDER
            out.append(start.group("indent") + placeholder)
        elif begin is not None and _END.match(line):
            begin = None
        elif begin is None:
            if _END.match(line):
                raise UsageError(f"cell {cell.index + 1}, line {n}: END SOLUTION without a BEGIN SOLUTION above it",
                                 where=where, hint="mark the solution with a '### BEGIN SOLUTION' line before it")
            out.append(line)
    if begin is not None:
        raise UsageError(f"cell {cell.index + 1}, line {begin}: BEGIN SOLUTION is never ended", where=where,
                         hint="close it with a '### END SOLUTION' line")
    return out
