"""What every check kind shares: identity, points, feedback text, and a registry by kind.

A new kind of check is a new subclass in its own file with a ``kind`` name;
the spec loader finds it in ``Check.registry``. Each kind parses its own table
(``from_spec``) and writes it back (``to_spec``), a round trip tested for all
kinds at once.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import Any, ClassVar, Mapping

from grader.errors import SpecError
from grader.execute.outcome import ExecutionOutcome
from grader.harvest.schema import Harvest, ModelFacts
from grader.i18n import Message
from grader.rubric.answers.sheet import Answer
from grader.rubric.compare import Comparison
from grader.rubric.result import ItemResult, Quote

Text = Mapping[str, str]  # language -> text
LANGUAGES = ("en", "zh-TW")


def parse_question(table: Mapping[str, Any], where: str) -> int:
    """The ``question`` key of a check of a written answer: the question's number in the template."""
    question = table.get("question")
    if not isinstance(question, int) or isinstance(question, bool) or question < 1:
        raise SpecError(f"question must be a positive integer, found {question!r}", where=f"{where}.question",
                        hint="the number of the question in the template, e.g. question = 2")
    return question


def parse_text(value: Any, where: str) -> dict[str, str]:
    """A text of the spec: one string for every language, or a table of texts by language."""
    if isinstance(value, str):
        return {"en": value}
    if isinstance(value, dict) and value and all(isinstance(v, str) for v in value.values()):
        bad = set(value) - set(LANGUAGES)
        if bad:
            raise SpecError(f"unknown language {sorted(bad)[0]!r}", where=where, hint="languages: en, zh-TW")
        return dict(value)
    raise SpecError("expected a text or a table of texts by language", where=where,
                    hint='e.g. {en = "...", zh-TW = "..."}')


@dataclass(frozen=True)
class Evidence:
    """Everything the grader measured about one submission; checks read only this.

    ``checks`` are the exercise's checks by id, for a check that names another's models
    (``model = "cnn"``); ``part_start`` is the first cell of the student's own part (where the
    first question's prompt was read), None when the notebook shows no prompt; ``commentary``
    the cells whose prose comments on code rather than answers (an open answer ignores them); ``unfinished``
    the code cells the student's saved notebook shows did not run to their end (no execution count, or an error).
    """

    harvest: Harvest
    answers: Mapping[int, Answer]  # an AnswerSheet: also the student text no question claimed
    outcome: ExecutionOutcome
    checks: Mapping[str, "Check"] = field(default_factory=dict)
    part_start: int | None = None
    commentary: frozenset[int] = frozenset()  # cells whose prose comments on code (grader.submission.commentary)
    unfinished: frozenset[int] = frozenset()  # code cells that did not run to their end in the student's session

    def models_of(self, check_id: str) -> tuple[ModelFacts, ...]:
        """The harvested models that satisfy the model check ``check_id``."""
        check = self.checks.get(check_id)
        satisfied_by = getattr(check, "satisfied_by", None)
        return satisfied_by(self.harvest) if satisfied_by is not None else ()

    def in_part(self, cell: int | None) -> bool:
        """Whether something made in ``cell`` is the student's own (after the template's demo part)."""
        return self.part_start is None or cell is None or cell >= self.part_start


@dataclass(frozen=True)
class Verdict:
    """A check's result before it is given its identity and points.

    Any kind of check may say where it read its verdict (``evidence``, or why it found none in
    ``evidence_missing``) and that a person should look at it (``review``, the reason): the verdict
    still scores, and the reports quote the evidence and list the flagged checks.
    """

    fraction: float  # 0.0 .. 1.0 of the check's points
    message: Message
    details: tuple[Message, ...] = ()
    evidence: Quote | None = None
    evidence_missing: Message | None = None
    review: Message | None = None
    comparison: Comparison | None = None  # a model check: the closest model beside the spec (issue 19)
    items: tuple[ItemResult, ...] = ()  # a checklist: each item's points and message


@dataclass(frozen=True)
class Check(abc.ABC):
    id: str
    title: Text
    points: float
    hidden: bool = False
    hint: Text = field(default_factory=dict)
    feedback_pass: Text = field(default_factory=dict)
    feedback_fail: Text = field(default_factory=dict)

    kind: ClassVar[str]
    registry: ClassVar[dict[str, type["Check"]]] = {}
    #: keys of the check's table this kind understands, besides the common ones
    own_keys: ClassVar[frozenset[str]] = frozenset()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not getattr(cls, "__abstractmethods__", None):
            Check.registry[cls.kind] = cls

    @abc.abstractmethod
    def evaluate(self, evidence: Evidence) -> Verdict:
        """Judge the evidence. Must not raise on odd evidence: say what was found instead."""

    @classmethod
    @abc.abstractmethod
    def parse_own(cls, table: Mapping[str, Any], where: str) -> dict[str, Any]:
        """Parse this kind's own keys into constructor arguments (raise SpecError with ``where``)."""

    @abc.abstractmethod
    def own_spec(self) -> dict[str, Any]:
        """This kind's own keys, as they would be written in the spec."""

    def references(self) -> tuple[str, ...]:
        """Ids of the model checks this check names (the spec loader checks that they exist)."""
        return ()

    def to_spec(self) -> dict[str, Any]:
        table: dict[str, Any] = {"id": self.id, "kind": self.kind, "points": self.points, "title": dict(self.title)}
        if self.hidden:
            table["hidden"] = True
        if self.hint:
            table["hint"] = dict(self.hint)
        feedback = {k: dict(v) for k, v in (("pass", self.feedback_pass), ("fail", self.feedback_fail)) if v}
        if feedback:
            table["feedback"] = feedback
        table.update(self.own_spec())
        return table
