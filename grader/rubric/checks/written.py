"""``kind = "written"``: an open answer (an explanation, an observation) that says something.

No list of right answers exists for "which hyperparameters mattered in your
runs?". The check credits an answer that is substantive: present, longer than
a token, and not the question or the template again (template lines, in
either language, are never read as the student's: see the answer finder). It
always quotes what it read (``evidence``), so the student and the TA see what
was judged, and flags for a person (``review``) an answer that names none of
the ``topics`` the question is about, or one too short to judge.

Spec keys::

    question = 1
    min_chars = 6                  # letters, digits and CJK characters, not counting markup or punctuation
    topics = [{ regex = '(?i)batch|epoch|dropout|優化器' }]   # optional: what a judged answer names
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, ClassVar, Mapping

from grader.errors import SpecError
from grader.i18n import Message
from grader.rubric.answers.matchers import Matcher, plain
from grader.rubric.checks.answer import why_missing
from grader.rubric.checks.base import Check, Evidence, Verdict, parse_question
from grader.rubric.result import Quote
from grader.submission.commentary import title

_CONTENT = re.compile(r"[^\W_]", re.UNICODE)  # a letter, a digit or a CJK character
_EXCERPT = 80


def content_chars(text: str) -> int:
    return len(_CONTENT.findall(text))


def excerpt(text: str, limit: int = _EXCERPT) -> str:
    """The answer on one line, in the student's own characters, cut to ``limit``."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def own_words(answer: Any, evidence: Evidence) -> list[Any]:
    """The lines of an answer the student wrote as prose: not the comments of their working code, nor the
    captions above it (``Evidence.commentary``), nor a heading that only names a section."""
    return [line for line in (answer.lines if answer else [])
            if line.cell not in evidence.commentary and not title(line.source, line.text)]


def joined(lines: list[Any]) -> str:
    return "\n".join(line.text for line in lines).strip()


def quote(lines: list[Any]) -> Quote:
    """Where an answer was read and what it says (the reports show it as "read in cell 9, line 2: “...”")."""
    first = lines[0]
    return Quote(cell=first.cell, line=first.line, excerpt=excerpt(" / ".join(line.text for line in lines)),
                 source=first.source)


@dataclass(frozen=True)
class WrittenCheck(Check):
    kind: ClassVar[str] = "written"
    own_keys: ClassVar[frozenset[str]] = frozenset({"question", "min_chars", "topics"})

    question: int = 0
    min_chars: int = 6
    topics: tuple[Matcher, ...] = ()

    def evaluate(self, evidence: Evidence) -> Verdict:
        answer = evidence.answers.get(self.question)
        lines = own_words(answer, evidence)
        text = plain(joined(lines))
        if not text.strip():
            return Verdict(0.0, Message.of("answer.missing", question=self.question),
                           evidence_missing=why_missing(self.question, answer, evidence.answers))
        read = quote(lines)
        if content_chars(text) < self.min_chars:
            return Verdict(0.0, Message.of("written.short", question=self.question, excerpt=excerpt(joined(lines))),
                           evidence=read, review=Message.of("written.review_short", question=self.question))
        if self.topics and not any(m.matches(text) for m in self.topics):
            return Verdict(1.0, Message.of("written.ok", question=self.question), evidence=read,
                           review=Message.of("written.review_topic", question=self.question))
        return Verdict(1.0, Message.of("written.ok", question=self.question), evidence=read)

    @classmethod
    def parse_own(cls, table: Mapping[str, Any], where: str) -> dict[str, Any]:
        question = parse_question(table, where)
        min_chars = table.get("min_chars", 6)
        if not isinstance(min_chars, int) or isinstance(min_chars, bool) or min_chars < 1:
            raise SpecError(f"min_chars must be a whole number of at least 1, found {min_chars!r}",
                            where=f"{where}.min_chars")
        raw = table.get("topics", [])
        if not isinstance(raw, list):
            raise SpecError("topics must be a list of matchers", where=f"{where}.topics", hint='e.g. [{regex = "..."}]')
        topics = tuple(Matcher.from_spec(t, f"{where}.topics[{i}]") for i, t in enumerate(raw))
        return {"question": question, "min_chars": min_chars, "topics": topics}

    def own_spec(self) -> dict[str, Any]:
        table: dict[str, Any] = {"question": self.question, "min_chars": self.min_chars}
        if self.topics:
            table["topics"] = [t.to_spec() for t in self.topics]
        return table
