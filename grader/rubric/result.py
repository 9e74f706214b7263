"""The graded result of one submission: what every reporter renders."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from grader.execute.outcome import ExecutionOutcome, Status
from grader.i18n import Message
from grader.rubric.compare import Comparison


@dataclass(frozen=True)
class Quote:
    """Where a verdict was read in the submission, so that the student and the TA see what was judged."""

    cell: int  # 0-based index of the cell in the submission (as the result's cells[].index)
    line: int  # 1-based line within that cell
    excerpt: str  # the student's own characters, shortened
    source: str = ""  # the kind of text: markdown, raw, comment, string, plain, code
    file_line: int | None = None  # for a script: the line of the file

    def as_dict(self) -> dict[str, object]:
        return {"cell": self.cell, "line": self.line, "excerpt": self.excerpt, "source": self.source,
                "file_line": self.file_line}

    def message(self) -> Message:
        """"read in cell 9, line 2: “2 層”" (cells counted from 1, as a reader counts them)."""
        if self.file_line is not None:
            return Message.of("evidence.read_script", line=self.file_line, excerpt=self.excerpt)
        return Message.of("evidence.read", cell=self.cell + 1, line=self.line, excerpt=self.excerpt)


@dataclass(frozen=True)
class ItemResult:
    """One item of a checklist check (a technique the run shows, or not), with its own points."""

    id: str
    title: Mapping[str, str]
    points: float
    max_points: float
    message: Message
    review: Message | None = None  # why a person should look at this item (its checklist is flagged too)

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
    evidence: Quote | None = None  # where the verdict was read (checks of the student's text)
    evidence_missing: Message | None = None  # why there is no evidence, when the check looked for some
    review: Message | None = None  # why a person should look at this verdict; None when the grader is sure
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
