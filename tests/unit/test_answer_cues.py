"""The cues of an answer's start: question numbers in every form students type, and answer markers."""

from __future__ import annotations

import pytest

from grader.rubric.answers.cues import is_filler, labels, strip_marker
from grader.rubric.answers.folding import fold


def numbers(text):
    return [(label.number, text[label.end:].split()[0] if text[label.end:].split() else "") for label in labels(text)]


@pytest.mark.parametrize("text,expected", [
    ("1. yes", [(1, "yes")]), ("Q2: two", [(2, "two")]), ("(3) Adam", [(3, "Adam")]), ("第四題：4", [(4, "4")]),
    ("作業１：有", [(1, "有")]), ("1.ans: 有", [(1, "ans:")]), ("Q1 Ans: yes", [(1, "Ans:")]), ("① 有", [(1, "有")]),
    ("２．兩層", [(2, "兩層")]), ("三、2層", [(3, "2層")]), ("#1、沒有", [(1, "沒有")]), ("A1: yes", [(1, "yes")]),
    ("P2. 1,344", [(2, "1,344")]), ("No.2 Adam", [(2, "Adam")]), ("Question 3 - two", [(3, "two")]),
    ("Ans 2: Adam", [(2, "Adam")]),
])
def test_a_question_number_in_any_form_starts_a_line(text, expected):
    assert numbers(text) == expected


def test_a_number_stuck_to_the_next_by_a_dot_is_a_label_only_in_a_list():
    """"3.2層" is "3. 2層" in a list of answers, "2.5 layers" a decimal alone: the label says it is tight."""
    assert [(label.number, label.tight) for label in labels("3.2層")] == [(3, True)]
    assert [label.tight for label in labels("3. 2層")] == [False]


@pytest.mark.parametrize("text", ["2 層", "1,199,882", "第 37、38 行", "kernel_size=(3, 3)", "Conv2D.",
                                  "v2.0", "two layers", "a 2 layer model", "二維陣列"])
def test_numbers_that_are_not_labels(text):
    assert labels(text) == []


@pytest.mark.parametrize("text,expected", [
    ("1) 答: 有 2) 答: Adadelta 3) 2層", [1, 2, 3]),  # a list the line started, and markers after numbers
    ("１．有；２．Adadelta；３．２層；４．1199882", [1, 2, 3, 4]),  # full width, "；" between, "３．２層" continues the list
    ("Q1 Ans: yes Q2 Ans: Adadelta", [1, 2]), ("第一題：有 第二題：Adadelta", [1, 2]), ("① 有 ② Adadelta", [1, 2]),
    ("1答：有 2答：Adadelta", [1, 2]), ("(1) yes (2) no", [1, 2]), ("有，第37、38行 2) 答: Adadelta", [2]),
])
def test_several_answers_on_one_line_are_cut_where_a_reader_sees_a_new_number(text, expected):
    assert [label.number for label in labels(text)] == expected


@pytest.mark.parametrize("text", ["1) 答: 有，第2、3行", "1. 4 layers: 2 Conv2D and 2 Dense", "see Q2.", "1. x 3) y",
                                  "1. 約 3.2 萬個參數"])
def test_numbers_inside_an_answer_do_not_cut_it(text):
    expected = [1] if text.startswith("1") else []
    assert [label.number for label in labels(text)] == expected


@pytest.mark.parametrize("text,words", [
    ("答 / Answer: 2 層", "2 層"), ("Ans.有", "有"), ("#### [Answer]: Yes", "Yes"), ("=> 有", "有"), ("A: 2", "2"),
    ("答案是 2", "2"), ("**答**：有", "有"), ("答對了", "答對了"), ("adadelta", "adadelta"), ("a dog", "a dog"),
])
def test_answer_markers_are_dropped_before_the_answer(text, words):
    assert strip_marker(text)[0] == words


@pytest.mark.parametrize("text,empty", [
    ("答 / Answer:", True), ("# Ans", True), ("```python", True), ("| 題號 | 答案 |", True), ("—", True),
    ("no", False), ("2", False), ("Adadelta", False), ("Answer 2", False),
])
def test_what_is_no_answer_at_all(text, empty):
    assert is_filler(text) is empty


def test_folding_keeps_the_way_back_to_what_was_typed():
    folded, where = fold("①２：有")
    assert folded == "(1)2:有"
    assert [where[i] for i in range(len(folded))] == [0, 0, 0, 1, 2, 3]
