"""CLI commands that start no kernel."""

from __future__ import annotations

import json

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
