"""How Keras 2 notebooks fare on Keras 3, with and without the compatibility layer.

    python -m grader.tools.compat ../shared/corpus/day098 [--exercise ID] [--files F ...] [--jobs 2]
                                  [--after-only] [--cold] [--no-sandbox] [--timeout S]

Runs every notebook of a folder as ``grader grade`` would (forked kernels, the
training budget), once with the Keras 2 layer (``grader/harvest/compat.py``)
and, unless ``--after-only``, once without it, and prints per notebook and in
total: the cells that failed with an error a Keras 2 API explains (before /
after), other failed cells, models harvested, training calls harvested, and the
seconds the run took. A notebook whose code trains a model but whose run
harvested no training is marked ``!`` and listed with its first error (a
student's error before the training call, or, with none, a miss of ours).

Without ``--exercise`` the folder is run as an ad-hoc exercise with no checks,
one batch of 16 samples per epoch, one epoch, 60 s per cell; the ``*.py``
helper files of ``exercises/<folder name>/`` (course-supplied modules such as
``resnet_builder.py``) are copied beside each notebook, or the ``--files`` given.
Exit code 1 when a Keras 2 failure remains after, or a training was missed.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from grader.errors import SubmissionError
from grader.execute.outcome import CellRun, ExecutionOutcome
from grader.pipeline import RunOptions, execute
from grader.rubric.catalog import get_exercise, search_path
from grader.rubric.spec import Exercise, ExecutionSettings
from grader.submission import load_submission

# Errors that Keras 3 raises for what Keras 2 accepted: removed modules and names, renamed arguments.
KERAS2_ERRORS = re.compile("|".join([
    r"^(ModuleNotFoundError|ImportError): .*\b(keras|tensorflow\.python\.keras)\b",
    r"^AttributeError: .*has no attribute '(fit_generator|evaluate_generator|predict_generator|predict_classes"
    r"|predict_proba|lr|get_shape)'",
    r"^AttributeError: module '(keras|tensorflow)[\w.]*' has no attribute",
    r"^AttributeError: The layer \w+ has never been called and thus has no defined (input|output)",
    r"^ValueError: Argument\(s\) not recognized: \{'(lr|decay)'",
    r"^ValueError: .*must end in `\.(weights\.h5|keras)`",
    r"^ValueError: Unrecognized keyword arguments passed to \w+: \{'(input|output)'",
    r"^ValueError: \w+ callback received monitor=\w*acc",
    r"^TypeError: .*unexpected keyword argument '(nb_epoch|samples_per_epoch|nb_val_samples|workers"
    r"|use_multiprocessing|max_queue_size|lr|input|output|period|write_grads|embeddings_layer_names"
    r"|embeddings_data)'",
    r"^TypeError: 'float' object cannot be interpreted as an integer",
    r"^KeyError: '(val_)?acc(uracy)?'",
]))
TRAINS = re.compile(r"\.(fit|fit_generator|train_on_batch)\s*\(")
TRAINING_METHODS = ("fit", "fit_generator", "train_on_batch")


def keras2_error(cell: CellRun) -> bool:
    """Whether the cell failed with an error that a Keras 2 API explains (Keras 3 refuses what Keras 2 took)."""
    if not cell.failed or cell.error_name is None:
        return False
    text = f"{cell.error_name}: {cell.error_value or ''}"
    return bool(KERAS2_ERRORS.search(text))


@dataclass(frozen=True)
class Row:
    name: str
    before: int | None  # Keras 2 failures without the layer (None: not run)
    after: int
    other: int  # failed cells not explained by Keras 2 (the student's own bugs, missing files, ...)
    models: int
    trainings: int
    trains_in_code: bool
    seconds: float
    first_error: str

    @property
    def unseen(self) -> bool:
        """Code that trains a model, a run that harvested no training of it."""
        return self.trains_in_code and self.trainings == 0

    @property
    def unexplained(self) -> bool:
        """Unseen although no cell failed: the training happened and the harvest missed it."""
        return self.unseen and not self.after and not self.other


def adhoc_exercise(folder: Path, files: tuple[Path, ...], cell_timeout: float) -> Exercise:
    """An exercise with no checks, for running a folder that has none yet."""
    return Exercise(id=folder.name or "adhoc", title={"en": folder.name}, folder=folder, checks=(), files=files,
                    execution=ExecutionSettings(cell_timeout=cell_timeout, total_timeout=max(cell_timeout, 300),
                                                training_steps=1, training_epochs=1, training_batch=16))


def helper_files(folder: Path) -> tuple[Path, ...]:
    """The course-supplied modules of the exercise named like the folder (``exercises/day100/*.py``)."""
    for root in search_path():
        candidate = root / folder.name
        if candidate.is_dir():
            return tuple(sorted(candidate.glob("*.py")))
    return ()


def measure(path: Path, exercise: Exercise, options: RunOptions, before: bool) -> Row:
    try:
        submission = load_submission(path)
    except SubmissionError as exc:
        return Row(path.name, None, 0, 0, 0, 0, False, 0.0, f"not loaded: {exc}")
    started = time.monotonic()
    after = execute(submission, exercise, options)
    seconds = time.monotonic() - started
    prior: ExecutionOutcome | None = execute(submission, exercise, replace(options, keras2=False)) if before else None
    code = "\n".join(cell.source for cell in submission.code_cells)
    failed = [c for c in after.cells if c.failed]
    first = next((f"cell {c.index + 1}: {c.error_name}: {(c.error_value or '')[:120]}" for c in failed), "")
    trained = [t for t in after.harvest.trainings if t.method in TRAINING_METHODS]
    return Row(
        name=path.name, before=None if prior is None else sum(map(keras2_error, prior.cells)),
        after=sum(map(keras2_error, after.cells)), other=sum(1 for c in failed if not keras2_error(c)),
        models=len(after.harvest.models), trainings=len(trained), trains_in_code=bool(TRAINS.search(code)),
        seconds=seconds, first_error=first or (after.message or ""))


def report(rows: list[Row], out: object = sys.stdout) -> None:
    def say(text: str) -> None:
        print(text, file=out)  # type: ignore[arg-type]

    say(f"{'notebook':44} {'k2 before':>9} {'k2 after':>8} {'other':>5} {'models':>6} {'trainings':>9} {'s':>6}")
    for row in rows:
        before = "-" if row.before is None else str(row.before)
        mark = " !" if row.unseen else ""
        say(f"{row.name[:44]:44} {before:>9} {row.after:>8} {row.other:>5} {row.models:>6} "
            f"{row.trainings:>9} {row.seconds:6.1f}{mark}")
    seconds = [r.seconds for r in rows] or [0.0]
    befores = [r.before for r in rows if r.before is not None]
    say(f"{'total (' + str(len(rows)) + ' notebooks)':44} {sum(befores) if befores else '-':>9} "
        f"{sum(r.after for r in rows):>8} {sum(r.other for r in rows):>5} {sum(r.models for r in rows):>6} "
        f"{sum(r.trainings for r in rows):>9} median {statistics.median(seconds):.1f} s, max {max(seconds):.1f} s")
    say(f"notebooks with Keras 2 failures: before {sum(1 for b in befores if b)}, "
        f"after {sum(1 for r in rows if r.after)}; training in code: {sum(r.trains_in_code for r in rows)}, "
        f"of which harvested: {sum(r.trains_in_code and not r.unseen for r in rows)}, not reached because a cell "
        f"failed first: {sum(r.unseen and not r.unexplained for r in rows)}, missed: {sum(r.unexplained for r in rows)}")
    for row in rows:
        if row.unseen or row.after:
            say(f"  {'!' if row.unseen else 'k2'} {row.name}: {row.first_error or 'no cell failed'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader.tools.compat", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--exercise", help="run with this exercise's limits and files (default: an ad-hoc one)")
    parser.add_argument("--files", type=Path, nargs="*", help="helper files to copy beside each notebook")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--after-only", action="store_true", help="skip the run without the Keras 2 layer")
    parser.add_argument("--cold", action="store_true", help="a fresh kernel per run instead of forked ones")
    parser.add_argument("--no-sandbox", action="store_true")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per cell of the ad-hoc exercise")
    args = parser.parse_args(argv)

    notebooks = sorted(p for p in args.folder.iterdir() if p.suffix in (".ipynb", ".py") and p.is_file())
    if not notebooks:
        print(f"no .ipynb or .py files in {args.folder}", file=sys.stderr)
        return 2
    if args.exercise:
        exercise = get_exercise(args.exercise)
    else:
        files = tuple(args.files) if args.files is not None else helper_files(args.folder.resolve())
        exercise = adhoc_exercise(args.folder.resolve(), files, args.timeout)
    options = RunOptions(sandbox=not args.no_sandbox, fast=not args.cold and not args.no_sandbox)
    with ThreadPoolExecutor(max(1, args.jobs)) as pool:
        rows = list(pool.map(lambda p: measure(p, exercise, options, not args.after_only), notebooks))
    report(rows)
    return 1 if any(r.after or r.unexplained for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
