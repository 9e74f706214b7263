"""The JSON contract and the rich text report, rendered without a terminal."""

from __future__ import annotations

import io
import json
from pathlib import Path

from rich.console import Console

from grader.execute.outcome import CellRun, CellState, Status
from grader.report.json_report import SCHEMA, dumps
from grader.report.text import render
from grader.rubric.engine import grade
from grader.rubric.spec import load_exercise
from grader.submission import load_submission
from tests.unit.factories import conv_model, outcome

ROOT = Path(__file__).resolve().parents[2]
EXERCISE = load_exercise(ROOT / "exercises" / "day096")
SOLUTION = load_submission(ROOT / "solutions" / "day096" / "Day_096_Keras_CNN_layers.ipynb")


def _result(status=Status.GRADED):
    cells = (CellRun(index=5, state=CellState.ERROR, error_name="NameError", error_value="name 'x' is not defined"),)
    return grade(EXERCISE, SOLUTION, outcome(conv_model(second=32), status=status, cells=cells))


def test_json_contract_fields_and_types():
    doc = json.loads(dumps(_result()))
    assert doc["schema"] == SCHEMA
    assert {"schema", "exercise", "submission", "status", "score", "max_score", "checks", "cells", "models",
            "isolation"} <= set(doc)
    assert doc["exercise"] == "day096" and doc["status"] == "graded"
    assert isinstance(doc["score"], float) and doc["max_score"] == 8
    for check in doc["checks"]:
        assert {"id", "title", "points", "max_points", "passed", "message", "hidden"} <= set(check)
    conv = next(c for c in doc["checks"] if c["id"] == "conv_model")
    assert conv["passed"] is False and conv["message"] == "Conv2D #2: filters expected 64, found 32"
    assert doc["cells"] == [{"index": 5, "state": "error", "seconds": 0.0,
                             "error": {"name": "NameError", "value": "name 'x' is not defined", "traceback": None}}]
    assert doc["models"][0]["layers"][2]["config"]["filters"] == 32


def test_json_in_traditional_chinese():
    doc = json.loads(dumps(_result(), lang="zh-TW"))
    conv = next(c for c in doc["checks"] if c["id"] == "conv_model")
    assert conv["message"] == "Conv2D #2：filters 應為 64，實際為 32"
    assert conv["title"] == "兩層 Conv2D 的模型"


def _text(result, lang="en"):
    buf = io.StringIO()
    Console(file=buf, width=120, color_system=None, force_terminal=False).print(render(result, lang))
    return buf.getvalue()


def test_text_report_shows_score_what_differs_hint_and_cell_errors():
    out = _text(_result())
    assert "Score: 4 / 8" in out  # conv wrong, no separable model
    assert "Conv2D #2: filters expected 64, found 32" in out
    assert "hint: From Input((224, 224, 3))" in out
    assert "cell 6 raised NameError" in out


def test_text_report_in_chinese_and_cut_short():
    out = _text(_result(Status.TIMEOUT), "zh-TW")
    assert "總分" in out and "執行被提前中止" in out
