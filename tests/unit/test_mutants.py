"""Mutation operators: each rewrites the solution's source in one place, the way a student gets it wrong.

No kernel: the solution is a small notebook written here and its "run" a harvest
built by hand, as the probe would report it.
"""

from __future__ import annotations

import ast
import json

import pytest

from grader.author.mutants import Mutant, Operator, Subject, generate
from grader.author.mutants.base import said
from grader.author.mutants.source import Edit
from grader.author.notebook import write_notebook
from grader.execute.outcome import ExecutionOutcome, Status
from grader.rubric.answers.segment import locate_answers
from grader.rubric.engine import grade
from grader.rubric.spec import load_exercise
from grader.submission import load_submission
from grader.submission.model import Cell
from grader.submission.prose import prose_lines
from tests.unit.factories import harvest, layer, model

IMPORTS = """\
%matplotlib inline
from keras import Input, Model, Sequential
from keras.layers import Conv2D, Dense
from keras.optimizers import Adam
"""
FUNCTIONAL = """\
inputs = Input((28, 28, 1))
x = Conv2D(32, 3, activation="relu")(inputs)  # 第一層
x = keras.layers.SeparableConv2D(64, kernel_size=(3, 3), depth_multiplier=2)(x)
functional = Model(inputs, x)
functional.compile(optimizer="adam", loss="mse")
"""
SEQUENTIAL = """\
seq = Sequential([Input((8,)), Dense(10, activation="softmax")])
seq.add(Dense(4))
seq.compile(optimizer=Adam(learning_rate=0.001), loss="mse")
"""
QUESTIONS = """\
**Q1.** How many convolution layers?

Answer: 2 layers (two)

**Q2.** Which optimizer?

Answer: Adadelta
"""
SPEC = """\
[exercise]
id = "demo"
title = "Demo"
template = "template.ipynb"

[answers]
questions = 2
prompts = { 1 = '^\\*\\*Q1', 2 = '^\\*\\*Q2' }

[[checks]]
id = "convs"
kind = "model"
points = 1
layers = [{ type = "Conv2D", filters = 32 }, { type = "SeparableConv2D" }]

[[checks]]
id = "dense"
kind = "model"
points = 1
match = "subsequence"
layers = [{ type = "Dense", units = 10 }]
compile = { optimizer = "Adam" }

[[checks]]
id = "q1"
kind = "answer"
points = 1
question = 1
accept = [{ number = 2 }]

[[checks]]
id = "q2"
kind = "answer"
points = 1
question = 2
accept = [{ regex = '(?i)adadelta' }]
"""
ADAM = {"optimizer": "Adam", "optimizer_config": {"learning_rate": 0.001}, "loss": "mse", "metrics": []}


def conv(kind, index, filters, **config):
    return layer(kind, index, filters=filters, kernel_size=[3, 3], strides=[1, 1], padding="valid", **config)


CONVS = model([conv("Conv2D", 1, 32, activation="relu"),
               conv("SeparableConv2D", 2, 64, activation="linear", depth_multiplier=2)], uid=1, cell=2,
              inputs=(None, 28, 28, 1), outputs=(None, 24, 24, 64), compile=ADAM)
RUN = harvest(
    CONVS,
    model([layer("Dense", 1, units=10, activation="softmax"), layer("Dense", 2, units=4, activation="linear")],
          uid=2, cell=3, inputs=(None, 8), outputs=(None, 4), compile=ADAM))


@pytest.fixture
def subject(tmp_path):
    folder = tmp_path / "demo"
    folder.mkdir()
    (folder / "exercise.toml").write_text(SPEC, encoding="utf-8")
    cells = [Cell(0, "markdown", "# Demo"), Cell(1, "code", IMPORTS), Cell(2, "code", FUNCTIONAL),
             Cell(3, "code", SEQUENTIAL), Cell(4, "markdown", QUESTIONS)]
    template = [c if c.kind == "code" else Cell(c.index, c.kind, c.source.replace("Answer: 2 layers (two)", "Answer:")
                                                 .replace("Answer: Adadelta", "Answer:")) for c in cells]
    write_notebook(folder / "template.ipynb", template, {})
    write_notebook(tmp_path / "solution.ipynb", cells, {})
    exercise = load_exercise(folder)
    solution = load_submission(tmp_path / "solution.ipynb")
    answers = locate_answers(prose_lines(solution), exercise.answers.fingerprints, exercise.answers.questions)
    return Subject(exercise, solution, RUN, answers)


def mutants(subject) -> dict[str, Mutant]:
    return {m.id: m for m in generate(subject)}


def changed(subject, mutant) -> dict[int, str]:
    """The cells the mutant rewrote: index -> new source."""
    return {c.index: c.source for c, old in zip(mutant.cells(subject.solution), subject.solution.cells)
            if c.source != old.source}


def test_every_mutant_is_one_mistake_in_source_that_still_parses(subject):
    found = generate(subject)
    assert len({m.id for m in found}) == len(found) > 20
    for mutant in found:
        cells = changed(subject, mutant)
        assert cells, mutant.id
        for index, source in cells.items():
            if subject.solution.cells[index].kind == "code":
                ast.parse(source.replace("%matplotlib", "#"))


def test_layer_settings_change_where_written_and_are_added_where_left_at_their_default(subject):
    found = mutants(subject)
    assert changed(subject, found["Conv2D#1.filters"])[2].splitlines()[1] == \
        "x = Conv2D(24, 3, activation='relu')(inputs)  # 第一層"
    assert "Conv2D(32, 3, activation='relu', padding='same')" in changed(subject, found["Conv2D#1.padding"])[2]
    assert "Conv2D(32, 3, activation='tanh')" in changed(subject, found["Conv2D#1.activation"])[2]
    assert "kernel_size=(5, 5), depth_multiplier=2" in changed(subject, found["SeparableConv2D#1.kernel_size"])[2]
    assert "depth_multiplier=3" in changed(subject, found["SeparableConv2D#1.depth_multiplier"])[2]
    assert "Dense(7, activation='softmax')" in changed(subject, found["Dense#1.units"])[3]
    assert "Dense(3)" in changed(subject, found["Dense#2.units"])[3]
    assert "depth_multiplier" not in ",".join(m for m in found if m.startswith("Conv2D") or m.startswith("Dense"))


def test_a_layer_is_dropped_from_a_chain_a_list_or_an_add(subject):
    found = mutants(subject)
    assert "x = inputs  # 第一層" in changed(subject, found["Conv2D#1.drop"])[2]
    assert changed(subject, found["Dense#1.drop"])[3].startswith("seq = Sequential([Input((8,))])\n")
    assert "\npass\n" in changed(subject, found["Dense#2.drop"])[3]


def test_a_swapped_layer_keeps_its_settings_but_those_the_other_class_lacks(subject):
    found = mutants(subject)
    swapped = changed(subject, found["SeparableConv2D#1.swap"])[2]
    assert "x = keras.layers.Conv2D(64, kernel_size=(3, 3))(x)" in swapped
    # Conv2D -> SeparableConv2D: not imported by the solution, so reached through keras itself
    assert "__import__('keras').layers.SeparableConv2D(32, 3, activation='relu')" in \
        changed(subject, found["Conv2D#1.swap"])[2]
    assert "Dense#1.swap" not in found  # no class a Dense is mistaken for


def test_optimizer_and_learning_rate_change_at_compile(subject):
    found = mutants(subject)
    assert "functional.compile(optimizer='sgd'" in changed(subject, found["compile#1.optimizer"])[2]
    assert "optimizer=__import__('keras').optimizers.Adam(learning_rate=0.01)" in \
        changed(subject, found["compile#1.learning_rate"])[2]  # a string optimizer: its measured class and rate
    assert "optimizer=Adam(learning_rate=0.01)" in changed(subject, found["compile#2.learning_rate"])[3]
    assert found["compile#2.optimizer"].meant == ("dense",)


def test_answer_mutants_as_the_grader_then_reads_them(subject):
    found = mutants(subject)
    assert set(found) >= {"Q1.numbers", "Q1.empty", "Q1.moved", "Q2.empty", "Q2.moved", "Q2.word"}
    assert "Q2.numbers" not in found and "Q1.word" not in found

    def answers_of(mutant):
        cells = mutant.cells(subject.solution)
        sub = type(subject.solution)(path=subject.solution.path, fmt="ipynb", cells=tuple(cells))
        located = locate_answers(prose_lines(sub), subject.exercise.answers.fingerprints, 2)
        return {n: a.text for n, a in located.items()}

    assert answers_of(found["Q1.numbers"]) == {1: "3 layers (3)", 2: "Adadelta"}  # every form of the number
    assert answers_of(found["Q1.empty"]) == {1: "", 2: "Adadelta"}
    assert answers_of(found["Q1.moved"]) == {1: "", 2: "Adadelta\n2 layers (two)"}
    assert answers_of(found["Q2.moved"]) == {1: "2 layers (two)\nAdadelta", 2: ""}
    assert answers_of(found["Q2.word"]) == {1: "2 layers (two)", 2: "Adam"}
    assert found["Q2.word"].meant == ("q2",)


def test_the_checks_meant_to_catch_a_mutant_are_those_that_look_at_what_it_changed(subject):
    found = mutants(subject)
    assert found["Conv2D#1.filters"].meant == ("convs",)
    assert found["Dense#2.units"].meant == ("dense",)
    assert found["Conv2D#1.swap"].meant == ("convs",)  # names Conv2D and SeparableConv2D: only convs does
    assert found["compile#1.learning_rate"].meant == ("dense",)  # no check names a rate: any on compile


def test_a_call_that_built_several_layers_is_changed_only_where_written(subject):
    """In a loop one call builds many layers: nothing measured belongs to it alone, so no default is added."""
    loop = "for n in (8, 16):\n    seq.add(Dense(n))\n"
    cells = list(subject.solution.cells) + [Cell(5, "code", loop)]
    many = Subject(subject.exercise, type(subject.solution)(subject.solution.path, "ipynb", tuple(cells)),
                   harvest(CONVS, model([layer("Dense", i, units=u, activation="linear")
                                                   for i, u in enumerate((10, 4, 8, 16), 1)], uid=2, cell=3)),
                   subject.answers)
    found = mutants(many)
    assert "Dense#3.units" not in found  # `n` is no constant, and which layer it built is not one answer
    assert "Dense#1.units" in found  # written as a constant: changed there


def test_an_operator_in_a_new_file_plugs_in_without_touching_the_core(subject):
    class Everything(Operator):
        name = "test-everything"

        def mutants(self, subject):
            yield Mutant("all.gone", self.name, said("all gone", "全部刪除"), (Edit(2, 0, len(FUNCTIONAL), ""),),
                         ("convs",))

    try:
        assert "all.gone" in mutants(subject)
    finally:
        del Operator.registry["test-everything"]
    assert "all.gone" not in mutants(subject)


def test_mutants_are_listed_top_to_bottom(subject):
    order = [m.id for m in generate(subject)]
    assert order.index("Conv2D#1.filters") < order.index("SeparableConv2D#1.filters") < \
        order.index("Dense#1.units") < order.index("Q1.empty") < order.index("Q2.empty")


def test_answer_mutants_lose_exactly_their_questions_points(subject):
    """Graded by the real engine (no kernel: the answers need none), each answer mutant fails its own check."""
    outcome = ExecutionOutcome(status=Status.GRADED, harvest=RUN)
    for mutant in generate(subject):
        if not mutant.id.startswith("Q"):
            continue
        cells = mutant.cells(subject.solution)
        sub = type(subject.solution)(path=subject.solution.path, fmt="ipynb", cells=tuple(cells))
        failed = [c.id for c in grade(subject.exercise, sub, outcome).checks if c.id.startswith("q") and not c.passed]
        assert failed == list(mutant.meant), mutant.id


def test_a_notebook_writes_and_loads_back_as_the_same_cells(tmp_path):
    cells = [Cell(0, "markdown", "# 標題\n\nline"), Cell(1, "code", "x = 1\n\n"), Cell(2, "raw", "raw")]
    write_notebook(tmp_path / "n.ipynb", cells, {"keras_grader": {"exercise": "demo"}})
    loaded = load_submission(tmp_path / "n.ipynb")
    assert [(c.kind, c.source) for c in loaded.cells] == [(c.kind, c.source) for c in cells]
    assert loaded.metadata["keras_grader"] == {"exercise": "demo"}
    assert json.loads((tmp_path / "n.ipynb").read_text())["nbformat"] == 4
