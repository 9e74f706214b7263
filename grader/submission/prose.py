"""The text a student *wrote*, line by line, from every kind of cell.

Answers turn up in markdown, raw cells, code comments, bare strings and
docstrings, and as plain prose typed into a code cell (which fails with a
SyntaxError when run, or is nothing but bare words, numbers and objects built
and dropped, such as ``keras.optimizers.Adadelta(),``). Executable code is not
prose: a pasted example's ``x_train /= 255`` must not answer a question by
itself. ``code_lines`` gives the code apart, so that an answer written in a
comment can be read together with the code it points at.
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
    """A cell of nothing but bare words and numbers (``Adadelta``, ``2``, ``1,199,882``), or of objects built
    and dropped (``keras.optimizers.Adadelta(),``: a class, by its capital, called for nothing but its name):
    an answer typed into a code cell, which Jupyter makes by default. It is valid Python, so it would not
    fail as prose does. A call of a function or method (``model.summary()``) is an action, not an answer."""
    def word(node: ast.AST) -> bool:
        if isinstance(node, ast.Tuple):
            return all(word(e) for e in node.elts)
        if isinstance(node, ast.Call):
            return _class_name(node.func) and all(word(a) or isinstance(a, ast.Constant) for a in node.args) \
                and not node.keywords
        number = isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) \
            and not isinstance(node.value, bool)
        return isinstance(node, (ast.Name, ast.Attribute)) and _dotted(node) or number
    return bool(tree.body) and all(isinstance(s, ast.Expr) and word(s.value) for s in tree.body)


def _dotted(node: ast.AST) -> bool:
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name)


def _class_name(node: ast.AST) -> bool:
    name = node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else ""
    return _dotted(node) and name[:1].isupper()


def code_lines(submission: Submission) -> dict[tuple[int, int], str]:
    """(cell, line) -> the executable code of that line (its comment cut off), for code cells that are code."""
    found: dict[tuple[int, int], str] = {}
    for cell in submission.cells:
        if cell.kind != "code" or any(line.source == "plain" for line in cell_prose(cell)):
            continue
        source = "\n".join("" if _MAGIC.match(ln) else ln for ln in cell.source.splitlines())
        try:
            tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
        except (tokenize.TokenError, IndentationError, SyntaxError):
            continue
        comments = {tok.start[0]: tok.start[1] for tok in tokens if tok.type == tokenize.COMMENT}
        strings = {n for tok in tokens if tok.type == tokenize.STRING and tok.start[0] != tok.end[0]
                   for n in range(tok.start[0], tok.end[0] + 1)}
        for n, text in enumerate(source.splitlines(), 1):
            text = text[:comments[n]] if n in comments else text
            if text.strip() and n not in strings:
                found[(cell.index, n)] = text.rstrip()
    return found
