"""kind = "training" on hand-made harvests: what fed a call, its augmentation, arguments, callbacks, first batch."""

from __future__ import annotations

from typing import Any

import pytest

from grader.errors import SpecError
from grader.rubric.checks import Check, Evidence
from tests.unit.training_factories import (arrays, callback, cnn, dnn, evaluate, fit, flow, generator, idg, run,
                                           sequence)


def make(kind: str, check_id: str = "c", **table: Any) -> Check:
    cls = Check.registry[kind]
    return cls(id=check_id, title={"en": check_id}, points=1.0, **cls.parse_own(table, check_id))


def judge(check: Check, outcome, *others: Check, part_start: int | None = None):
    evidence = Evidence(harvest=outcome.harvest, answers={}, outcome=outcome,
                        checks={c.id: c for c in (check, *others)}, part_start=part_start)
    return check.evaluate(evidence)


def text(verdict) -> str:
    return verdict.message.render("en")


def test_a_generator_the_student_wrote_passes_and_arrays_are_named_as_what_fed_the_call():
    check = make("training", data=["generator", "sequence"])
    ok = judge(check, run([cnn(1)], [fit(1, generator("my_batches"), method="fit_generator", steps_per_epoch=390)]))
    assert ok.fraction == 1.0
    assert text(ok) == "fit_generator in cell 6 on Python generator my_batches"
    wrong = judge(check, run([cnn(1)], [fit(1, arrays())]))
    assert wrong.fraction == 0.0
    assert text(wrong) == ("fit in cell 6 was fed arrays of 50,000 samples, not a Python generator you wrote "
                           "or a keras.utils.Sequence")
    assert wrong.message.render("zh-TW") == ("第 6 格的 fit 用的資料是 50,000 筆資料的陣列，不是你自己寫的 Python "
                                             "generator 或 keras.utils.Sequence")


def test_no_call_at_all_says_so():
    verdict = judge(make("training", data=["stream"]), run([cnn(1)]))
    assert (verdict.fraction, text(verdict)) == (0.0, "your code never called fit()")


def test_a_call_that_broke_before_its_first_batch_does_not_count_unless_ran_is_false():
    broken = run([cnn(1)], [fit(1, generator(), steps=0, error="ValueError", steps_per_epoch="<ndarray>")])
    assert text(judge(make("training", data=["stream"]), broken)) == \
        "fit in cell 6 stopped before its first batch (ValueError)"
    steps = make("training", data=["stream"], args={"steps_per_epoch": {"min": 1}}, ran=False)
    assert text(judge(steps, broken)) == "fit in cell 6: steps_per_epoch expected at least 1, found '<ndarray>'"


@pytest.mark.parametrize("given, passes", [(390, True), (390.625, True), (None, False), (0, False), ("<ndarray>", False)])
def test_steps_per_epoch_present_and_positive(given, passes):
    args = {} if given is None else {"steps_per_epoch": given}
    verdict = judge(make("training", args={"steps_per_epoch": {"min": 1}}), run([cnn(1)], [fit(1, generator(), **args)]))
    assert (verdict.fraction == 1.0) is passes


def test_validation_steps_are_asked_only_when_validation_data_is_a_stream():
    check = make("training", args={"steps_per_epoch": {"min": 1}, "validation_steps": {"min": 1}})
    on_arrays = fit(1, generator(), steps_per_epoch=390, validation=arrays(10_000))
    on_stream = fit(1, generator(), steps_per_epoch=390, validation=generator("val"))
    assert judge(check, run([cnn(1)], [on_arrays])).fraction == 1.0
    assert text(judge(check, run([cnn(1)], [on_stream]))) == \
        "fit in cell 6: validation_steps expected at least 1, found —"


def test_augmentation_is_a_random_transform_rescale_alone_is_none():
    check = make("training", augmentation=True)
    rotating = run([cnn(1)], [fit(1, flow(1))], [idg(1, rotation_range=20, rescale=1 / 255)])
    rescaling = run([cnn(1)], [fit(1, flow(1))], [idg(1, rescale=1 / 255)])
    assert judge(check, rotating).fraction == 1.0
    assert judge(check, rescaling).fraction == 0.0
    assert "rescale alone is none" in text(judge(check, rescaling))


def test_a_generator_that_draws_from_an_augmenting_flow_is_augmented_and_a_fake_class_is_not():
    check = make("training", augmentation=True)
    wrapped = run([cnn(1)], [fit(1, generator("augmented"), augmented_by=[1])], [idg(1, horizontal_flip=True)])
    assert judge(check, wrapped).fraction == 1.0
    fake = run([cnn(1)], [fit(1, flow(1))], [idg(1, keras=False, rotation_range=20)])
    assert judge(check, fake).fraction == 0.0


def test_configured_augmentation_counts_a_generator_set_up_in_the_students_part_only():
    check = make("training", augmentation="configured", ran=False)
    own = run([cnn(1)], [fit(1, arrays(), cell=8)], [idg(1, cell=7, rotation_range=20)])
    demo = run([cnn(1)], [fit(1, arrays(), cell=8)], [idg(1, cell=3, rotation_range=20)])
    assert judge(check, own, part_start=6).fraction == 1.0
    assert judge(check, demo, part_start=6).fraction == 0.0  # the template's demo, never trained on
    untrained = run([], [], [idg(1, cell=7, zoom_range=[0.8, 1.2])])
    assert text(judge(check, untrained, part_start=6)) == "an ImageDataGenerator with random transforms is set up"


def test_callbacks_that_can_act_and_one_that_watches_validation_the_call_does_not_have():
    check = make("training", callbacks="*")
    assert judge(check, run([cnn(1)], [fit(1, callbacks=[callback("ModelCheckpoint", filepath="m.h5")])])).fraction == 1
    none = judge(check, run([cnn(1)], [fit(1)]))
    assert text(none) == "fit in cell 6 was given no callbacks (callbacks=[...])"
    inert = judge(check, run([cnn(1)], [fit(1, callbacks=[callback("EarlyStopping", monitor="val_loss")])]))
    assert inert.fraction == 0.0 and text(inert).startswith("EarlyStopping watches val_loss, but fit in cell 6 has no "
                                                             "validation data: it never acts")
    acting = run([cnn(1)], [fit(1, callbacks=[callback("EarlyStopping", monitor="val_loss")], validation=arrays(10))])
    assert judge(check, acting).fraction == 1.0
    named = make("training", callbacks=["ReduceLROnPlateau"])
    assert text(judge(named, acting)) == "fit in cell 6 was given EarlyStopping, none of ReduceLROnPlateau"


def test_the_first_batch_against_the_model_and_its_value_range():
    check = make("training", data=["stream"], batch={"fits_model": True, "x_max": {"max": 5}})
    assert judge(check, run([cnn(1)], [fit(1, generator())])).fraction == 1.0
    raw = judge(check, run([cnn(1)], [fit(1, generator(), x_max=255.0, x_dtype="uint8")]))
    assert text(raw) == "the first batch's x is (128, 32, 32, 3) uint8 [0, 255]: its max should be at most 5"
    flat = judge(check, run([cnn(1)], [fit(1, generator(), x_shape=(128, 3072))]))
    assert text(flat) == "the first batch's x is (128, 3072) float32, but the model takes (None, 32, 32, 3)"


def test_a_call_of_another_models_check_and_evaluate_of_a_trained_model():
    model = make("model", "conv", match="subsequence", layers=[{"type": "Conv2D"}])
    check = make("training", model="conv")
    assert judge(check, run([cnn(1), dnn(2)], [fit(1)]), model).fraction == 1.0
    assert text(judge(check, run([cnn(1), dnn(2)], [fit(2)]), model)) == \
        "fit in cell 6 trained a model that is not the one of “conv”"
    measured = make("training", calls=["evaluate"], trained=True)
    assert judge(measured, run([cnn(1)], [fit(1), evaluate(1)])).fraction == 1.0
    assert text(judge(measured, run([cnn(1)], [evaluate(1)]))) == \
        "evaluate in cell 10 used a model that was never trained before it"


def test_the_closest_call_is_described_with_its_setup():
    check = make("training", data=["generator"], callbacks="*")
    verdict = judge(check, run([cnn(1)], [fit(1, arrays()), fit(1, generator("gen"), cell=7, steps_per_epoch=390)]))
    assert text(verdict) == "fit in cell 8 was given no callbacks (callbacks=[...])"
    details = [d.render("en") for d in verdict.details]
    assert "fit in cell 8 on Python generator gen: epochs=10, steps_per_epoch=390" in details
    assert "first batch the model received: x (128, 32, 32, 3) float32 [0, 1]; y (128, 10) float32" in details


def test_sequence_is_a_stream_and_arrays_are_not():
    check = make("training", data=["stream"])
    assert judge(check, run([cnn(1)], [fit(1, sequence())])).fraction == 1.0
    assert judge(check, run([cnn(1)], [fit(1, arrays())])).fraction == 0.0


def test_a_pass_in_a_cell_the_student_never_ran_is_flagged_only_where_the_spec_asks():
    outcome = run([cnn(1)], [fit(1), evaluate(1)])  # evaluate in cell 10 (index 9)
    asks = make("training", calls=["evaluate"], trained=True, review_unfinished=True)

    def verdict(check, unfinished):
        evidence = Evidence(harvest=outcome.harvest, answers={}, outcome=outcome, checks={check.id: check},
                            unfinished=frozenset(unfinished))
        return check.evaluate(evidence)

    flagged = verdict(asks, {9})
    assert flagged.fraction == 1.0  # measured here: the score stands, a TA looks
    assert flagged.review.render("en") == ("evaluate in cell 10 ran here, but your saved notebook shows that cell "
                                           "did not run to its end in your own session (not run, interrupted or "
                                           "stopped by an error): a TA will confirm the result you report")
    assert "第 10 格的 evaluate" in flagged.review.render("zh-TW")
    assert verdict(asks, {5}).review is None  # another cell unfinished: this one ran in the student's session
    assert verdict(make("training", calls=["evaluate"], trained=True), {9}).review is None  # not asked
    assert asks.to_spec()["review_unfinished"] is True and "review_unfinished" not in make("training").to_spec()
    with pytest.raises(SpecError, match="review_unfinished must be true or false"):
        make("training", review_unfinished="yes")
