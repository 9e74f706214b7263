"""How ``grader validate`` judges a mutant's grade and reports it, without running anything."""

from __future__ import annotations

import io
import json

import pytest
from rich.console import Console

from grader.author.mutants import Mutant
from grader.author.mutants.base import said
from grader.author.mutants.source import Edit
from grader.author.report import document, render
from grader.author.validate import ACCEPTED, CAUGHT, ERROR, HOLE, Problem, Validation, _template_problems, judged
from grader.execute.outcome import CellRun, CellState, ExecutionOutcome, Status
from grader.i18n import Message
from grader.rubric.result import CheckResult, GradeResult
from grader.rubric.spec import load_exercise

SPEC = """\
[exercise]
id = "demo"
title = "Demo"

[[checks]]
id = "convs"
kind = "model"
points = 2
layers = [{ type = "Conv2D" }]

[[checks]]
id = "other"
kind = "model"
points = 1
output_shape = [10]

[validate]
template_points = { other = 1 }

[[validate.accept]]
mutant = "*.activation"
reason = { en = "any activation", zh-TW = "activation 不限" }
"""


@pytest.fixture
def exercise(tmp_path):
    folder = tmp_path / "demo"
    folder.mkdir()
    (folder / "exercise.toml").write_text(SPEC, encoding="utf-8")
    return load_exercise(folder)


def result(points: dict[str, float], status=Status.GRADED, cells=()) -> GradeResult:
    checks = tuple(CheckResult(id=k, title={"en": k}, points=v, max_points={"convs": 2.0, "other": 1.0}[k],
                               message=Message.literal({"en": "m"})) for k, v in points.items())
    return GradeResult("demo", "m", checks, ExecutionOutcome(status=status, cells=tuple(cells)))


def mutant(mutant_id: str) -> Mutant:
    return Mutant(mutant_id, "layer-setting", said(f"{mutant_id} changed", f"{mutant_id} 改了"), (Edit(0, 0, 0, ""),),
                  ("convs",))


FULL = {"convs": 2.0, "other": 1.0}


def test_a_mutant_is_caught_by_every_check_that_scores_less_than_on_the_solution(exercise):
    verdict = judged(mutant("Conv2D#1.filters"), result({"convs": 1.0, "other": 1.0}), FULL, exercise)
    assert (verdict.verdict, verdict.caught_by) == (CAUGHT, ("convs",))


def test_a_mutant_no_check_catches_is_a_hole_unless_the_spec_accepts_it_with_a_reason(exercise):
    assert judged(mutant("Conv2D#1.filters"), result(FULL), FULL, exercise).verdict == HOLE
    accepted = judged(mutant("Conv2D#1.activation"), result(FULL), FULL, exercise)
    assert accepted.verdict == ACCEPTED and accepted.reason["en"] == "any activation"


def test_a_mutant_the_grader_failed_on_is_not_counted_as_caught(exercise):
    assert judged(mutant("Q1.empty"), result({"convs": 0, "other": 0}, Status.INTERNAL_ERROR), FULL,
                  exercise).verdict == ERROR


def test_a_mistake_that_breaks_the_run_is_caught_and_says_where(exercise):
    broken = CellRun(index=3, state=CellState.ERROR, seconds=0.1, error_name="ValueError",
                         error_value="Negative dimension size\nmore")
    verdict = judged(mutant("Conv2D#2.kernel_size"), result({"convs": 0, "other": 0}, cells=[broken]), FULL, exercise)
    assert verdict.verdict == CAUGHT
    assert verdict.broke.render("en") == "cell 4 raised ValueError: Negative dimension size"


def test_the_template_must_score_what_the_spec_declares(exercise):
    problems = _template_problems(exercise, result({"convs": 2.0, "other": 0.0}))
    assert [p.message.render("en").split(" (")[0] for p in problems] == [
        "the template scores 2 on convs, not 0", "the template scores 0 on other, not 1"]
    assert _template_problems(exercise, result({"convs": 0.0, "other": 1.0})) == []


def validation(exercise) -> Validation:
    found = Validation(target="demo", exercise=exercise, solution_run=result(FULL),
                       template_run=result({"convs": 0.0, "other": 1.0}))
    found.mutants = [judged(mutant("Conv2D#1.filters"), result({"convs": 0, "other": 1}), FULL, exercise),
                     judged(mutant("Conv2D#1.activation"), result(FULL), FULL, exercise),
                     judged(mutant("Conv2D#2.padding"), result(FULL), FULL, exercise)]
    found.problems = [Problem("hole", said("no check fails when Conv2D#2.padding changed", "漏洞"), "Conv2D#2.padding")]
    return found


def test_json_for_ci_counts_the_verdicts_and_names_each_mutant(exercise):
    doc = document([validation(exercise)], "en", 1.5)
    assert doc["schema"] == "keras-grader.validate/1" and doc["ok"] is False and doc["exit_code"] == 1
    one = doc["exercises"][0]
    assert one["counts"] == {"generated": 3, "caught": 1, "accepted": 1, "holes": 1, "errors": 0}
    assert [(m["id"], m["verdict"], m["caught_by"]) for m in one["mutants"]] == [
        ("Conv2D#1.filters", "caught", ["convs"]), ("Conv2D#1.activation", "accepted", []),
        ("Conv2D#2.padding", "hole", [])]
    assert one["mutants"][1]["reason"] == "any activation"
    assert one["template_run"]["expected"] == {"convs": 0.0, "other": 1.0}
    json.dumps(doc)


@pytest.mark.parametrize("lang,hole,accepted,verdict", [
    ("en", "HOLE", "accepted: any activation", "demo: NOT valid (1 problem(s))"),
    ("zh-TW", "漏洞", "接受：activation 不限", "demo：未通過（1 個問題）"),
])
def test_the_table_shows_every_mutant_in_the_tas_language(exercise, lang, hole, accepted, verdict):
    out = io.StringIO()
    render(Console(file=out, width=200, color_system=None), [validation(exercise)], lang, 2.0)
    text = out.getvalue()
    rows = {line.split("│")[1].strip(): line for line in text.splitlines() if line.count("│") > 3}
    assert hole in rows["Conv2D#2.padding"] and accepted in rows["Conv2D#1.activation"]
    assert "convs" in rows["Conv2D#1.filters"]
    assert verdict in text


def test_an_accept_pattern_that_matches_no_mutant_is_a_warning(exercise):
    from grader.author.validate import _unused_accepts

    assert _unused_accepts(exercise, [mutant("Conv2D#1.activation")]) == []
    [warning] = _unused_accepts(exercise, [mutant("Conv2D#1.filters")])
    assert warning.severity == 0 and "'*.activation' matches no mutant" in warning.message.render("en")
