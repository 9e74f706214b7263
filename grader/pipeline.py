"""One submission, end to end: load → execute in a sandbox → grade.

This is the only place that wires the stages together; the CLI and the batch
runner both call ``grade_path``. Failures of the submission become results
(``invalid-submission``), failures of the grader become ``internal-error``
results, so a batch never stops on one file.
"""

from __future__ import annotations

import os
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from grader.errors import SubmissionError
from grader.execute.launcher import Limits
from grader.execute.outcome import ExecutionOutcome, Status
from grader.rubric.engine import grade
from grader.rubric.result import GradeResult
from grader.rubric.spec import Exercise
from grader.submission import Submission, load_submission


@dataclass(frozen=True)
class RunOptions:
    """How to run submissions; ``None`` fields fall back to the exercise's settings."""

    cell_timeout: float | None = None
    total_timeout: float | None = None
    memory_bytes: int | None = None
    hide: Sequence[Path] = field(default_factory=tuple)  # folders the kernel must not see (e.g. the batch's OUT)
    sandbox: bool = True
    fast: bool = False  # issue #5: fork each kernel from a warm fork server (grader.execute.pool)
    keras2: bool = True  # run Keras 2 notebooks through the compatibility layer (grader/harvest/compat.py)

    def limits_for(self, exercise: Exercise) -> Limits:
        settings = exercise.execution
        cell = self.cell_timeout or settings.cell_timeout
        total = self.total_timeout or max(settings.total_timeout, cell)
        return Limits(memory_bytes=self.memory_bytes or settings.memory_bytes, cell_timeout=cell, total_timeout=total)


def grade_path(path: Path, exercise: Exercise, options: RunOptions = RunOptions(),
               name: str | None = None) -> GradeResult:
    """Grade the file at ``path``. Never raises for a bad submission."""
    started = time.monotonic()
    name = name or str(path)
    try:
        submission = load_submission(path)
    except SubmissionError as exc:
        outcome = ExecutionOutcome(status=Status.INVALID_SUBMISSION, message=str(exc), reason=exc.explained(),
                                   seconds=time.monotonic() - started)
        return grade(exercise, None, outcome, submission_name=name)
    return grade_submission(submission, exercise, options, name=name)


def grade_submission(submission: Submission, exercise: Exercise, options: RunOptions = RunOptions(),
                     name: str | None = None) -> GradeResult:
    started = time.monotonic()
    try:
        outcome = execute(submission, exercise, options)
    except KeyboardInterrupt:
        raise
    except Exception as exc:  # the grader's own failure: report it, keep the batch going
        outcome = ExecutionOutcome(status=Status.INTERNAL_ERROR,
                                   message=f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=5)}",
                                   seconds=time.monotonic() - started)
    return grade(exercise, submission, outcome, submission_name=name or str(submission.path))


def dataset_cache() -> tuple[Path, ...]:
    """Real datasets and pretrained weights to serve offline: ``<name>.npz`` and ``*.h5`` files in
    ``$KERAS_GRADER_DATASETS``, if set (copied into each scratch folder)."""
    folder = os.environ.get("KERAS_GRADER_DATASETS")
    if not folder or not Path(folder).is_dir():
        return ()
    return tuple(sorted([*Path(folder).glob("*.npz"), *Path(folder).glob("*.h5")]))


def execute(submission: Submission, exercise: Exercise, options: RunOptions) -> ExecutionOutcome:
    from grader.execute.runner import Shims, run_submission  # deferred: Jupyter is heavy to import

    limits = options.limits_for(exercise)
    launcher = None
    if options.sandbox and options.fast:  # issue #5: same containment, kernel forked warm (cold if it cannot be)
        from grader.execute.pool import make_fast_launcher

        launcher = make_fast_launcher(limits, hide=tuple(options.hide))
    elif options.sandbox:
        from grader.execute.sandbox import make_launcher

        launcher = make_launcher(limits, hide=tuple(options.hide))
    cached = dataset_cache()
    settings = exercise.execution
    shims = Shims(training_steps=settings.training_steps, training_epochs=settings.training_epochs,
                  training_batch=settings.training_batch,
                  dataset_cache="." if cached else None, keras2=options.keras2,
                  helpers=tuple(f.stem for f in exercise.files if f.suffix == ".py"))
    return run_submission(submission, limits=limits, launcher=launcher, files=exercise.files + cached, shims=shims)
