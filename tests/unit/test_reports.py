"""The JSON contract and the rich text report, rendered without a terminal."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from rich.console import Console

from grader.execute.outcome import CellRun, CellState, ExecutionOutcome, Status
from grader.harvest.schema import SCHEMA as HARVEST, parse_harvest
from grader.report import gradescope, markdown
from grader.report import html as html_report
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
                             "error": {"name": "NameError", "value": "name 'x' is not defined", "traceback": None,
                                       "line": None}}]
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
    assert "總分" in out and "程式執行超過時間限制而在該處被中止：依已建立的模型評分" in out


def test_chinese_titles_and_verdicts_are_folded_not_cut_in_a_narrow_terminal():
    buf = io.StringIO()
    Console(file=buf, width=70, color_system=None).print(render(_result(), "zh-TW"))
    assert "…" not in buf.getvalue()
    assert "量是多少？" in buf.getvalue() and "SeparableConv2" in buf.getvalue()  # the ends of long titles


@pytest.mark.parametrize("status", [s for s in Status if s != Status.GRADED])
def test_every_way_a_run_can_end_badly_is_explained_in_both_languages(status):
    result = grade(EXERCISE, SOLUTION, ExecutionOutcome(status=status, message="what happened"))
    first = result.notes[0]
    assert first.key == f"status.{status.value}"
    assert first.render("en") != first.render("zh-TW") and "{" not in first.render("zh-TW")
    english, chinese = _text(result, "en"), _text(result, "zh-TW")
    assert english.index(first.render("en")[:12]) < english.index("what happened")  # the diagnostic, after it
    assert first.render("zh-TW")[:12] in chinese
    # in Chinese, the English diagnostic only where no localized note says the same: a file's fault, ours
    assert ("what happened" in chinese) is (status in (Status.INVALID_SUBMISSION, Status.INTERNAL_ERROR))


def test_why_a_file_is_unusable_is_said_in_the_reports_language_once(tmp_path, monkeypatch):
    from grader.errors import SubmissionError
    from grader.report import html

    monkeypatch.chdir(tmp_path)  # a short name: the text report folds long lines
    bad = Path("hw.py")
    bad.write_text("x = (\n")
    with pytest.raises(SubmissionError) as info:
        load_submission(bad)
    error = info.value
    result = grade(EXERCISE, None, ExecutionOutcome(status=Status.INVALID_SUBMISSION, message=str(error),
                                                    reason=error.explained()))
    english, chinese = error.reason.render("en"), error.reason.render("zh-TW")
    assert english != chinese
    for lang, said, unsaid in (("en", english, chinese), ("zh-TW", chinese, english)):
        for shown in (_text(result, lang), markdown.render(result, lang), html.render(result, lang),
                      json.loads(gradescope.dumps(result, lang))["output"]):
            shown = shown.replace("&#x27;", "'")  # the page escapes quotes
            assert shown.count(said) == 1 and unsaid not in shown, (lang, shown)
    doc = json.loads(dumps(result, "zh-TW"))
    assert doc["message"] == str(error) and doc["reason"].startswith(f"{bad}: {chinese}")  # the diagnostic stays English


def test_a_grader_failure_shows_students_no_traceback_but_keeps_it_for_the_ta():
    message = "KeyError: 'x'\nTraceback (most recent call last):\n  File \"grader/pipeline.py\", line 63"
    result = grade(EXERCISE, SOLUTION, ExecutionOutcome(status=Status.INTERNAL_ERROR, message=message))
    for shown in (_text(result), markdown.render(result), gradescope.dumps(result)):
        assert "KeyError: 'x'" in shown and "Traceback" not in shown and "this says nothing about your work" in shown
    assert json.loads(dumps(result))["message"] == message


def _with_notes(notes):
    doc = {"schema": HARVEST, "keras_version": "3", "backend": "tensorflow", "models": [], "dropped_models": 0,
           "notes": notes}
    return grade(EXERCISE, SOLUTION, ExecutionOutcome(status=Status.GRADED, harvest=parse_harvest(doc)))


def test_what_the_shims_did_is_said_in_the_readers_language():
    result = _with_notes([{"key": "dataset_generated", "params": {"name": "mnist"}},
                          {"key": "budget_fit_batch_epochs", "params": {"steps": 1, "batch": 16, "epochs": 1}}])
    english = json.loads(dumps(result))["notes"]
    chinese = json.loads(dumps(result, lang="zh-TW"))["notes"]
    assert any(n.startswith("dataset mnist was replaced by random arrays") for n in english), english
    assert "fit() was limited to 1 batch(es) of at most 16 samples per epoch and 1 epoch(s): " \
           "the checks read the model, not its training" in english
    assert any(n.startswith("資料集 mnist 以形狀與型別相同的隨機陣列代替") for n in chinese), chinese
    assert any("每個 batch 最多 16 筆資料" in n for n in chinese), chinese
    assert "資料集 mnist" in _text(result, "zh-TW")


def test_notes_a_submission_could_forge_are_dropped():
    """The harvest is untrusted: an unknown key, or parameters that do not fit the message, show nothing."""
    result = _with_notes([{"key": "full_marks", "params": {}},
                          {"key": "budget_fit_epochs", "params": {"steps": 1}},
                          {"key": "dataset_cache", "params": {"name": "mnist", "extra": "x"}}])
    assert [n.key for n in result.notes] == ["isolation.partial"]  # the factory's outcome is not isolated


def test_why_a_ta_should_look_is_said_in_the_runs_language():
    from grader.report.common import needs_look

    doc = {"status": "timeout", "message": "cell 3 ran past its 60 s limit", "output_truncated_bytes": 2048,
           "notes": [], "batch": {"duplicates": ["s1#2"]}}
    assert needs_look(doc) == ["timeout: cell 3 ran past its 60 s limit", "printed 2,048 bytes over the output cap",
                               "2 files handed in; graded the newest"]
    assert needs_look(doc, "zh-TW")[1:] == ["輸出超過上限 2,048 位元組", "交了 2 個檔案；以最新的評分"]
    assert needs_look({"status": "graded", "batch": {"duplicate_of": "s1"}}, "zh-TW") == ["s1 的較舊重複檔"]


def test_text_report_prints_markup_in_student_text_as_text():
    """A cell that raises ValueError("[/]") or a forged note holding "[link=...]" is printed, not interpreted."""
    cells = (CellRun(index=0, state=CellState.ERROR, error_name="ValueError", error_value="[/] [bold]x[/bold]"),)
    result = grade(EXERCISE, SOLUTION, outcome(cells=cells))
    out = _text(result)
    assert "cell 1 raised ValueError: [/] [bold]x[/bold]" in out
    forged = _with_notes([{"key": "dataset_cache", "params": {"name": "[link=http://x]mnist[/link]"}}])
    assert "dataset [link=http://x]mnist[/link] was loaded" in _text(forged).replace("\n", " ").replace("│", "")


def test_a_note_whose_parameter_would_break_the_template_is_dropped():
    from grader.i18n import CATALOG, Message

    CATALOG["shim.test_number"] = {"en": "{n:,} rows", "zh-TW": "{n:,} 筆"}
    try:
        assert Message.checked("shim.test_number", {"n": "many"}) is None
        assert Message.checked("shim.test_number", {"n": 1200}).render("en") == "1,200 rows"
    finally:
        del CATALOG["shim.test_number"]


def test_models_past_the_harvest_cap_are_said_not_silently_ignored():
    doc = {"schema": HARVEST, "keras_version": "3", "backend": "tensorflow", "models": [], "dropped_models": 57}
    result = grade(EXERCISE, SOLUTION, ExecutionOutcome(status=Status.GRADED, harvest=parse_harvest(doc)))
    notes = {lang: " ".join(n.render(lang) for n in result.notes) for lang in ("en", "zh-TW")}
    assert "the first 0 were checked, 57 later ones were not" in notes["en"] and "之後的 57 個沒有檢查" in notes["zh-TW"]


def test_a_third_of_a_point_reads_0_33_to_people_and_stays_exact_for_an_lms():
    import dataclasses

    from grader.report import csv_report, html, junit
    from grader.report.common import as_doc

    result = _result()
    third = dataclasses.replace(result.checks[0], points=round(1 / 3, 4))
    result = dataclasses.replace(result, checks=(third, *result.checks[1:]))
    doc = as_doc(result, "en")
    readable = [_text(result), markdown.render(result), html.render(result), junit.render([doc]),
                gradescope.to_gradescope(result)["output"], csv_report.moodle_comment(doc)]
    for text in readable:
        assert "0.3333" not in text
    assert "0.33/" in _text(result) and "0.33/" in markdown.render(result) and "0.33/" in html.render(result)
    assert "0.3333" in csv_report.grades_csv([doc])  # the number an LMS adds up keeps its precision


def test_an_error_names_the_line_of_the_notebook_cell_or_of_the_script():
    from grader.submission.loader import split_script
    from grader.submission.model import Submission

    error = CellRun(index=1, state=CellState.ERROR, error_name="NameError", error_value="name 'y' is not defined",
                    error_line=2)
    notebook = grade(EXERCISE, SOLUTION, outcome(conv_model(), cells=(error,)))
    assert "cell 2, line 2 raised NameError: name 'y' is not defined" in [n.render("en") for n in notebook.notes]
    assert "第 2 格第 2 行發生 NameError：name 'y' is not defined" in [n.render("zh-TW") for n in notebook.notes]
    cells = split_script("import keras\n# %%\n\nx = 1\nprint(y)\n")
    script = Submission(path=Path("hw.py"), fmt="py", cells=cells)
    graded = grade(EXERCISE, script, outcome(conv_model(), cells=(error,)))
    assert "line 5 raised NameError: name 'y' is not defined" in [n.render("en") for n in graded.notes]



def test_chinese_notes_details_and_hints_start_on_their_labels_line():
    import dataclasses

    from grader.i18n import Message

    result = _result(Status.TIMEOUT)
    long_detail = Message.literal({"en": "x", "zh-TW": "這個模型的第二層卷積層的濾鏡數量和題目要求的不一樣請再檢查一次"})
    first = dataclasses.replace(result.checks[0], details=(long_detail,))
    result = dataclasses.replace(result, checks=(first, *result.checks[1:]))
    buf = io.StringIO()
    Console(file=buf, width=60, color_system=None).print(render(result, "zh-TW"))
    out = buf.getvalue()
    assert "• 程式執行超過時間限制" in out and "• 這個模型" in out and "提示: 從 Input" in out
    assert not [line for line in out.splitlines() if re.search(r"(^|│)\s*(•|提示:)\s*│?\s*$", line)]


def _answered(tmp_path, exercise_dir, answers):
    import nbformat

    nb = nbformat.read(exercise_dir / "template.ipynb", as_version=4)
    parts = nb.cells[-1].source.split("答 / Answer:")
    nb.cells[-1].source = parts[0] + "".join(f"答 / Answer: {a}" + rest for a, rest in zip(answers, parts[1:]))
    path = tmp_path / "answered.ipynb"
    nbformat.write(nb, path)
    return grade(load_exercise(exercise_dir), load_submission(path), outcome())


@pytest.mark.parametrize("lang,read,look", [
    ("en", "read in cell 8, line 11: \u201c2 層\u201d", "a person will look at this"),
    ("zh-TW", "讀自第 8 格第 11 行：「2 層」", "助教會再人工確認"),
])
def test_feedback_quotes_where_each_answer_was_read_and_says_a_person_will_look(tmp_path, lang, read, look):
    result = _answered(tmp_path, ROOT / "exercises" / "day096", ["", "見上面", "2 層", "1,199,882"])
    missing = {"en": "question 1 was found in cell 8", "zh-TW": "在第 8 格找到第 1 題"}[lang]
    outputs = {"text": _text(result, lang), "markdown": markdown.render(result, lang),
               "html": html_report.render(result, lang),
               "gradescope": gradescope.dumps(result, lang)}
    for name, out in outputs.items():
        assert read in out, name
        assert look in out, name
        assert missing in out, name


def test_a_hidden_check_shows_students_neither_its_evidence_nor_its_flag(tmp_path):
    result = _answered(tmp_path, ROOT / "exercises" / "day096-strides", ["(16, 16, 32)", "1,344", "大概吧"])
    doc = json.loads(dumps(result))
    hidden = next(c for c in doc["checks"] if c["hidden"])
    assert hidden["evidence"]["excerpt"] == "大概吧" and hidden["review"] is True  # kept for the TA
    assert "大概吧" not in markdown.render(result) and "a person will look" not in markdown.render(result)


def test_json_checks_carry_evidence_and_review_fields():
    doc = json.loads(dumps(_result()))
    q3 = next(c for c in doc["checks"] if c["id"] == "q3_conv_layers")
    assert q3["evidence"] == {"cell": 7, "line": 11, "excerpt": "2 層 / two", "source": "markdown", "file_line": None}
    assert (q3["evidence_missing"], q3["review"], q3["review_reason"]) == (None, False, None)
    conv = next(c for c in doc["checks"] if c["id"] == "conv_model")
    assert (conv["evidence"], conv["evidence_missing"], conv["review"]) == (None, None, False)
