"""Where the solution trains and sets up augmentation: the call sites the training mutants rewrite.

A training call is a ``fit``/``fit_generator`` method call (``fit#2`` is the second of the notebook, in
reading order); an ``ImageDataGenerator(...)`` call is where augmentation is set up. The checks meant to
catch a training mutant are those whose keys (or a checklist item's) judge what it changes.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

from grader.author.mutants.base import Subject
from grader.author.mutants.source import CodeCell, argument, callee, calls
from grader.rubric.checks import Check

FIT = ("fit", "fit_generator")


@dataclass(frozen=True)
class FitCall:
    cell: CodeCell
    node: ast.Call
    ordinal: int

    @property
    def id(self) -> str:
        return f"fit#{self.ordinal}"

    @property
    def label(self) -> str:
        return f"{callee(self.node)} #{self.ordinal}"

    @property
    def data(self) -> ast.expr | None:
        """What feeds it: ``x`` (Keras 2's ``generator``), by keyword or first."""
        return argument(self.node, "x", 0) or argument(self.node, "generator", None)


def fit_calls(subject: Subject) -> list[FitCall]:
    found = [(cell, node) for cell, node in calls(subject.code)
             if isinstance(node.func, ast.Attribute) and node.func.attr in FIT]
    return [FitCall(cell, node, i) for i, (cell, node) in enumerate(found, 1)]


def generator_calls(subject: Subject) -> list[tuple[CodeCell, ast.Call]]:
    return [(cell, node) for cell, node in calls(subject.code) if callee(node) == "ImageDataGenerator"]


def checks_judging(checks: Sequence[Check], judges: Callable[[Check], bool]) -> tuple[str, ...]:
    """The checks for which ``judges`` holds, and the checklists that have an item for which it holds."""
    return tuple(c.id for c in checks if judges(c) or any(judges(item) for item in getattr(c, "items", ())))


def on_augmentation(check: Check) -> bool:
    return bool(getattr(check, "augmentation", False)) or "augmentation" in getattr(check, "vary", ())


def on_data(check: Check) -> bool:
    return check.kind == "training" and bool(getattr(check, "data", ()) or getattr(check, "augmentation", False)
                                             or getattr(check, "batch", None)) or on_augmentation(check)


def on_callbacks(check: Check) -> bool:
    return check.kind == "training" and getattr(check, "callbacks", None) is not None


def keywords_without(node: ast.Call, names: Iterable[str]) -> list[ast.keyword]:
    dropped = set(names)
    return [k for k in node.keywords if k.arg not in dropped]
