"""matplotlib's font list: built once by the grader's own interpreter, copied into each kernel's config folder."""

from __future__ import annotations

import json
import sys
from importlib import metadata
from pathlib import Path
from typing import Iterator

import pytest

from grader.execute import fontcache
from grader.execute.launcher import Limits
from grader.execute.local import LocalLauncher


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Iterator[Path]:
    monkeypatch.setenv(fontcache.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.setattr(fontcache, "_builder", None)  # this process has not built one yet
    fontcache._matplotlib_version.cache_clear()  # the tests below install other versions, or none
    yield tmp_path / "cache"
    fontcache._matplotlib_version.cache_clear()


def test_the_font_list_is_built_in_the_background_once_then_found(cache):
    assert fontcache.font_lists() == []  # not built yet: the caller goes on, the kernel scans fonts itself
    built = fontcache.font_lists(wait=True)
    assert len(built) == 1 and built[0].parent.parent == cache and built[0].name.startswith("fontlist-")
    assert "_version" in json.loads(built[0].read_text())  # matplotlib's own format, written by matplotlib
    assert [p.name for p in built[0].parent.iterdir()] == [built[0].name]  # no staging folder left
    assert fontcache.font_lists() == built


def test_each_environment_and_matplotlib_version_has_its_own_list(cache, monkeypatch, tmp_path):
    first = fontcache.cache_folder()
    monkeypatch.setattr(sys, "prefix", str(tmp_path / "another-venv"))  # same python, another site-packages
    other_venv = fontcache.cache_folder()
    monkeypatch.setattr(metadata, "version", lambda name: "0.0-other")
    fontcache._matplotlib_version.cache_clear()  # as a new process would find it
    assert len({first, other_venv, fontcache.cache_folder()}) == 3
    assert {first.parent, other_venv.parent, fontcache.cache_folder().parent} == {cache}


def test_without_matplotlib_there_is_nothing_to_build(cache, monkeypatch):
    def missing(name):
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "version", missing)
    assert fontcache.cache_folder() is None and fontcache.font_lists(wait=True) == []
    assert not cache.exists()


def test_a_kernels_matplotlib_folder_is_its_own_and_holds_a_copy_of_the_list(cache, tmp_path, monkeypatch):
    made = cache / "matplotlib-x" / "fontlist-v1.json"
    made.parent.mkdir(parents=True)
    made.write_text('{"_version": 1}')
    monkeypatch.setattr(fontcache, "font_lists", lambda: [made])
    work = tmp_path / "work"
    work.mkdir()
    launcher = LocalLauncher()
    launcher.prepare(work, Limits())
    folder = Path(launcher.env()["MPLCONFIGDIR"])
    assert folder == work / ".matplotlib" and (folder / made.name).read_text() == made.read_text()
    (folder / made.name).write_text("spoilt by a submission")
    assert made.read_text() == '{"_version": 1}'  # a copy: what a kernel does to it stays in its scratch folder


def test_the_builder_tidies_up_by_itself_for_a_grader_that_did_not_wait(tmp_path):
    """`grader check` may exit before the build ends; the builder process then finishes the job alone."""
    import os
    import subprocess
    import sys

    target, staging = tmp_path / "lists", tmp_path / "lists" / ".build-x"
    staging.mkdir(parents=True)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(staging), "MPLCONFIGDIR": str(staging),
           "MPLBACKEND": "Agg"}
    done = subprocess.run([sys.executable, "-I", "-c", fontcache._BUILD, str(target)], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert [p.name for p in target.iterdir()] == [next(target.glob(fontcache.FONT_LISTS)).name]
