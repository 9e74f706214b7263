"""Model checks on hand-made harvests: candidates, match modes, constraints and messages."""

from __future__ import annotations

import pytest

from grader.errors import SpecError
from grader.rubric.checks import Evidence, ModelCheck
from grader.rubric.constraints import Constraint
from tests.unit.factories import conv, harvest, layer, model, outcome


def check(**own):
    parsed = ModelCheck.parse_own(own, "checks[0]")
    return ModelCheck(id="m", title={"en": "m"}, points=2, **parsed)


def verdict(chk, *models):
    return chk.evaluate(Evidence(harvest=harvest(*models), answers={}, outcome=outcome()))


def test_exact_match_counts_layers_after_the_input():
    chk = check(layers=[{"type": "Conv2D"}])
    v = verdict(chk, model([conv(8), layer("MaxPooling2D", 2)]))
    assert v.fraction == 0
    assert v.message.render("en").startswith("expected 1 layers after the input (Conv2D), found 2")


def test_exact_match_with_one_extra_layer_still_pairs_the_expected_ones():
    chk = check(layers=[{"type": "Conv2D", "filters": 32}, {"type": "Conv2D", "filters": 64}], partial=True)
    v = verdict(chk, model([conv(32), layer("MaxPooling2D", 2), conv(64, index=3)]))
    assert v.message.render("en").startswith("expected 2 layers after the input (Conv2D, Conv2D), found 3")
    assert v.details[:-1] == ()  # the pooling layer is the only problem: no "layer #2: expected Conv2D"
    assert v.fraction == pytest.approx(4 / 5)  # both layers and their filters count; the layer count does not
    missing = verdict(chk, model([conv(64)]))
    assert [d.render("en") for d in (missing.message, *missing.details[:-1])][1:] == ["Conv2D #1: no such layer found"]


def test_subsequence_skips_other_layers_in_order():
    chk = check(match="subsequence", layers=[{"type": "Conv2D", "filters": 8}, {"type": "Dense", "units": 10}])
    good = model([conv(8), layer("MaxPooling2D", 2), layer("Dense", 3, units=10)])
    reversed_ = model([layer("Dense", 1, units=10), conv(8, index=2)], uid=2)
    assert verdict(chk, good).fraction == 1
    assert verdict(chk, reversed_).message.render("en") == "Dense #1: no such layer found"


def test_unordered_match():
    chk = check(match="unordered", layers=[{"type": "Dense"}, {"type": "Conv2D"}])
    assert verdict(chk, model([conv(8), layer("Dense", 2, units=1)])).fraction == 1


def test_fake_layer_class_earns_nothing():
    fake = layer(None, 1, class_name="Conv2D", filters=32)
    v = verdict(check(layers=[{"type": "Conv2D", "filters": 32}]), model([fake]))
    assert v.fraction == 0
    assert "no model with Conv2D layers" in v.message.render("en")


def test_best_candidate_is_reported_and_partial_credit():
    chk = check(layers=[{"type": "Conv2D", "filters": 32}, {"type": "Conv2D", "filters": 64}], partial=True)
    v = verdict(chk, model([conv(16), conv(16, index=2)], uid=1), model([conv(32), conv(16, index=2)], uid=2))
    assert v.message.render("en") == "Conv2D #2: filters expected 64, found 16"
    assert 0 < v.fraction < 1


def test_properties_and_compile():
    chk = check(total_params={"min": 10, "max": 20}, compile={"optimizer": "Adadelta", "loss": "mse"})
    compiled = {"optimizer": "Adadelta", "optimizer_config": {"learning_rate": 1.0}, "loss": "mse", "metrics": []}
    assert verdict(chk, model([layer("Dense", 1, params=15)], compile=compiled)).fraction == 1
    v = verdict(chk, model([layer("Dense", 1, params=15)]))
    assert v.message.render("en") == "the model was not compiled"


def test_no_model_at_all():
    assert verdict(check(layers=[{"type": "Dense"}])).message.render("zh-TW") == "沒有建立任何 Keras 模型"


def test_constraints():
    assert Constraint.parse(3, "k").ok((3, 3)) and not Constraint.parse(3, "k").ok((3, 1))
    assert Constraint.parse("same", "p").ok("SAME")
    assert Constraint.parse({"one_of": [16, 32]}, "f").ok(32)
    assert not Constraint.parse({"min": 1, "max": 4}, "f").ok(5)
    assert Constraint.parse("*", "x").ok(0) and not Constraint.parse("*", "x").ok(None)


def test_a_setting_the_layer_does_not_have_is_called_the_specs_mistake():
    chk = check(layers=[{"type": "Dense", "unit": 10}])  # the TA meant units
    v = verdict(chk, model([layer("Dense", 1, units=10, activation="linear")]))
    assert v.fraction == 0
    assert v.message.render("en") == ("Dense #1 has no setting unit (the exercise's spec names it; "
                                      "the layer has: activation, units)")
    wrong = verdict(check(layers=[{"type": "Dense", "units": 5}]), model([layer("Dense", 1, units=10)]))
    assert wrong.message.render("en") == "Dense #1: units expected 5, found 10"


def test_keras_aliases_and_an_input_layer_in_the_spec_match_what_students_build():
    chk = check(layers=[{"type": "InputLayer"}, {"type": "Convolution2D", "filters": 8},
                        {"type": {"one_of": ["MaxPool2D", "AvgPool2D"]}}])
    assert verdict(chk, model([conv(8), layer("MaxPooling2D", 2)])).fraction == 1


def test_compile_settings_match_whichever_name_keras_was_given():
    chk = check(compile={"loss": "mean_squared_error", "metrics": ["accuracy", "mae"]})
    compiled = {"optimizer": "Adam", "optimizer_config": {}, "loss": "MeanSquaredError",
                "metrics": ["mean_absolute_error", "acc"]}
    assert verdict(chk, model([layer("Dense", 1)], compile=compiled)).fraction == 1
    other = {**compiled, "loss": "mean_absolute_error"}
    assert verdict(chk, model([layer("Dense", 1)], compile=other)).fraction < 1


def test_what_a_constraint_expects_is_said_in_the_readers_language():
    chk = check(layers=[{"type": "Dropout", "rate": {"min": 0.1, "max": 0.5}}])
    message = verdict(chk, model([layer("Dropout", 1, rate=0.7)])).message
    assert message.render("en") == "Dropout #1: rate expected between 0.1 and 0.5, found 0.7"
    assert message.render("zh-TW") == "Dropout #1：rate 應為 介於 0.1 與 0.5 之間，實際為 0.7"


def test_a_shape_with_dimensions_of_any_size():
    chk = check(input_shape=["*", "*", 3])
    assert verdict(chk, model([conv(8)], inputs=(None, None, None, 3))).fraction == 1
    assert verdict(chk, model([conv(8)], inputs=(None, 28, 28, 1))).fraction == 0
    with pytest.raises(SpecError, match="input_shape is a list of dimensions"):
        check(input_shape={"min": 1})


def test_an_unbuilt_model_is_told_why_its_shapes_and_parameters_are_unknown():
    chk = check(layers=[{"type": "Conv2D", "filters": 32}], input_shape=[224, 224, 3],
                output_shape=[222, 222, 32], total_params=896)
    unbuilt = model([conv(32)], keras_type="Sequential")
    unbuilt.update(built=False, input_shapes=[], output_shapes=[], total_params=0, trainable_params=0)
    v = verdict(chk, unbuilt)
    messages = [m.render("en") for m in (v.message, *v.details)]
    assert messages[0].startswith("the model was never built, so its input shape, output shape, total params are "
                                  "unknown: start it with keras.Input(shape)")
    assert not any("found None" in m or "found 0" in m for m in messages)
    assert messages[-1] == "closest model (created in cell 1): Conv2D"  # not "built": it never was
    assert "keras.Input(shape)" in v.message.render("zh-TW")
    built_wrong = model([conv(32)], total=5)  # a built model keeps the usual message
    assert verdict(chk, built_wrong).message.render("en").startswith("output shape expected")
