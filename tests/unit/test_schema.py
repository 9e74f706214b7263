"""The trust boundary: a harvest document is checked field by field before anything reads it."""

from __future__ import annotations

import copy

import pytest

from grader.errors import HarvestError
from grader.harvest.schema import SCHEMA, ShimNote, parse_harvest
from tests.unit.factories import conv_model

GOOD = {"schema": SCHEMA, "keras_version": "3", "backend": "tensorflow", "models": [conv_model()],
        "dropped_models": 0, "notes": [{"key": "dataset_generated", "params": {"name": "mnist"}}]}


def test_good_document_parses():
    harvest = parse_harvest(GOOD)
    assert harvest.models[0].body()[1].config["filters"] == 64
    assert harvest.notes == (ShimNote("dataset_generated", (("name", "mnist"),)),)


@pytest.mark.parametrize("path,value,where", [
    (("schema",), "other/1", "$.schema"),
    (("models", 0, "total_params"), "19392", "$.models[0].total_params"),
    (("models", 0, "layers", 1, "params"), True, "$.models[0].layers[1].params"),
    (("models", 0, "output_shapes", 0, 1), "220", "$.models[0].output_shapes[0][1]"),
    (("notes",), "not a list", "$.notes"),
    (("models",), [{}] * 201, "$.models"),
])
def test_bad_documents_are_rejected_with_the_path(path, value, where):
    doc = copy.deepcopy(GOOD)
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(HarvestError) as info:
        parse_harvest(doc)
    assert info.value.where == where


@pytest.mark.parametrize("path,value", [
    ((0,), "dataset mnist served offline"),
    ((0, "key"), "Budget Fit!"),
    ((0, "params", "name"), ["mnist"]),
    ((0, "params", "name"), True),
    ((0, "params", "name"), 10**4000),
    ((0, "params", "name"), -1),
    ((0, "params"), {f"p{i}": 1 for i in range(9)}),
])
def test_a_malformed_note_is_dropped_and_the_models_kept(path, value):
    doc = copy.deepcopy(GOOD)
    doc["notes"].append({"key": "budget_fit", "params": {"steps": 1}})
    target = doc["notes"]
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    harvest = parse_harvest(doc)
    assert harvest.notes == (ShimNote("budget_fit", (("steps", 1),)),)
    assert len(harvest.models) == 1


def test_strings_from_the_kernel_are_made_encodable():
    """A lone surrogate (JSON can escape one) would crash every UTF-8 writer and terminal downstream."""
    from grader.execute.runner import _cell_run

    doc = copy.deepcopy(GOOD)
    doc["models"][0]["name"] = "model\ud800"
    harvest = parse_harvest(doc)
    assert harvest.models[0].name == "model\ufffd"
    cell = _cell_run(0, {"status": "error", "ename": "ValueError", "evalue": "bad \udcff", "traceback": ["\ud800"]}, 0.1)
    for text in (cell.error_name, cell.error_value, cell.traceback):
        text.encode("utf-8")
