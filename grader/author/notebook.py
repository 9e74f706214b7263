"""Write cells as a Jupyter notebook (nbformat 4): the mutants, and the template ``grader new`` makes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping, Sequence

from grader.submission.model import Cell


def notebook(cells: Sequence[Cell], metadata: Mapping[str, Any]) -> dict[str, Any]:
    """A notebook of ``cells``, without outputs (a script's cells become a notebook's)."""
    def cell(c: Cell) -> dict[str, Any]:
        doc: dict[str, Any] = {"cell_type": c.kind, "metadata": {}, "source": c.source.splitlines(keepends=True)}
        if c.kind == "code":
            doc.update(execution_count=None, outputs=[])
        return doc

    return {"cells": [cell(c) for c in cells], "metadata": dict(metadata), "nbformat": 4, "nbformat_minor": 4}


def write_notebook(path: Path, cells: Sequence[Cell], metadata: Mapping[str, Any]) -> None:
    path.write_text(json.dumps(notebook(cells, metadata), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
