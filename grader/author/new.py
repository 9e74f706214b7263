"""``grader new ID --from-solution SOLUTION``: an exercise folder from the reference solution a TA already has.

The solution runs once, in the sandbox like any submission; what its run
built becomes the model checks and its questions the answer checks
(``specfile``), its solution code and answers are left out of the student's
template (``template``), and it is copied to ``solutions/ID/``. The answers'
first accepted patterns are taken from the solution as the grader itself reads
it (the spec is written twice: the first time to let the grader find them).
Nothing is written unless all of it can be: the folder is made aside, then
moved into place.
"""

from __future__ import annotations

import ast
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from grader.author.mutants.source import callee, code_cells
from grader.author.notebook import write_notebook
from grader.author.questions import find_questions
from grader.author.specfile import SETTINGS, ModelEntry, spec_text
from grader.author.template import make_template
from grader.author.todo import Placeholder, placeholders
from grader.errors import SpecError, SubmissionError, UsageError
from grader.execute.outcome import CellState, Status
from grader.harvest.schema import ModelFacts
from grader.pipeline import RunOptions, grade_path
from grader.rubric.answers.segment import locate_answers
from grader.rubric.spec import SPEC_FILE, ExecutionSettings, Exercise, load_exercise
from grader.submission import Submission, load_submission
from grader.submission.prose import prose_lines

_ID = re.compile(r"[a-z0-9][a-z0-9_\-]*")
TEMPLATE = "template.ipynb"
_MODEL_CLASSES = {"Model", "Sequential", "Functional"}

PHRASES: dict[str, dict[str, str]] = {
    "en": {
        "spec": "wrote {path}: {models} model check(s), {answers} answer check(s)",
        "template": "wrote {path}: solution code left out of {marked} cell(s), {answers} answer(s) removed",
        "unmarked": "warning: the solution has no '### BEGIN SOLUTION' / '### END SOLUTION' markers, so the "
                    "template keeps all its code: edit {path} before handing it out",
        "solution": "copied the solution to {path}",
        "broke": "warning: the solution's run broke (cell {cell}: {error}): the spec holds what was built before",
        "todo": "fill in these {n} TODO(s):",
        "next": "then prune what the exercise does not ask for and run: grader validate {folder}",
    },
    "zh-TW": {
        "spec": "已寫入 {path}：{models} 個模型評分項目、{answers} 個答案評分項目",
        "template": "已寫入 {path}：{marked} 格的解答程式已移除，移除了 {answers} 個答案",
        "unmarked": "提醒：參考解答沒有 '### BEGIN SOLUTION' / '### END SOLUTION' 標記，範本保留了全部程式碼："
                    "發給學生前請先修改 {path}",
        "solution": "參考解答已複製到 {path}",
        "broke": "提醒：參考解答執行中斷（第 {cell} 格：{error}）：設定檔只含中斷前建立的內容",
        "todo": "請填寫這 {n} 個 TODO：",
        "next": "接著刪去題目沒有要求的設定，再執行：grader validate {folder}",
    },
}


def say(lang: str, key: str, **values: object) -> str:
    return PHRASES.get(lang, PHRASES["en"])[key].format(**values)


@dataclass
class Created:
    folder: Path
    solution: Path
    models: int
    questions: int
    marked_cells: int
    answers_removed: int
    broke: tuple[int, str] | None = None  # (cell, error) where the solution's run stopped
    todos: list[Placeholder] = field(default_factory=list)

    def report(self, lang: str) -> list[str]:
        lines = [say(lang, "spec", path=self.folder / SPEC_FILE, models=self.models, answers=self.questions),
                 say(lang, "template", path=self.folder / TEMPLATE, marked=self.marked_cells,
                     answers=self.answers_removed)]
        if not self.marked_cells:
            lines.append(say(lang, "unmarked", path=self.folder / TEMPLATE))
        if self.broke:
            lines.append(say(lang, "broke", cell=self.broke[0], error=self.broke[1]))
        lines.append(say(lang, "solution", path=self.solution))
        if self.todos:
            lines.append(say(lang, "todo", n=len(self.todos)))
            lines += [f"  {t.where}: {t.text}" for t in self.todos]
        return lines


def create(exercise_id: str, solution_path: Path, root: Path, *, require_markers: bool = False, force: bool = False,
           options: RunOptions = RunOptions()) -> Created:
    if not _ID.fullmatch(exercise_id):
        raise UsageError(f"{exercise_id!r} is not an exercise id", hint="lower-case letters, digits, '-' and '_', "
                                                                         "e.g. day101")
    folder, solutions = root / "exercises" / exercise_id, root / "solutions" / exercise_id
    for existing in (folder, solutions):
        if existing.exists() and not force:
            raise UsageError("already exists", where=str(existing), hint="choose another id, or pass --force")
    try:
        solution = load_submission(solution_path)
    except SubmissionError as exc:
        raise UsageError(f"the solution cannot be read: {exc.message}", where=str(solution_path),
                         hint=exc.hint) from None
    questions = find_questions(solution)
    template = make_template(solution, questions)
    if require_markers and not template.marked_cells:
        raise UsageError("no '### BEGIN SOLUTION' / '### END SOLUTION' markers in the solution",
                         where=str(solution_path), hint="mark the solution code, or leave out --template-markers")
    (root / "exercises").mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{exercise_id}-", dir=root / "exercises") as staging_root:
        staging = Path(staging_root) / exercise_id
        staging.mkdir()
        run = grade_path(solution_path, _provisional(exercise_id, staging), options)
        if run.status in (Status.INVALID_SUBMISSION, Status.INTERNAL_ERROR):
            raise UsageError(f"the solution could not be run ({run.status.value}): {run.outcome.message}",
                             where=str(solution_path))
        models = _models(run.outcome.harvest.models, solution)
        if not models and not questions:
            raise UsageError("the solution built no Keras model and has no question: there is nothing to check",
                             where=str(solution_path),
                             hint="a question is a markdown line starting with its label, e.g. '**Q1.** ...'")
        write_notebook(staging / TEMPLATE, template.cells,
                       {**solution.metadata, "keras_grader": {"exercise": exercise_id}})
        heading = _heading(solution)
        spec = staging / SPEC_FILE
        spec.write_text(spec_text(exercise_id, solution_path.name, heading, questions, models, None), encoding="utf-8")
        answers = _answers(staging, solution) if questions else {}
        spec.write_text(spec_text(exercise_id, solution_path.name, heading, questions, models, answers),
                        encoding="utf-8")
        _load(staging)  # what was written must load, or nothing is kept
        if force:
            shutil.rmtree(folder, ignore_errors=True)
            shutil.rmtree(solutions, ignore_errors=True)
        staging.rename(folder)
    solutions.mkdir(parents=True)
    copy = solutions / solution_path.name
    shutil.copyfile(solution_path, copy)
    broke = next(((c.index + 1, f"{c.error_name}: {c.error_value}") for c in run.outcome.cells
                  if c.state in (CellState.ERROR, CellState.TIMEOUT)), None)
    return Created(folder=folder, solution=copy, models=len(models), questions=len(questions),
                   marked_cells=template.marked_cells, answers_removed=template.answers_removed, broke=broke,
                   todos=placeholders(folder))


def _provisional(exercise_id: str, folder: Path) -> Exercise:
    """What running the solution needs of an exercise before there is one: the limits and the training budget."""
    return Exercise(id=exercise_id, title={"en": exercise_id}, folder=folder, checks=(),
                    execution=ExecutionSettings(total_timeout=300, training_steps=1, training_epochs=1,
                                                training_batch=16))


def _load(folder: Path) -> Exercise:
    """The exercise just written. It fails when the solution's questions cannot be told apart (two prompts
    with one label): said as the solution's problem, since nothing is kept."""
    try:
        return load_exercise(folder)
    except SpecError as exc:
        raise UsageError(f"the exercise made from this solution does not load: {exc.message}",
                         hint="give each question its own label ('**Q1.**', '**Q2.**', ...) in the solution") from None


def _answers(folder: Path, solution: Submission) -> dict[int, str]:
    """The solution's answers as the grader reads them, with the spec and template just written."""
    exercise = _load(folder)
    assert exercise.answers is not None
    found = locate_answers(prose_lines(solution), exercise.answers.fingerprints, exercise.answers.questions)
    return {n: answer.text for n, answer in found.items()}


def _models(models: tuple[ModelFacts, ...], solution: Submission) -> list[ModelEntry]:
    """Each distinct model once (a model built twice is one check), named after its variable where it has one."""
    names = _model_names(solution)
    seen: set[tuple] = set()
    entries = []
    for model in models:
        if _signature(model) in seen:
            continue
        seen.add(_signature(model))
        in_cell = names.get(model.cell, []) if model.cell is not None else []
        built_here = [m for m in models if m.cell == model.cell]
        name = in_cell[built_here.index(model)] if len(in_cell) == len(built_here) else None
        entries.append(ModelEntry(model, name))
    return entries


def _signature(model: ModelFacts) -> tuple:
    """What a check would hold of the model (not its layers' names, which differ between two builds of it)."""
    layers = tuple((layer.keras_type or layer.class_name, tuple(repr(layer.config.get(k)) for k in SETTINGS))
                   for layer in model.body())
    return model.input_shapes, model.output_shapes, model.total_params, layers, repr(model.compile)


def _model_names(solution: Submission) -> dict[int, list[str]]:
    """Cell -> the variables assigned a Model(...) or Sequential(...) there, in order."""
    names: dict[int, list[tuple[int, str]]] = {}
    for cell in code_cells(solution.cells):
        for node in ast.walk(cell.tree):
            if (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)
                    and callee(node.value) in _MODEL_CLASSES and isinstance(node.targets[0], ast.Name)):
                names.setdefault(cell.index, []).append((node.lineno, node.targets[0].id))
    return {cell: [name for _, name in sorted(found)] for cell, found in names.items()}


def _heading(solution: Submission) -> str | None:
    """The solution's first markdown heading: a start for the exercise's title."""
    for cell in solution.cells:
        if cell.kind == "markdown":
            for line in cell.source.splitlines():
                if line.lstrip().startswith("#"):
                    return line.lstrip("# ").strip() or None
    return None
