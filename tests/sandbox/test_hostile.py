"""Hostile submissions against the real sandbox: each must end as expected, quickly, and leave nothing.

Every run gets the same checks (``check``): no process left that carries
the run's token, scratch path or marker; the sandbox's cgroups removed; the
canary cell (tests/files/hostile/_canary.py) wrote nothing outside the scratch
folder; the host secret set by the test appears in no output and no file.
"""

from __future__ import annotations

import ast
import json
import os
import secrets
import shutil
import signal
import socket
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from grader.execute.launcher import Limits
from grader.execute.outcome import CellState, ExecutionOutcome, Status
from grader.execute.runner import run_submission
from grader.execute.sandbox import SandboxLauncher, make_launcher
from grader.submission import load_submission
from grader.submission.model import Cell

pytestmark = [pytest.mark.kernel, pytest.mark.sandbox]

FILES = Path(__file__).resolve().parents[1] / "files"
HOSTILE = FILES / "hostile"
STUB = (FILES / "runner" / "stub_probe.py").read_text(encoding="utf-8")
CANARY = (HOSTILE / "_canary.py").read_text(encoding="utf-8")
LIMITS = Limits(memory_bytes=2**30, processes=64, cpu_seconds=60, file_bytes=50 * 2**20,
                output_bytes=2**20, cell_timeout=4, total_timeout=30)


@dataclass
class Hostile:
    """One run of a hostile file, with what the test needs to judge it."""

    outcome: ExecutionOutcome
    seconds: float
    scratch: Path
    result: dict
    launcher: SandboxLauncher

    def cells(self) -> list[str]:
        return [c.state.value for c in self.outcome.cells[1:]]  # without the canary


@pytest.fixture
def hostile(tmp_path, monkeypatch):
    """Run ``name`` from tests/files/hostile in a fresh sandbox: ``hostile(name, seconds, needs=..., **limits)``.

    ``probe=None`` uses the real Keras probe instead of the TensorFlow-free stub.

    ``needs`` names the layers without which the case would hurt the host itself
    (``"pid-namespace"``: kill(-1) and the parent would be the grader's; ``"pids"``:
    a fork bomb without a cap; ``"network"``: pip would really install); the test is
    skipped where they are missing. Whatever
    an escaped run leaves (canary files, processes with the token) is removed afterwards.
    """
    secret = f"s3cret-{secrets.token_hex(8)}"
    monkeypatch.setenv("GRADER_TEST_SECRET", secret)
    root = Path(tempfile.mkdtemp(prefix="kgh-"))  # short: the ipc socket paths live inside
    hidden = Path(tempfile.mkdtemp(prefix="kgh-hidden-", dir="/var/tmp" if os.access("/var/tmp", os.W_OK) else None))
    (hidden / "answers.txt").write_text("the hidden answers")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "victim.txt").write_text("keep")
    listener = socket.create_server(("127.0.0.1", 0))
    listener.setblocking(False)
    token = secrets.token_hex(8)
    targets = ["/", "/tmp", "/var/tmp", "/dev/shm", str(Path.home()), str(outside), str(hidden), str(root)]

    def run(name: str, seconds: float, needs: tuple[str, ...] = (), probe: str | None = STUB, **limits) -> Hostile:
        chosen = replace(LIMITS, **limits)
        launcher = make_launcher(chosen, hide=[hidden])
        if launcher.host.system != "Linux":
            pytest.skip("the sandbox's namespaces and cgroups are Linux-only")
        if launcher.isolation().filesystem != "bwrap":  # a CI without it must say so, not pass half-contained
            pytest.fail("no working bubblewrap: apt-get install bubblewrap (see `grader doctor`); "
                        f"problems: {launcher.host.problems}")
        if "pid-namespace" in needs and launcher.tool is None:
            pytest.skip("no pid namespace: the kernel's parent and kill(-1) would reach the grader")
        for layer in {"pids", "network"} & set(needs):
            if getattr(launcher.isolation(), layer) == "none":
                pytest.skip(f"no {layer} isolation: the case would reach the host")
        scratch = root / "w"
        scratch.mkdir()
        params = {"token": token, "port": listener.getsockname()[1], "outside": str(outside),
                  "victim": str(outside / "victim.txt"), "hidden": str(hidden), "home": str(Path.home()),
                  "grader_pid": os.getpid(), "write_targets": targets}
        (root / "hostile.json").write_text(json.dumps(params))
        submission = load_submission(HOSTILE / name)
        cells = (Cell(0, "code", CANARY),) + tuple(replace(c, index=c.index + 1) for c in submission.cells)
        started = time.monotonic()
        outcome = run_submission(replace(submission, cells=cells), limits=chosen, launcher=launcher,
                                 files=[root / "hostile.json"], workdir=scratch, probe_source=probe)
        took = time.monotonic() - started
        result_file = scratch / "result.json"
        run = Hostile(outcome, took, scratch, json.loads(result_file.read_text()) if result_file.exists() else {},
                      launcher)
        check(run, token, secret, params, listener)
        assert took < seconds, f"{name} took {took:.1f} s"
        return run

    yield run
    listener.close()
    for pid in _processes_with(token.encode()):
        os.kill(pid, signal.SIGKILL)
    for folder in targets:
        Path(folder, token).unlink(missing_ok=True)
    shutil.rmtree(root, ignore_errors=True)
    shutil.rmtree(hidden, ignore_errors=True)


def check(run: Hostile, token: str, secret: str, params: dict, listener: socket.socket) -> None:
    """What every hostile run must leave behind: nothing."""
    assert run.outcome.status is not Status.INTERNAL_ERROR, run.outcome.message
    marker = f"KERAS_GRADER_RUN={run.launcher.env()['KERAS_GRADER_RUN']}".encode()
    assert _processes_with(token.encode(), str(run.scratch).encode(), marker) == []
    assert run.launcher._groups == [] and not any(
        group.name.startswith(f"keras-grader-{os.getpid()}-") for c in (run.launcher.host.memory,
                                                                        run.launcher.host.pids) if c
        for group in c.parent.iterdir())
    for folder in params["write_targets"]:
        assert not Path(folder, token).exists(), f"the canary escaped to {folder}"
    assert (Path(params["victim"])).read_text() == "keep"
    assert sorted(os.listdir(params["outside"])) == ["victim.txt"]
    assert os.listdir(params["hidden"]) == ["answers.txt"]
    with pytest.raises(BlockingIOError):
        listener.accept()
    said = [run.outcome.message or "", *run.outcome.notes] + [
        f"{c.error_value} {c.traceback}" for c in run.outcome.cells]
    assert not any(secret in text for text in said)
    for path in run.scratch.rglob("*"):
        if path.is_file() and not path.is_symlink():
            assert secret.encode() not in path.read_bytes(), path


def _processes_with(*needles: bytes) -> list[int]:
    """Live processes whose command line or environment holds any needle (zombies are already dead)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            if (proc / "stat").read_text().rsplit(")", 1)[1].split()[0] in "ZX":
                continue
            text = (proc / "cmdline").read_bytes() + b"\0" + (proc / "environ").read_bytes()
        except (OSError, IndexError):
            continue
        if any(needle in text for needle in needles):
            found.append(int(proc.name))
    return found


# --------------------------------------------------------------------------- the cases


def test_a_loop_that_ignores_interrupts_times_out_and_is_killed(hostile):
    run = hostile("infinite_loop.py", 20)
    assert run.outcome.status is Status.TIMEOUT
    assert "did not stop" in run.outcome.message
    assert run.cells() == ["timeout"]


def test_sleeping_forever_after_building_something_hits_the_total_timeout(hostile):
    run = hostile("sleep_forever.py", 15, total_timeout=4, cell_timeout=10)
    assert run.outcome.status is Status.TIMEOUT
    assert "total time limit" in run.outcome.message
    assert run.cells() == ["ok", "timeout"]


def test_a_memory_hog_is_stopped_at_the_cap(hostile):
    run = hostile("memory_hog.py", 20, cell_timeout=15)
    if run.launcher.isolation().memory == "cgroup":
        assert run.outcome.status is Status.MEMORY_LIMIT and "out of memory" in run.outcome.message
        assert run.cells() == ["error"]
    else:  # an rlimit makes the allocation fail inside the kernel instead
        assert run.outcome.cells[1].error_name == "MemoryError"


def test_detached_processes_do_not_outlive_the_run(hostile):
    run = hostile("detach.py", 15)
    assert run.outcome.status is Status.GRADED
    assert run.cells() == ["ok", "ok"] and run.result == {"started": 3}


def test_nothing_is_reachable_over_the_network_not_even_the_hosts_loopback(hostile):
    run = hostile("loopback.py", 15)
    assert run.outcome.status is Status.GRADED
    assert run.result["loopback"].startswith("ConnectionRefusedError")  # its own, empty loopback
    assert run.result["internet"].startswith("OSError") and "unreachable" in run.result["internet"]
    assert run.result["dns"].startswith("gaierror")
    assert run.result["interfaces"] == ["lo"]


def test_files_outside_the_scratch_folder_can_be_neither_changed_nor_seen(hostile):
    run = hostile("escape_fs.py", 15)
    assert run.outcome.status is Status.GRADED
    found = run.result
    refused = ("FileNotFoundError", "PermissionError", "OSError: [Errno 30]")  # not there, or read-only
    for action in ("delete", "overwrite", "create", "grader"):
        assert found[action].startswith(refused), (action, found[action])
    # The tmpfs over the hidden folder: the real one's file never shows; a kernel that keeps the grader's uid
    # (a non-root grader) may write its canary into that private tmpfs, which no one else sees.
    own = {json.loads((run.scratch / "hostile.json").read_text())["token"]} if _same_uid(run) else set()
    assert set(ast.literal_eval(found["hidden"])) <= own, found["hidden"]
    home = Path.home()  # empty but for the way to a Python that lives there, re-bound read-only
    shown = {p.relative_to(home).parts[0] for p in run.launcher._exposed() if home in p.parents}
    assert set(ast.literal_eval(found["home"])) - own == shown
    assert (run.scratch / "inside.txt").read_text() == "ok"


def test_the_hosts_environment_does_not_reach_the_kernel(hostile):
    run = hostile("print_env.py", 15)
    assert run.outcome.status is Status.GRADED
    environ = run.result["environ"]
    assert environ["HOME"] == str(run.scratch) and environ["LC_ALL"] == "C.UTF-8"
    assert "GRADER_TEST_SECRET" not in environ and "GRADER_TEST_SECRET" not in run.result["init"]
    assert run.outcome.cells[1].error_name == "RuntimeError"  # the secret check itself is in check()


def test_killing_the_parent_or_everything_else_harms_nothing(hostile):
    run = hostile("kill_parent.py", 15, needs=("pid-namespace",))  # check() then finds the host untouched
    if _same_uid(run) and not getattr(run.launcher, "forked", False):
        # A non-root grader's cold kernel shares its uid with the launcher that waits for it: killing that
        # ends the run (the kernel's own), and no further; a forked kernel's parent is its namespace's init.
        assert run.outcome.status is Status.KERNEL_DIED and "died" in run.outcome.message
        return
    assert run.outcome.status is Status.GRADED
    assert run.result == {"alive_after_killing_parent": True}
    assert run.cells()[2] == "ok"  # the first two fail (EPERM, ESRCH) or signal nothing, by mechanism


def _same_uid(run: Hostile) -> bool:
    """The kernel runs as the grader's own user (a non-root grader), not as nobody."""
    return run.launcher.plan.user is None and not run.launcher.host.root


def test_the_kernels_interpreter_is_a_fresh_ones(hostile):
    """Run by tests/fast too: a forked kernel must not inherit the server's state (its collector, switched
    off while it imports, is back on with Python's defaults)."""
    run = hostile("interpreter_state.py", 15)
    assert run.outcome.status is Status.GRADED
    assert run.result == {"gc_enabled": True, "gc_threshold": [700, 10, 10], "argv0": "ipykernel_launcher.py",
                          "cwd": str(run.scratch), "name": "__main__"}


def test_os_exit_is_a_dead_kernel(hostile):
    run = hostile("os_exit.py", 15)
    assert run.outcome.status is Status.KERNEL_DIED
    assert "died" in run.outcome.message and "exit code 3" in run.outcome.message


def test_input_fails_at_once(hostile):
    run = hostile("input.py", 10)
    assert run.outcome.status is Status.GRADED
    assert run.outcome.cells[1].error_name == "StdinNotImplementedError"


def test_a_200_mb_output_flood_stops_at_the_output_limit(hostile):
    run = hostile("flood.py", 15)
    assert run.outcome.status is Status.OUTPUT_LIMIT
    assert run.outcome.output_truncated_bytes > 0


def test_pip_install_fails_fast_without_a_network(hostile):
    run = hostile("pip_install.ipynb", 20, needs=("network",), cell_timeout=10)
    assert run.outcome.status is Status.GRADED
    assert run.cells() == ["ok", "ok"] and run.outcome.cells[1].seconds < 8
    assert run.result["pip_exit"] != 0
    assert "No matching distribution" in run.result["pip_log"]


def test_a_fork_bomb_stops_at_the_process_cap_and_is_cleaned_up(hostile):
    run = hostile("fork_bomb.py", 20, needs=("pids",), processes=48)
    assert run.outcome.status is Status.GRADED
    assert run.cells() == ["ok", "ok"]
    # Under a non-root grader RLIMIT_NPROC counts every task of its uid, also those that end while the bomb
    # runs (another test's server): the cap still stops it, a few forks later.
    cap = 48 if not _same_uid(run) else 2 * 48
    assert 0 < run.result["forked"] < cap and "Resource temporarily unavailable" in run.result["error"]
    assert run.outcome.cells[1].state is CellState.OK


@pytest.mark.tensorflow
def test_keras_still_trains_inside_the_sandbox_under_a_1_gib_cap(hostile):
    run = hostile("keras_fit.py", 40, probe=None, cell_timeout=30)
    assert run.outcome.status is Status.GRADED, run.outcome.message
    assert run.cells() == ["ok"] and run.result["loss"] >= 0
    assert [m.name for m in run.outcome.harvest.models] == ["tiny"]
