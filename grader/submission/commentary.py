"""Text about code rather than an answer: the comments of working code and the captions above it.

An open question ("what did augmentation change?") is followed in most
notebooks by the student's code, whose comments ("# build the model", the
course's "# Convert class vectors to binary class matrices.") and section
titles ("### Training with augmentation") are prose but answer nothing. A
comment counts as writing only in a cell with no working code (a cell of
comments, as students type answers) or in a cell that quotes a question (the
student tied it to that question); a caption is a short markdown cell right
above a code cell: headings or a line or two, with no answer marker.
"""

from __future__ import annotations

import ast
import re

from grader.submission.model import Cell, Submission

_MAGIC = re.compile(r"^\s*[%!]")
_MARKER = re.compile(r"答|ans\b|answer|=>|→|⇒|->", re.IGNORECASE)
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s")
_SENTENCE = re.compile(r"[。，,；;！!？?、]")
_CAPTION_LINES = 2
_CAPTION_CHARS = 40


def executable(cell: Cell) -> bool:
    """A code cell that parses and holds a statement that does something (not only strings, names, numbers)."""
    if cell.kind != "code":
        return False
    source = "\n".join("" if _MAGIC.match(line) else line for line in cell.source.splitlines())
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return False
    return any(not (isinstance(node, ast.Expr) and isinstance(node.value, (ast.Constant, ast.Name)))
               for node in tree.body)


def _caption(cell: Cell, following: Cell | None) -> bool:
    if cell.kind != "markdown" or following is None or following.kind != "code" or not following.source.strip():
        return False
    lines = [line.strip() for line in cell.source.splitlines() if line.strip()]
    return 0 < len(lines) <= _CAPTION_LINES and not any(_MARKER.search(line) for line in lines) and all(
        line.startswith("#") or len(line) <= _CAPTION_CHARS for line in lines)


def title(source: str, text: str) -> bool:
    """A markdown heading that names a section ("## What I observed") rather than says something: no answer
    marker, no sentence punctuation ("#### DNN，池化層會降低維度。" and "### => 卷積核大小" say something)."""
    return source == "markdown" and bool(_HEADING.match(text)) and not _MARKER.search(text) \
        and not _SENTENCE.search(text)


def commentary_cells(submission: Submission, anchored: set[int]) -> frozenset[int]:
    """Cells whose prose comments on code: working code cells and captions, unless they quote a question
    (``anchored``: cells where a question's prompt was read)."""
    cells = submission.cells
    found = set()
    for i, cell in enumerate(cells):
        if cell.index in anchored:
            continue
        if executable(cell) or _caption(cell, cells[i + 1] if i + 1 < len(cells) else None):
            found.add(cell.index)
    return frozenset(found)
