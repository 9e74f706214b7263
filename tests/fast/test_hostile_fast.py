"""The hostile suite of tests/sandbox, run again with kernels forked from the fork server.

The cases, the ``hostile`` fixture and its ``check`` (nothing left running, no
cgroup left, no file written outside the scratch folder, no secret in any
output) are imported from ``tests/sandbox/test_hostile.py`` unchanged; only the
launcher differs: ``make_launcher`` there is replaced by a ``ForkLauncher``
that refuses to start the kernel unless the fork path is really in use (the
server alive, the plan a forked kernel with its own namespaces). The server
itself refuses to run a kernel that is not pid 2 of a fresh pid namespace, so
``kill(-1)`` and killing the parent reach nothing of the host's.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import tempfile
import threading
import time
from pathlib import Path

import pytest

from grader.execute.forklauncher import ForkLauncher
from grader.execute.launcher import Limits
from grader.execute.outcome import Status
from grader.execute.runner import run_submission
from grader.submission.model import Cell, Submission
from tests.sandbox import test_hostile as cold
from tests.sandbox.test_hostile import (  # noqa: F401 - collected here, with the fork launcher below
    hostile,
    test_a_fork_bomb_stops_at_the_process_cap_and_is_cleaned_up,
    test_a_loop_that_ignores_interrupts_times_out_and_is_killed,
    test_a_memory_hog_is_stopped_at_the_cap,
    test_detached_processes_do_not_outlive_the_run,
    test_files_outside_the_scratch_folder_can_be_neither_changed_nor_seen,
    test_input_fails_at_once,
    test_keras_still_trains_inside_the_sandbox_under_a_1_gib_cap,
    test_killing_the_parent_or_everything_else_harms_nothing,
    test_nothing_is_reachable_over_the_network_not_even_the_hosts_loopback,
    test_os_exit_is_a_dead_kernel,
    test_the_hosts_environment_does_not_reach_the_kernel,
    test_the_kernels_interpreter_is_a_fresh_ones,
)

pytestmark = [pytest.mark.kernel, pytest.mark.sandbox]


class GuardedForkLauncher(ForkLauncher):
    """Fails the run before any student code if the kernel would not be forked into its own namespaces."""

    def prepare(self, workdir: Path, limits: Limits) -> None:
        super().prepare(workdir, limits)
        assert self.forked, f"the fast path is not in use: {self.cold_reason}"
        assert self.server is not None and self.server.alive()
        isolation = self.isolation()
        assert (isolation.network, isolation.filesystem) == ("fork+netns", "fork+mountns"), isolation


@pytest.fixture(autouse=True)
def fork_launcher(fork_server, monkeypatch):
    """``make_launcher`` in the hostile module now makes guarded fork launchers."""
    monkeypatch.setattr(cold, "make_launcher",
                        lambda limits, hide=(): GuardedForkLauncher(limits, fork_server, hide=hide))


def test_the_cases_above_really_ran_forked(hostile):
    run = hostile("os_exit.py", 15)
    assert isinstance(run.launcher, GuardedForkLauncher) and run.launcher.forked
    assert run.outcome.isolation.network == "fork+netns"


NEIGHBOURS = '''# %%
import json, os, socket
master, _ = os.openpty()  # a pty of its own, in a devpts of its own
found = {{"tmp": sorted(os.listdir("/tmp")), "run": os.listdir("/run"), "shm": os.listdir("/dev/shm"),
          "pts": sorted(os.listdir("/dev/pts")),
          "pids": sorted(int(p) for p in os.listdir("/proc") if p.isdigit()), "me": [os.getpid(), os.getppid()]}}
for what, path in (("neighbour", {neighbour!r}), ("server", {server!r})):
    try:
        found[what] = repr(os.listdir(path))
    except OSError as exc:
        found[what] = type(exc).__name__
try:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    sock.connect({socket!r})
    found["connect"] = "connected"
except OSError as exc:
    found["connect"] = type(exc).__name__
report(**found)
'''


def test_other_scratch_folders_and_the_server_are_out_of_reach(hostile, fork_server, tmp_path):
    neighbour = Path(tempfile.mkdtemp(prefix="kgh-neighbour-"))  # another run's scratch folder, on the same root
    (neighbour / "answers.txt").write_text("another student's work")
    source = tmp_path / "neighbours.py"
    source.write_text(NEIGHBOURS.format(neighbour=str(neighbour), server=str(fork_server.control),
                                        socket=str(fork_server.socket_path)))
    try:
        run = hostile(str(source), 15)  # an absolute path: the fixture joins it to its folder, which keeps it
    finally:
        shutil.rmtree(neighbour)
    found = run.result
    assert run.outcome.status is Status.GRADED, run.outcome.message
    assert found["neighbour"] == "FileNotFoundError" and found["server"] == "FileNotFoundError"
    assert found["connect"] == "FileNotFoundError"
    token = json.loads((run.scratch / "hostile.json").read_text())["token"]  # the canary's file, in its own /tmp
    tmp = Path("/tmp")  # empty but for the scratch root and the way to a Python installed under /tmp (a CI clone)
    shown = {p.relative_to(tmp).parts[0] for p in run.launcher._exposed() if tmp in p.parents}
    assert set(found["tmp"]) - {"ipython", token} == {run.scratch.parent.name} | shown
    assert found["run"] == [] and set(found["shm"]) <= {token} and found["pts"] == ["0", "ptmx"]
    assert found["me"] == [2, 1] and found["pids"] == [1, 2]


POWERLESS = '''# %%
import ctypes, os
status = dict(line.split(":", 1) for line in open("/proc/self/status") if ":" in line)
found = {"caps": {k: int(status[k], 16) for k in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")},
          "uid": os.getresuid(), "no_new_privs": int(status["NoNewPrivs"])}
child = os.fork()  # a single-threaded child: the only kind unshare(CLONE_NEWUSER) accepts
if child == 0:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(0x10000000 | 0x00020000) != 0:  # a user namespace of its own, with a mount namespace
        os._exit(10)
    if libc.umount2(P["hidden"].encode(), 2) != 0:  # lift the tmpfs that hides the folder
        os._exit(20)
    try:
        open(P["hidden"] + "/answers.txt").read()
    except OSError:
        os._exit(30)
    os._exit(0)
found["escape"] = os.waitstatus_to_exitcode(os.waitpid(child, 0)[1])
report(**found)
'''


def test_the_kernel_holds_no_capability_and_cannot_lift_a_hidden_mount(hostile, tmp_path):
    """Under a root grader the kernel is nobody; under a non-root one the server holds every capability of a
    user namespace and the kernel keeps the grader's uid: either way it ends with no capability in any set,
    and a user namespace of its own cannot unmount what hides a path (the mounts are locked)."""
    source = tmp_path / "powerless.py"
    source.write_text(POWERLESS)
    run = hostile(str(source), 15)
    found = run.result
    assert run.outcome.status is Status.GRADED, run.outcome.message
    assert found["caps"] == dict.fromkeys(("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"), 0)
    expected_uid = run.launcher.plan.user[0] if run.launcher.host.root else os.getuid()
    assert found["uid"] == [expected_uid] * 3 and found["no_new_privs"] == 1
    assert found["escape"] in (10, 20), found  # refused: no user namespace, or the mount is locked


LEAVE_AND_LOOK = '''# %%
import json, os
folders = {"/", "/dev", "/dev/shm", "/dev/mqueue", "/tmp", "/var/tmp", "/run", "/run/lock", "/var/lock", "/root",
           "/home", os.path.expanduser("~"), P["home"], P["hidden"], os.path.dirname(os.getcwd())}
for top in ("/", "/home", "/dev"):
    folders |= {os.path.join(top, name) for name in os.listdir(top) if os.path.isdir(os.path.join(top, name))}
marker = "kg-left-behind-TAG"
left, seen = [], []
for folder in sorted(folders):
    path = os.path.join(folder, marker)
    if LEAVE:
        try:
            with open(path, "w") as fh:
                fh.write("from the previous submission")
            left.append(folder)
        except OSError:
            pass
    elif os.path.exists(path):
        seen.append(folder)
report(left=left, seen=seen)
'''


def test_nothing_one_forked_kernel_leaves_outside_its_scratch_folder_reaches_the_next(hostile, tmp_path):
    """Kernels are forks of one server: whatever they could both write (the server's /dev, its tmpfs over the
    homes) would carry one submission's files to the next, most of all when they share the grader's uid."""
    tag = f"{os.getpid()}x{time.monotonic_ns()}"
    writer, reader = tmp_path / "leave.py", tmp_path / "look.py"
    for path, leave in ((writer, True), (reader, False)):
        path.write_text(LEAVE_AND_LOOK.replace("TAG", tag).replace("LEAVE", str(leave)))
    first = hostile(str(writer), 15)
    shutil.rmtree(first.scratch)  # the fixture's one scratch folder, made afresh for the next run
    second = hostile(str(reader), 15)
    assert first.outcome.status is Status.GRADED and second.outcome.status is Status.GRADED
    assert first.result["left"], "the writer wrote nowhere: the probe itself is broken"  # its own /tmp at least
    assert second.result["seen"] == [], (first.result["left"], second.result["seen"])


def _stub_submission(tmp_path: Path, *sources: str) -> Submission:
    path = tmp_path / "homework.py"
    path.write_text("", encoding="utf-8")
    return Submission(path=path, fmt="py", cells=tuple(Cell(i, "code", s) for i, s in enumerate(sources)))


def _alive(token: str) -> list[int]:
    return cold._processes_with(token.encode())


def test_a_cut_connection_takes_the_whole_namespace_with_it(fork_server, tmp_path):
    """The connection to the server is the kernel's lifeline: cut it mid-cell (as the grader's death would, or
    kill()), and the kernel and its detached children die."""
    token = f"kgtoken{os.getpid()}x{time.monotonic_ns()}"
    sleeper = f"import subprocess, sys; subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)  # {token}'], start_new_session=True)"
    launcher = GuardedForkLauncher(Limits(cell_timeout=30, total_timeout=60), fork_server)
    cut: list[bool] = []

    def cut_connection() -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not cut:
            kernel = launcher._kernel
            if kernel is not None and len(_alive(token)) >= 1:  # the detached child exists: the cell is running
                kernel._sock.shutdown(socket.SHUT_RDWR)  # what closing the grader's descriptor does to the init
                cut.append(True)
            time.sleep(0.05)

    cutter = threading.Thread(target=cut_connection)
    cutter.start()
    outcome = run_submission(_stub_submission(tmp_path, sleeper, "import time; time.sleep(25)"),
                             limits=launcher.limits, launcher=launcher, probe_source=cold.STUB)
    cutter.join()
    assert cut, "the kernel never ran the cell"
    assert outcome.status is Status.KERNEL_DIED and "SIGKILL" in outcome.message
    assert _alive(token) == [] and launcher._groups == []


def test_killing_the_server_kills_its_kernels_and_their_children(tmp_path):
    from grader.execute import pool

    with pool.ForkServer() as server:
        token = f"kgserver{os.getpid()}x{time.monotonic_ns()}"
        launcher = GuardedForkLauncher(Limits(cell_timeout=20, total_timeout=40), server)
        code = (f"import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', "
                f"'import time; time.sleep(300)  # {token}'], start_new_session=True); time.sleep(20)")
        timer = threading.Timer(3.0, lambda: os.kill(server.host_pid, signal.SIGKILL))
        timer.start()
        outcome = run_submission(_stub_submission(tmp_path, code), limits=launcher.limits, launcher=launcher,
                                 probe_source=cold.STUB)
        timer.join()
        assert outcome.status is Status.KERNEL_DIED
        assert _alive(token) == [] and not server.alive()
    assert json.dumps(server.info)  # it had started for real


def test_a_python_installed_under_tmp_stays_readable_and_read_only(fork_server, tmp_path):
    """CI checks the project out under /tmp: what the kernel needs there comes back, read-only."""
    venv = Path(tempfile.mkdtemp(prefix="kgh-venv-"))  # stands in for a virtualenv under the scratch root
    venv.chmod(0o755)
    (venv / "module.py").write_text("VALUE = 42\n")
    code = (f"import os, sys; sys.path.insert(0, {str(venv)!r}); import module\n"
            f"try:\n    open({str(venv / 'planted.py')!r}, 'w')\nexcept OSError as exc:\n    error = type(exc).__name__\n"
            f"raise RuntimeError(f'{{module.VALUE}} {{error}}')")
    launcher = GuardedForkLauncher(Limits(cell_timeout=20, total_timeout=40), fork_server, expose=[venv])
    try:
        outcome = run_submission(_stub_submission(tmp_path, code), limits=launcher.limits, launcher=launcher,
                                 probe_source=cold.STUB)
    finally:
        shutil.rmtree(venv)
    assert outcome.cells[0].error_value == "42 OSError", outcome.cells[0]
