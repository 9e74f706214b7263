"""Every export format, checked against its consumer's rules, from results the batch would store."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET

import pytest

from grader.report import class_report, csv_report, gradescope, html, junit, markdown
from grader.rubric.catalog import get_exercise
from tests.batch.fakes import _grade_text, assert_well_formed_html, make_doc

EXERCISE = get_exercise("day096-strides")  # has a hidden check (p3_valid_width)
SCRIPT = '<script>alert("x")</script>'


@pytest.fixture(scope="module")
def docs():
    return [make_doc("CORRECT", "alice", EXERCISE),
            make_doc(f"WRONG ECHO: {SCRIPT}", "bob", EXERCISE),
            make_doc("HOSTILE", "<b>mallory</b>", EXERCISE, slug="_b_mallory__b_~1"),
            make_doc("nothing", "=cmd|' /C calc'!A0", EXERCISE, fields={"name": "Eve", "login": "eve"}),
            make_doc("WRONG", "alice#2", EXERCISE, duplicate_of="alice"),
            make_doc("WRONG ECHO: bad\x00\x1b[31m", "zed", EXERCISE)]


def _rows(text):
    return list(csv.reader(io.StringIO(text)))


def test_generic_csv_has_one_column_per_check_and_neutralises_formulas(docs):
    rows = _rows(csv_report.grades_csv(docs))
    assert rows[0] == ["id", "file", "score", "max_score", "status", *[c.id for c in EXERCISE.checks], "duplicate_of",
                       "review"]
    assert len(rows) == 1 + len(docs) and all(len(r) == len(rows[0]) for r in rows)
    by_id = {r[0]: r for r in rows[1:]}
    assert by_id["alice"][2:5] == ["7", "7", "graded"]
    assert by_id["bob"][5] == "0" and by_id["bob"][2] == "3"
    assert by_id["alice#2"][-2] == "alice"
    assert "'=cmd|' /C calc'!A0" in by_id  # a formula-looking id is text, not a formula


def test_canvas_csv_follows_the_gradebook_import(docs):
    rows = _rows(csv_report.grades_csv(docs, "canvas", "Day 96 (4242)"))
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Day 96 (4242)"]
    assert rows[1][0] == "Points Possible" and rows[1][5] == "7"
    ids = [r[1] for r in rows[2:]]
    assert "alice#2" not in ids and "alice" in ids  # only a student's newest file goes to the LMS
    assert {r[1]: r[5] for r in rows[2:]}["alice"] == "7"
    assert {r[1]: r[0] for r in rows[2:]}["'=cmd|' /C calc'!A0"] == "eve"


def test_moodle_csv_follows_the_offline_grading_worksheet(docs):
    rows = _rows(csv_report.grades_csv(docs, "moodle"))
    assert rows[0][:3] == ["Identifier", "Full name", "Grade"]
    assert {"Last modified (grade)", "Feedback comments", "Maximum Grade"} <= set(rows[0])
    bob = next(r for r in rows if r[0] == "Participant bob")
    comment = bob[rows[0].index("Feedback comments")]
    assert "<script>" not in comment and "&lt;script&gt;" in comment  # Moodle renders comments as HTML
    assert "P3: width with padding=&#x27;valid&#x27;: hidden check: counted, not shown" in comment
    assert bob[rows[0].index("Last modified (grade)")] == "2024-03-05T10:00:00+00:00"


def test_internal_error_leaves_the_lms_grade_empty():
    from grader.execute.outcome import ExecutionOutcome, Status
    from grader.report.json_report import result_to_dict
    from grader.rubric.engine import grade

    doc = result_to_dict(grade(EXERCISE, None, ExecutionOutcome(status=Status.INTERNAL_ERROR, message="boom")))
    doc["batch"] = {"id": "9", "student": "9"}
    assert _rows(csv_report.grades_csv([doc], "canvas"))[2][5] == ""
    assert _rows(csv_report.grades_csv([doc], "moodle"))[1][2] == ""


def test_junit_structure(docs):
    text = junit.render(docs, name="day096-strides")
    root = ET.fromstring(text.encode("utf-8"))
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert len(suites) == len(docs)
    for suite in suites:
        assert set(suite.attrib) >= {"name", "package", "id", "hostname", "timestamp", "tests", "failures", "errors",
                                     "skipped", "time"}
        assert [c.tag for c in suite][0] == "properties" and [c.tag for c in suite][-2:] == ["system-out", "system-err"]
        cases = suite.findall("testcase")
        assert int(suite.get("tests")) == len(cases) == len(EXERCISE.checks)
        assert int(suite.get("failures")) == sum(1 for c in cases if c.find("failure") is not None)
        assert int(suite.get("errors")) == sum(1 for c in cases if c.find("error") is not None)
        assert suite.get("timestamp") == "2024-03-05T10:00:00"
        float(suite.get("time"))
        for case in cases:
            assert {"name", "classname", "time"} <= set(case.attrib)
    assert int(root.get("tests")) == sum(int(s.get("tests")) for s in suites)
    bob = next(s for s in suites if s.get("name") == "bob")
    failure = bob.find("testcase[@name='strided_model']/failure")
    assert SCRIPT in failure.get("message")  # escaped by the serialiser, intact after parsing
    mallory = next(s for s in suites if s.get("name") == "<b>mallory</b>")
    assert mallory.find("testcase/error").get("type") == "timeout"  # the run broke: errors, not failures
    assert "\x00" not in text and "\x1b" not in text  # characters XML forbids are replaced


def test_gradescope_fields_and_types(docs):
    for doc in docs:
        out = json.loads(gradescope.dumps(doc))
        assert isinstance(out["score"], float) and isinstance(out["execution_time"], int)
        assert isinstance(out["output"], str) and out["visibility"] == "visible"
        assert out["stdout_visibility"] == "hidden" and out["output_format"] == "text"
        assert len(out["tests"]) == len(EXERCISE.checks)
        for test, check in zip(out["tests"], EXERCISE.checks):
            assert set(test) >= {"name", "score", "max_score", "status", "output", "visibility"}
            assert isinstance(test["name"], str) and isinstance(test["score"], float)
            assert isinstance(test["max_score"], float) and test["status"] in ("passed", "failed")
            assert test["visibility"] == ("after_published" if check.hidden else "visible")
        assert out["score"] == pytest.approx(sum(t["score"] for t in out["tests"]))


def test_gradescope_accepts_a_grade_result_and_hidden_policy():
    result = _grade_text("WRONG", "s", EXERCISE)
    out = json.loads(gradescope.dumps(result, "zh-TW", hidden_visibility="hidden"))
    assert out["tests"][-1]["visibility"] == "hidden" and out["tests"][-1]["status"] == "failed"
    assert out["output"].startswith("總分")
    with pytest.raises(ValueError):
        gradescope.to_gradescope(result, hidden_visibility="sometimes")


def test_feedback_html_is_well_formed_escaped_and_hides_hidden_checks(docs):
    bob = html.render(docs[1])
    assert_well_formed_html(bob)
    assert SCRIPT not in bob and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in bob
    assert "hidden check: counted, not shown" in bob
    assert "found 32 filters" in bob  # a visible check's details are shown
    assert bob.count("found 32 filters") == 1  # ... and the hidden check's are not
    mallory = html.render(docs[2])
    assert_well_formed_html(mallory)
    assert "<b>mallory" not in mallory and "&lt;b&gt;mallory&lt;/b&gt;" in mallory


def test_feedback_markdown_is_inert(docs):
    text = markdown.render(docs[1])
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert "hidden check: counted, not shown" in text and text.count("found 32 filters") == 1
    assert markdown.escape("[link](http://x) *b*") == r"\[link\](http://x) \*b\*"


def test_feedback_in_traditional_chinese():
    doc = make_doc("WRONG", "s", EXERCISE, lang="zh-TW")
    assert "總分" in markdown.render(doc) and "隱藏的評分項目" in html.render(doc)


def test_class_report_is_self_contained_and_escaped(docs):
    text = class_report.render(docs, "Strides <i>", [{"where": "a.zip:../x", "what": "refused: <climbs>"}])
    assert_well_formed_html(text)
    assert "<script" not in text and "http://" not in text.replace("http://www.w3.org/2000/svg", "")
    assert text.count("<svg") == 3 and "Score distribution" in text and "Pass rate per check" in text
    assert "Time per submission" in text
    assert "&lt;b&gt;mallory&lt;/b&gt;" in text and "Strides &lt;i&gt;" in text and "&lt;climbs&gt;" in text
    assert 'href="feedback/_b_mallory__b_~1.html"' in text
    look = text.split("Needs a human look")[1].split("<h2>")[0]
    assert "printed 10,000,000 bytes" in look and "harvest" in look and "older duplicate of alice" in look


def test_score_bins():
    assert class_report.score_bins([0, 7, 7, 3.5], 7) == [("0", 1), ("1", 0), ("2", 0), ("3", 1), ("4", 0),
                                                          ("5", 0), ("6", 0), ("7", 2)]
    bins = class_report.score_bins([0, 50, 100], 100)
    assert len(bins) == 10 and bins[0] == ("0–10", 1) and bins[-1] == ("90–100", 1)


def test_the_ta_and_lms_formats_quote_where_a_failed_answer_was_read():
    doc = make_doc("UNSURE", "erin", EXERCISE)
    failure = ET.fromstring(junit.render([doc]).encode("utf-8")).find(".//failure")
    assert "read in cell 9, line 2: \u201c約 16\u201d" in failure.text
    assert "a person will look at this: the answer to question 1 is neither" in failure.text
    comment = _rows(csv_report.grades_csv([doc], "moodle"))[1][-1]
    assert "(read in cell 9, line 2: \u201c約 16\u201d)." in comment


def test_pages_name_a_chinese_font_of_each_system():
    """Windows (Microsoft JhengHei), macOS (PingFang TC), Linux (Noto Sans CJK TC): no box where a glyph should be."""
    from grader.notebook.display import CSS as NOTEBOOK_CSS
    from grader.report.html import CSS

    for css in (CSS, NOTEBOOK_CSS):
        body = css.split("}")[0] if css is CSS else css
        assert all(font in body for font in ('"Microsoft JhengHei"', '"PingFang TC"', '"Noto Sans CJK TC"'))
    assert '"PingFang TC"' in CSS.split("svg text{")[1]  # the plots' labels too
