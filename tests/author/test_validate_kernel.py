"""``grader validate`` and ``grader new`` end to end: real kernels on the fast path, real notebooks.

CI runs ``grader validate`` on every shipped exercise here (all their mutants: about 15 s for Day 96's two).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from grader.cli import main

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS = {p.parent.name: p for p in (ROOT / "solutions").glob("*/*.ipynb")}

pytestmark = [pytest.mark.kernel]


def validate_json(capsys, *args: str) -> tuple[int, dict]:
    code = main(["validate", *args, "--format", "json", "--jobs", "2"])
    return code, json.loads(capsys.readouterr().out)


def test_every_shipped_exercise_is_valid(capsys):
    code, doc = validate_json(capsys, "day096", "day096-strides")
    report = {e["exercise"]: e for e in doc["exercises"]}
    assert set(report) == {"day096", "day096-strides"}
    for exercise, found in report.items():
        assert found["problems"] == [] or all(p["severity"] == 0 for p in found["problems"]), found["problems"]
        assert found["solution_run"]["score"] == found["solution_run"]["max_score"]
        assert found["template_run"]["points"] == found["template_run"]["expected"]
        counts = found["counts"]
        assert counts["generated"] > 10 and counts["holes"] == counts["errors"] == 0, exercise
        assert counts["caught"] + counts["accepted"] == counts["generated"]
    assert report["day096"]["counts"]["accepted"] == 4  # the four activations, accepted with the spec's reason
    assert code == 0 and doc["ok"]


# Day 97-100 accept any architecture (their rubrics grade how models were trained): their ~190 layer and
# compile mutants are each accepted with the spec's reason, which `grader validate` proves in about 5 min.
# Here: the mutants their new checks must catch, on top of the solution's full marks and the template's points.
TRAINING_AND_ANSWERS = ("fit#*", "ImageDataGenerator*", "Q*")


def test_the_cnn_module_catches_training_and_answer_mutants(capsys):
    patterns = [arg for pattern in TRAINING_AND_ANSWERS for arg in ("--mutants", pattern)]
    code, doc = validate_json(capsys, "day097", "day098", "day099", "day100", *patterns)
    report = {e["exercise"]: e for e in doc["exercises"]}
    caught = {}
    for exercise, found in report.items():
        assert all(p["severity"] == 0 for p in found["problems"]), found["problems"]  # "partial" only
        assert found["solution_run"]["score"] == found["solution_run"]["max_score"]
        assert found["template_run"]["points"] == found["template_run"]["expected"]
        counts = found["counts"]
        assert counts["holes"] == counts["errors"] == 0, exercise
        caught[exercise] = {m["id"] for m in found["mutants"] if m["verdict"] == "caught"}
    assert {"fit#1.arrays", "fit#1.callbacks", "ImageDataGenerator.augmentation"} <= caught["day100"]
    assert {"fit#1.arrays", "ImageDataGenerator.augmentation", "Q1.empty"} <= caught["day099"]
    assert "fit#1.arrays" in caught["day098"]
    assert {"Q1.empty", "Q2.empty", "Q2.moved"} <= caught["day097"]
    assert code == 0


def copy_exercise(tmp_path: Path, exercise: str) -> Path:
    folder = tmp_path / "exercises" / exercise
    shutil.copytree(ROOT / "exercises" / exercise, folder)
    (tmp_path / "solutions" / exercise).mkdir(parents=True)
    shutil.copy(SOLUTIONS[exercise], tmp_path / "solutions" / exercise)
    return folder


def test_a_weak_rubric_fails_and_names_the_mutants_it_lets_through(tmp_path, capsys):
    folder = copy_exercise(tmp_path, "day096")
    spec = folder / "exercise.toml"
    text = spec.read_text(encoding="utf-8")
    # conv_model reduced to its layer types; Q4 accepting any number
    weak = re.sub(r'layers = \[\n  \{ type = "Conv2D".*?total_params = 19392\n',
                  'layers = [{ type = "Conv2D" }, { type = "Conv2D" }]\n', text, count=1, flags=re.S)
    weak = weak.replace("accept = [{ number = 1199882 }]", r"accept = [{ regex = '\d' }]")
    assert weak.count("total_params = ") == 1 and r"'\d'" in weak
    spec.write_text(weak, encoding="utf-8")
    code, doc = validate_json(capsys, str(folder), "--mutants", "Conv2D#*", "--mutants", "Q4.*")
    found = doc["exercises"][0]
    verdicts = {m["id"]: m["verdict"] for m in found["mutants"]}
    holes = {f"Conv2D#{n}.{s}" for n in (1, 2) for s in ("filters", "kernel_size", "strides", "padding")}
    assert {m for m, v in verdicts.items() if v == "hole"} == holes | {"Q4.numbers"}
    assert {m for m, v in verdicts.items() if v == "caught"} == {
        "Conv2D#1.drop", "Conv2D#1.swap", "Conv2D#2.drop", "Conv2D#2.swap", "Q4.empty", "Q4.moved"}
    said = [p["message"] for p in found["problems"] if p["kind"] == "hole"]
    assert "no check fails when Conv2D #2: filters 64 → 48" in said
    assert "no check fails when Q4: “1,199,882” → “1,499,852”" in said
    assert [p["kind"] for p in found["problems"] if not p["severity"]] == ["partial"]  # --mutants: not all of them
    assert code == 1 and not doc["ok"]


def test_the_untouched_template_must_score_what_the_spec_declares(tmp_path, capsys, monkeypatch):
    folder = copy_exercise(tmp_path, "day096-strides")
    template = folder / "template.ipynb"
    shutil.copy(SOLUTIONS["day096-strides"], template)  # a template handed out with the solution in it
    # by id, from a folder on KERAS_GRADER_EXERCISES (ahead of the shipped one): its solution is found beside it
    monkeypatch.setenv("KERAS_GRADER_EXERCISES", str(tmp_path / "exercises"))
    code, doc = validate_json(capsys, "day096-strides", "--mutants", "none")
    assert doc["exercises"][0]["folder"] == str(folder)
    assert doc["exercises"][0]["solution"] == str(tmp_path / "solutions" / "day096-strides" / "day096-strides.ipynb")
    problems = [p for p in doc["exercises"][0]["problems"] if p["kind"] == "template"]
    # its code earns the model checks; its answers are the template's text, which is never the student's
    assert {p["message"].split(" (")[0] for p in problems} == {
        "the template scores 3 on strided_model, not 0", "the template scores 1 on compiled, not 0"}
    assert code == 1


def marked_copy(tmp_path: Path, exercise: str) -> Path:
    """The solution with its model code between BEGIN/END SOLUTION markers, as a TA would write it."""
    notebook = json.loads(SOLUTIONS[exercise].read_text(encoding="utf-8"))
    for cell in notebook["cells"]:
        source = "".join(cell["source"])
        if cell["cell_type"] == "code" and "Model(" in source:
            lines = source.splitlines()
            given = [line for line in lines if line.startswith("inputs = Input")]
            rest = [line for line in lines if line not in given]
            cell["source"] = "\n".join(given + ["### BEGIN SOLUTION", *rest, "### END SOLUTION"])
    path = tmp_path / f"{exercise}-solution.ipynb"
    path.write_text(json.dumps(notebook, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.mark.parametrize("exercise", ["day096", "day096-strides"])
def test_new_writes_an_exercise_that_is_valid_once_its_todos_are_filled(tmp_path, capsys, exercise):
    new_id = f"{exercise}-again"
    assert main(["new", new_id, "--from-solution", str(marked_copy(tmp_path, exercise)), "--template-markers",
                 "--root", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    folder = tmp_path / "exercises" / new_id
    assert (tmp_path / "solutions" / new_id / f"{exercise}-solution.ipynb").is_file()
    template = json.loads((folder / "template.ipynb").read_text(encoding="utf-8"))
    code = "\n".join("".join(c["source"]) for c in template["cells"] if c["cell_type"] == "code")
    assert "# YOUR CODE HERE" in code and "Conv2D(" not in code and "BEGIN SOLUTION" not in code
    assert template["metadata"]["keras_grader"] == {"exercise": new_id}

    code, doc = validate_json(capsys, str(folder), "--mutants", "none")
    problems = [p for p in doc["exercises"][0]["problems"] if p["severity"]]
    assert code == 1 and problems and {p["kind"] for p in problems} == {"todo"}
    assert all(p["where"].startswith(str(folder / "exercise.toml") + ":") and "TODO" in p["message"]
               for p in problems)
    assert f"fill in these {len(problems)} TODO(s):" in printed

    spec = folder / "exercise.toml"
    lines = spec.read_text(encoding="utf-8").splitlines()
    filled = [re.sub(r"""(["'])TODO[^"']*\1""", '"A title"', line) for line in lines]
    assert [n for n, (a, b) in enumerate(zip(lines, filled)) if a != b] == \
        [n for n, line in enumerate(lines) if "TODO" in line and not line.lstrip().startswith("#")]
    spec.write_text("\n".join(filled) + "\n", encoding="utf-8")

    code, doc = validate_json(capsys, str(folder))
    found = doc["exercises"][0]
    assert found["problems"] == [], found["problems"]
    assert found["counts"]["generated"] > 20 and found["counts"]["caught"] == found["counts"]["generated"]
    assert code == 0


def test_a_solution_below_full_marks_is_said_check_by_check_and_no_mutant_is_run(tmp_path, capsys):
    folder = copy_exercise(tmp_path, "day096-strides")
    spec = folder / "exercise.toml"
    spec.write_text(spec.read_text(encoding="utf-8").replace("accept = [{ number = 1344 }]",
                                                             "accept = [{ number = 1345 }]"), encoding="utf-8")
    code, doc = validate_json(capsys, str(folder))
    found = doc["exercises"][0]
    said = [p["message"] for p in found["problems"] if p["kind"] == "solution"]
    assert said[0].startswith("the solution scores 6 / 7 (graded)")
    assert said[1:] == ["p2_separable_params: answer to question 2 (“1,344”) is not the expected answer"]
    assert found["mutants"] == [] and code == 1
