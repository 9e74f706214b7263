"""``grader watch``: a report for the file as it is, another after each save, a clean stop on SIGTERM."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from grader.watch import watch
from tests.fast.test_differential import CONV, IMPORTS, SEPARABLE
from tests.sandbox.test_hostile import _processes_with

pytestmark = [pytest.mark.kernel, pytest.mark.sandbox, pytest.mark.tensorflow]
DEADLINE = 60.0


def script(*cells: str) -> str:
    return "".join(f"# %%\n{cell}\n" for cell in cells)


class Lines:
    """The watcher's output, line by line, read by a thread so a wait can have a deadline."""

    def __init__(self, stream) -> None:
        self.queue: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self.reader = threading.Thread(target=lambda: [self.queue.put(line) for line in stream], daemon=True)
        self.reader.start()

    def wait_for(self, text: str, until: float) -> str:
        while time.monotonic() < until:
            try:
                line = self.queue.get(timeout=0.2)
            except queue.Empty:
                continue
            self.seen.append(line)
            if text in line:
                return line
        raise AssertionError(f"no {text!r} before the deadline; output so far:\n{''.join(self.seen)}")


def test_watch_grades_the_file_then_again_after_each_save(tmp_path):
    path = tmp_path / "day096_watch.py"
    path.write_text(script(IMPORTS, CONV), encoding="utf-8")
    env = dict(os.environ, COLUMNS="160", NO_COLOR="1")
    proc = subprocess.Popen([sys.executable, "-m", "grader.watch", str(path), "--exercise", "day096",
                             "--interval", "0.2"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=env, start_new_session=True)
    lines = Lines(proc.stdout)
    try:
        until = time.monotonic() + DEADLINE
        lines.wait_for("fork server ready", until)
        # This watcher's own servers (others may run on the machine: another test run, a TA's watch).
        servers = set(_processes_with(b"forkserver.py")) & _descendants(proc.pid)
        assert servers, "the watcher reported a fork server, but none runs under it"
        lines.wait_for("run 1", until)
        assert "Score: 2 / 8" in lines.wait_for("Score:", until)
        path.write_text(script(IMPORTS, CONV, SEPARABLE), encoding="utf-8")
        lines.wait_for("run 2", until)
        assert "Score: 4 / 8" in lines.wait_for("Score:", until)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 130
        lines.wait_for("stopped", time.monotonic() + 5)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)  # its own session, created above: only the watcher's processes
            proc.wait()
        lines.reader.join(5)
        proc.stdout.close()
    assert not any("run 3" in line for line in lines.seen)
    deadline = time.monotonic() + 5
    while servers & set(_processes_with(b"forkserver.py")) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert servers & set(_processes_with(b"forkserver.py")) == set()


def _descendants(root: int) -> set[int]:
    """Every live process below ``root``, by the parent links in /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) if entry.name.isdigit() else None
        except (OSError, IndexError, ValueError):
            continue
        if ppid is not None:
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = set(), [root]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def test_the_loop_waits_for_a_save_to_settle_and_skips_unchanged_files(tmp_path):
    path = tmp_path / "day096_x.py"
    path.write_text("a", encoding="utf-8")
    runs: list[int] = []

    def run(number: int) -> None:
        runs.append(number)
        if number == 1:
            path.write_text("ab", encoding="utf-8")  # saved during the first run: graded once more
        if number == 2:
            path.unlink()  # gone (an editor replacing it): nothing to grade, no crash

    assert watch(Path(path), 0.01, 2, run) == 2 and runs == [1, 2]
