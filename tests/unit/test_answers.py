"""Finding answers in prose, and matching them."""

from __future__ import annotations

import re

import pytest

from grader.rubric.answers.fingerprint import Fingerprints, normalise
from grader.rubric.answers.matchers import Lines, Number, Regex, numbers_in
from grader.rubric.answers.segment import locate_answers
from grader.submission.model import Cell, Submission
from grader.submission.prose import cell_prose, code_lines, prose_lines

TEMPLATE = "## Homework\nQuestion one: what is it?\nQuestion two: how many?\nQuestion three: which?"
PROMPTS = {1: re.compile("one"), 2: re.compile("two"), 3: re.compile("three")}
PRINTS = Fingerprints.from_texts([TEMPLATE], PROMPTS)


def answers_of(*cells):
    sub = Submission(path=None, fmt="ipynb", cells=tuple(Cell(i, kind, src) for i, (kind, src) in enumerate(cells)))
    return {n: a.text for n, a in locate_answers(prose_lines(sub), PRINTS, 3).items()}


def test_template_text_is_recognised_not_stored(tmp_path):
    path = tmp_path / "fp.json"
    PRINTS.dump(path, provenance="test")
    stored = path.read_text(encoding="utf-8")
    assert "Question" not in stored and "Homework" not in stored
    again = Fingerprints.load(path)
    assert again.is_template("##   homework") and not again.is_template("my own words")


def test_answers_under_each_prompt():
    assert answers_of(("markdown", "1. Question one: what is it? yes, it is\n2. Question two: how many?\n> 2 of them\n"
                                   "3. Question three: which?\nAdam")) == {1: "yes, it is", 2: "> 2 of them", 3: "Adam"}


def test_numbered_answers_after_the_prompts():
    assert answers_of(("markdown", TEMPLATE), ("markdown", "Ans:\n1. yes\n2、 two\n#3: Adam")) == {
        1: "yes", 2: "two", 3: "Adam"}


@pytest.mark.parametrize("labels", [
    ("Q1 答：", "Q2 答：", "Q3 答："), ("Q1 Ans: ", "Q2 answer: ", "Q3 Ans:"), ("第一題：", "第二題：", "第三題："),
    ("(1) ", "（2）", "(3)"), ("Q1 - ", "Q2->", "Q3 → "), ("Q1答:", "Q2 答案：", "Q3 回答："),
])
def test_labels_students_write_before_answers_after_the_prompts(labels):
    block = "\n".join(f"{label}{answer}" for label, answer in zip(labels, ("yes", "2 of them", "Adam")))
    assert answers_of(("markdown", TEMPLATE), ("markdown", block)) == {1: "yes", 2: "2 of them", 3: "Adam"}


def test_words_that_merely_start_with_a_number_are_not_labels():
    assert answers_of(("markdown", TEMPLATE), ("markdown", "Q1. 2 Conv2D layers\n二維陣列 is 2D")) == {
        1: "2 Conv2D layers\n二維陣列 is 2D", 2: "", 3: ""}


def test_unnumbered_answers_one_line_per_question():
    assert answers_of(("markdown", TEMPLATE), ("markdown", "#### yes\n#### 2\n#### Adam")) == {
        1: "#### yes", 2: "#### 2", 3: "#### Adam"}


def test_answers_in_comments_and_docstrings():
    code = '"""\n#1. yes\n"""\nx = 1  # 2. two\n# 3. Adam\n'
    assert answers_of(("markdown", TEMPLATE), ("code", code)) == {1: "yes", 2: "two", 3: "Adam"}


def test_prose_typed_into_a_code_cell_counts_whole():
    lines = cell_prose(Cell(0, "code", "1. yes it is\n2. two"))
    assert [ln.source for ln in lines] == ["plain", "plain"]


def test_code_statements_are_not_prose():
    lines = cell_prose(Cell(0, "code", "x = 255\nx /= 255  # scale\n%matplotlib inline\n"))
    assert [(ln.text, ln.source) for ln in lines] == [(" scale", "comment")]


def test_missing_answers_are_empty():
    assert answers_of(("markdown", TEMPLATE)) == {1: "", 2: "", 3: ""}


def test_normalise_maps_back_to_raw_text():
    norm, where = normalise("### 2. Ｈｅｌｌｏ  World")
    assert norm == "helloworld"
    assert where[0] == 7


@pytest.mark.parametrize("text,expected", [
    ("1,199,882 個", [1199882]), ("1199882", [1199882]), ("2層Conv2D", [2]), ("兩層", [2]),
    ("there are two layers", [2]), ("37,38行", [37, 38]), ("119萬9882", [1199882]), ("1 199 882", [1199882]),
    ("十二層", [12]), ("一百一十九萬九千八百八十二", [1199882]), ("二維 2D", []), ("2 128", [2, 128]),
])
def test_numbers_in_text(text, expected):
    assert numbers_in(text) == expected


@pytest.mark.parametrize("text,ok", [
    ("37, 38", True), ("第37、38行", True), ("35~38", True), ("L37-L38", True), ("26~38", False),
    ("44,45", False), ("37", True), ("line 60", False),
])
def test_line_references(text, ok):
    assert Lines((37, 38), slack=3).matches(text) is ok


def test_number_and_regex_matchers():
    assert Number(2).matches("2 層") and not Number(2).matches("Conv2D x 3")
    assert Regex("(?i)ada\\s*delta").matches("keras.optimizers.Adadelta()")


def test_a_list_inside_an_answer_under_its_prompt_stays_in_that_answer():
    """Between one prompt and the next, "1. ... 2. ..." is the student's list, not a jump to question 2."""
    found = answers_of(("markdown", "Question one: what is it?"), ("markdown", "yes, two lines:\n1. x /= 255\n2. y /= 255"),
                       ("markdown", "Question two: how many?"), ("markdown", "2. Adam"),
                       ("markdown", "Question three: which?"), ("markdown", "three"))
    # "1." under prompt 1 reads as the student echoing the question's number, as "2. Adam" under prompt 2 does
    assert found == {1: "yes, two lines:\nx /= 255\n2. y /= 255", 2: "Adam", 3: "three"}


def test_numbered_answers_after_the_last_prompt_still_switch_questions():
    found = answers_of(("markdown", "Question one: what is it?"), ("markdown", "see below"),
                       ("markdown", "Question two: how many?\nQuestion three: which?"), ("markdown", "2. two\n3. Adam"))
    assert found == {1: "see below", 2: "two", 3: "Adam"}


def sheet_of(*cells):
    sub = Submission(path=None, fmt="ipynb", cells=tuple(Cell(i, kind, src) for i, (kind, src) in enumerate(cells)))
    return locate_answers(prose_lines(sub), PRINTS, 3, code_lines(sub))


def test_several_numbered_answers_on_one_line():
    assert answers_of(("markdown", TEMPLATE), ("markdown", "1) 答: yes 2) 答: two；3) Adam")) == {
        1: "yes", 2: "two；", 3: "Adam"}
    assert answers_of(("markdown", TEMPLATE), ("markdown", "Ｑ１：yes　Ｑ２：two　Ｑ３：Adam")) == {
        1: "yes", 2: "two", 3: "Adam"}


def test_comments_repeating_their_question_in_any_order_answer_it():
    code = ("# Question three: which? 答：Adam\nopt = make()\n\n# Question one: what is it? 答：a list\n"
            "items = []\n# Question two: how many? 答：2\nn = 2\n")
    assert answers_of(("markdown", TEMPLATE), ("code", code)) == {1: "a list", 2: "2", 3: "Adam"}


def test_a_comment_answer_goes_on_through_its_block_and_keeps_the_code_below_as_context():
    code = ("# Question one: what is it? 答：these two lines\n# (they scale the data)\nx /= 255\ny /= 255\n\n"
            "# load the data\nz = load()\n")
    sheet = sheet_of(("markdown", TEMPLATE), ("code", code))
    assert sheet[1].text == "these two lines\n(they scale the data)"  # not "load the data": it is far below
    assert sheet[1].context == "x /= 255\ny /= 255"


def test_the_code_context_of_a_comment_answer_is_a_few_lines_not_the_rest_of_the_cell():
    code = "# Question one: what is it? 答：this block\n" + "".join(f"x{i} = {i}\n" for i in range(30))
    assert sheet_of(("markdown", TEMPLATE), ("code", code))[1].context.splitlines() == [f"x{i} = {i}" for i in range(8)]


def test_comments_of_code_pasted_after_an_answer_do_not_join_it():
    sheet = sheet_of(("markdown", "Question three: which?\n\nAdam"), ("code", "# fit the model\nmodel.fit(x)\n"))
    assert sheet[3].text == "Adam"
    assert sheet.unclaimed == ()  # a comment with no cue of an answer is the code's, not an answer nobody took


def test_text_that_no_question_claimed_is_reported():
    sheet = sheet_of(("markdown", "Question one: what is it?"), ("markdown", "yes"),
                     ("code", "# 答：Adam\nx = 1"), ("markdown", "Question two: how many?\nQuestion three: which?"))
    assert [line.text for line in sheet.unclaimed] == ["Adam"]  # a marked comment, far from any prompt


def test_an_answer_given_twice_is_two_spans():
    sheet = sheet_of(("markdown", "Question one: what is it?\nyes"), ("markdown", "Question two: how many?\n2"),
                     ("markdown", "Question three: which?\nAdam"), ("markdown", "My answers again:\n1. no\n2. 2"))
    assert [span.text for span in sheet[1].written] == ["yes", "no"]
    assert [span.how for span in sheet[1].written] == ["prompt", "label"]


def test_a_blank_slot_keeps_the_next_answer_under_its_own_question():
    """Each prompt in its own cell, the first left blank: the answer below the second is the second's."""
    assert answers_of(("markdown", "Question one: what is it?"), ("markdown", "Question two: how many?"),
                      ("markdown", "2"), ("markdown", "Question three: which?"), ("markdown", "Adam")) == {
        1: "", 2: "2", 3: "Adam"}


def test_code_lines_are_the_executable_code_with_comments_cut_off():
    cell = Cell(0, "code", "x = 1  # one\n# a comment\n\ny = '''\nnot code\n'''\n%time z = 2\n")
    assert code_lines(Submission(path=None, fmt="ipynb", cells=(cell,))) == {(0, 1): "x = 1"}


@pytest.mark.parametrize("source,prose", [("keras.optimizers.Adadelta(),", True), ("Adadelta()", True),
                                          ("model.summary()", False), ("print(2)", False), ("Conv2D(32, (3, 3))", True)])
def test_an_object_built_and_dropped_is_an_answer_typed_into_a_code_cell(source, prose):
    assert bool(cell_prose(Cell(0, "code", source))) is prose


def test_after_the_last_prompt_a_list_answers_in_order_unless_its_first_line_fills_the_last_slot():
    slots = "Question one: what is it?\nAnswer:\nQuestion two: how many?\nAnswer:\nQuestion three: which?\nAnswer:"
    prints = Fingerprints.from_texts([slots], PROMPTS)

    def read(*cells):
        sub = Submission(path=None, fmt="ipynb", cells=tuple(Cell(i, "markdown", s) for i, s in enumerate(cells)))
        return {n: a.text for n, a in locate_answers(prose_lines(sub), prints, 3).items()}

    assert read(slots, "答：yes\n答：2\n答：Adam") == {1: "yes", 2: "2", 3: "Adam"}  # after the empty slots
    filled = slots.replace("Question three: which?\nAnswer:", "Question three: which?\nAnswer: Adam\nSGD")
    assert read(filled) == {1: "", 2: "", 3: "Adam\nSGD"}  # written into the last slot, and below it


def test_one_unnumbered_line_under_a_block_of_prompts_answers_the_question_it_echoes():
    # fewer lines than questions: the words decide ("how many" is question two's), else the order does
    assert answers_of(("markdown", TEMPLATE), ("markdown", "Ans. two, how many? 2 of them")) == {
        1: "", 2: "two, how many? 2 of them", 3: ""}
    assert answers_of(("markdown", TEMPLATE), ("markdown", "yes it is")) == {1: "yes it is", 2: "", 3: ""}
    # a line per question is a list in order, whatever its words repeat
    assert answers_of(("markdown", TEMPLATE), ("markdown", "how many? two\n#### 2\n#### Adam")) == {
        1: "how many? two", 2: "#### 2", 3: "#### Adam"}
