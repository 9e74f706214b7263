"""CLI commands that start no kernel."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from grader.cli import main


def test_exercises_lists_both(capsys):
    assert main(["exercises"]) == 0
    out = capsys.readouterr().out
    assert "day096 " in out and "day096-strides" in out


def test_doctor_reports_every_layer(capsys):
    assert main(["doctor", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report["layers"]) == {"network", "filesystem", "pids", "memory"}
    for info in report["layers"].values():
        assert info["mechanism"] in info["available"] or info["mechanism"] in (None, "none")


def test_missing_file_is_exit_2(capsys, tmp_path):
    assert main(["check", str(tmp_path / "nope.ipynb")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_no_command_prints_help(capsys):
    assert main([]) == 2


@pytest.mark.parametrize("output, fragment", [("missing/dir/r.json", "folder does not exist"), (".", "is a folder")])
def test_an_output_that_cannot_be_written_is_refused_before_grading(capsys, tmp_path, output, fragment):
    solution = Path(__file__).resolve().parents[2] / "solutions" / "day096" / "Day_096_Keras_CNN_layers.ipynb"
    assert main(["check", str(solution), "--exercise", "day096", "-o", str(tmp_path / output)]) == 2
    assert fragment in capsys.readouterr().err


def test_an_unusable_file_still_gets_a_json_result_when_its_name_says_the_exercise(capsys, tmp_path):
    path = tmp_path / "Day_096_mine.ipynb"
    path.write_text("")
    assert main(["check", str(path), "--format", "json"]) == 2
    doc = json.loads(capsys.readouterr().out)
    assert (doc["exercise"], doc["status"], doc["score"]) == ("day096", "invalid-submission", 0)
    nameless = tmp_path / "homework.ipynb"
    nameless.write_text("")
    assert main(["check", str(nameless), "--format", "json"]) == 2
    assert "the file is empty" in capsys.readouterr().err  # the file's own error, not "which exercise?"


def test_an_exercise_id_in_the_metadata_that_is_not_installed_says_where_it_came_from(capsys, tmp_path):
    path = tmp_path / "Day_096_copy.ipynb"
    path.write_text(json.dumps({"nbformat": 4, "nbformat_minor": 5, "cells": [],
                                "metadata": {"keras_grader": {"exercise": "day095"}}}))
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert "metadata (keras_grader.exercise) names 'day095'" in err and "--exercise" in err


@pytest.mark.parametrize("command", [["check", "x.ipynb"], ["grade", "subs", "--exercise", "day096", "--out", "o"],
                                     ["watch", "x.ipynb"]])
@pytest.mark.parametrize("value", ["0", "-1", "nan", "soon"])
def test_a_timeout_that_is_not_a_positive_number_is_refused(capsys, command, value):
    with pytest.raises(SystemExit) as info:
        main([*command, "--timeout", value])
    assert info.value.code == 2 and "--timeout" in capsys.readouterr().err


def test_exercises_lists_a_folder_given_directly_and_fails_on_a_broken_spec(capsys, tmp_path, monkeypatch):
    from tests.unit.test_spec import GOOD, write

    good = write(tmp_path, GOOD.replace('title = "Demo"', 'title = { zh-TW = "示範" }'))
    monkeypatch.setenv("KERAS_GRADER_EXERCISES", str(good))  # the exercise folder itself, not its parent
    assert main(["exercises"]) == 0
    assert "demo            3 points, 2 check(s)  示範" in capsys.readouterr().out
    broken = write(tmp_path, "[exercise\n", name="draft")
    monkeypatch.setenv("KERAS_GRADER_EXERCISES", f"{good}{os.pathsep}{broken.parent}")
    assert main(["exercises"]) == 2
    assert "draft           BROKEN SPEC" in capsys.readouterr().out


def test_exercise_may_be_the_path_of_an_exercise_folder(capsys, tmp_path):
    from tests.unit.test_spec import GOOD, write

    folder = write(tmp_path, GOOD)
    empty = tmp_path / "hw.ipynb"
    empty.write_text("")
    assert main(["check", str(empty), "--exercise", str(folder), "--format", "json"]) == 2
    assert json.loads(capsys.readouterr().out)["exercise"] == "demo"


def test_a_check_reaches_its_kernel_without_importing_what_only_other_commands_or_old_notebooks_need(tmp_path):
    """Everything `grader check` imports before it starts the kernel delays the student's feedback.

    Building the parser imported the whole batch command, and reading a notebook
    imported nbformat and its jsonschema: together 0.25 s before the kernel's launch.
    """
    notebook = tmp_path / "hw.ipynb"
    notebook.write_text(json.dumps({"cells": [{"cell_type": "code", "source": ["x = 1"], "metadata": {},
                                               "outputs": None}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    script = (
        "import sys\n"
        "from grader.cli import build_parser\n"
        "from grader.submission import load_submission\n"
        "build_parser().parse_args(['check', sys.argv[1]])\n"
        "assert load_submission(sys.argv[1]).cells[0].source == 'x = 1'\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('nbformat', 'jsonschema')"
        " or m.startswith('grader.batch.commands')"
        " or m.startswith('grader.author.') and m != 'grader.author.cli'))\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(notebook)], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
