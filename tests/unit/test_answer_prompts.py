"""Recognising a question's prompt, copied or paraphrased, from hashes only (a template of our own words)."""

from __future__ import annotations

import json
import re

import pytest

from grader.rubric.answers.fingerprint import Fingerprints
from grader.rubric.answers.prompts import find_prompt

TEMPLATE = ("**Q1.** 訓練資料有沒有先做標準化（normalization）？如果有，是在哪幾行？ / Are the inputs scaled before "
            "training? If so, on which lines?\n"
            "**Q2.** 這個模型用哪一個損失函數？ / Which loss function does this model minimise?\n"
            "**Q3.** 模型一共疊了幾層池化層？ / How many pooling layers are stacked?\n")
PRINTS = Fingerprints.from_texts([TEMPLATE], {n: re.compile(rf"^\*\*Q{n}\.") for n in (1, 2, 3)})


def read(text):
    hit = find_prompt(text, PRINTS)
    return None if hit is None else (hit.question, text[hit.answer_start(text):].strip())


@pytest.mark.parametrize("text,expected", [
    ("**Q2.** 這個模型用哪一個損失函數？ / Which loss function does this model minimise? MSE", (2, "MSE")),
    ("這個模型用哪一個損失函數？ 答：MSE", (2, "MSE")),  # one language only, with a marker
    ("Which loss function does this model minimise? cross-entropy", (2, "cross-entropy")),  # the other language
    ("# 第三題：模型一共疊了幾層池化層? 答：兩層", (3, "兩層")),  # renumbered, in a comment, half-width "?"
    ("Q1 訓練資料有沒有先做標準化？ 有，第 5 行", (1, "有，第 5 行")),  # a clause and the parenthesis left out
    ("模型共疊了幾層池化層？", (3, "")),  # a word left out: a paraphrase, copied with no answer
])
def test_a_copied_or_paraphrased_prompt_names_its_question_and_the_answer_follows(text, expected):
    assert read(text) == expected


@pytest.mark.parametrize("text", [
    "模型一共疊了兩層池化層",  # restating the question with the answer where the question asked (幾 -> 兩)
    "這個模型用哪一個損失函數 MSE",  # ...or going straight on with the answer: no question mark, no marker
    "池化層有兩層",  # a few of the prompt's words
    "the loss is MSE",
    "模型一共",  # too short to tell
])
def test_an_answer_that_repeats_some_of_the_question_is_no_prompt(text):
    assert read(text) is None


def test_a_line_that_reads_as_two_questions_equally_is_neither():
    prints = Fingerprints.from_texts(["1. 這一層的輸出形狀是什麼？\n2. 這一層的輸出通道是什麼？\n"],
                                     {1: re.compile("^1"), 2: re.compile("^2")})
    assert find_prompt("這一層的輸出形狀是什麼？", prints).question == 1  # verbatim: its hash names it
    assert find_prompt("這一層的輸出是什麼？", prints) is None  # as close to one as to the other


def test_shingles_are_stored_as_hashes_and_a_file_without_them_still_finds_verbatim_prompts(tmp_path):
    path = tmp_path / "fp.json"
    PRINTS.dump(path, provenance="test")
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert not {"池化", "loss"} & set(re.findall(r"池化|loss", json.dumps(doc, ensure_ascii=False)))
    assert find_prompt("Which loss function does this model minimise? MSE", Fingerprints.load(path)).question == 2
    for question in doc["questions"]:
        del question["shingles"]  # as written before shingles were kept
    path.write_text(json.dumps(doc), encoding="utf-8")
    old = Fingerprints.load(path)
    assert all(not q.shingles for q in old.questions)
    assert find_prompt("**Q3.** 模型一共疊了幾層池化層？ / How many pooling layers are stacked? 2", old).question == 3
    assert find_prompt("模型共疊了幾層池化層？", old) is None
