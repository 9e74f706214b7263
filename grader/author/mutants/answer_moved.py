"""An answer written under the wrong question: question N's answer moved below question N+1's (the last's
below the first's). A rubric that searched the whole notebook for an answer would still credit it.
"""

from __future__ import annotations

from typing import Iterable

from grader.author.mutants.answer_sites import answer_spans, label, questions
from grader.author.mutants.base import Mutant, Operator, Subject, checks_on_question, said
from grader.author.mutants.source import Edit


class AnswerMoved(Operator):
    name = "answer-moved"

    def mutants(self, subject: Subject) -> Iterable[Mutant]:
        numbers = questions(subject)
        if len(numbers) < 2:
            return
        for question in numbers:
            other = question % len(numbers) + 1
            spans, below = answer_spans(subject, question), answer_spans(subject, other)
            if not spans or not below:
                continue
            last = below[-1]
            source = subject.solution.cells[last.cell].source
            end = source.find("\n", last.end)
            end = len(source) if end < 0 else end
            moved = Edit(last.cell, end, end, "\n" + " ".join(s.text for s in spans))
            yield Mutant(id=f"{label(question)}.moved", operator=self.name,
                         change=said(f"{label(question)}: answer moved under {label(other)}",
                                     f"{label(question)}：答案移到 {label(other)} 下方"),
                         edits=(*(s.becomes("") for s in spans), moved),
                         meant=checks_on_question(subject.exercise.checks, question))
