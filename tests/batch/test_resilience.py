"""The real ``python -m grader grade`` in subprocesses (with the fake grader): killed, stopped, sharded.

The fake grader is injected through ``KERAS_GRADER_BATCH_GRADE_FN`` and logs
``start <id>``/``done <id>`` lines, so the tests count exactly how many times
each submission was graded.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from tests.batch.fakes import snapshot

REPO = Path(__file__).resolve().parents[2]
KINDS = ["CORRECT", "WRONG", "HOSTILE", "nothing", "CORRECT ECHO: <b>hi</b>"]


def make_class(root: Path, n: int) -> Path:
    subs = root / "subs"
    subs.mkdir()
    for i in range(n):
        (subs / f"s{i:02d}.ipynb").write_text(KINDS[i % len(KINDS)])
    return subs


def command(*argv: object, log: Path | None = None, sleep: float = 0.0, **popen) -> subprocess.Popen:
    env = {**os.environ, "KERAS_GRADER_BATCH_GRADE_FN": "tests.batch.fakes:fake_grade",
           "FAKE_GRADER_SLEEP": str(sleep), "PYTHONPATH": str(REPO)}
    if log is not None:
        env["FAKE_GRADER_LOG"] = str(log)
    return subprocess.Popen([sys.executable, "-m", "grader", *map(str, argv)], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen)


def finish(proc: subprocess.Popen, timeout: float = 60) -> tuple[int, str]:
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out + err


def wait_for_results(out: Path, count: int, proc: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(list((out / "results").glob("*.json"))) >= count:
            return
        assert proc.poll() is None, finish(proc)
        time.sleep(0.02)
    raise AssertionError(f"no {count} results within {timeout} s")


def log_counts(log: Path, word: str) -> Counter[str]:
    lines = log.read_text().splitlines() if log.exists() else []
    return Counter(line.split(" ", 1)[1] for line in lines if line.startswith(word + " "))


def test_sigkill_loses_only_in_flight_work_and_a_rerun_finishes_identically(tmp_path):
    subs, out, log = make_class(tmp_path, 10), tmp_path / "out", tmp_path / "calls.log"
    proc = command("grade", subs, "--exercise", "day096-strides", "--out", out, "--jobs", "2", log=log, sleep=0.25)
    wait_for_results(out, 3, proc)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=10)
    saved = {p.stem for p in (out / "results").glob("*.json")}
    done_at_kill = set(log_counts(log, "done"))
    assert 3 <= len(saved) < 10

    code, text = finish(command("grade", subs, "--exercise", "day096-strides", "--out", out, "--jobs", "2", log=log))
    assert code == 0, text
    ids = {f"s{i:02d}" for i in range(10)}
    assert {p.stem for p in (out / "results").glob("*.json")} == ids
    assert not list((out / "results").glob(".*.tmp"))  # the killed run's temp files are swept
    starts, dones = log_counts(log, "start"), log_counts(log, "done")
    assert all(starts[i] == 1 for i in saved), starts  # what was saved is never graded again
    lost = done_at_kill - saved  # finished but killed before the rename: at most one per worker
    assert len(lost) <= 2 and all(dones[i] == 1 + (i in lost) for i in ids), (dones, lost)

    reference = tmp_path / "reference"
    code, text = finish(command("grade", subs, "--exercise", "day096-strides", "--out", reference))
    assert code == 0, text
    assert snapshot(out) == snapshot(reference)


def test_sigterm_stops_cleanly_and_says_what_is_done(tmp_path):
    subs, out, log = make_class(tmp_path, 6), tmp_path / "out", tmp_path / "calls.log"
    proc = command("grade", subs, "--exercise", "day096", "--out", out, "--jobs", "1", log=log, sleep=0.3)
    wait_for_results(out, 1, proc)
    proc.send_signal(signal.SIGTERM)
    code, text = finish(proc)
    assert code == 130, text
    assert "interrupted:" in text and "run the same command again" in text
    graded = len(list((out / "results").glob("*.json")))
    assert 1 <= graded < 6
    assert len((out / "grades.csv").read_text().splitlines()) == 1 + graded  # aggregates match what is saved
    code, text = finish(command("grade", subs, "--exercise", "day096", "--out", out, log=log))
    assert code == 0 and len(list((out / "results").glob("*.json"))) == 6


def test_three_shards_merged_equal_one_unsharded_run(tmp_path):
    subs, log = make_class(tmp_path, 12), tmp_path / "calls.log"
    shards = [command("grade", subs, "--exercise", "day096-strides", "--out", tmp_path / f"shard{i}",
                      "--shard", f"{i}/3", "--lms", "moodle", log=log) for i in (1, 2, 3)]
    for proc in shards:
        code, text = finish(proc)
        assert code == 0, text
    parts = [{p.stem for p in (tmp_path / f"shard{i}" / "results").glob("*.json")} for i in (1, 2, 3)]
    assert all(parts) and sum(map(len, parts)) == 12 and len(set().union(*parts)) == 12
    assert set(log_counts(log, "done").values()) == {1}  # each submission graded by exactly one shard

    code, text = finish(command("merge", *(tmp_path / f"shard{i}" for i in (1, 2, 3)), "--out", tmp_path / "merged"))
    assert code == 0, text
    code, text = finish(command("grade", subs, "--exercise", "day096-strides", "--out", tmp_path / "whole",
                                "--lms", "moodle"))
    assert code == 0, text
    merged, whole = snapshot(tmp_path / "merged", ("manifest.json",)), snapshot(tmp_path / "whole", ("manifest.json",))
    assert merged.keys() == whole.keys() and merged == whole
    assert "Participant s00" in merged["grades.csv"]
