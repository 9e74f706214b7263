"""Where the solution's written answers are, as the grader itself finds them: the spans the answer mutants rewrite.

Each line of an answer (``grader.rubric.answers``: what follows the
question's prompt, its "Answer:" label left out) is found again in its cell's
source. An answer some line of which cannot be found character for character
(a markdown table row, read as its cells) gives no spans, and so no mutants.
"""

from __future__ import annotations

from dataclasses import dataclass

from grader.author.mutants.base import Subject
from grader.author.mutants.source import Edit, overlapping


@dataclass(frozen=True)
class Span:
    cell: int
    start: int
    end: int
    text: str

    def becomes(self, text: str) -> Edit:
        return Edit(self.cell, self.start, self.end, text)


def answer_spans(subject: Subject, question: int) -> list[Span]:
    answer = subject.answers.get(question)
    if answer is None or not answer.lines:
        return []
    spans = []
    for line in answer.lines:
        source = subject.solution.cells[line.cell].source
        lines = source.splitlines(keepends=True)  # numbered as grader.submission.prose numbers them
        if not 1 <= line.line <= len(lines):
            return []
        at = lines[line.line - 1].rfind(line.text)
        if at < 0 or not line.text:
            return []
        start = sum(len(x) for x in lines[:line.line - 1]) + at
        spans.append(Span(line.cell, start, start + len(line.text), line.text))
    if overlapping([s.becomes("") for s in spans]):
        return []
    return spans


def questions(subject: Subject) -> range:
    settings = subject.exercise.answers
    return range(1, (settings.questions if settings else 0) + 1)


def label(question: int) -> str:
    return f"Q{question}"
