"""kind = "experiment" on hand-made harvests: set-ups that differ in named properties, a baseline, fresh models."""

from __future__ import annotations

from tests.unit.test_training_check import judge, make, text
from tests.unit.training_factories import arrays, cnn, dnn, fit, flow, idg, run

CNN_CHECK = make("model", "cnn", match="subsequence", layers=[{"type": "Conv2D"}])
DNN_CHECK = make("model", "dnn", match="subsequence", layers=[{"type": "Dense"}], without=["Conv2D"])


def details(verdict) -> list[str]:
    return [d.render("en") for d in verdict.details]


def test_two_setups_that_differ_in_a_named_property_pass_and_are_listed():
    check = make("experiment", variants=2, vary=["batch_size", "optimizer"], of=["cnn"])
    verdict = judge(check, run([cnn(1), cnn(2)], [fit(1, batch=128), fit(2, batch=64, optimizer="Adam", cell=8)]),
                    CNN_CHECK)
    assert verdict.fraction == 1.0
    assert text(verdict) == "2 set-ups of “cnn” trained: batch_size 128/64; optimizer RMSprop/Adam"
    assert details(verdict) == ["set-up 1, cell 6 (1 run(s)): batch_size 128; optimizer RMSprop",
                                "set-up 2, cell 9 (1 run(s)), changed: batch_size 64; optimizer Adam"]


def test_the_same_setup_trained_twice_is_one():
    check = make("experiment", variants=2, vary=["batch_size", "filters"], of=["cnn"])
    verdict = judge(check, run([cnn(1), cnn(2)], [fit(1), fit(2, cell=8)]), CNN_CHECK)
    assert verdict.fraction == 0.0
    assert text(verdict) == ("1 set-up(s) of “cnn” in 2 training run(s); at least 2 that differ in one of "
                             "batch_size, filters are asked for")


def test_a_property_not_named_does_not_make_a_variant():
    check = make("experiment", variants=2, vary=["filters"], of=["cnn"])
    assert judge(check, run([cnn(1), cnn(2)], [fit(1), fit(2, batch=64)]), CNN_CHECK).fraction == 0.0
    assert judge(check, run([cnn(1), cnn(2, filters=(64, 64, 128, 128))], [fit(1), fit(2)]), CNN_CHECK).fraction == 1


def test_a_baseline_counts_as_the_templates_setup():
    check = make("experiment", variants=2, vary=["batch_size", "dropout"], of=["cnn"],
                 baseline=[{"of": "cnn", "batch_size": 128, "dropout": [0.25, 0.25, 0.5]}])
    changed = judge(check, run([cnn(1, rate=0.4)], [fit(1)]), CNN_CHECK)
    assert changed.fraction == 1.0
    assert details(changed) == ["set-up 1, the template's: dropout (0.25, 0.25, 0.5)",  # only what differs
                                "set-up 2, cell 6 (1 run(s)), changed: dropout (0.4, 0.4, 0.5)"]
    unchanged = judge(check, run([cnn(1)], [fit(1)]), CNN_CHECK)
    assert unchanged.fraction == 0.0
    assert details(unchanged) == ["set-up 1, cell 6 (1 run(s)): batch_size 128; dropout (0.25, 0.25, 0.5)"]


def test_families_are_compared_apart():
    check = make("experiment", variants=2, vary=["batch_size"], of=["dnn", "cnn"])
    apart = run([dnn(1), cnn(2)], [fit(1, batch=128, x_shape=(128, 3072)), fit(2, batch=64)])
    assert judge(check, apart, DNN_CHECK, CNN_CHECK).fraction == 0.0  # a DNN is not a variant of a CNN
    within = run([dnn(1), cnn(2), cnn(3)], [fit(1), fit(2, batch=64), fit(3, batch=32)])
    assert judge(check, within, DNN_CHECK, CNN_CHECK).fraction == 1.0


def test_fresh_setups_need_a_model_of_their_own_or_the_same_initial_weights():
    check = make("experiment", variants=2, vary=["augmentation"], of=["cnn"], fresh=True)
    generators = [idg(1, rotation_range=10), idg(2, rotation_range=40)]
    fresh = run([cnn(1), cnn(2)], [fit(1, flow(1)), fit(2, flow(2))], generators)
    assert judge(check, fresh, CNN_CHECK).fraction == 1.0
    continued = run([cnn(1)], [fit(1, flow(1), start_weights="aa"), fit(1, flow(2), start_weights="bb")], generators)
    verdict = judge(check, continued, CNN_CHECK)
    assert verdict.fraction == 0.0 and text(verdict).startswith("only 1 set-up(s) of “cnn” trained a model of their own")
    assert details(verdict)[1].endswith("(went on training an earlier set-up's model)")
    reloaded = run([cnn(1)], [fit(1, flow(1), start_weights="aa"), fit(1, flow(2), start_weights="aa")], generators)
    assert judge(check, reloaded, CNN_CHECK).fraction == 1.0


def test_with_and_without_augmentation_are_two_settings_and_rescale_alone_is_without():
    check = make("experiment", variants=2, vary=["augmentation"], of=["cnn"], fresh=True)
    both = run([cnn(1), cnn(2)], [fit(1, arrays()), fit(2, flow(1))], [idg(1, horizontal_flip=True)])
    verdict = judge(check, both, CNN_CHECK)
    assert text(verdict) == "2 set-ups of “cnn” trained: augmentation —/horizontal_flip True"
    rescaled = run([cnn(1), cnn(2)], [fit(1, arrays()), fit(2, flow(1))], [idg(1, rescale=1 / 255)])
    assert judge(check, rescaled, CNN_CHECK).fraction == 0.0


def test_nothing_trained():
    check = make("experiment", variants=2, vary=["batch_size"], of=["cnn"])
    verdict = judge(check, run([cnn(1)]), CNN_CHECK)
    assert (verdict.fraction, text(verdict)) == (0.0, "no model of “cnn” was trained")
