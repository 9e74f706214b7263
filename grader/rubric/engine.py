"""Score a run's evidence against an exercise's checks. Pure: no Jupyter, no TensorFlow."""

from __future__ import annotations

from dataclasses import replace

from grader.execute.outcome import CellState, ExecutionOutcome, Status
from grader.i18n import Message
from grader.rubric.answers.segment import locate_answers
from grader.rubric.answers.sheet import AnswerSheet
from grader.rubric.checks import Evidence
from grader.rubric.result import CheckResult, GradeResult, Quote
from grader.rubric.spec import Exercise
from grader.submission.commentary import commentary_cells
from grader.submission.model import Submission
from grader.submission.prose import ProseLine, code_lines, prose_lines


def unfinished_cells(submission: Submission | None) -> frozenset[int]:
    """The code cells the saved notebook shows did not run to their end in the student's session (a review
    flag's reason)."""
    return frozenset(c.index for c in submission.cells if c.finished is False) if submission is not None else frozenset()


def grade(exercise: Exercise, submission: Submission | None, outcome: ExecutionOutcome,
          submission_name: str | None = None) -> GradeResult:
    """Judge every check. A submission that could not be loaded (``None``) scores zero everywhere."""
    answers = AnswerSheet({})
    prose = prose_lines(submission) if submission is not None else []
    if submission is not None and exercise.answers is not None:
        answers = locate_answers(prose, exercise.answers.fingerprints, exercise.answers.questions,
                                 code_lines(submission))
    prompts = prompt_cells(exercise, prose)
    evidence = Evidence(harvest=outcome.harvest, answers=answers, outcome=outcome,
                        checks={c.id: c for c in exercise.checks}, part_start=min(prompts, default=None),
                        commentary=commentary_cells(submission, prompts) if submission is not None else frozenset(),
                        unfinished=unfinished_cells(submission))
    results = []
    for check in exercise.checks:
        verdict = check.evaluate(evidence)
        fraction = min(max(verdict.fraction, 0.0), 1.0)
        message = verdict.message
        custom = check.feedback_pass if fraction >= 1.0 else check.feedback_fail
        details = verdict.details
        if custom:
            message, details = Message.literal(custom), (verdict.message, *verdict.details)
        results.append(CheckResult(id=check.id, title=check.title, points=round(check.points * fraction, 4),
                                   max_points=check.points, message=message, details=details,
                                   hint={} if fraction >= 1.0 else check.hint, hidden=check.hidden,
                                   evidence=_in_file(verdict.evidence, submission),
                                   evidence_missing=verdict.evidence_missing, review=verdict.review,
                                   comparison=None if check.hidden else verdict.comparison, items=verdict.items))
    name = submission_name or (str(submission.path) if submission is not None else "?")
    return GradeResult(exercise=exercise.id, submission=name, checks=tuple(results), outcome=outcome,
                       notes=tuple(run_notes(outcome, submission)))


def prompt_cells(exercise: Exercise, prose: list[ProseLine]) -> set[int]:
    """The cells where a question's prompt was read: the first starts the student's own part."""
    if exercise.answers is None:
        return set()
    prints = exercise.answers.fingerprints
    return {line.cell for line in prose if prints.question_at(line.text)}


def _in_file(quote: Quote | None, submission: Submission | None) -> Quote | None:
    """A script's quote also names the line of the file (its cells are ``# %%`` parts the student never sees)."""
    if quote is None or submission is None or submission.fmt != "py":
        return quote
    start = next((c.line for c in submission.cells if c.index == quote.cell), None)
    return replace(quote, file_line=start + quote.line - 1) if start is not None else quote


def run_notes(outcome: ExecutionOutcome, submission: Submission | None = None) -> list[Message]:
    """What the student should know about the run itself: failed cells, a cut-short run, what the shims did."""
    notes = []
    if outcome.status != Status.GRADED:
        notes.append(Message.of(f"status.{outcome.status.value}"))
    starts = {c.index: c.line for c in submission.cells} if submission is not None else {}
    for cell in outcome.cells:
        if cell.state == CellState.ERROR:
            error = {"name": cell.error_name or "Error",
                     "value": (cell.error_value or "").splitlines()[0][:200] if cell.error_value else ""}
            start = starts.get(cell.index)
            if cell.error_line is not None and start is not None:  # a script: the line of the file
                notes.append(Message.of("run.script_error", line=start + cell.error_line - 1, **error))
            elif cell.error_line is not None:
                notes.append(Message.of("run.cell_line_error", cell=cell.index + 1, line=cell.error_line, **error))
            else:
                notes.append(Message.of("run.cell_error", cell=cell.index + 1, **error))
        elif cell.state == CellState.TIMEOUT:
            notes.append(Message.of("run.cell_timeout", cell=cell.index + 1, seconds=round(cell.seconds, 1)))
    if outcome.harvest.dropped_models:
        notes.append(Message.of("run.models_dropped", n=outcome.harvest.dropped_models,
                                kept=len(outcome.harvest.models)))
    for note in outcome.harvest.notes:  # datasets served offline, a training budget
        message = Message.checked(f"shim.{note.key}", dict(note.params))
        if message is not None and message not in notes:
            notes.append(message)
    if outcome.status != Status.INVALID_SUBMISSION and not outcome.isolation.complete:
        missing = [k for k, v in outcome.isolation.as_dict().items() if v == "none"]
        notes.append(Message.of("isolation.partial", layers="no " + ", no ".join(missing)))
    return notes
