"""kind = "written" and kind = "claim": open answers read in notebooks, claims checked against the run."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import nbformat
import pytest

from grader.rubric.checks.claim import Subject, read_claim
from grader.rubric.engine import grade
from grader.rubric.spec import load_exercise
from grader.submission import load_submission
from tests.unit.training_factories import cnn, dnn, fit, run

SPEC = """
[exercise]
id = "demo"
template = "template.ipynb"

[answers]
questions = 2
prompts = { 1 = '^\\*\\*Q1\\.', 2 = '^\\*\\*Q2\\.' }

[[checks]]
id = "dnn"
kind = "model"
points = 1
match = "subsequence"
layers = [{ type = "Dense" }]
without = ["Conv2D"]

[[checks]]
id = "cnn"
kind = "model"
points = 1
match = "subsequence"
layers = [{ type = "Conv2D" }]

[[checks]]
id = "why"
kind = "written"
points = 1
question = 1
min_chars = 6
topics = [{ regex = '(?i)batch|epoch|dropout|學習率' }]

[[checks]]
id = "larger"
kind = "claim"
points = 1
question = 2
subjects = [{ name = "DNN", model = "dnn", says = '(?i)(?<![a-z])dnn(?![a-z])' },
            { name = "CNN", model = "cnn", says = '(?i)(?<![a-z])cnn(?![a-z])' }]
otherwise = "DNN"
"""

SUBJECTS = (Subject("DNN", "dnn", re.compile(r"(?i)(?<![a-z])dnn(?![a-z])")),
            Subject("CNN", "cnn", re.compile(r"(?i)(?<![a-z])cnn(?![a-z])")))
PROMPTS = "**Q1.** Which hyperparameters mattered?\n\nAnswer:\n\n**Q2.** Which model has more parameters?\n\nAnswer:"


def notebook(path: Path, *cells: tuple[str, str]) -> Path:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(src) if kind == "md"
                                         else nbformat.v4.new_code_cell(src) for kind, src in cells])
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def exercise(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ex") / "demo"
    folder.mkdir()
    (folder / "exercise.toml").write_text(textwrap.dedent(SPEC), encoding="utf-8")
    notebook(folder / "template.ipynb", ("md", "# Demo"), ("md", PROMPTS))
    return load_exercise(folder)


def graded(exercise, tmp_path, *cells, outcome=None):
    path = notebook(tmp_path / "sub.ipynb", *cells)
    result = grade(exercise, load_submission(path), outcome or run([dnn(1), cnn(2)], [fit(1), fit(2)]))
    return {c.id: c for c in result.checks}


def answered(q1: str, q2: str) -> tuple[str, str]:
    return ("md", f"**Q1.** Which hyperparameters mattered?\n\nAnswer: {q1}\n\n"
                  f"**Q2.** Which model has more parameters?\n\nAnswer: {q2}")


def lines(check) -> list[str]:
    return [d.render("en") for d in check.details]


def read(check) -> str:
    return check.evidence.message().render("en")


def review(check) -> str | None:
    return check.review.render("en") if check.review is not None else None


def test_a_substantive_answer_passes_and_is_quoted(exercise, tmp_path):
    checks = graded(exercise, tmp_path, answered("Dropout 0.5 made the training slower but the gap smaller.", "DNN"))
    why = checks["why"]
    assert why.passed and why.message.render("en") == "answer to question 1 is there and says something"
    assert read(why) == "read in cell 1, line 3: “Dropout 0.5 made the training slower but the gap smaller.”"
    assert why.review is None


def test_an_empty_or_a_token_answer_does_not_and_a_person_is_asked_to_look_at_a_token(exercise, tmp_path):
    blank = graded(exercise, tmp_path, ("md", PROMPTS))["why"]
    assert blank.message.render("en") == "answer to question 1 not found"
    assert blank.evidence is None and blank.evidence_missing.render("en").startswith("question 1 was found in cell 1")
    short = graded(exercise, tmp_path, answered("yes", "DNN"))["why"]
    assert not short.passed and short.message.render("en").startswith("answer to question 1 (“yes”) is too short")
    assert review(short) == "the answer to question 1 is short: it may still be right"


def test_an_answer_about_none_of_the_topics_passes_but_is_flagged(exercise, tmp_path):
    why = graded(exercise, tmp_path, answered("I think the model is good enough for me.", "DNN"))["why"]
    assert why.passed and review(why).startswith("the answer to question 1 names none")


def test_comments_of_working_code_below_the_question_are_not_an_answer(exercise, tmp_path):
    cells = [("md", PROMPTS), ("code", "# build the model with a larger batch and more epochs\nmodel = 1 + 1"),
             ("md", "### Training with dropout"), ("code", "x = 2")]
    assert not graded(exercise, tmp_path, *cells)["why"].passed
    # a heading that only names a section says nothing; one that says something is an answer
    def under_q1(line: str) -> tuple[str, str]:
        return ("md", f"**Q1.** Which hyperparameters mattered?\n\n{line}\n\n**Q2.** Which model has more "
                      "parameters?\n\nAnswer: DNN")
    assert not graded(exercise, tmp_path, under_q1("## What I observed about epochs"))["why"].passed
    assert graded(exercise, tmp_path, under_q1("### => batch 64 converged faster, dropout helped"))["why"].passed
    # ...and a cell of comments, as students type answers, is
    typed = [("md", PROMPTS), ("code", "# 1. batch size 64 trained faster, dropout 0.5 overfit less")]
    assert graded(exercise, tmp_path, *typed)["why"].passed


@pytest.mark.parametrize("answer", [
    "DNN", "DNN has more parameters", "the DNN, because every unit of its first layer sees all 3072 inputs",
    "DNN 的參數比較多", "DNN參數較多，因為全連接", "CNN 的參數較少", "CNN 比 DNN 少", "DNN 比 CNN 多",
    "DNN: 1,841,162 > CNN: 1,250,858", "CNN < DNN", "參數量比較：DNN 1,841,162，CNN 1,250,858",
    "CNN has fewer parameters thanks to weight sharing", "the CNN's pooling reduces the parameters",
    "因此參數數量則會大於CNN，DNN 較多", "ＤＮＮ比較多", "> DNN 使用全連接層，參數量比較多", "兩者相比 DNN 的參數比較多",
    "DNN參數量多，圖片沒壓縮", "CNN 的參數量少", "DNN，池化層會大量降低圖片維度。",
    "DNN 中間沒有池化層降低參數數量", "CNN參數量：1,250,858個，DNN參數量：1,841,162個，主要因為池化層減少參數量",
    "CNN can reduce the number of parameters",
    "DNN 參數比較多。因為 DNN 只用全連接層，並未把影像壓縮(CNN:卷積+池化)，所以展開後會很龐大",
    "DNN的參數數量比較多，因爲CNN的池化層能避免參數大幅增加"])
def test_claims_that_the_dnn_is_larger(answer):
    assert read_claim(answer, SUBJECTS)[0] == "DNN"


@pytest.mark.parametrize("answer", ["CNN has more parameters", "CNN 的參數比較多", "DNN 比 CNN 少", "DNN < CNN",
                                    "DNN has fewer", "DNN: 900,000 / CNN: 2,625,098"])
def test_claims_that_the_cnn_is_larger(answer):
    assert read_claim(answer, SUBJECTS)[0] == "CNN"
    assert read_claim(answer, SUBJECTS, relation="smaller")[0] == "DNN"


@pytest.mark.parametrize("answer", ["CNN does convolutions", "both have Dense layers", "DNN 用的是 Dense 層"])
def test_no_comparison_no_claim(answer):
    assert read_claim(answer, SUBJECTS)[0] is None


def test_the_claim_is_checked_against_the_students_own_models(exercise, tmp_path):
    usual = run([dnn(1, params=1_841_162), cnn(2, params=1_250_858)], [fit(1), fit(2)])
    bigger_cnn = run([dnn(1, params=1_841_162), cnn(2, params=2_625_098)], [fit(1), fit(2)])
    says_dnn = answered("batch size 64 was faster", "DNN has more parameters, its first Dense sees everything")
    says_cnn = answered("batch size 64 was faster", "CNN has more parameters after I doubled the filters")
    assert graded(exercise, tmp_path, says_dnn, outcome=usual)["larger"].passed
    assert not graded(exercise, tmp_path, says_cnn, outcome=usual)["larger"].passed
    mine = graded(exercise, tmp_path, says_cnn, outcome=bigger_cnn)["larger"]
    assert mine.passed  # their numbers decide
    wrong = graded(exercise, tmp_path, says_dnn, outcome=bigger_cnn)["larger"]
    assert wrong.message.render("en") == "you name DNN as the larger, but in your own run it is CNN"
    assert lines(wrong) == ["your run measured: DNN 1,841,162; CNN 2,625,098"]
    assert read(wrong).startswith("read in cell 1, line 7: “DNN has more parameters") and wrong.review is None


def test_models_that_disagree_accept_either_claim_and_ask_a_person(exercise, tmp_path):
    both = run([dnn(1, params=1_841_162), cnn(2, params=1_250_858), cnn(3, params=2_625_098)], [fit(1), fit(2), fit(3)])
    for claim in ("DNN has more", "CNN has more"):
        check = graded(exercise, tmp_path, answered("batch size 64 was faster", claim), outcome=both)["larger"]
        assert check.passed
        assert review(check) == "the student's models disagree: either answer was accepted"


def test_no_models_fall_back_to_the_templates_answer_and_say_so(exercise, tmp_path):
    check = graded(exercise, tmp_path, answered("epochs mattered most", "DNN 較多"), outcome=run())["larger"]
    assert check.passed
    assert review(check) == "the run did not build both models, so the template's answer (DNN) was used"
    unclear = graded(exercise, tmp_path, answered("epochs mattered most", "it depends on the layers"))["larger"]
    assert not unclear.passed and unclear.message.render("en").startswith("answer to question 2 (“it depends")


@pytest.mark.parametrize("answer", [
    "DNN 參數比較多。因為 DNN 只用全連接層，並未把影像壓縮(CNN:卷積+池化)，所以展開後會很龐大",
    "DNN的參數數量比較多，因爲CNN的池化層能避免參數大幅增加", "the DNN has more; the CNN's pooling reduces them",
    "DNN比較多 CNN只擷取特徵，使得進入全連接層資料量較少，導致總體參數相對較少"])
def test_a_reason_that_names_the_other_model_is_no_second_claim(answer):
    assert read_claim(answer, SUBJECTS) == ("DNN", False)  # no "says both" flag for a TA to look at
