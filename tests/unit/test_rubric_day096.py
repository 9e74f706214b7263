"""The day096 rubric on hand-made evidence: no kernel, no TensorFlow."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from grader.execute.outcome import CellRun, CellState, Status
from grader.rubric.engine import grade
from grader.rubric.spec import load_exercise
from grader.submission import load_submission
from tests.unit.factories import conv_model, outcome, separable_model

ROOT = Path(__file__).resolve().parents[2]
EXERCISE = load_exercise(ROOT / "exercises" / "day096")
SOLUTION = ROOT / "solutions" / "day096" / "Day_096_Keras_CNN_layers.ipynb"
TEMPLATE = ROOT / "exercises" / "day096" / "template.ipynb"


def by_id(result):
    return {c.id: c for c in result.checks}


def test_solution_text_and_both_models_score_full_marks():
    result = grade(EXERCISE, load_submission(SOLUTION), outcome(conv_model(), separable_model()))
    assert [c.id for c in result.checks if not c.passed] == []
    assert result.score == result.max_score == 8
    assert result.full_marks


def test_untouched_template_scores_zero_on_every_question_and_missing_models():
    result = grade(EXERCISE, load_submission(TEMPLATE), outcome())
    assert result.score == 0
    checks = by_id(result)
    assert checks["conv_model"].message.render("en") == "no Keras model was built"
    for n, check_id in enumerate(["q1_normalization", "q2_optimizer", "q3_conv_layers", "q4_total_params"], 1):
        assert checks[check_id].message.render("en") == f"answer to question {n} not found"


def test_one_wrong_filter_count_loses_exactly_that_check_with_that_message():
    result = grade(EXERCISE, load_submission(SOLUTION), outcome(conv_model(second=32), separable_model()))
    failed = [c for c in result.checks if not c.passed]
    assert [c.id for c in failed] == ["conv_model"]
    assert failed[0].message.render("en") == "Conv2D #2: filters expected 64, found 32"
    assert result.score == result.max_score - 2


def test_no_separable_model_is_named_in_the_feedback_in_both_languages():
    result = grade(EXERCISE, load_submission(SOLUTION), outcome(conv_model()))
    check = by_id(result)["separable_model"]
    assert check.message.render("en") == "no model with SeparableConv2D layers was built"
    assert check.message.render("zh-TW") == "沒有建立含有 SeparableConv2D 層的模型"
    assert check.hint["zh-TW"]


def test_a_model_overwritten_later_still_counts():
    # Both models are in the harvest even though the notebook reused the name `model`.
    result = grade(EXERCISE, load_submission(SOLUTION), outcome(conv_model(uid=1), separable_model(uid=2)))
    assert by_id(result)["conv_model"].passed and by_id(result)["separable_model"].passed


def test_cut_short_run_credits_what_was_built_and_says_so():
    cells = (CellRun(index=3, state=CellState.TIMEOUT, seconds=60.0),)
    result = grade(EXERCISE, load_submission(SOLUTION),
                   outcome(conv_model(), status=Status.TIMEOUT, cells=cells))
    assert by_id(result)["conv_model"].passed
    notes = [n.render("en") for n in result.notes]
    assert any(n.startswith("your code ran past a time limit and was stopped there: the checks were graded on the models") for n in notes)
    assert "cell 4 was stopped after 60 s: it ran past its time limit" in notes
    assert not result.full_marks


def test_answers_in_a_code_cell_typed_as_prose(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("1. 有，37~38行\n2. ADADELTA\n3. 兩層\n4. 1199882"),
    ])
    path = tmp_path / "Day_096_answers.ipynb"
    nbformat.write(nb, path)
    checks = by_id(grade(EXERCISE, load_submission(path), outcome()))
    assert all(checks[q].passed for q in ("q1_normalization", "q2_optimizer", "q3_conv_layers", "q4_total_params"))


@pytest.mark.parametrize("answer,passed", [
    ("Q1: yes, lines 37-38", True), ("Q1: 35~38", True), ("Q1: 26~45", False), ("Q1: 沒有", False),
    ("Q1: x_train /= 255", True), ("Q1: 44, 45", False),
])
def test_question_one_line_ranges(tmp_path, answer, passed):
    path = tmp_path / "day096.py"
    path.write_text(f'"""\n{answer}\n"""\n', encoding="utf-8")
    assert by_id(grade(EXERCISE, load_submission(path), outcome()))["q1_normalization"].passed is passed


def test_executable_code_is_not_an_answer(tmp_path):
    path = tmp_path / "day096.py"
    path.write_text("x = [1.0]\nx[0] /= 255\nopt = 'Adadelta'\n", encoding="utf-8")
    checks = by_id(grade(EXERCISE, load_submission(path), outcome()))
    assert not checks["q1_normalization"].passed and not checks["q2_optimizer"].passed


def _template_answered(tmp_path, answers, extra_cells=()):
    """Our template with each "答 / Answer:" line filled in (an empty string leaves that question blank)."""
    nb = nbformat.read(TEMPLATE, as_version=4)
    questions = nb.cells[-1]
    parts = questions.source.split("答 / Answer:")
    assert len(parts) == len(answers) + 1
    questions.source = parts[0] + "".join(f"答 / Answer: {a}" + rest for a, rest in zip(answers, parts[1:]))
    nb.cells[1:1] = list(extra_cells)
    path = tmp_path / "Day_096_answered.ipynb"
    nbformat.write(nb, path)
    return {c.id: c.passed for c in grade(EXERCISE, load_submission(path), outcome()).checks if c.id.startswith("q")}


def test_a_blank_question_does_not_move_the_later_answers(tmp_path):
    assert _template_answered(tmp_path, ["", "Adadelta", "2", "1,199,882"]) == {
        "q1_normalization": False, "q2_optimizer": True, "q3_conv_layers": True, "q4_total_params": True}


def test_the_answer_label_is_not_part_of_the_answer(tmp_path):
    """The reject rule for Q1 ("no, ...") must see the student's words, not the template's label before them."""
    passed = _template_answered(tmp_path, ["沒有，第37、38行只是把型別轉成 float32", "Adadelta", "2", "1,199,882"])
    assert passed["q1_normalization"] is False


@pytest.mark.parametrize("answers, expected", [
    # a yes whose second sentence starts with "No" is still a yes
    (["Yes, lines 37-38 (x_train /= 255).\nNo other preprocessing is applied.", "Adadelta", "2", "1199882"],
     {"q1_normalization": True}),
    (["有，第 37、38 行\n沒有其他前處理", "Adadelta", "兩層", "119萬9882 個"],
     {"q1_normalization": True, "q3_conv_layers": True, "q4_total_params": True}),
    # a 2 inside an answer that counts something else is not the answer 2
    (["37, 38", "Adadelta", "4 layers: 2 Conv2D and 2 Dense", "1 199 882"],
     {"q3_conv_layers": False, "q4_total_params": True}),
    (["37, 38", "Adadelta", "十二層", "一百一十九萬九千八百八十二"], {"q3_conv_layers": False, "q4_total_params": True}),
    (["37, 38", "Adadelta", "3 層 (2 個 Conv2D 加 1 個 MaxPooling2D)", "1199882"], {"q3_conv_layers": False}),
])
def test_answers_that_hold_the_expected_number_or_word_for_another_reason(tmp_path, answers, expected):
    passed = _template_answered(tmp_path, answers)
    assert {k: passed[k] for k in expected} == expected, passed


def test_full_width_digits_and_commas_from_a_chinese_keyboard(tmp_path):
    passed = _template_answered(tmp_path, ["有，第３７、３８行", "ＡｄａＤｅｌｔａ", "２", "1，199，882"])
    assert all(passed.values()), passed


def test_numbered_notes_before_the_questions_are_no_answer(tmp_path):
    part1 = nbformat.v4.new_markdown_cell("# 1. 兩層 Conv2D\n沒有 padding，3x3 的 kernel 讓寬高各少 2。")
    passed = _template_answered(tmp_path, ["有，第37、38行", "Adadelta", "2", "1,199,882"], [part1])
    assert all(passed.values()), passed


@pytest.mark.parametrize("answer", ['<font size="2" color="red">3</font>', "![](attachment:image-2.png) 3 層",
                                    "3 層二維卷積"])
def test_digits_in_markup_or_in_a_word_are_not_the_answer(tmp_path, answer):
    assert _template_answered(tmp_path, ["有，第37、38行", "Adadelta", answer, "1,199,882"])["q3_conv_layers"] is False


def test_one_word_answers_typed_into_code_cells(tmp_path):
    """Jupyter's new cells are code cells: "Adadelta" and "1,199,882" are valid Python, and still answers."""
    cells = [nbformat.v4.new_code_cell(a) for a in ("有，第37、38行", "Adadelta", "2", "1,199,882")]
    nb = nbformat.read(TEMPLATE, as_version=4)
    questions = nb.cells.pop()
    for prompt, answer in zip(questions.source.split("答 / Answer:")[:4], cells):
        nb.cells += [nbformat.v4.new_markdown_cell(prompt), answer]
    path = tmp_path / "Day_096_code_answers.ipynb"
    nbformat.write(nb, path)
    checks = by_id(grade(EXERCISE, load_submission(path), outcome()))
    assert all(checks[q].passed for q in ("q1_normalization", "q2_optimizer", "q3_conv_layers", "q4_total_params"))


@pytest.mark.parametrize("layout", ["table", "br"])
def test_answers_in_a_table_or_joined_by_br(tmp_path, layout):
    nb = nbformat.read(TEMPLATE, as_version=4)
    answers = ["有，第37、38行", "Adadelta", "2", "1,199,882"]
    if layout == "table":
        nb.cells[-1].source = nb.cells[-1].source.replace("答 / Answer:", "")
        nb.cells.append(nbformat.v4.new_markdown_cell("| 題號 | 答案 |\n|---|:--:|\n"
                                                      + "".join(f"| {n} | {a} |\n" for n, a in enumerate(answers, 1))))
    else:
        parts = nb.cells[-1].source.split("答 / Answer:")
        nb.cells[-1].source = "<br>".join(
            p.strip() + "<br>答 / Answer: " + a for p, a in zip(parts, answers))
    path = tmp_path / "Day_096_layout.ipynb"
    nbformat.write(nb, path)
    checks = by_id(grade(EXERCISE, load_submission(path), outcome()))
    assert all(checks[q].passed for q in ("q1_normalization", "q2_optimizer", "q3_conv_layers", "q4_total_params")), \
        {q: checks[q].message.render("en") for q in checks}


def test_cell_headers_of_an_exported_script_are_no_line_numbers(tmp_path):
    """nbconvert writes "# In[37]:" before each cell; 37 and 38 are Q1's lines, but nobody wrote them."""
    path = tmp_path / "day096.py"
    path.write_text("# **Q1.** 訓練前，資料有沒有做標準化？ / Is the data normalised before training?\n\n"
                    "# In[37]:\n\n\nx = 1\n\n\n# In[38]:\n\n\ny = 2\n", encoding="utf-8")
    assert by_id(grade(EXERCISE, load_submission(path), outcome()))["q1_normalization"].passed is False
