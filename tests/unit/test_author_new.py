"""What ``grader new`` writes, without a kernel: questions found, the template, the spec and its TODOs."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from grader.author.notebook import write_notebook
from grader.author.questions import find_questions
from grader.author.specfile import ModelEntry, accepted, spec_text, toml
from grader.author.template import CODE_PLACEHOLDER, TEXT_PLACEHOLDER, make_template
from grader.author.todo import placeholders
from grader.errors import UsageError
from grader.execute.outcome import ExecutionOutcome, Status
from grader.rubric.answers.segment import locate_answers
from grader.rubric.engine import grade
from grader.rubric.spec import load_exercise
from grader.submission import Submission, load_submission
from grader.submission.model import Cell
from grader.submission.prose import prose_lines
from tests.unit.factories import conv_model, harvest, layer, model

PROSE = """\
## Part 2

**Q1.** How many parameters? / 參數量？

答 / Answer: 1,199,882

Question 2: which optimizer?

Ans: Adadelta
第三題：哪一層？ SeparableConv2D
"""
ANSWER_CELL = "Yes, (16, 16, 32)."
CODE = """\
from keras import Input, Model
inputs = Input((224, 224, 3))
    ### BEGIN SOLUTION
x = Conv2D(32, 3)(inputs)
### END SOLUTION
conv_model = Model(inputs, x)
"""


def solution(*cells: tuple[str, str]) -> Submission:
    return Submission(path=Path("s.ipynb"), fmt="ipynb",
                      cells=tuple(Cell(i, kind, text) for i, (kind, text) in enumerate(cells)))


SOLUTION = solution(("markdown", "# Day 1: CNN\n\n1. Not a question, a step."), ("code", CODE), ("markdown", PROSE),
                    ("markdown", "4. What is the output shape?"), ("markdown", ANSWER_CELL))


def test_questions_are_the_labelled_or_asked_lines_and_their_answers_what_follows():
    found = find_questions(SOLUTION)
    assert [(q.number, q.cell, q.line) for q in found] == [(1, 2, 3), (2, 2, 7), (3, 2, 10), (4, 3, 1)]
    assert [[(p.cell, p.line, p.start) for p in q.answer] for q in found] == [
        [(2, 5, 0)], [(2, 9, 0)], [(2, 10, 8)], [(4, 1, 0)]]
    assert found[0].pattern == r"^\s*\*\*Q1\.\*\*"


def test_the_template_leaves_out_the_marked_code_and_the_answers_but_keeps_their_labels():
    template = make_template(SOLUTION, find_questions(SOLUTION))
    code = template.cells[1].source.splitlines()
    assert code == ["from keras import Input, Model", "inputs = Input((224, 224, 3))", "    " + CODE_PLACEHOLDER,
                    "conv_model = Model(inputs, x)"]
    prose = template.cells[2].source.splitlines()
    assert prose[4] == "答 / Answer:" and prose[8] == "Ans:" and prose[9] == "第三題：哪一層？"
    assert "1,199,882" not in template.cells[2].source and "Adadelta" not in template.cells[2].source
    assert template.cells[4].source == ""
    assert (template.marked_cells, template.answers_removed) == (1, 4)


def test_markers_in_prose_leave_a_placeholder_for_the_answer():
    marked = solution(("markdown", "Why?\n### BEGIN SOLUTION\nBecause.\n### END SOLUTION"))
    assert make_template(marked, []).cells[0].source == "Why?\n" + TEXT_PLACEHOLDER


@pytest.mark.parametrize("source,fragment", [
    ("### BEGIN SOLUTION\nx = 1", "cell 1, line 1: BEGIN SOLUTION is never ended"),
    ("x = 1\n### END SOLUTION", "cell 1, line 2: END SOLUTION without a BEGIN SOLUTION"),
])
def test_unbalanced_markers_say_which_cell_and_line(source, fragment):
    with pytest.raises(UsageError, match=fragment):
        make_template(solution(("code", source)), [])


def test_without_markers_the_template_keeps_the_code():
    template = make_template(solution(("code", "x = 1")), [])
    assert template.cells[0].source == "x = 1" and template.marked_cells == 0


@pytest.mark.parametrize("answer,matcher", [
    ("1,199,882", {"number": 1199882}),
    ("2 層 / two", {"number": 2}),
    ("(16, 16, 32)", {"regex": r"(?i)\(16,\s*16,\s*32\)"}),
    ("Adadelta", {"regex": "(?i)Adadelta"}),
    ("有，第 37、38 行", {"regex": r"(?i)有,第\s*37、38\s*行"}),  # as matchers read it: NFKC
])
def test_the_solutions_answer_becomes_its_first_accepted_pattern(answer, matcher):
    assert accepted(answer) == matcher


def test_toml_values_read_back_as_written():
    value = {"a": "x", "b": r"^\s*Q1", "c": "it's \\ \"q\"", "d": [1, 2.5, True, [3, 3]], "zh-TW": "中"}
    assert tomllib.loads(f"v = {toml(value)}")["v"] == value


def write_exercise(tmp_path, models, answers):
    folder = tmp_path / "demo"
    folder.mkdir()
    questions = find_questions(SOLUTION)
    write_notebook(folder / "template.ipynb", make_template(SOLUTION, questions).cells, {})
    (folder / "exercise.toml").write_text(spec_text("demo", "s.ipynb", "Day 1: CNN", questions, models, answers),
                                          encoding="utf-8")
    return folder, questions


def test_the_spec_holds_what_was_measured_and_the_solution_earns_every_point_of_it(tmp_path):
    run = harvest(conv_model(), model([layer("Dense", 1, units=10, activation="softmax")], uid=3, cell=5,
                                      inputs=(None, 8), outputs=(None, 10), total=90,
                                      compile={"optimizer": "Adam", "optimizer_config": {"learning_rate": 0.001},
                                               "loss": "categorical_crossentropy", "metrics": ["accuracy"]}))
    entries = [ModelEntry(run.models[0], "conv_model"), ModelEntry(run.models[1], None)]
    folder, _ = write_exercise(tmp_path, entries, None)
    exercise = load_exercise(folder)  # first pass: answers not known yet, the spec loads all the same
    found = locate_answers(prose_lines(SOLUTION), exercise.answers.fingerprints, exercise.answers.questions)
    assert {n: a.text for n, a in found.items()} == {1: "1,199,882", 2: "Adadelta", 3: "SeparableConv2D",
                                                      4: ANSWER_CELL}
    (folder / "exercise.toml").unlink()
    (folder / "template.ipynb").unlink()
    folder.rmdir()
    folder, _ = write_exercise(tmp_path, entries, {n: a.text for n, a in found.items()})
    exercise = load_exercise(folder)
    assert [c.id for c in exercise.checks] == ["conv_model", "model_2", "q1", "q2", "q3", "q4"]
    dense = exercise.checks[1]
    assert dense.compile["learning_rate"].value == 0.001 and dense.compile["metrics"].value == ("accuracy",)
    result = grade(exercise, SOLUTION, ExecutionOutcome(status=Status.GRADED, harvest=run))
    assert [c.id for c in result.checks if not c.passed] == []
    wrong = grade(exercise, SOLUTION, ExecutionOutcome(status=Status.GRADED, harvest=harvest(conv_model(second=48))))
    assert not {c.id: c for c in wrong.checks}["conv_model"].passed


def test_every_todo_is_named_with_its_line_and_key(tmp_path):
    folder, _ = write_exercise(tmp_path, [ModelEntry(harvest(conv_model()).models[0], None)], {1: "1,199,882"})
    found = placeholders(folder)
    lines = (folder / "exercise.toml").read_text(encoding="utf-8").splitlines()
    keys = [p.key for p in found]
    assert keys[:4] == ["exercise.title.en", "exercise.title.zh-TW", "checks[0].title.en", "checks[0].title.zh-TW"]
    assert "checks[2].accept[0].regex" in keys  # question 2: no answer known
    for p in found:
        line = int(p.where.split(":")[1].split(" ")[0])
        assert p.text in lines[line - 1] and p.where.endswith(f"({p.key})")
    assert all(p.text.startswith("TODO") for p in found)


def test_a_filled_spec_has_no_todo(tmp_path):
    folder, _ = write_exercise(tmp_path, [], {1: "1", 2: "Adadelta", 3: "x", 4: "y"})
    spec = folder / "exercise.toml"
    spec.write_text(re.sub(r'"TODO[^"]*"', '"done"', spec.read_text(encoding="utf-8")),
                    encoding="utf-8")
    assert placeholders(folder) == []


def test_a_solution_file_round_trips_through_the_writer(tmp_path):
    write_notebook(tmp_path / "s.ipynb", SOLUTION.cells, {})
    assert [c.source for c in load_submission(tmp_path / "s.ipynb").cells] == [c.source for c in SOLUTION.cells]


@pytest.mark.parametrize("setup,exercise_id,options,fragment", [
    (None, "Day 101", {}, "is not an exercise id"),
    ("exercises/demo", "demo", {}, "already exists"),
    ("solutions/demo", "demo", {}, "already exists"),
    (None, "demo", {"require_markers": True}, "no '### BEGIN SOLUTION' / '### END SOLUTION' markers"),
])
def test_new_refuses_before_running_anything(tmp_path, setup, exercise_id, options, fragment):
    from grader.author.new import create

    solution_path = tmp_path / "s.ipynb"
    write_notebook(solution_path, [Cell(0, "code", "x = 1")], {})
    if setup:
        (tmp_path / setup).mkdir(parents=True)
    with pytest.raises(UsageError, match=fragment):
        create(exercise_id, solution_path, tmp_path, **options)
    assert not (tmp_path / "exercises" / exercise_id).exists() or setup == "exercises/demo"


def test_new_says_why_a_solution_cannot_be_read(tmp_path):
    from grader.author.new import create

    (tmp_path / "s.ipynb").write_text("{", encoding="utf-8")
    with pytest.raises(UsageError, match="the solution cannot be read: not a valid notebook"):
        create("demo", tmp_path / "s.ipynb", tmp_path)


def test_settings_a_spec_cannot_hold_are_left_out_of_the_layer():
    from grader.author.specfile import _layer

    facts = harvest(model([layer("Dense", 1, units=10, activation={"class_name": "Mine", "config": {}},
                                 rate=float("nan"))])).models[0].layers[1]
    assert _layer(facts) == {"type": "Dense", "units": 10}
