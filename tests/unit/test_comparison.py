"""The model beside the expected one, and the arithmetic of its numbers, in every report format and language.

The models are harvest documents as the probe emits them for a stack
Input(32, 32, 3) → Conv2D(16, 3, strides=2, same) → SeparableConv2D(32, 3,
depth_multiplier=2, same) → MaxPooling2D(2) → Flatten → Dense(10): numbers a
student can check by hand (tests/kernel/test_arithmetic_keras.py checks the
same formulas against real Keras layers).
"""

from __future__ import annotations

import io
import json
import re

import pytest
from rich.console import Console

from grader.i18n import number
from grader.report import comparison, gradescope, html, markdown
from grader.report.json_report import result_to_dict
from grader.report.text import render
from grader.rubric.engine import grade
from grader.rubric.spec import load_exercise
from tests.unit.factories import layer, model, outcome

SPEC = """
[exercise]
id = "stack"
title = "A small stack"

[[checks]]
id = "stack"
kind = "model"
points = 2
title = { en = "The stack", zh-TW = "這個模型" }
layers = [
  { type = "Conv2D", filters = 16, kernel_size = 3, strides = 2, padding = "same" },
  { type = "SeparableConv2D", filters = 32, depth_multiplier = 2, padding = "same" },
  { type = "MaxPooling2D", pool_size = 2 },
  { type = "Flatten" },
  { type = "Dense", units = UNITS },
]
total_params = TOTAL

[[checks]]
id = "secret"
kind = "model"
points = 1
hidden = true
title = "Secret model"
layers = [{ type = "Dense", units = 99 }]
"""


def stack(units=10):
    """The student's model, with the counts and shapes Keras gives it."""
    dense = (2048 + 1) * units
    layers = [
        layer("Conv2D", 1, params=448, output_shape=[None, 16, 16, 16], filters=16, kernel_size=[3, 3],
              strides=[2, 2], padding="same", use_bias=True, dilation_rate=[1, 1]),
        layer("SeparableConv2D", 2, params=1344, output_shape=[None, 16, 16, 32], filters=32, kernel_size=[3, 3],
              strides=[1, 1], padding="same", depth_multiplier=2, use_bias=True, dilation_rate=[1, 1]),
        layer("MaxPooling2D", 3, output_shape=[None, 8, 8, 32], pool_size=[2, 2], strides=[2, 2], padding="valid"),
        layer("Flatten", 4, output_shape=[None, 2048]),
        layer("Dense", 5, params=dense, output_shape=[None, units], units=units, use_bias=True),
    ]
    return model(layers, inputs=(None, 32, 32, 3), outputs=(None, units), total=448 + 1344 + dense)


@pytest.fixture
def exercise(tmp_path):
    def load(units=10, total=22282):
        folder = tmp_path / f"stack-{units}-{total}" / "stack"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "exercise.toml").write_text(SPEC.replace("UNITS", str(units)).replace("TOTAL", str(total)),
                                              encoding="utf-8")
        return load_exercise(folder)
    return load


# What the arithmetic says about the stack, in each language (the student's model has Dense(12): 24,600).
ARITHMETIC = {
    "en": ["#1 Conv2D 3×3, 3 → 16 channels: (3·3·3 + 1)·16 = 448 parameters",
           "#1 output size ⌈32 / 2⌉ = 16 with padding='same'",
           "#2 SeparableConv2D 3×3, 16 → 32 channels, depth_multiplier 2: depthwise + pointwise "
           "3·3·16·2 + (16·2 + 1)·32 = 1,344 parameters",
           "#2 output size 16, the input's: padding='same' with strides 1 keeps it",
           "#3 MaxPooling2D has no weights: 0 parameters",
           "#3 output size ⌊(16 − 2) / 2⌋ + 1 = 8 with padding='valid'",
           "#4 Flatten has no weights: 0 parameters",
           "#4 flattened: 8·8·32 = 2,048 values per sample",
           "#5 Dense, 2,048 inputs → 12 units: (2,048 + 1)·12 = 24,588 parameters",
           "sum over the layers: 448 + 1,344 + 24,588 = 26,380"],
    "zh-TW": ["#1 Conv2D 3×3，3 → 16 個通道：(3·3·3 + 1)·16 = 448 個參數",
              "#1 輸出大小 ⌈32 / 2⌉ = 16（padding='same'）",
              "#2 SeparableConv2D 3×3，16 → 32 個通道，depth_multiplier 2：depthwise + pointwise "
              "3·3·16·2 + (16·2 + 1)·32 = 1,344 個參數",
              "#3 MaxPooling2D 沒有權重：0 個參數",
              "#3 輸出大小 ⌊(16 − 2) / 2⌋ + 1 = 8（padding='valid'）",
              "#4 攤平：8·8·32 = 每筆資料 2,048 個值",
              "#5 Dense，2,048 個輸入 → 12 個神經元：(2,048 + 1)·12 = 24,588 個參數",
              "各層相加：448 + 1,344 + 24,588 = 26,380"],
}


def result(exercise, units=12):
    return grade(exercise(), None, outcome(stack(units)))


def comparison_of(doc, check_id="stack"):
    return next(c for c in doc["checks"] if c["id"] == check_id)["comparison"]


@pytest.mark.parametrize("lang", ["en", "zh-TW"])
def test_json_has_the_table_marks_and_arithmetic(exercise, lang):
    doc = result_to_dict(result(exercise), lang)
    cmp = comparison_of(doc)
    # cells count from 0 in the JSON, as cells[].index and models[].cell do; a reader counts from 1
    assert cmp["cell"] == 0 and re.search(r"(cell|第) 1\b", comparison.model_line(cmp, lang))
    assert cmp["columns"] == ["type", "filters", "units", "kernel_size", "pool_size", "strides", "padding",
                              "depth_multiplier", "output_shape", "params"]
    assert [row["status"] for row in cmp["layers"]] == ["ok", "ok", "ok", "ok", "differs"]
    dense = cmp["layers"][4]
    assert dense["differs"] == ["units"] and (dense["expected"]["units"], dense["found"]["units"]) == ("10", "12")
    assert dense["found"]["params"] == "24,588"
    arithmetic = [f"#{i} {a}" for i, row in enumerate(cmp["layers"], 1) for a in row["arithmetic"]]
    arithmetic += [a for p in cmp["properties"] for a in p["arithmetic"]]
    for line in ARITHMETIC[lang]:
        assert line in arithmetic
    total = next(p for p in cmp["properties"] if p["name"] == "total_params")
    assert (total["expected"], total["found"], total["differs"]) == ("22,282", "26,380", True)


def test_hidden_check_carries_no_comparison_anywhere(exercise):
    res = grade(exercise(), None, outcome(stack(12)))
    assert next(c for c in res.checks if c.id == "secret").comparison is None
    for lang in ("en", "zh-TW"):
        doc = result_to_dict(res, lang)
        assert comparison_of(doc, "secret") is None
        for text in (_text(res, lang), markdown.render(res, lang), html.render(res, lang)):
            assert "beside the expected one: Secret model" not in text and "對照：Secret model" not in text
            assert "99" not in text  # the hidden spec's expectation
        # Gradescope shows a hidden check's message once grades are published; never a model beside it
        secret = json.loads(gradescope.dumps(res, lang))["tests"][1]
        assert secret["visibility"] == "after_published" and "Dense" in secret["output"]
        assert "beside the expected" not in secret["output"] and "對照" not in secret["output"]


def _text(res, lang):
    buffer = io.StringIO()
    Console(file=buffer, width=160, color_system=None).print(render(res, lang))
    return buffer.getvalue()


def _squash(text: str) -> str:
    """Text as a reader sees it: without Markdown's escapes, HTML entities or table padding."""
    text = re.sub(r"\\(.)", r"\1", text.replace("**", "")).replace("&#x27;", "'").replace("&#39;", "'")
    return re.sub(r"[ \t]+", " ", text)


@pytest.mark.parametrize("lang", ["en", "zh-TW"])
@pytest.mark.parametrize("fmt", ["text", "markdown", "html", "gradescope"])
def test_every_format_shows_the_table_and_every_arithmetic_line(exercise, fmt, lang):
    res = result(exercise)
    if fmt == "text":
        out = _text(res, lang)
    elif fmt == "markdown":
        out = markdown.render(res, lang)
    elif fmt == "html":
        out = html.render(res, lang)
    else:
        out = next(t["output"] for t in json.loads(gradescope.dumps(res, lang))["tests"] if t["name"] in
                   ("The stack", "這個模型"))
    seen = _squash(out)
    for line in ARITHMETIC[lang]:
        assert _squash(line) in seen, (fmt, line)
    title = {"en": "Your model beside the expected one", "zh-TW": "你的模型與預期的模型對照"}[lang]
    assert title in seen
    assert "12 ✗" in seen and "26,380 ✗" in seen  # the two differences, marked
    assert "(16, 16, 32)" in seen and "SeparableConv2D" in seen


def test_a_missing_and_an_extra_layer_are_rows_of_their_own(exercise):
    body = stack(10)["layers"]  # InputLayer first
    body[5] = layer("Dropout", 8, output_shape=[None, 2048], rate=0.5)  # a Dropout where the Dense should be
    body.insert(4, layer("Dropout", 9, output_shape=[None, 8, 8, 32], rate=0.5))  # and one after the pooling
    res = grade(exercise(), None, outcome(model(body[1:], inputs=(None, 32, 32, 3), outputs=(None, 2048))))
    cmp = comparison_of(result_to_dict(res, "en"))
    assert [(r["status"], (r["found"] or {}).get("type"), (r["expected"] or {}).get("type")) for r in cmp["layers"]] == [
        ("ok", "Conv2D", "Conv2D"), ("ok", "SeparableConv2D", "SeparableConv2D"),
        ("ok", "MaxPooling2D", "MaxPooling2D"), ("extra", "Dropout", None), ("ok", "Flatten", "Flatten"),
        ("missing", None, "Dense"), ("extra", "Dropout", None)]
    seen = _squash(markdown.render(res, "en"))
    assert "yours: not expected" in seen and "yours: missing" in seen


def test_arithmetic_is_left_out_when_it_does_not_reproduce_the_measurement(exercise):
    body = stack(10)["layers"]
    body[1]["params"] = 500  # as if a branch fed this layer something else: 448 is not what was measured
    res = grade(exercise(), None, outcome(model(body[1:], inputs=(None, 32, 32, 3), outputs=(None, 10))))
    first = comparison_of(result_to_dict(res, "en"))["layers"][0]
    assert not any("parameters" in line for line in first["arithmetic"])
    assert first["found"]["params"] == "500"


def test_numbers_read_the_same_in_every_message(exercise):
    res = grade(exercise(units=10, total=2555), None, outcome(stack(10)))
    text = _text(res, "en")
    assert "total params expected 2,555, found 22,282" in text
    assert number(2555) == "2,555" and number(19392) == "19,392" and number(0.5) == "0.5" and number(896) == "896"
    assert not re.search(r"\b\d{4,}\b", re.sub(r"\([\d, ]+\)|day\d+", "", text))  # no ungrouped count
