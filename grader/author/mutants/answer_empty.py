"""A question left unanswered: the answer's text removed, its prompt and "Answer:" label kept."""

from __future__ import annotations

from typing import Iterable

from grader.author.mutants.answer_sites import answer_spans, label, questions
from grader.author.mutants.base import Mutant, Operator, Subject, checks_on_question, said


class AnswerEmpty(Operator):
    name = "answer-empty"

    def mutants(self, subject: Subject) -> Iterable[Mutant]:
        for question in questions(subject):
            spans = answer_spans(subject, question)
            if spans:
                yield Mutant(id=f"{label(question)}.empty", operator=self.name,
                             change=said(f"{label(question)}: answer removed", f"{label(question)}：答案刪除"),
                             edits=tuple(s.becomes("") for s in spans),
                             meant=checks_on_question(subject.exercise.checks, question))
