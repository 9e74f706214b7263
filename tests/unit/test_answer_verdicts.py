"""What an answer check says besides its score: where it read the answer, and when a person should look."""

from __future__ import annotations

from pathlib import Path

import nbformat

from grader.rubric.engine import grade
from grader.rubric.spec import load_exercise
from grader.submission import load_submission
from tests.unit.factories import outcome

ROOT = Path(__file__).resolve().parents[2]
EXERCISE = load_exercise(ROOT / "exercises" / "day096")
TEMPLATE = ROOT / "exercises" / "day096" / "template.ipynb"


def graded(tmp_path, answers, *extra):
    """Our template with each "答 / Answer:" slot filled ("" leaves it blank), and ``extra`` cells after it."""
    nb = nbformat.read(TEMPLATE, as_version=4)
    parts = nb.cells[-1].source.split("答 / Answer:")
    nb.cells[-1].source = parts[0] + "".join(f"答 / Answer: {a}" + rest for a, rest in zip(answers, parts[1:]))
    nb.cells += [nbformat.v4.new_markdown_cell(text) for text in extra]
    path = tmp_path / "Day_096_answers.ipynb"
    nbformat.write(nb, path)
    return {c.id: c for c in grade(EXERCISE, load_submission(path), outcome()).checks}


def test_every_answer_verdict_quotes_where_it_was_read(tmp_path):
    checks = graded(tmp_path, ["有，第 37、38 行", "Adam", "2 層", "1,199,882"])
    q3 = checks["q3_conv_layers"].evidence
    assert (q3.cell, q3.line, q3.excerpt, q3.source) == (7, 11, "2 層", "markdown")
    assert q3.message().render("en") == "read in cell 8, line 11: \u201c2 層\u201d"
    assert q3.message().render("zh-TW") == "讀自第 8 格第 11 行：「2 層」"
    assert checks["q2_optimizer"].evidence.excerpt == "Adam"  # a wrong answer is quoted too
    assert checks["conv_model"].evidence is None and checks["conv_model"].evidence_missing is None


def test_a_missing_answer_says_why_nothing_was_read(tmp_path):
    checks = graded(tmp_path, ["", "Adadelta", "2", "1,199,882"])
    q1 = checks["q1_normalization"]
    assert q1.evidence is None
    assert q1.evidence_missing.render("en") == ("question 1 was found in cell 8, but nothing was written under it, "
                                                "and no answer is numbered 1")
    assert q1.review is None  # nothing of the student's went unread


def test_a_missing_answer_next_to_text_no_question_claimed_needs_a_look(tmp_path):
    checks = graded(tmp_path, ["", "Adadelta", "2", "1,199,882"], "Q7 答：第 37、38 行")
    assert checks["q1_normalization"].review.render("en") == (
        "no answer to question 1 was found, but cell 9 has text of yours that no question claimed "
        "(\u201c第 37、38 行\u201d)")


def test_two_answers_to_one_question_that_disagree_need_a_look(tmp_path):
    checks = graded(tmp_path, ["有，第 37、38 行", "Adadelta", "2", "1,199,882"], "訂正：\n3. 3 層")
    q3 = checks["q3_conv_layers"]
    assert not q3.passed  # scored as written: "3 層" is a rejected claim
    assert q3.review.render("en").startswith("question 3 is answered twice and the answers disagree (cell 8: \u201c2\u201d")
    assert checks["q2_optimizer"].review is None


def test_an_answer_of_no_kind_the_rules_know_needs_a_look_but_a_clear_wrong_one_does_not(tmp_path):
    checks = graded(tmp_path, ["有", "見上面", "3 層", "不知道"])
    assert checks["q1_normalization"].review is not None  # "yes", but which lines?
    assert checks["q2_optimizer"].review is not None  # the rules know only Adadelta
    assert checks["q3_conv_layers"].review is None  # a wrong count, clearly
    assert checks["q4_total_params"].review is None  # "I don't know" is no answer to puzzle over


def test_a_script_quotes_the_line_of_the_file(tmp_path):
    path = tmp_path / "day096.py"
    path.write_text("import os\n\n# %%\nx = 1\n'''\nQ1: 沒有\nQ2: Adadelta\n'''\n", encoding="utf-8")
    checks = {c.id: c for c in grade(EXERCISE, load_submission(path), outcome()).checks}
    assert checks["q2_optimizer"].evidence.file_line == 7
    assert checks["q2_optimizer"].evidence.message().render("en") == "read at line 7: \u201cAdadelta\u201d"


def test_the_agreement_tool_says_how_many_flags_were_needed():
    from collections import Counter

    from grader.tools.agreement import flag_summary

    line = flag_summary(Counter({"needed": 2, "noise": 1}), 60)
    assert line == ("flagged for review: 3 of 60 checks (5.0%); needed (verdict disagreed with the label): 2, "
                    "on judgement calls: 0, noise: 1")


def test_a_question_copied_above_code_with_nothing_written_earns_nothing_but_needs_a_look(tmp_path):
    nb = nbformat.read(TEMPLATE, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("x_train = load()\n# Q1 訓練前，資料有沒有做標準化？ 答：\nx_train /= 255\n"))
    path = tmp_path / "Day_096_pointing.ipynb"
    nbformat.write(nb, path)
    q1 = next(c for c in grade(EXERCISE, load_submission(path), outcome()).checks if c.id == "q1_normalization")
    assert not q1.passed and q1.evidence is None
    assert q1.review.render("en") == ("question 1 is copied in a comment above code in cell 9 (\u201cx_train /= 255\u201d) "
                                      "with nothing written after it: perhaps that code is meant as the answer")
