"""``kind = "answer"``: the student's written answer to question N.

Spec keys::

    question = 4
    accept = [{number = 1199882}]                  # any one accepted -> full points
    accept = [{regex = "/=\\s*255", points = 0.5}]  # ...or these points (partial credit)
    reject = [{regex = "沒有|\\bno\\b", message = {en = "...", zh-TW = "..."}}]

Rejections are tried first: a wrong claim next to a right number is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Mapping

from grader.errors import SpecError
from grader.i18n import Message
from grader.rubric.answers.matchers import Matcher, plain
from grader.rubric.checks.base import Check, Evidence, Text, Verdict, parse_question

_EXCERPT = 60


@dataclass(frozen=True)
class Rule:
    matcher: Matcher
    points: float | None = None  # None: the check's full points
    message: Text | None = None

    def to_spec(self) -> dict[str, Any]:
        table = self.matcher.to_spec()
        if self.points is not None:
            table["points"] = self.points
        if self.message:
            table["message"] = dict(self.message)
        return table


@dataclass(frozen=True)
class AnswerCheck(Check):
    kind: ClassVar[str] = "answer"
    own_keys: ClassVar[frozenset[str]] = frozenset({"question", "accept", "reject"})

    question: int = 0
    accept: tuple[Rule, ...] = ()
    reject: tuple[Rule, ...] = ()

    def evaluate(self, evidence: Evidence) -> Verdict:
        answer = evidence.answers.get(self.question)
        text = plain(answer.text) if answer else ""
        if not text.strip():
            return Verdict(0.0, Message.of("answer.missing", question=self.question))
        excerpt = " ".join(answer.text.split())  # in the student's own characters
        excerpt = excerpt if len(excerpt) <= _EXCERPT else excerpt[: _EXCERPT - 1] + "…"
        for rule in self.reject:
            if rule.matcher.matches(text):
                message = Message.literal(rule.message) if rule.message else Message.of(
                    "answer.wrong", question=self.question, excerpt=excerpt)
                return Verdict(0.0, message)
        best = 0.0
        for rule in self.accept:
            if rule.matcher.matches(text):
                best = max(best, 1.0 if rule.points is None else min(rule.points / self.points, 1.0))
        if best >= 1.0:
            return Verdict(1.0, Message.of("answer.ok", question=self.question))
        if best > 0:
            return Verdict(best, Message.of("answer.partial", question=self.question))
        return Verdict(0.0, Message.of("answer.wrong", question=self.question, excerpt=excerpt))

    @classmethod
    def parse_own(cls, table: Mapping[str, Any], where: str) -> dict[str, Any]:
        question = parse_question(table, where)
        accept = _rules(table.get("accept"), f"{where}.accept")
        if not accept:
            raise SpecError("an answer check needs at least one accepted answer", where=f"{where}.accept",
                            hint='e.g. accept = [{regex = "(?i)adadelta"}]')
        return {"question": question, "accept": accept, "reject": _rules(table.get("reject", []), f"{where}.reject")}

    def own_spec(self) -> dict[str, Any]:
        table: dict[str, Any] = {"question": self.question, "accept": [r.to_spec() for r in self.accept]}
        if self.reject:
            table["reject"] = [r.to_spec() for r in self.reject]
        return table


def _rules(raw: Any, where: str) -> tuple[Rule, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise SpecError("expected a list of matchers", where=where, hint='e.g. [{regex = "..."}, {number = 2}]')
    rules = []
    for i, item in enumerate(raw):
        at = f"{where}[{i}]"
        table = dict(item) if isinstance(item, dict) else item
        points = message = None
        if isinstance(table, dict):
            points = table.pop("points", None)
            message = table.pop("message", None)
            if points is not None and (not isinstance(points, (int, float)) or isinstance(points, bool) or points < 0):
                raise SpecError(f"points must be a non-negative number, found {points!r}", where=f"{at}.points")
            if isinstance(message, str):  # like every other text of a spec: one string serves every language
                message = {"en": message}
            if message is not None and not (isinstance(message, dict) and all(isinstance(v, str) for v in message.values())):
                raise SpecError("message must be a text or a table of texts by language", where=f"{at}.message",
                                hint='message = {en = "...", zh-TW = "..."}')
        rules.append(Rule(Matcher.from_spec(table, at), points, message))
    return tuple(rules)
