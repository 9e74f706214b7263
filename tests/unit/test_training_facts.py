"""Training facts across the trust boundary: parsed field by field, carried into the JSON result and the reports."""

from __future__ import annotations

import copy
import json

import pytest

from pathlib import Path

from grader.execute.outcome import CellRun, CellState, ExecutionOutcome, Status
from grader.harvest.schema import SCHEMA, parse_harvest
from grader.report import json_report
from grader.report.common import training_lines
from grader.rubric.engine import grade
from grader.rubric.spec import Exercise
from grader.tools.compat import keras2_error
from tests.unit.factories import conv_model

TRAINING = {
    "index": 0, "cell": 4, "method": "fit_generator", "model": 1,
    "args": {"epochs": 10, "steps_per_epoch": 390, "validation_data": True, "class_weight": False},
    "data": {"kind": "flow", "class_name": "NumpyArrayIterator", "function": None, "image_data_generator": 1,
             "batch_size": 128, "shuffle": True, "samples": 50000},
    "validation": {"kind": "arrays", "class_name": "tuple", "samples": 10000},
    "asked": {"epochs": 10, "steps_per_epoch": 390}, "ran": {"epochs": 1, "steps": 1},
    "first_batch": {"x": [{"shape": [16, 32, 32, 3], "dtype": "float32", "min": 0.0, "max": 1.0}],
                    "y": [{"shape": [16, 10], "dtype": "float32", "min": None, "max": None}], "sample_weight": []},
    "callbacks": [{"class_name": "ReduceLROnPlateau", "keras_type": "ReduceLROnPlateau",
                   "config": {"monitor": "val_loss", "factor": 0.5, "patience": 5}}],
    "optimizer": {"name": "Adam", "learning_rate": 0.001, "schedule": None},
    "augmented_by": [1], "error": None,
}
GENERATOR = {"uid": 1, "cell": 3, "class_name": "ImageDataGenerator", "keras_type": "ImageDataGenerator",
             "config": {"rotation_range": 10, "width_shift_range": 0.1, "zoom_range": [1.0, 1.0],
                        "horizontal_flip": True, "vertical_flip": False, "rescale": None}}
GOOD = {"schema": SCHEMA, "keras_version": "3", "backend": "tensorflow", "models": [conv_model()],
        "dropped_models": 0, "notes": [], "trainings": [TRAINING], "image_data_generators": [GENERATOR],
        "dropped_trainings": 0}


def test_trainings_parse_into_dataclasses_a_rubric_can_read():
    harvest = parse_harvest(GOOD)
    training, = harvest.trainings
    assert training.trains and training.completed and harvest.trainings_of(1) == (training,)
    assert training.data.is_flow and harvest.image_data_generator(training.data.image_data_generator).uid == 1
    assert (training.asked.epochs, training.asked.steps_per_epoch, training.ran.steps) == (10, 390, 1)
    assert training.first_batch.x[0].shape == (16, 32, 32, 3) and training.first_batch.x[0].max == 1.0
    assert training.callbacks[0].config["factor"] == 0.5 and training.optimizer.learning_rate == 0.001
    assert harvest.image_data_generators[0].augmentations == ("rotation_range", "width_shift_range",
                                                              "horizontal_flip")


def test_an_old_harvest_without_trainings_still_parses():
    doc = {k: v for k, v in GOOD.items() if k not in ("trainings", "image_data_generators", "dropped_trainings")}
    harvest = parse_harvest(doc)
    assert harvest.trainings == () and harvest.image_data_generators == ()


@pytest.mark.parametrize("path,value", [
    (("method",), "fit_everything"),
    (("data", "kind"), "magic"),
    (("first_batch", "x", 0, "shape"), "16x32"),
    (("args", "epochs"), [10]),
    (("callbacks", 0, "config"), {"monitor": {"nested": 1}}),
    (("optimizer", "learning_rate"), "fast"),
    (("ran", "steps"), None),
    (("augmented_by",), [True]),
])
def test_a_malformed_training_is_dropped_alone(path, value):
    doc = copy.deepcopy(GOOD)
    doc["trainings"].append(copy.deepcopy(TRAINING))
    target = doc["trainings"][1]
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    harvest = parse_harvest(doc)
    assert len(harvest.trainings) == 1 and len(harvest.models) == 1  # the good training and the model stay


def test_a_fake_generator_has_no_augmentations():
    fake = dict(GENERATOR, keras_type=None)
    doc = dict(GOOD, image_data_generators=[fake])
    assert parse_harvest(doc).image_data_generators[0].augmentations == ()


def result_with_trainings():
    exercise = Exercise(id="demo", title={"en": "Demo"}, folder=Path("."), checks=())
    run = ExecutionOutcome(status=Status.GRADED, harvest=parse_harvest(GOOD))
    return grade(exercise, None, run, submission_name="x.ipynb")


def test_the_json_result_carries_trainings_and_generators():
    doc = json.loads(json_report.dumps(result_with_trainings()))
    training, = doc["trainings"]
    assert training["data"]["kind"] == "flow" and training["asked"] == {"epochs": 10, "steps_per_epoch": 390}
    assert training["first_batch"]["x"][0]["shape"] == [16, 32, 32, 3]
    assert doc["image_data_generators"][0]["config"]["rotation_range"] == 10


@pytest.mark.parametrize("lang,words", [("en", ["cell 5, fit_generator() of model #1",
                                                "ImageDataGenerator #1 flow in batches of 128",
                                                "ReduceLROnPlateau(monitor=val_loss, patience=5, factor=0.5)",
                                                "Adam, learning rate 0.001", "asked 10 epoch(s) of 390 step(s)",
                                                "ImageDataGenerator #1 (cell 4): rotation_range=10"]),
                                        ("zh-TW", ["第 5 格，模型 #1 的 fit_generator()", "每批 128 筆", "學習率 0.001"])])
def test_the_reports_say_how_each_model_was_trained(lang, words):
    lines = "\n".join(training_lines(json_report.result_to_dict(result_with_trainings(), lang), lang))
    for word in words:
        assert word in lines, lines


@pytest.mark.parametrize("name,value,keras2", [
    ("ModuleNotFoundError", "No module named 'keras.utils.np_utils'", True),
    ("ImportError", "cannot import name 'ImageDataGenerator' from 'keras.preprocessing.image'", True),
    ("AttributeError", "'Sequential' object has no attribute 'fit_generator'", True),
    ("ValueError", "Argument(s) not recognized: {'lr': 0.1}", True),
    ("TypeError", "fit() got an unexpected keyword argument 'nb_epoch'", True),
    ("AttributeError", "module 'tensorflow' has no attribute 'Session'", True),
    ("KeyError", "'acc'", True),
    ("NameError", "name 'RMSprop' is not defined", False),  # the student's own (a deleted import)
    ("ModuleNotFoundError", "No module named 'tutorial'", False),
    ("StopIteration", "", False),
])
def test_the_compat_tool_tells_keras2_errors_from_the_students_own(name, value, keras2):
    assert keras2_error(CellRun(0, CellState.ERROR, error_name=name, error_value=value)) is keras2
