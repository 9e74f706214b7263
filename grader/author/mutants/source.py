"""The solution's code cells as syntax trees that know their own characters, for rewriting them.

A mutant changes the source, not a harvested fact: a node is changed in a
copy of its tree, unparsed, and spliced over the node's own characters, so the
rest of the cell stays as its author wrote it and the mutant runs as a
student's notebook would.
"""

from __future__ import annotations

import ast
import copy
import re
from dataclasses import dataclass
from typing import Any, Iterator, Sequence

from grader.submission.model import Cell

_MAGIC = re.compile(r"^\s*[%!]")  # IPython magics and shell escapes: valid in a notebook, not in Python
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")
UNKNOWN = object()  # what ``literal`` returns for an expression that is not a constant


@dataclass(frozen=True)
class Edit:
    """Replace characters ``start:end`` of cell ``cell``'s source with ``text``."""

    cell: int
    start: int
    end: int
    text: str


def apply(cells: Sequence[Cell], edits: Sequence[Edit]) -> list[Cell]:
    """The cells with ``edits`` made (edits of one cell must not overlap)."""
    sources = {cell.index: cell.source for cell in cells}
    for edit in sorted(edits, key=lambda e: (e.cell, e.start, e.end), reverse=True):
        text = sources[edit.cell]
        sources[edit.cell] = text[:edit.start] + edit.text + text[edit.end:]
    return [Cell(index=c.index, kind=c.kind, source=sources[c.index], line=c.line) for c in cells]


def overlapping(edits: Sequence[Edit]) -> bool:
    ordered = sorted(edits, key=lambda e: (e.cell, e.start))
    return any(a.cell == b.cell and b.start < a.end for a, b in zip(ordered, ordered[1:]))


class CodeCell:
    """One code cell: its tree, each node's parent, and the character span of any node."""

    def __init__(self, cell: Cell):
        self.index = cell.index
        self.source = cell.source
        self._lines = _LINE.findall(cell.source)  # the lines as Python counts them (not at \f or \x1c)
        # Magic lines become blanks of their own length, so that every offset still points into ``source``.
        self.tree = ast.parse("".join(_blank(line) if _MAGIC.match(line) else line for line in self._lines))
        self._starts = [0]
        for line in self._lines:
            self._starts.append(self._starts[-1] + len(line))
        self.parents = {child: node for node in ast.walk(self.tree) for child in ast.iter_child_nodes(node)}

    def offset(self, lineno: int, col: int) -> int:
        """The character offset of ast's (line, UTF-8 byte column)."""
        line = self._lines[lineno - 1] if lineno <= len(self._lines) else ""
        return self._starts[lineno - 1] + len(line.encode("utf-8")[:col].decode("utf-8", "ignore"))

    def span(self, node: ast.AST) -> tuple[int, int]:
        return (self.offset(node.lineno, node.col_offset),  # type: ignore[attr-defined]
                self.offset(node.end_lineno, node.end_col_offset))  # type: ignore[attr-defined]

    def text(self, node: ast.AST) -> str:
        start, end = self.span(node)
        return self.source[start:end]

    def replace(self, node: ast.AST, new: ast.AST | str) -> Edit:
        start, end = self.span(node)
        return Edit(self.index, start, end, new if isinstance(new, str) else ast.unparse(new))


def _blank(line: str) -> str:
    body = line.rstrip("\r\n")
    return " " * len(body) + line[len(body):]


def code_cells(cells: Sequence[Cell]) -> list[CodeCell]:
    """The code cells that parse (prose typed into a code cell is not code to rewrite)."""
    parsed = []
    for cell in cells:
        if cell.kind != "code":
            continue
        try:
            parsed.append(CodeCell(cell))
        except (SyntaxError, ValueError):
            continue
    return parsed


def calls(cells: Sequence[CodeCell]) -> Iterator[tuple[CodeCell, ast.Call]]:
    """Every call, cell by cell, in the order it is written."""
    for cell in cells:
        found = [node for node in ast.walk(cell.tree) if isinstance(node, ast.Call)]
        yield from ((cell, node) for node in sorted(found, key=lambda n: (n.lineno, n.col_offset)))


def callee(call: ast.Call) -> str | None:
    """The called name: ``Conv2D`` for ``Conv2D(...)``, ``layers.Conv2D(...)`` and ``keras.layers.Conv2D(...)``."""
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def argument(call: ast.Call, name: str, position: int | None) -> ast.expr | None:
    """The argument ``name``, given by keyword or at ``position``."""
    for keyword in call.keywords:
        if keyword.arg == name:
            return keyword.value
    if position is not None and position < len(call.args) and not any(
            isinstance(a, ast.Starred) for a in call.args[:position + 1]):
        return call.args[position]
    return None


def with_argument(call: ast.Call, name: str, position: int | None, value: Any, *,
                  aliases: Sequence[str] = ()) -> ast.Call:
    """A copy of ``call`` with argument ``name`` set to ``value`` where it was given, else added as a keyword.

    ``aliases``: older spellings of the keyword (``lr`` for ``learning_rate``), replaced by ``name``.
    """
    new = copy.deepcopy(call)
    node = value if isinstance(value, ast.AST) else constant(value)
    for keyword in new.keywords:
        if keyword.arg == name or keyword.arg in aliases:
            keyword.arg, keyword.value = name, node
            return new
    if position is not None and position < len(new.args) and not any(
            isinstance(a, ast.Starred) for a in new.args[:position + 1]):
        new.args[position] = node
        return new
    new.keywords.append(ast.keyword(arg=name, value=node))
    return new


def constant(value: Any) -> ast.expr:
    """A Python value as an expression: ``(5, 5)``, ``'same'``, ``0.01``."""
    return ast.parse(repr(value), mode="eval").body


def literal(node: ast.AST | None) -> Any:
    """The value of a constant expression, else ``UNKNOWN``."""
    if node is None:
        return UNKNOWN
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return UNKNOWN


def keras_attribute(module: str, name: str) -> ast.expr:
    """``__import__('keras').<module>.<name>``: a Keras class reachable whatever the solution imported."""
    root = ast.Call(func=ast.Name("__import__"), args=[ast.Constant("keras")], keywords=[])
    return ast.Attribute(value=ast.Attribute(value=root, attr=module), attr=name)


def bound_names(cells: Sequence[CodeCell]) -> set[str]:
    """Names the solution imports or assigns at the top level of a cell."""
    names: set[str] = set()
    for cell in cells:
        for node in cell.tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names.update(t.id for t in targets if isinstance(t, ast.Name))
    return names
