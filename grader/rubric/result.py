"""The graded result of one submission: what every reporter renders."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from grader.execute.outcome import ExecutionOutcome, Status
from grader.i18n import Message
from grader.rubric.compare import Comparison


@dataclass(frozen=True)
class ItemResult:
    """One item of a checklist check (a technique the run shows, or not), with its own points."""

    id: str
    title: Mapping[str, str]
    points: float
    max_points: float
    message: Message

    @property
    def passed(self) -> bool:
        return self.points >= self.max_points


@dataclass(frozen=True)
class CheckResult:
    id: str
    title: Mapping[str, str]
    points: float
    max_points: float
    message: Message
    details: tuple[Message, ...] = ()
    hint: Mapping[str, str] = field(default_factory=dict)
    hidden: bool = False
    comparison: Comparison | None = None  # the closest model beside the spec; never for a hidden check
    items: tuple[ItemResult, ...] = ()  # a checklist's items, each with its points

    @property
    def passed(self) -> bool:
        return self.points >= self.max_points


@dataclass(frozen=True)
class GradeResult:
    exercise: str
    submission: str
    checks: tuple[CheckResult, ...]
    outcome: ExecutionOutcome
    notes: tuple[Message, ...] = ()

    @property
    def status(self) -> Status:
        return self.outcome.status

    @property
    def score(self) -> float:
        return round(sum(c.points for c in self.checks), 4)

    @property
    def max_score(self) -> float:
        return round(sum(c.max_points for c in self.checks), 4)

    @property
    def full_marks(self) -> bool:
        return self.status == Status.GRADED and self.score >= self.max_score
