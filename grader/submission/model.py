"""A submission as the grader sees it: an ordered list of cells of text."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

CellKind = Literal["code", "markdown", "raw"]


@dataclass(frozen=True)
class Cell:
    index: int
    kind: CellKind
    source: str
    line: int | None = None  # in a script, the file line of the source's first line (errors name file lines)
    # a notebook's code cell: whether the saved file shows it ran to its end in the student's own session (an
    # execution count and no error output); None where a file cannot tell (a script, prose). Never credit:
    # only a review flag's reason.
    finished: bool | None = None


@dataclass(frozen=True)
class Submission:
    """What the student handed in, decoded and split into cells.

    ``path`` is the original file; ``fmt`` is ``"ipynb"`` or ``"py"``;
    ``encoding`` is what the bytes were decoded from (``utf-8``, ``big5``, ...).
    ``metadata`` holds the notebook's own metadata (used to infer the exercise).
    """

    path: Path
    fmt: Literal["ipynb", "py"]
    cells: tuple[Cell, ...]
    encoding: str = "utf-8"
    metadata: dict = field(default_factory=dict, compare=False)
    digest: str = ""  # sha256 of the raw bytes: the batch runner's cache key

    @property
    def code_cells(self) -> tuple[Cell, ...]:
        return tuple(c for c in self.cells if c.kind == "code")

    @staticmethod
    def digest_of(data: bytes) -> str:
        return hashlib.sha256(data).hexdigest()
