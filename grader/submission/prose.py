"""The text a student *wrote*, line by line, from every kind of cell.

Answers turn up in markdown, raw cells, code comments, bare strings and
docstrings, and as plain prose typed into a code cell (which fails with a
SyntaxError when run, or is nothing but bare words and numbers). Executable
code is not prose: a pasted example's ``x_train /= 255`` must not answer a
question by itself.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from dataclasses import dataclass

from grader.submission.model import Cell, Submission

_MAGIC = re.compile(r"^\s*[%!]")
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_EXPORT_HEADER = re.compile(r"^#\s*In\[\s*\d*\s*\]:?\s*$")  # nbconvert's cell header in an exported script
_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_RULE_CELL = re.compile(r"^:?-*:?$")
_ROW_NUMBER = re.compile(r"^\W*(?:Q|第)?\s*(\d)\s*(?:題|题)?\W*$", re.IGNORECASE)


@dataclass(frozen=True)
class ProseLine:
    cell: int
    line: int  # 1-based line within the cell
    text: str
    source: str  # "markdown", "raw", "comment", "string", "plain"


def prose_lines(submission: Submission) -> list[ProseLine]:
    lines: list[ProseLine] = []
    for cell in submission.cells:
        lines.extend(cell_prose(cell))
    return lines


def cell_prose(cell: Cell) -> list[ProseLine]:
    if cell.kind in ("markdown", "raw"):
        return [ProseLine(cell.index, n, text, cell.kind)
                for n, line in enumerate(cell.source.splitlines(), 1) for text in _markdown_lines(line)]
    return _code_prose(cell)


def _markdown_lines(line: str) -> list[str]:
    """What reads as separate lines: ``<br>`` splits one; a table row reads as "1. its cells", its rule as nothing."""
    found = []
    for part in _BREAK.split(line):
        if not _TABLE_ROW.match(part):
            found.append(part)
            continue
        cells = [c.strip() for c in part.strip().strip("|").split("|")]
        if all(_RULE_CELL.match(c) for c in cells):
            continue
        number = _ROW_NUMBER.match(cells[0])
        found.append(f"{number.group(1)}. " + " ".join(cells[1:]) if number else " ".join(cells))
    return found


def _code_prose(cell: Cell) -> list[ProseLine]:
    # IPython magics and shell escapes are valid in a notebook but not in Python.
    source = "\n".join("" if _MAGIC.match(ln) else ln for ln in cell.source.splitlines())
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        tree = None
    if tree is None or _only_words(tree):
        return [ProseLine(cell.index, n, re.sub(r"^\s*#+", "", text), "plain")
                for n, text in enumerate(cell.source.splitlines(), 1)]
    found: dict[int, ProseLine] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            for offset, text in enumerate(node.value.value.splitlines()):
                line = node.lineno + offset
                found[line] = ProseLine(cell.index, line, text, "string")
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.COMMENT and not _EXPORT_HEADER.match(tok.string):
                line = tok.start[0]
                found[line] = ProseLine(cell.index, line, tok.string.lstrip("#"), "comment")
    except (tokenize.TokenError, IndentationError):
        pass
    return [found[k] for k in sorted(found)]


def _only_words(tree: ast.Module) -> bool:
    """A cell of nothing but bare words and numbers (``Adadelta``, ``2``, ``1,199,882``): an answer typed
    into a code cell, which Jupyter makes by default. It is valid Python, so it would not fail as prose does."""
    def word(node: ast.AST) -> bool:
        if isinstance(node, ast.Tuple):
            return all(word(e) for e in node.elts)
        return isinstance(node, ast.Name) or (isinstance(node, ast.Constant) and isinstance(node.value, (int, float))
                                              and not isinstance(node.value, bool))
    return bool(tree.body) and all(isinstance(s, ast.Expr) and word(s.value) for s in tree.body)
