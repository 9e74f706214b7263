"""The CLI end to end: real kernels, real Keras, real notebooks and scripts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from grader.cli import main

ROOT = Path(__file__).resolve().parents[2]
SOLUTION = ROOT / "solutions" / "day096" / "Day_096_Keras_CNN_layers.ipynb"
TEMPLATE = ROOT / "exercises" / "day096" / "template.ipynb"

pytestmark = [pytest.mark.kernel, pytest.mark.tensorflow]


def check_json(capsys, *args):
    code = main(["check", *map(str, args), "--format", "json"])
    out = capsys.readouterr().out
    return code, json.loads(out)


def checks(doc):
    return {c["id"]: c for c in doc["checks"]}


@pytest.mark.parametrize("solution", sorted((ROOT / "solutions").glob("*/*.ipynb")), ids=lambda p: p.parent.name)
def test_every_reference_solution_scores_full_marks(capsys, solution):
    code, doc = check_json(capsys, solution)
    assert [c["id"] for c in doc["checks"] if not c["passed"]] == []
    assert doc["score"] == doc["max_score"] and code == 0
    assert doc["status"] == "graded"


def test_untouched_template_scores_zero(capsys):
    code, doc = check_json(capsys, TEMPLATE, "--exercise", "day096")
    assert code == 1 and doc["score"] == 0
    assert checks(doc)["conv_model"]["message"] == "no Keras model was built"


def test_one_wrong_filter_loses_exactly_that_check(capsys, tmp_path):
    nb = nbformat.read(SOLUTION, as_version=4)
    for cell in nb.cells:
        cell.source = cell.source.replace("x = Conv2D(filters=64", "x = Conv2D(filters=32")
    path = tmp_path / "Day_096_Keras_CNN_layers.ipynb"
    nbformat.write(nb, path)
    code, doc = check_json(capsys, path)
    failed = [c for c in doc["checks"] if not c["passed"]]
    assert code == 1
    assert [c["id"] for c in failed] == ["conv_model"]
    assert failed[0]["message"] == "Conv2D #2: filters expected 64, found 32"


def test_a_notebook_that_plots_with_matplotlib_keeps_its_marks(capsys, tmp_path):
    """%matplotlib inline and pyplot are in most students' import cells: without matplotlib that cell
    failed, its Keras imports with it, and both model checks were lost."""
    nb = nbformat.read(SOLUTION, as_version=4)
    first = next(c for c in nb.cells if c.cell_type == "code")
    first.source = "%matplotlib inline\nimport matplotlib.pyplot as plt\n" + first.source + "\nplt.plot([1, 2]); plt.show()"
    path = tmp_path / "Day_096_Keras_CNN_layers.ipynb"
    nbformat.write(nb, path)
    code, doc = check_json(capsys, path)
    assert (code, doc["score"]) == (0, doc["max_score"])
    assert [c["state"] for c in doc["cells"]] == ["ok"] * len(doc["cells"])


SCRIPT = '''
# %%
from tensorflow.keras.layers import Conv2D, SeparableConv2D, Input
from tensorflow.keras.models import Model
import tensorflow as tf

# %%
inp = Input((224, 224, 3))
model = Model(inp, Conv2D(64, (3, 3))(Conv2D(32, (3, 3))(inp)))
# %%
inp = Input((224, 224, 3))
model = Model(inp, tf.keras.layers.SeparableConv2D(64, 3)(SeparableConv2D(32, 3)(inp)))
# %%
undefined_name  # a failing cell does not stop the next ones
# %%
# 1. yes, lines 37-38
# 2. Adadelta
# 3. two
# 4. 1,199,882
'''


def test_script_with_cells_reused_model_name_and_a_failing_cell(capsys, tmp_path):
    path = tmp_path / "day096_homework.py"
    path.write_text(SCRIPT, encoding="utf-8")
    code, doc = check_json(capsys, path)
    assert code == 0, doc["checks"]
    assert [c["state"] for c in doc["cells"]] == ["ok", "ok", "ok", "error", "ok"]
    assert doc["cells"][3]["error"]["name"] == "NameError"
    assert len(doc["models"]) == 2


def test_text_report_in_chinese_through_the_console_script(tmp_path):
    nb = nbformat.read(TEMPLATE, as_version=4)
    path = tmp_path / "Day_096_Keras_CNN_layers.ipynb"
    nbformat.write(nb, path)
    proc = subprocess.run([sys.executable, "-m", "grader", "check", str(path), "--lang", "zh-TW"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stderr
    assert "總分" in proc.stdout and "找不到第 4 題的答案" in proc.stdout


def test_unknown_exercise_asks_for_it(capsys, tmp_path):
    path = tmp_path / "homework.ipynb"
    nbformat.write(nbformat.v4.new_notebook(), path)
    assert main(["check", str(path)]) == 2
    assert "--exercise" in capsys.readouterr().err


def test_empty_notebook_is_unusable_with_a_reason(capsys, tmp_path):
    path = tmp_path / "Day_096_Keras_CNN_layers.ipynb"
    path.write_bytes(b"")
    code, doc = check_json(capsys, path, "--exercise", "day096")
    assert code == 2 and doc["status"] == "invalid-submission"
    assert "empty" in doc["message"]
