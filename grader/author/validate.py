"""``grader validate``: prove an exercise before students see it.

For each exercise: the spec parses and holds no ``TODO`` left by ``grader
new``; the reference solution (``solutions/ID/`` beside the ``exercises/``
folder the exercise came from, or ``--solution``) scores full marks; the
untouched template scores what ``[validate] template_points`` declares (0 on
every check by default); and every **mutant** of the solution (one deliberate
mistake each, written into its source: ``grader.author.mutants``) loses
points on some check. A mutant no check catches is a hole in the rubric,
unless ``[[validate.accept]]`` says why the rubric may let it pass.

Every notebook is graded exactly as a student's (``grader.pipeline``), on the
fast path and ``--jobs`` at once (``grader.batch.runner``).
"""

from __future__ import annotations

import fnmatch
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from grader.author.mutants import Mutant, Subject, generate
from grader.author.mutants.base import said
from grader.author.notebook import write_notebook
from grader.author.todo import placeholders
from grader.batch.runner import ProgressView, run_parallel
from grader.errors import GraderError, UsageError
from grader.execute.outcome import CellState, Status
from grader.i18n import LANGS, Message
from grader.pipeline import RunOptions, grade_path
from grader.rubric.answers.segment import locate_answers
from grader.rubric.catalog import get_exercise
from grader.rubric.result import GradeResult
from grader.rubric.spec import Exercise
from grader.submission import load_submission
from grader.submission.loader import submission_files
from grader.submission.prose import prose_lines

CAUGHT, ACCEPTED, HOLE, ERROR = "caught", "accepted", "hole", "error"
OK, FAILED, UNUSABLE, GRADER = 0, 1, 2, 3  # exit codes, worst wins


@dataclass(frozen=True)
class ValidateOptions:
    run: RunOptions = field(default_factory=lambda: RunOptions(fast=True))
    jobs: int = 1
    solution: Path | None = None  # instead of solutions/ID/ (one exercise only)
    only: tuple[str, ...] = ()  # run only the mutants whose id matches one of these patterns


@dataclass(frozen=True)
class Problem:
    """Something that keeps an exercise from passing (``severity`` is its exit code), or a warning (0)."""

    kind: str  # spec, todo, no-solution, solution, template, hole, grader; warnings: unused-accept, partial
    message: Message
    where: str | None = None
    severity: int = FAILED


@dataclass(frozen=True)
class MutantVerdict:
    mutant: Mutant
    verdict: str  # caught, accepted, hole, error
    caught_by: tuple[str, ...] = ()
    reason: Mapping[str, str] | None = None
    status: str = "graded"
    seconds: float = 0.0
    broke: Message | None = None  # the first cell that raised, when the mistake broke the run


@dataclass
class Validation:
    target: str
    exercise: Exercise | None = None
    solution: Path | None = None
    solution_run: GradeResult | None = None
    template_run: GradeResult | None = None
    mutants: list[MutantVerdict] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    seconds: float = 0.0
    mutant_seconds: float = 0.0  # the mutants' own wall time, all at once

    @property
    def exit_code(self) -> int:
        return max((p.severity for p in self.problems), default=OK)

    def count(self, verdict: str) -> int:
        return sum(v.verdict == verdict for v in self.mutants)


Progress = Callable[[int, str], ProgressView]


def validate(target: str, options: ValidateOptions, progress: Progress) -> Validation:
    """Validate one exercise (an installed id or a folder); problems are collected, never raised."""
    started = time.monotonic()
    found = Validation(target=target)
    try:
        found.exercise = exercise = get_exercise(target)
    except GraderError as exc:  # a spec's errors are in English, as every SpecError is
        text = exc.message + (f" ({exc.hint})" if exc.hint else "")
        found.problems.append(Problem("spec", said(text, text), exc.where, UNUSABLE))
        return found
    found.problems += [Problem("todo", said(f"fill in the placeholder {p.text!r}", f"請填寫預留文字 {p.text!r}"),
                               p.where) for p in placeholders(exercise.folder)]
    found.solution = _solution(exercise, options, found.problems)
    jobs = [(kind, path) for kind, path in (("solution", found.solution), ("template", exercise.template)) if path]
    runs = _grade_all(exercise, [(kind, path, kind) for kind, path in jobs], options,
                      progress(len(jobs), f"{exercise.id}: solution and template"), found.problems)
    found.solution_run, found.template_run = runs.get("solution"), runs.get("template")
    if found.template_run is not None:
        found.problems += _template_problems(exercise, found.template_run)
    if found.solution_run is not None:
        found.problems += _solution_problems(found.solution_run)
        if found.solution_run.full_marks:  # mutants of a solution that fails prove nothing
            mutants_started = time.monotonic()
            found.mutants = _mutants(exercise, found.solution, found.solution_run, options, progress, found.problems)
            found.mutant_seconds = time.monotonic() - mutants_started
    found.seconds = time.monotonic() - started
    return found


def _solution(exercise: Exercise, options: ValidateOptions, problems: list[Problem]) -> Path | None:
    if options.solution is not None:
        if not options.solution.is_file():
            problems.append(Problem("no-solution", said("no such file", "找不到這個檔案"), str(options.solution),
                                    UNUSABLE))
            return None
        return options.solution
    folder = exercise.folder.parent.parent / "solutions" / exercise.id
    files = submission_files(folder) if folder.is_dir() else []
    if len(files) == 1:
        return files[0]
    if files:
        names = ", ".join(f.name for f in files)
        problems.append(Problem("no-solution", said(f"several reference solutions ({names})",
                                                    f"有多個參考解答（{names}）"), str(folder), UNUSABLE))
    else:
        problems.append(Problem("no-solution", said(
            f"no reference solution: put it in {folder} or pass --solution PATH",
            f"找不到參考解答：請放在 {folder}，或用 --solution PATH 指定"), str(folder), UNUSABLE))
    return None


def _grade_all(exercise: Exercise, jobs: list[tuple[str, Path, str]], options: ValidateOptions, view: ProgressView,
               problems: list[Problem], judge: Callable[[str, GradeResult], str] | None = None
               ) -> dict[str, GradeResult]:
    """Grade ``(key, path, name)`` jobs ``--jobs`` at once; ``judge`` names each result's progress status."""
    def work(job: tuple[str, Path, str], stop: Any) -> dict[str, Any]:
        key, path, name = job
        result = grade_path(path, exercise, options.run, name=name)
        return {"key": key, "result": result, "status": judge(key, result) if judge else result.status.value}

    with view:
        outcome = run_parallel(jobs, work, options.jobs, view)
    if outcome.interrupted:
        raise KeyboardInterrupt
    for (key, _, _), error in outcome.failed:
        problems.append(Problem("grader", said(f"the grader failed on {key}: {error}",
                                               f"評分程式在 {key} 出錯：{error}"), severity=GRADER))
    results = {doc["key"]: doc["result"] for doc in outcome.done}
    for key, result in results.items():
        if result.status == Status.INTERNAL_ERROR:
            problems.append(Problem("grader", said(f"the grader failed on {key}: {result.outcome.message}",
                                                   f"評分程式在 {key} 出錯：{result.outcome.message}"),
                                    severity=GRADER))
    return results


def _solution_problems(run: GradeResult) -> list[Problem]:
    if run.full_marks:
        return []
    if run.status == Status.INTERNAL_ERROR:
        return []  # said already, as the grader's failure
    failed = [c for c in run.checks if not c.passed]
    return [Problem("solution", said(
        f"the solution scores {run.score:g} / {run.max_score:g} ({run.status.value}): mutants are not run",
        f"參考解答只得 {run.score:g} / {run.max_score:g}（{run.status.value}）：不執行突變測試"))] + [
        Problem("solution", Message.literal({lang: f"{c.id}: {c.message.render(lang)}" for lang in LANGS}))
        for c in failed]


def _template_problems(exercise: Exercise, run: GradeResult) -> list[Problem]:
    expected = exercise.validate.template_points
    problems = []
    for check in run.checks:
        wanted = expected.get(check.id, 0.0)
        if abs(check.points - wanted) > 1e-9:
            problems.append(Problem("template", said(
                f"the template scores {check.points:g} on {check.id}, not {wanted:g} "
                f"(remove the solution from the template, or declare [validate] template_points)",
                f"範本在 {check.id} 得 {check.points:g} 分，而不是 {wanted:g} 分"
                f"（請從範本移除解答，或在 [validate] template_points 宣告）"), str(exercise.template)))
    return problems


def _mutants(exercise: Exercise, path: Path | None, solution_run: GradeResult, options: ValidateOptions,
             progress: Progress, problems: list[Problem]) -> list[MutantVerdict]:
    assert path is not None
    solution = load_submission(path)
    answers = (locate_answers(prose_lines(solution), exercise.answers.fingerprints, exercise.answers.questions)
               if exercise.answers is not None else {})
    subject = Subject(exercise, solution, solution_run.outcome.harvest, answers)
    generated = generate(subject)
    mutants = [m for m in generated if not options.only or any(fnmatch.fnmatchcase(m.id, p) for p in options.only)]
    if options.only:
        problems.append(Problem("partial", said(
            f"only {len(mutants)} of the {len(generated)} mutants were run (--mutants): this is not the whole proof",
            f"只執行了 {len(generated)} 個突變中的 {len(mutants)} 個（--mutants）：這不是完整的驗證"), severity=OK))
    full = {c.id: c.points for c in solution_run.checks}
    verdicts: dict[str, MutantVerdict] = {}

    def judge(key: str, result: GradeResult) -> str:
        verdicts[key] = judged(by_id[key], result, full, exercise)
        return verdicts[key].verdict

    by_id = {m.id: m for m in mutants}
    with tempfile.TemporaryDirectory(prefix="kg-validate-") as scratch:
        jobs = []
        for i, mutant in enumerate(mutants):
            path = Path(scratch) / str(i) / (solution.path.stem + ".ipynb")
            path.parent.mkdir()
            write_notebook(path, mutant.cells(solution), solution.metadata)
            jobs.append((mutant.id, path, mutant.id))
        _grade_all(exercise, jobs, options, progress(len(jobs), f"{exercise.id}: mutants"), problems, judge)
    ordered = [verdicts[m.id] for m in mutants if m.id in verdicts]
    problems += [Problem("hole", said(f"no check fails when {v.mutant.change.render('en')}",
                                      f"{v.mutant.change.render('zh-TW')}：沒有任何評分項目失分"), v.mutant.id)
                 for v in ordered if v.verdict == HOLE]
    if not options.only:
        problems += _unused_accepts(exercise, mutants)
    return ordered


def judged(mutant: Mutant, result: GradeResult, full: Mapping[str, float], exercise: Exercise) -> MutantVerdict:
    """Caught when some check scores less than on the solution; else accepted (with the spec's reason) or a hole."""
    broke = next((Message.of("run.cell_error", cell=c.index + 1, name=c.error_name or "Error",
                             value=(c.error_value or "").splitlines()[0][:120] if c.error_value else "")
                  for c in result.outcome.cells if c.state == CellState.ERROR), None)
    common = {"status": result.status.value, "seconds": result.outcome.seconds, "broke": broke}
    if result.status == Status.INTERNAL_ERROR:
        return MutantVerdict(mutant, ERROR, **common)
    caught_by = tuple(c.id for c in result.checks if c.points < full.get(c.id, c.max_points) - 1e-9)
    if caught_by:
        return MutantVerdict(mutant, CAUGHT, caught_by, **common)
    reason = next((a.reason for a in exercise.validate.accept if fnmatch.fnmatchcase(mutant.id, a.mutant)), None)
    return MutantVerdict(mutant, ACCEPTED if reason else HOLE, reason=reason, **common)


def _unused_accepts(exercise: Exercise, mutants: list[Mutant]) -> list[Problem]:
    """An accept pattern that matches no mutant is stale (a renamed layer, a typo): a warning."""
    return [Problem("unused-accept", said(f"[[validate.accept]] mutant = {a.mutant!r} matches no mutant",
                                          f"[[validate.accept]] mutant = {a.mutant!r} 沒有對應的突變"),
                    str(exercise.folder / "exercise.toml"), severity=OK)
            for a in exercise.validate.accept if not any(fnmatch.fnmatchcase(m.id, a.mutant) for m in mutants)]


def exercise_targets(names: list[str]) -> list[str]:
    """The exercises to validate: those named, else every installed one."""
    if names:
        return names
    from grader.rubric.catalog import exercise_folders

    folders = exercise_folders()
    if not folders:
        raise UsageError("no exercises installed", hint="set KERAS_GRADER_EXERCISES to a folder of exercises")
    return sorted(folders)
