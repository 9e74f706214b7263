"""Score a run's evidence against an exercise's checks. Pure: no Jupyter, no TensorFlow."""

from __future__ import annotations

from grader.execute.outcome import CellState, ExecutionOutcome, Status
from grader.i18n import Message
from grader.rubric.answers.segment import locate_answers
from grader.rubric.checks import Evidence
from grader.rubric.result import CheckResult, GradeResult
from grader.rubric.spec import Exercise
from grader.submission.commentary import commentary_cells
from grader.submission.model import Submission
from grader.submission.prose import prose_lines


def grade(exercise: Exercise, submission: Submission | None, outcome: ExecutionOutcome,
          submission_name: str | None = None) -> GradeResult:
    """Judge every check. A submission that could not be loaded (``None``) scores zero everywhere."""
    answers = {}
    if submission is not None and exercise.answers is not None:
        answers = locate_answers(prose_lines(submission), exercise.answers.fingerprints, exercise.answers.questions)
    prompts = prompt_cells(exercise, submission)
    evidence = Evidence(harvest=outcome.harvest, answers=answers, outcome=outcome,
                        checks={c.id: c for c in exercise.checks}, part_start=min(prompts, default=None),
                        commentary=commentary_cells(submission, prompts) if submission is not None else frozenset())
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
                                   comparison=None if check.hidden else verdict.comparison, items=verdict.items))
    name = submission_name or (str(submission.path) if submission is not None else "?")
    return GradeResult(exercise=exercise.id, submission=name, checks=tuple(results), outcome=outcome,
                       notes=tuple(run_notes(outcome, submission)))


def prompt_cells(exercise: Exercise, submission: Submission | None) -> set[int]:
    """The cells where a question's prompt was read: the first starts the student's own part."""
    if submission is None or exercise.answers is None:
        return set()
    prints = exercise.answers.fingerprints
    return {line.cell for line in prose_lines(submission) if prints.question_at(line.text)}


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
