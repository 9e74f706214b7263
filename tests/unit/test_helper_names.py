"""Which import lines name the exercise's helper module under another name, and how they are read."""

from __future__ import annotations

import pytest

from grader.harvest import offline


@pytest.mark.parametrize("module, helper", [
    ("Day_100_resnet_builder", "resnet_builder"), ("tutorial.resnet_builder", "resnet_builder"),
    ("RESNET_BUILDER", "resnet_builder"), ("resnet_builder", None), ("resnetbuilder", None),
    ("my_resnet_builder_v2", None), ("keras.applications.resnet", None)])
def test_a_helper_is_named_by_its_last_name_or_a_prefixed_copy(module, helper):
    assert offline.helper_for(module, ("resnet_builder",)) == helper


@pytest.mark.parametrize("line, read", [
    ("from Day_100_resnet_builder import resnet\n", "from resnet_builder import resnet\n"),
    ("  from tutorial.resnet_builder import (resnet,\n", "  from resnet_builder import (resnet,\n"),
    ("import Day_100_resnet_builder\n", "import resnet_builder as Day_100_resnet_builder\n"),
    ("import tutorial.resnet_builder as rb  # ours\n", "import resnet_builder as rb  # ours\n"),
    ("import tutorial.resnet_builder\n", "import tutorial.resnet_builder\n"),
    ("import resnet_builder\n", "import resnet_builder\n"),
    ("x = 'from Day_100_resnet_builder import resnet'\n", "x = 'from Day_100_resnet_builder import resnet'\n"),
    ("from json import loads\n", "from json import loads\n")])
def test_an_import_of_a_missing_renamed_helper_is_read_as_the_helper(line, read, monkeypatch):
    monkeypatch.setattr(offline, "EVENTS", [])
    assert offline._renamed_helper_line(line, ("resnet_builder",)) == read
    assert bool(offline.EVENTS) == (line != read)


def test_a_module_that_exists_under_the_prefixed_name_is_the_students_own(tmp_path, monkeypatch):
    (tmp_path / "my_json").mkdir()
    (tmp_path / "my_json" / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert offline._renamed_helper_line("import my_json\n", ("json",)) == "import my_json\n"
    assert offline._renamed_helper_line("import your_json\n", ("json",)) == "import json as your_json\n"
