"""Similar submissions: two students who hand in the same own work are listed, the template alone is not.

The class is built from the exercise's own template notebook plus answers and
code made up here, per student (a few words each, from a seed), so it looks like
a class: everyone shares the template, and many give the same short correct
answer. Grading is the fake grader (tests/batch/fakes.py): the comparison reads
the notebooks, not the grades, and must not change them.
"""

from __future__ import annotations

import io
import json
import random
import re
from pathlib import Path

import pytest
from rich.console import Console

from grader import cli
from grader.batch.commands import cmd_grade
from tests.batch.fakes import fake_grade

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = json.loads((ROOT / "exercises" / "day096" / "template.ipynb").read_text(encoding="utf-8"))
WORDS = ("data pixels scaled divided float kernel filter channel depthwise pointwise separable params layer stack "
         "shape output input valid padding stride dense softmax dropout epoch batch optimizer rate adadelta").split()
COPIED = ("我認為資料在第 37 與 38 行做了標準化，把 x_train 和 x_test 轉成 float32 之後除以 255，"
          "讓每個像素落在 0 到 1 之間，這樣梯度比較穩定，訓練也比較快收斂。The copied answer goes on in English "
          "so that it is long enough to be more than a coincidence between two students.")
COPIED_CODE = ("def my_own_stack(size, widths):\n    x = inputs = Input((size, size, 3))\n    for w in widths:\n"
               "        x = Conv2D(w, (3, 3), padding='same', activation='relu')(x)\n"
               "    return Model(inputs=inputs, outputs=x)\n\nexperiment = my_own_stack(64, [8, 16, 24])\n")


def own_words(seed: int, n: int = 30) -> str:
    rng = random.Random(seed)
    return " ".join(rng.choice(WORDS) + str(rng.randint(0, 99)) for _ in range(n))


def student(folder: Path, name: str, answer: str | None, code: str | None) -> None:
    cells = [dict(c) for c in TEMPLATE["cells"]]
    cells.append({"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                  "source": "# CORRECT\nanswer_q2 = 'Adadelta'\n" + (code or "")})
    if answer is not None:
        cells.append({"cell_type": "markdown", "metadata": {}, "source": f"答：Adadelta。{answer}"})
    (folder / f"{name}.ipynb").write_text(json.dumps({**TEMPLATE, "cells": cells}, ensure_ascii=False),
                                          encoding="utf-8")


def make_class(root: Path) -> Path:
    subs = root / "subs"
    subs.mkdir()
    student(subs, "s00", None, None)  # the template and nothing else
    student(subs, "s01", None, None)  # the same: they share only the template
    for i in range(2, 9):
        student(subs, f"s{i:02d}", own_words(i), f"my_var_{i} = [{i}, {i * 7}]\nprint('{own_words(i * 13, 8)}')\n")
    student(subs, "s20", COPIED, COPIED_CODE)
    student(subs, "s21", COPIED + " " + own_words(99, 6), COPIED_CODE.replace("experiment", "trial"))
    return subs


def grade(*argv: str) -> tuple[int, str]:
    args = cli.build_parser().parse_args(["grade", *map(str, argv)])
    buffer = io.StringIO()
    code = cmd_grade(args, grade_fn=fake_grade, console=Console(file=buffer, width=200))
    return code, buffer.getvalue()


def test_two_identical_answers_are_found_and_the_template_alone_is_not(tmp_path):
    subs, out = make_class(tmp_path), tmp_path / "out"
    code, summary = grade(subs, "--exercise", "day096", "--out", out, "--jobs", "2")
    assert code == 0, summary
    doc = json.loads((out / "similarity.json").read_text(encoding="utf-8"))
    assert doc["compared"] == 11 and doc["threshold"] == 0.5
    assert [(p["a"], p["b"]) for p in doc["pairs"]] == [("s20", "s21")]
    pair = doc["pairs"][0]
    assert pair["similarity_b"] >= 0.8 and any("第 37 與 38 行" in p for p in pair["passages_a"])
    assert any("my_own_stack" in p for p in pair["passages_b"])  # the code, though a variable was renamed
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "Similar submissions" in report and "11 students compared" in report
    assert report.count('class="pair"') == 1 and 'href="feedback/s20.html">s20</a>' in report
    assert "similar submissions" in summary and "s20 ~ s21" in summary


def test_similarity_never_changes_a_score_and_can_be_turned_off(tmp_path):
    subs = make_class(tmp_path)
    grade(subs, "--exercise", "day096", "--out", tmp_path / "with")
    code, summary = grade(subs, "--exercise", "day096", "--out", tmp_path / "without", "--no-similarity")
    assert code == 0 and "similar submissions" not in summary
    assert not (tmp_path / "without" / "similarity.json").exists()
    assert "Similar submissions" not in (tmp_path / "without" / "report.html").read_text(encoding="utf-8")
    assert (tmp_path / "with" / "grades.csv").read_bytes() == (tmp_path / "without" / "grades.csv").read_bytes()
    # junit.xml says when and how long each run took; everything else must be the same
    assert _untimed(tmp_path / "with" / "junit.xml") == _untimed(tmp_path / "without" / "junit.xml")
    # the threshold applies to the larger share: all of s20's own text is in s21's, so even 1 lists them
    grade(subs, "--exercise", "day096", "--out", tmp_path / "strict", "--similarity-threshold", "1")
    strict = json.loads((tmp_path / "strict" / "similarity.json").read_text())
    assert [(p["a"], p["similarity_a"]) for p in strict["pairs"]] == [("s20", 1.0)] and strict["threshold"] == 1


def _untimed(path: Path) -> str:
    return re.sub(r'\b(timestamp|time)="[^"]*"', r'\1=""', path.read_text(encoding="utf-8"))


def test_the_threshold_must_be_a_share(tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        cli.main(["grade", str(tmp_path), "--exercise", "day096", "--out", str(tmp_path / "o"),
                  "--similarity-threshold", "50"])
    assert stop.value.code == 2 and "expected a share between 0 and 1" in capsys.readouterr().err
