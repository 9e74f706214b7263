"""What the answer finder hands the checks: each question's answer, where it was read, and what nobody claimed.

An answer is made of *spans*: each a stretch of the student's text that one signal (the prompt
above it, a number, its place in a list) gave to the question. Most answers have one span; two
mean the student answered twice (own words and a pasted sample, a list under the prompt and
another at the end), and the check compares them. A span read from a comment in code keeps the
code right below it as context (``# 答：有，這兩行`` above ``x_train /= 255``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, Mapping

from grader.submission.prose import ProseLine


@dataclass
class Span:
    how: str  # the signal that gave it: "prompt", "label", "order"
    lines: list[ProseLine] = field(default_factory=list)
    code: list[ProseLine] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines).strip()

    @property
    def context(self) -> str:
        return "\n".join(line.text for line in self.code)


@dataclass
class Answer:
    question: int
    spans: list[Span] = field(default_factory=list)
    prompts: list[ProseLine] = field(default_factory=list)  # every line its prompt was read in
    pointed: list[ProseLine] = field(default_factory=list)  # code right below its prompt copied in a comment

    @property
    def prompt(self) -> ProseLine | None:
        """Where the question's prompt was first read."""
        return self.prompts[0] if self.prompts else None

    @property
    def lines(self) -> list[ProseLine]:
        return [line for span in self.spans for line in span.lines]

    @property
    def text(self) -> str:
        """Everything written for the question, in the order read: what the matchers judge."""
        return "\n".join(line.text for line in self.lines).strip()

    @property
    def context(self) -> str:
        """Code the student pointed at from a comment answer (matched only by matchers that read code)."""
        return "\n".join(span.context for span in self.spans if span.code)

    @property
    def cells(self) -> list[int]:
        return sorted({line.cell for line in self.lines})

    @property
    def written(self) -> list[Span]:
        return [span for span in self.spans if span.text]


@dataclass
class AnswerSheet(Mapping[int, Answer]):
    """Answers by question number, and the student text no question claimed (for "needs a human look")."""

    answers: dict[int, Answer]
    unclaimed: tuple[ProseLine, ...] = ()

    def __getitem__(self, question: int) -> Answer:
        return self.answers[question]

    def __iter__(self) -> Iterator[int]:
        return iter(self.answers)

    def __len__(self) -> int:
        return len(self.answers)
