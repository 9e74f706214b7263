"""A numeric answer with its numbers changed: 1,499,853 parameters for 1,199,882, "3 層 / 3" for "2 層 / two".

Only answers written with digits are numeric answers (a "一" in "一種方法" is
no answer's number). Every number in them changes, in whatever form it is
written (digits, "two", "兩"), so that no form of the right number is left for
a matcher to find; the new numbers are a quarter larger, a slip rather than
nonsense.
"""

from __future__ import annotations

import re
from typing import Iterable

from grader.author.mutants.answer_sites import answer_spans, label, questions
from grader.author.mutants.base import Mutant, Operator, Subject, checks_on_question, said
from grader.rubric.answers.matchers import han_number

_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
_NUMBER = re.compile(
    r"(?<![A-Za-z0-9_.])(?P<digits>\d{1,3}(?:,\d{3})+|\d+)(?![A-Za-z0-9_])"
    rf"|\b(?P<word>{'|'.join(_WORDS)})\b"
    r"|(?P<han>[零〇一二兩两三四五六七八九十百千萬万]+)(?![維维])", re.IGNORECASE)
_DIGIT = re.compile(r"(?<![A-Za-z0-9_.])\d")


def changed(n: int) -> int:
    return n + max(1, round(n / 4))


def _respelled(match: re.Match[str]) -> str:
    if match.group("digits"):
        text = match.group("digits")
        value = changed(int(text.replace(",", "")))
        return f"{value:,}" if "," in text else str(value)
    value = _WORDS.index(match.group("word").lower()) if match.group("word") else han_number(match.group("han"))
    return str(changed(value))


class AnswerNumbers(Operator):
    name = "answer-numbers"

    def mutants(self, subject: Subject) -> Iterable[Mutant]:
        for question in questions(subject):
            spans = answer_spans(subject, question)
            if not any(_DIGIT.search(s.text) for s in spans):
                continue
            new = [_NUMBER.sub(_respelled, s.text) for s in spans]
            before = " ".join(s.text for s in spans)
            after = " ".join(new)
            yield Mutant(id=f"{label(question)}.numbers", operator=self.name,
                         change=said(f"{label(question)}: {_short(before)} → {_short(after)}",
                                     f"{label(question)}：{_short(before)} 改為 {_short(after)}"),
                         edits=tuple(s.becomes(t) for s, t in zip(spans, new)),
                         meant=checks_on_question(subject.exercise.checks, question))


def _short(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return f"“{text}”" if len(text) <= limit else f"“{text[:limit - 1]}…”"
