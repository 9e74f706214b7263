"""Metamorphic tests of the training, experiment, claim and techniques checks on the real Day 97–100 rubrics.

A submission's run is written as the harvest it produces (tests/unit/training_factories.py). Each
rewrite changes how a student wrote the same work (a generator as a Sequence class, fit instead of
fit_generator, variants built in a loop or a function, a claim in other words) and must not change
any verdict; or changes the work itself (augmentation removed, one variant only, the claim reversed)
and must change exactly the verdicts that grade it. No kernel, no TensorFlow, no ../shared.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Callable

import nbformat
import pytest

from grader.rubric.engine import grade
from grader.rubric.spec import load_exercise
from grader.submission import load_submission
from tests.unit.factories import layer
from tests.unit.training_factories import (arrays, callback, cnn, dnn, evaluate, fit, flow, generator, idg, network,
                                           run, sequence)

ROOT = Path(__file__).resolve().parents[2]
Scenario = dict  # {"models": [...], "trainings": [...], "generators": [...], "answers": (q1, q2) or None}


def verdicts(day: str, scenario: Scenario, tmp_path: Path) -> dict[str, bool]:
    exercise = load_exercise(ROOT / "exercises" / day)
    submission = None
    if scenario.get("answers") is not None:
        nb = nbformat.read(exercise.template, as_version=4)
        prompts = next(c for c in nb.cells if "**Q1.**" in c.source)
        text = prompts.source
        for n, answer in enumerate(scenario["answers"], 1):
            slot = text.index("答 / Answer:", text.index(f"**Q{n}.**"))
            text = text[:slot] + f"答 / Answer: {answer}" + text[slot + len("答 / Answer:"):]
        prompts.source = text
        path = tmp_path / f"{day}.ipynb"
        nbformat.write(nb, path)
        submission = load_submission(path)
    outcome = run(scenario["models"], scenario["trainings"], scenario.get("generators", ()), scenario.get("notes", ()))
    result = grade(exercise, submission, outcome, submission_name="x")
    found = {}
    for check in result.checks:
        found[check.id] = check.passed
        found.update({f"{check.id}.{item.id}": item.passed for item in check.items})
    return found


def rewrite(scenario: Scenario, change: Callable[[Scenario], None]) -> Scenario:
    changed = copy.deepcopy(scenario)
    change(changed)
    return changed


def assert_changes(day: str, base: Scenario, change: Callable[[Scenario], None], expected: set[str], tmp_path: Path):
    before = verdicts(day, base, tmp_path)
    after = verdicts(day, rewrite(base, change), tmp_path)
    assert {k for k in before if before[k] != after[k]} == expected


# --------------------------------------------------------------------------- Day 98: a generator the student wrote

DAY98 = {"models": [cnn(1)],
         "trainings": [fit(1, generator("my_generator"), method="fit_generator", steps_per_epoch=390, epochs=10)]}


def _call(s: Scenario) -> dict:
    return s["trainings"][0]


DAY98_SAME = {
    "fit instead of fit_generator": lambda s: _call(s).update(method="fit"),
    "a keras.utils.Sequence class instead of a generator function": lambda s: _call(s).update(data=sequence("Batches")),
    "another generator name": lambda s: _call(s).update(data=generator("cifar_batches")),
    "the model built in a function, trained in a later cell": lambda s: (
        s["models"].__setitem__(0, cnn(7, cell=9)), _call(s).update(model=7, cell=11)),
    "a validation generator with its steps": lambda s: (
        _call(s).update(validation=generator("val")), _call(s)["args"].update(validation_steps=78)),
    "a fractional steps_per_epoch": lambda s: _call(s)["args"].update(steps_per_epoch=390.625),
}


DAY98_CHANGED = [
    ("trained on arrays instead", lambda s: _call(s).update(data=arrays(), method="fit"),
     {"generator", "batches", "fit_generator", "steps"}),
    ("raw 0-255 pixels", lambda s: _call(s)["first_batch"]["x"][0].update(max=255.0, dtype="uint8"), {"batches"}),
    ("no steps_per_epoch", lambda s: _call(s)["args"].pop("steps_per_epoch"), {"steps"}),
    ("a validation generator without validation_steps", lambda s: _call(s).update(validation=generator("val")),
     {"steps"}),
    ("Keras' ImageDataGenerator flow instead of one's own", lambda s: _call(s).update(data=flow(1, batch=128)),
     {"generator"}),
    ("labels passed as steps_per_epoch: broken before a batch", lambda s: (
        _call(s).update(error="ValueError", ran={"epochs": 0, "steps": 0}, first_batch=None),
        _call(s)["args"].update(steps_per_epoch="<ndarray>")), {"generator", "batches", "fit_generator", "steps"}),
]


# --------------------------------------------------------------------------- Day 99: augmentation, compared

DAY99 = {"models": [cnn(1, cell=8), cnn(2, cell=10)],
         "trainings": [fit(1, arrays(), cell=8), fit(2, flow(1, batch=128), cell=10, method="fit_generator",
                                                    steps_per_epoch=390)],
         "generators": [idg(1, cell=9, rotation_range=10, width_shift_range=0.1, horizontal_flip=True)]}


def _augmented(s: Scenario) -> dict:
    return s["trainings"][1]


DAY99_SAME = {
    "a generator of one's own that draws from the flow": lambda s: _augmented(s).update(
        data=generator("augmented"), augmented_by=[1]),
    "fit instead of fit_generator": lambda s: _augmented(s).update(method="fit"),
    "both set-ups built in one loop, in one cell": lambda s: [t.update(cell=12) for t in s["trainings"]],
    "two augmentation settings instead of none and one": lambda s: (
        s["generators"].append(idg(2, cell=9, rotation_range=40, zoom_range=[0.8, 1.2])),
        s["trainings"][0].update(data=flow(2, batch=128))),
    "the same initial weights reloaded into one model": lambda s: (
        s["models"].pop(), s["trainings"][0].update(start_weights="w0"),
        _augmented(s).update(model=1, start_weights="w0")),
}


DAY99_CHANGED = [
    ("augmentation removed: rescale only", lambda s: s["generators"].__setitem__(0, idg(1, cell=9, rescale=1 / 255)),
     {"augmentation", "augmented_training", "comparison"}),
    ("only one variant", lambda s: (s["models"].pop(0), s["trainings"].pop(0)), {"comparison"}),
    ("the same model goes on training", lambda s: (
        s["models"].pop(), s["trainings"][0].update(start_weights="w0"),
        _augmented(s).update(model=1, start_weights="w1")), {"comparison"}),
    ("a stream the model cannot take", lambda s: _augmented(s).update(
        error="AttributeError", ran={"epochs": 0, "steps": 0}, first_batch=None), {"augmented_training", "comparison"}),
]


# --------------------------------------------------------------------------- Day 97: tuning and the claim

DAY97 = {"models": [dnn(1), cnn(2, cell=3), cnn(3, cell=5)],
         "trainings": [fit(1, cell=1, x_shape=(16, 3072)), fit(2, cell=3), fit(3, cell=5, batch=64)],
         "answers": ("batch size 64 made each epoch slower but the accuracy rose sooner",
                     "DNN 的參數比較多，因為第一層 Dense 連接全部 3,072 個輸入")}

DAY97_SAME = {
    "the variant built by a function, in a later cell": lambda s: (
        s["models"].__setitem__(2, cnn(9, cell=8)), s["trainings"][2].update(model=9, cell=8)),
    "activations as layers of their own": lambda s: s["models"].__setitem__(1, network(2, [
        layer("Conv2D", filters=32, kernel_size=[3, 3], strides=[1, 1], padding="same"), layer("Activation", activation="relu"),
        layer("Conv2D", filters=32, kernel_size=[3, 3], strides=[1, 1], padding="valid"), layer("Activation", activation="relu"),
        layer("MaxPooling2D", pool_size=[2, 2]), layer("Dropout", rate=0.25),
        layer("Conv2D", filters=64, kernel_size=[3, 3], strides=[1, 1], padding="same"), layer("Activation", activation="relu"),
        layer("Conv2D", filters=64, kernel_size=[3, 3], strides=[1, 1], padding="valid"), layer("Activation", activation="relu"),
        layer("MaxPooling2D", pool_size=[2, 2]), layer("Dropout", rate=0.25), layer("Flatten"),
        layer("Dense", units=512), layer("Activation", activation="relu"), layer("Dropout", rate=0.5),
        layer("Dense", units=10), layer("Activation", activation="softmax")], cell=3, params=1_250_858)),
    "the claim in English": lambda s: s.update(answers=(s["answers"][0], "The DNN has more parameters: dense layers")),
    "the claim as the smaller one": lambda s: s.update(answers=(s["answers"][0], "CNN 的參數比較少，因為權重共享")),
    "the claim as counts": lambda s: s.update(answers=(s["answers"][0], "DNN: 1,841,162 / CNN: 1,250,858")),
    "the variant changes the optimizer instead": lambda s: s["trainings"][2].update(
        optimizer={"name": "Adam", "learning_rate": 0.001, "schedule": None},
        args={"batch_size": 128, "epochs": 10, "validation_data": False}),
}


DAY97_CHANGED = [
    ("only the template's set-ups", lambda s: (s["models"].pop(), s["trainings"].pop()), {"tuning"}),
    ("the claim reversed", lambda s: s.update(answers=(s["answers"][0], "CNN 的參數比較多")), {"q2_more_parameters"}),
    ("no answer to Q1", lambda s: s.update(answers=("", s["answers"][1])), {"q1_hyperparameters"}),
    ("CNNs larger than the DNN make the usual answer wrong", lambda s: [s["models"].__setitem__(
        i, cnn(i + 1, filters=(64, 64, 128, 128), cell=3, params=2_625_098)) for i in (1, 2)], {"q2_more_parameters"}),
]


# --------------------------------------------------------------------------- Day 100: the technique checklist

def resnetish(uid: int) -> dict:
    return network(uid, [layer("Conv2D", filters=16, kernel_size=[3, 3], kernel_regularizer={"class_name": "L2"}),
                         layer("BatchNormalization"), layer("GlobalAveragePooling2D"), layer("Dense", units=10)],
                   cell=1, params=849_002)


DAY100 = {"models": [resnetish(1)], "notes": [],
          "trainings": [fit(1, flow(1, batch=64), callbacks=[callback("ReduceLROnPlateau", monitor="val_loss")],
                            validation=arrays(10_000), steps_per_epoch=781), evaluate(1)],
          "generators": [idg(1, cell=1, width_shift_range=0.1, horizontal_flip=True)]}

DAY100_SAME = {
    "fit_generator and evaluate_generator": lambda s: (s["trainings"][0].update(method="fit_generator"),
                                                       s["trainings"][1].update(method="evaluate_generator")),
    "EarlyStopping instead": lambda s: s["trainings"][0].update(callbacks=[callback("EarlyStopping", monitor="val_loss")]),
}


DAY100_CHANGED = [
    # four of five techniques are full marks: the base scenario has four, so losing one costs the check too
    ("a callback waiting on validation the call does not have", lambda s: s["trainings"][0].update(validation=None),
     {"techniques", "techniques.callbacks"}),
    ("augmentation removed", lambda s: s["trainings"][0].update(data=arrays()),
     {"techniques", "techniques.augmentation"}),
    ("no evaluation", lambda s: s["trainings"].pop(), {"techniques", "techniques.test_accuracy"}),
    ("binary_crossentropy for ten classes", lambda s: s["models"][0]["compile"].update(loss="binary_crossentropy"),
     {"model"}),
    ("a pretrained base under the student's own head", lambda s: (
        s["models"].append(network(2, [layer("Conv2D", filters=8, kernel_size=[3, 3]), layer("BatchNormalization")],
                                   name="resnet50")),
        s["models"].append(network(3, [{**layer("Functional"), "name": "resnet50", "layers": [layer("Conv2D")]},
                                       layer("Flatten"), layer("Dense", units=10)])),
        s["trainings"][0].update(model=3), s["trainings"][1].update(model=3),
        s["notes"].append(("pretrained_untrained", {"file": "w.h5"}))), {"techniques.pretrained"}),
]


# Each day: (scenario, the checks that fail in it, rewrites that keep every verdict, rewrites that change some)
DAYS = {"day098": (DAY98, set(), DAY98_SAME, DAY98_CHANGED),
        "day099": (DAY99, {"observation"}, DAY99_SAME, DAY99_CHANGED),  # no text is written in the scenario
        "day097": (DAY97, set(), DAY97_SAME, DAY97_CHANGED),
        "day100": (DAY100, {"techniques.pretrained"}, DAY100_SAME, DAY100_CHANGED)}


@pytest.mark.parametrize("day, name", [(day, name) for day, (_, _, same, _) in DAYS.items() for name in same])
def test_rewrites_that_keep_every_verdict(day, name, tmp_path):
    base, failing, same, _ = DAYS[day]
    before = verdicts(day, base, tmp_path)
    assert {k for k, v in before.items() if not v} == failing
    assert verdicts(day, rewrite(base, same[name]), tmp_path) == before


@pytest.mark.parametrize("day, name, change, expected", [(day, *case) for day, (*_, changed) in DAYS.items()
                                                          for case in changed], ids=lambda v: v if isinstance(v, str) else "")
def test_rewrites_that_change_exactly_what_they_must(day, name, change, expected, tmp_path):
    assert_changes(day, DAYS[day][0], change, expected, tmp_path)
