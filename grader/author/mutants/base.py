"""What every mutation operator shares: the solution it rewrites, the mutant it makes, a registry by name.

A mutant is the reference solution with one deliberate mistake, written into
its source (a rewritten notebook, run exactly like a student's). A rubric that
gives it full marks has a hole. A new kind of mistake is a new ``Operator``
subclass in its own file of this package (found by ``grader.author.mutants``
without being listed anywhere), with a ``name`` and a ``mutants`` method.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from functools import cached_property
from typing import Any, ClassVar, Iterable, Mapping, Sequence

from grader.author.mutants.source import CodeCell, Edit, apply, code_cells
from grader.harvest.schema import Harvest
from grader.i18n import Message
from grader.rubric.answers.sheet import Answer
from grader.rubric.checks import Check
from grader.rubric.spec import Exercise
from grader.submission.model import Cell, Submission


@dataclass(frozen=True)
class Mutant:
    id: str  # stable across runs, for [[validate.accept]] patterns: "Conv2D#2.filters", "Q3.numbers"
    operator: str
    change: Message  # what was changed, in the TA's words: "Conv2D #2: filters 64 → 48"
    edits: tuple[Edit, ...]
    meant: tuple[str, ...]  # the checks that should fail on it

    def cells(self, solution: Submission) -> list[Cell]:
        return apply(solution.cells, self.edits)

    @property
    def position(self) -> tuple[int, int]:
        """Where its first edit is (the one that makes the mistake): mutants are listed top to bottom."""
        return self.edits[0].cell, self.edits[0].start


@dataclass(frozen=True)
class Subject:
    """The reference solution as the operators see it: its source, what its run built, its answers."""

    exercise: Exercise
    solution: Submission
    harvest: Harvest
    answers: Mapping[int, Answer]

    @cached_property
    def code(self) -> list[CodeCell]:
        return code_cells(self.solution.cells)


class Operator(abc.ABC):
    name: ClassVar[str]
    registry: ClassVar[dict[str, type["Operator"]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not getattr(cls, "__abstractmethods__", None):
            Operator.registry[cls.name] = cls

    @abc.abstractmethod
    def mutants(self, subject: Subject) -> Iterable[Mutant]:
        """Every mutant of this kind the solution allows (none where the solution gives nothing to change)."""


def said(en: str, zh: str) -> Message:
    return Message.literal({"en": en, "zh-TW": zh})


# --------------------------------------------------------------------------- which checks should catch what


def checks_on_layers(checks: Sequence[Check], types: Iterable[str]) -> tuple[str, ...]:
    """The model checks that name one of ``types``, else those that constrain the model without naming layers."""
    wanted = set(types)
    naming = [c.id for c in checks if any(_names(spec.type, wanted) for spec in getattr(c, "layers", ()))]
    if naming:
        return tuple(naming)
    return tuple(c.id for c in checks if c.kind == "model" and not getattr(c, "layers", ()))


def _names(constraint: Any, types: set[str]) -> bool:
    if constraint.kind == "any":
        return True
    values = constraint.value if constraint.kind == "one_of" else (constraint.value,)
    return bool(types & set(values))


def checks_on_compile(checks: Sequence[Check], key: str) -> tuple[str, ...]:
    """The model checks that constrain ``key`` of compile, else any that constrain compile at all."""
    named = [c.id for c in checks if key in (getattr(c, "compile", None) or {})]
    return tuple(named or [c.id for c in checks if getattr(c, "compile", None)])


def checks_on_question(checks: Sequence[Check], question: int) -> tuple[str, ...]:
    return tuple(c.id for c in checks if getattr(c, "question", None) == question)
