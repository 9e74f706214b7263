"""``kind = "answer"``: the student's written answer to question N.

Spec keys::

    question = 4
    accept = [{number = 1199882}]                  # any one accepted -> full points
    accept = [{regex = "/=\\s*255", points = 0.5}]  # ...or these points (partial credit)
    reject = [{regex = "沒有|\\bno\\b", message = {en = "...", zh-TW = "..."}}]

Rejections are tried first: a wrong claim next to a right number is wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, ClassVar, Mapping

from grader.errors import SpecError
from grader.i18n import Message
from grader.rubric.answers.matchers import Matcher, plain
from grader.rubric.answers.sheet import Answer, Span
from grader.rubric.checks.base import Check, Evidence, Text, Verdict, parse_question
from grader.rubric.result import Quote

_EXCERPT = 60  # characters of the answer quoted in a message
_QUOTE = 80  # ...in the evidence
_BRIEF = 30  # ...in a reason to look
# "I don't know", said in so many words: an answer of no kind, but not one a person must read to judge.
_NO_IDEA = re.compile(r"不知道|不清楚|不會|不确定|不確定|don'?t know|no idea|not sure", re.IGNORECASE)


@dataclass(frozen=True)
class _Judgement:
    fraction: float
    message: Message
    rejected: bool = False
    recognised: bool = False  # it says something of the kind the accepted answers are (a number, a line)


def _subject(rule: "Rule", text: str, code: str) -> str:
    return f"{text}\n{code}" if code and rule.matcher.reads_code else text


def _short(text: str, limit: int) -> str:
    """One line, in the student's own characters, cut to ``limit``."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _quote(span: Span) -> Quote:
    first = span.lines[0]
    return Quote(cell=first.cell, line=first.line, excerpt=_short(" / ".join(ln.text for ln in span.lines), _QUOTE),
                 source=first.source)


def _pointing(question: int, answer: Answer | None) -> Message | None:
    """A question copied into a comment above code, and nothing written: perhaps the code is meant as the answer."""
    if answer is None or not answer.pointed:
        return None
    first = answer.pointed[0]
    return Message.of("review.pointing", question=question, cell=first.cell + 1, code=_short(first.text, _BRIEF))


def why_missing(question: int, answer: Answer | None, sheet: Any) -> Message:
    """Why no answer to ``question`` was read (every check of a written answer says it the same way)."""
    if answer is None or not sheet:
        return Message.of("evidence.no_text")
    if answer.prompt is not None:
        return Message.of("evidence.blank_under_prompt", question=question, cell=answer.prompt.cell + 1)
    return Message.of("evidence.no_prompt", question=question)


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
        sheet = evidence.answers
        answer = sheet.get(self.question)
        spans = answer.written if answer else []
        if not spans:
            return Verdict(0.0, Message.of("answer.missing", question=self.question),
                           evidence_missing=why_missing(self.question, answer, sheet),
                           review=_pointing(self.question, answer) or self._unclaimed(sheet))
        whole = self._judge(answer.text, answer.context)
        each = [(span, self._judge(span.text, span.context)) for span in spans]
        read = next((span for span, verdict in each if verdict.fraction == whole.fraction), spans[0])
        return Verdict(whole.fraction, whole.message, evidence=_quote(read), review=self._doubt(whole, each))

    def _judge(self, text: str, context: str) -> "_Judgement":
        """The verdict on one reading of the answer. The code a comment answer sits above completes it only
        when its words say nothing of the kind asked ("答：有" over ``x_train /= 255``) and the question can be
        answered by pointing (which lines): "答：Adam" over a compile(Adadelta) line stays Adam."""
        written = self._judge_words(text, "")
        if context and not written.recognised and any(r.matcher.answered_by_pointing for r in self.accept):
            pointed = self._judge_words(text, context)
            if pointed.fraction > 0 or pointed.rejected:
                return pointed
        return written

    def _judge_words(self, text: str, context: str) -> "_Judgement":
        """Rejections first, then the best accepted rule."""
        text, code = plain(text), plain(context)
        excerpt = _short(text, _EXCERPT)
        for rule in self.reject:
            if rule.matcher.matches(_subject(rule, text, code)):
                message = Message.literal(rule.message) if rule.message else Message.of(
                    "answer.wrong", question=self.question, excerpt=excerpt)
                return _Judgement(0.0, message, rejected=True, recognised=True)
        best = 0.0
        for rule in self.accept:
            if rule.matcher.matches(_subject(rule, text, code)):
                best = max(best, 1.0 if rule.points is None else min(rule.points / self.points, 1.0))
        recognised = any(rule.matcher.recognises(text) for rule in self.accept) or bool(_NO_IDEA.search(text))
        if best >= 1.0:
            return _Judgement(1.0, Message.of("answer.ok", question=self.question), recognised=True)
        if best > 0:
            return _Judgement(best, Message.of("answer.partial", question=self.question), recognised=True)
        return _Judgement(0.0, Message.of("answer.wrong", question=self.question, excerpt=excerpt),
                          recognised=recognised)

    def _doubt(self, whole: "_Judgement", each: list[tuple[Span, "_Judgement"]]) -> Message | None:
        """Why a person should look: two readings that disagree, or an answer of no kind the rules know."""
        for (first, one), (second, other) in zip(each, each[1:]):
            if one.fraction != other.fraction:
                return Message.of("review.conflict", question=self.question, cell=first.lines[0].cell + 1,
                                  first=_short(first.text, _BRIEF), other=second.lines[0].cell + 1,
                                  second=_short(second.text, _BRIEF))
        if not whole.recognised:
            return Message.of("review.unclear", question=self.question)
        return None

    def _unclaimed(self, sheet: Any) -> Message | None:
        """A missing answer while some of the student's text went to no question: perhaps it is this answer."""
        unclaimed = getattr(sheet, "unclaimed", ())
        if not unclaimed:
            return None
        first = unclaimed[0]
        return Message.of("review.unclaimed", question=self.question, cell=first.cell + 1,
                          excerpt=_short(first.text, _BRIEF))

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
