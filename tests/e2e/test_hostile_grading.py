"""Hostile and broken submissions through the whole pipeline: the grade comes only from what we measured."""

from __future__ import annotations

import time
from pathlib import Path

import nbformat
import pytest

from grader.execute.outcome import Status
from grader.pipeline import RunOptions, grade_path
from grader.rubric.catalog import get_exercise

pytestmark = [pytest.mark.kernel, pytest.mark.sandbox, pytest.mark.tensorflow]

EXERCISE = get_exercise("day096")
IMPORTS = "from keras.layers import Conv2D, SeparableConv2D, Input\nfrom keras.models import Model\nimport keras\n"
CONV = ("i = Input((224, 224, 3))\n"
        "model = Model(i, Conv2D(64, (3, 3))(Conv2D(32, (3, 3))(i)))\n")


def notebook(tmp_path: Path, *cells: str, name: str = "Day_096_Keras_CNN_layers.ipynb") -> Path:
    path = tmp_path / name
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nbformat.write(nb, path)
    return path


def grade(path: Path, **limits):
    started = time.monotonic()
    result = grade_path(path, EXERCISE, RunOptions(**limits))
    return result, time.monotonic() - started, {c.id: c for c in result.checks}


def test_forged_results_on_stdout_in_displays_and_in_files_earn_nothing(tmp_path):
    forged = (
        "import json\n"
        "fake = {'schema': 'keras-grader.result/1', 'score': 8, 'max_score': 8, 'status': 'graded'}\n"
        "print(json.dumps(fake))\n"
        "open('results.json', 'w').write(json.dumps(fake))\n"
        "from IPython.display import display\n"
        "doc = {'schema': 'keras-grader.harvest/1', 'models': []}\n"
        "display({'application/vnd.keras-grader.harvest+json': {'nonce': 'guess', 'doc': doc}}, raw=True)\n"
        "print('Total params: 19,392')\n"
    )
    result, seconds, checks = grade(notebook(tmp_path, forged))
    assert result.status == Status.GRADED
    assert result.score == 0
    assert checks["conv_model"].message.render("en") == "no Keras model was built"
    assert any("did not answer the grader's request" in n for n in result.outcome.notes)


def test_fake_layer_class_and_monkeypatched_counts_earn_nothing(tmp_path):
    fake = (
        "class Conv2D(keras.layers.Layer):\n"
        "    def __init__(self, filters, kernel_size, **kw):\n"
        "        super().__init__(**kw); self.filters = filters; self.kernel_size = kernel_size\n"
        "    def call(self, x):\n"
        "        return x[..., :1] * 0 + keras.ops.zeros((1, 1, 1, self.filters))\n"
        "    def compute_output_shape(self, s):\n"
        "        return s[:-1] + (self.filters,)\n"
        "i = Input((224, 224, 3))\n"
        "model = Model(i, Conv2D(64, (3, 3))(Conv2D(32, (3, 3))(i)))\n"
        "keras.Model.count_params = lambda self: 19392\n"
        "keras.layers.SeparableConv2D.count_params = lambda self: 1\n"
        "model.summary = lambda *a, **k: print('Total params: 19,392')\n"
    )
    _, _, checks = grade(notebook(tmp_path, IMPORTS, fake))
    assert not checks["conv_model"].passed
    assert "is a class named Conv2D that is not Keras' Conv2D" in checks["conv_model"].message.render("en") \
        or "no model with Conv2D layers" in checks["conv_model"].message.render("en")


def test_sleeping_forever_after_a_correct_model_is_a_timeout_that_keeps_the_credit(tmp_path):
    path = notebook(tmp_path, IMPORTS, CONV, "import time\ntime.sleep(10**6)")
    result, seconds, checks = grade(path, cell_timeout=3, total_timeout=20)
    assert checks["conv_model"].passed
    assert seconds < 20 + 10
    assert result.status == Status.TIMEOUT and "cell 3 ran past its 3 s limit" in result.outcome.message
    notes = [n.render("en") for n in result.notes]
    assert any(n.startswith("cell 3 was stopped after 3") for n in notes)
    assert any(n.startswith("your code ran past a time limit and was stopped there: the checks were graded on the models") for n in notes)


@pytest.mark.parametrize("content,fragment", [
    (b"", "empty"),
    (b'{"cells": [{"cell_type": "code", "source": "x = ', "truncated"),
    (bytes(range(7, 256)) * 50, "neither UTF-8 nor Big5"),
])
def test_unreadable_notebooks_are_invalid_at_once(tmp_path, content, fragment):
    path = tmp_path / "Day_096_Keras_CNN_layers.ipynb"
    path.write_bytes(content)
    result, seconds, _ = grade(path)
    assert result.status == Status.INVALID_SUBMISSION and fragment in (result.outcome.message or "")
    assert result.score == 0 and seconds < 5


def test_a_script_with_a_syntax_error_is_invalid_and_names_the_line(tmp_path):
    path = tmp_path / "day096.py"
    path.write_text(IMPORTS + "model = Model(\n", encoding="utf-8")
    result, _, _ = grade(path)
    assert result.status == Status.INVALID_SUBMISSION
    assert "syntax error at line 4" in result.outcome.message


def test_big5_script_is_graded(tmp_path):
    path = tmp_path / "day096.py"
    source = IMPORTS + CONV + '"""\n1. 有，37、38行\n2. Adadelta\n3. 兩層\n4. 1,199,882\n"""\n'
    path.write_bytes(source.encode("big5"))
    result, _, checks = grade(path)
    assert result.status == Status.GRADED
    assert [c for c in checks if not checks[c].passed] == ["separable_model"]


def test_prose_cells_raise_syntax_errors_that_cost_nothing(tmp_path):
    path = notebook(tmp_path, IMPORTS, "1. 有 37~38行\n2. Adadelta", CONV)
    result, _, checks = grade(path)
    assert result.outcome.cells[1].error_name == "SyntaxError"
    assert checks["conv_model"].passed and checks["q1_normalization"].passed and checks["q2_optimizer"].passed
