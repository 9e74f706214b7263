"""One error hierarchy, split by whose fault it is.

Outcomes of grading (a timeout, a dead kernel, a wrong answer) are *values* in the
result, not exceptions. These classes are raised only when grading cannot go on,
and each says where it happened and what to do, so the CLI can print it as is.
"""

from __future__ import annotations

from grader.i18n import LANGS, Message


class GraderError(Exception):
    """Root of every error keras-grader raises on purpose.

    ``where`` names the file, key or cell; ``hint`` says what to do about it.
    """

    exit_code = 3

    def __init__(self, message: str, *, where: str | None = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.where = where
        self.hint = hint

    def __str__(self) -> str:
        return _said(self.where, self.message, self.hint, Message.of("fix.label").render())


class UsageError(GraderError, ValueError):
    """The command line asks for something impossible (exit code 2)."""

    exit_code = 2


class SubmissionError(GraderError, ValueError):
    """The student's file cannot be graded at all: not a notebook, bad encoding, ...

    Raised by the loader; the CLI and the batch runner turn it into an
    ``invalid-submission`` result, so one bad file never stops a batch.
    ``reason`` and ``fix`` are the message and hint as catalogue messages, so
    the student reads them in the report's language.
    """

    exit_code = 2

    def __init__(self, message: str, *, where: str | None = None, hint: str | None = None,
                 reason: Message | None = None, fix: Message | None = None):
        super().__init__(message, where=where, hint=hint)
        self.reason, self.fix = reason, fix

    @classmethod
    def of(cls, key: str, *, where: str, fix: str | None = None, **params: object) -> "SubmissionError":
        """The error of catalogue message ``key``, with the catalogue's ``fix`` as its hint."""
        reason, advice = Message.of(key, **params), Message.of(fix) if fix else None
        return cls(reason.render("en"), where=where, hint=advice.render("en") if advice else None,
                   reason=reason, fix=advice)

    def explained(self) -> Message | None:
        """Where, why and what to do, in every language; ``None`` for an error with no catalogue message."""
        if self.reason is None:
            return None
        return Message.literal({lang: _said(self.where, self.reason.render(lang), self.fix and self.fix.render(lang),
                                            Message.of("fix.label").render(lang)) for lang in LANGS})


class SpecError(GraderError, ValueError):
    """An exercise's rubric spec is wrong: the exercise author's fault (exit code 2)."""

    exit_code = 2


class ExerciseNotFound(UsageError, LookupError):
    """No installed exercise matches the id or the submission's name."""


class HarvestError(GraderError):
    """The document that came out of the kernel is not a valid harvest.

    Either the grader's own probe is broken or the submission tampered with it;
    the executor records it in the outcome rather than trusting the document.
    """


class SandboxError(GraderError, OSError):
    """The machine cannot run the kernel at all (no python, no way to launch)."""


def _said(where: str | None, message: str, hint: str | None, hint_label: str) -> str:
    text = f"{where}: {message}" if where else message
    return text + (f"\n  {hint_label}: {hint}" if hint else "")
