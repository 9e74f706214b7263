"""The fast path without kernels: the client's frames, the server's request checks, the launcher's choice."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from grader.execute import pool
from grader.execute.forkclient import EXIT_SETUP, recv_frame, send_frame
from grader.execute.forklauncher import ForkLauncher
from grader.execute.forkserver import Job
from grader.execute.launcher import Limits
from grader.execute.outcome import ExecutionOutcome, Status
from grader.execute.sandbox import SandboxLauncher
from grader.rubric.catalog import get_exercise
from grader.rubric.engine import grade
from grader.tools.differential import differences
from tests.sandbox.test_sandbox_unit import ARGV, host, release
from tests.unit.factories import conv_model, harvest, separable_model


class FakeServer:
    def __init__(self, root: Path, alive: bool = True) -> None:
        self.scratch_root, self.socket_path, self._alive = root, root / "kgz-test" / "s", alive
        self.starts = 0

    def alive(self) -> bool:
        return self._alive


def prepared(tmp_path: Path, server: FakeServer | None, **options) -> ForkLauncher:
    root = tmp_path / "root"
    work = root / "kg-abcdefgh" / "w"
    work.mkdir(parents=True)
    launcher = ForkLauncher(Limits(), server, host=host(tmp_path), **options)
    launcher.prepare(work, Limits())
    return launcher


# --------------------------------------------------------------------------- frames


def test_a_frame_carries_json_descriptors_and_the_senders_pid():
    left, right = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    with left, right:
        right.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        read, write = os.pipe()
        send_frame(left, {"event": "started", "n": 1}, [write])
        message, fds, pid = recv_frame(right, max_fds=1)
        assert message == {"event": "started", "n": 1} and pid == os.getpid() and len(fds) == 1
        os.write(fds[0], b"x")
        assert os.read(read, 1) == b"x"
        for fd in (read, write, *fds):
            os.close(fd)
        left.shutdown(socket.SHUT_WR)
        assert recv_frame(right)[0] is None  # the end of the stream


def test_unexpected_descriptors_are_closed_and_refused():
    left, right = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    with left, right:
        read, write = os.pipe()
        send_frame(left, {}, [read, write])
        with pytest.raises(ValueError, match="at most 1"):
            recv_frame(right, max_fds=1)
        os.close(read)
        with pytest.raises(BrokenPipeError):  # both received copies were closed: no reader is left
            os.write(write, b"x")
        os.close(write)


# --------------------------------------------------------------------------- a forked kernel, as the runner holds it


def test_a_forked_kernel_reports_its_exit_as_a_process_would(tmp_path):
    from grader.execute.forkclient import ForkedKernel

    for event, code in [({"how": "exit", "number": 3, "maxrss": 512}, 3), ({"how": "signal", "number": 9}, 137)]:
        ours, init = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        status = tmp_path / "status"
        kernel = ForkedKernel(ours, 4242, str(status))
        assert kernel.poll() is None  # the init has said nothing yet
        send_frame(init, {"event": "exit", **event})
        assert kernel.wait(timeout=5) == code and kernel.poll() == code
        assert status.read_text().split()[:2] == [event["how"], str(event["number"])]
        init.close()


def test_a_forked_kernel_whose_line_goes_dead_was_killed():
    from grader.execute.forkclient import ForkedKernel

    ours, init = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    gone = ForkedKernel(ours, 4242)
    init.close()  # the init died without a word: cleanup, the OOM killer
    assert gone.wait(timeout=5) == 128 + 9
    ours, init = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    with init:
        killed = ForkedKernel(ours, 4242)
        killed.kill()  # our side shuts the line: the init sees it end (and ends the namespace)
        assert init.recv(16) == b"" and killed.wait(timeout=5) == -9


# --------------------------------------------------------------------------- the server's checks


def job(tmp_path: Path, **changes) -> dict:
    work = tmp_path / "kg-abcdefgh" / "w"
    work.mkdir(parents=True, exist_ok=True)
    return {"workdir": str(work), "user": [65534, 65534], "kernel_args": ["-f", "k.json"], **changes}


def test_the_server_accepts_a_scratch_folder_under_its_root_as_nobody(tmp_path):
    accepted = Job(job(tmp_path, hide=[str(tmp_path)]), str(tmp_path))
    assert accepted.user == (65534, 65534) and accepted.hide == [str(tmp_path)]


@pytest.mark.parametrize("change, why", [
    ({"user": None}, "unprivileged"),
    ({"user": [0, 0]}, "unprivileged"),
    ({"workdir": "/etc"}, "not a folder under the scratch root"),
    ({"workdir": "relative/w"}, "absolute"),
    ({"hide": ["/x/../etc"]}, "without symlinks"),
])
def test_the_server_refuses_requests_that_would_weaken_the_sandbox(tmp_path, change, why):
    with pytest.raises(ValueError, match=why):
        Job(job(tmp_path, **change), str(tmp_path))


def test_the_server_refuses_a_scratch_folder_reached_through_a_link(tmp_path):
    request = job(tmp_path)
    (tmp_path / "link").symlink_to(Path(request["workdir"]).parent)
    with pytest.raises(ValueError, match="without symlinks"):
        Job(dict(request, workdir=str(tmp_path / "link" / "w")), str(tmp_path))


# --------------------------------------------------------------------------- the launcher


def test_with_a_live_server_the_launcher_asks_it_for_the_kernel(tmp_path):
    launcher = prepared(tmp_path, FakeServer(tmp_path / "root"))
    assert launcher.forked and launcher.spawns_kernel and launcher.wrap(list(ARGV)) == ARGV
    plan = launcher.isolation()
    assert (plan.network, plan.filesystem, plan.pids, plan.memory) == ("fork+netns", "fork+mountns", "cgroup", "cgroup")
    assert launcher._request["user"] == [65534, 65534]
    assert launcher._request["expose"] == [str(p) for p in launcher._exposed()]
    with pytest.raises(ValueError, match="only starts ipykernel"):
        launcher.spawn([sys.executable, "-c", "print(1)"], {}, None, None)
    log = tmp_path / "kernel.log"
    with open(log, "wb") as out:  # the fake server has no socket: a refusal, said in the log, as a kernel that exited
        kernel = launcher.spawn(list(ARGV), {}, out, out)
    assert kernel.poll() == EXIT_SETUP and "keras-grader fork client:" in log.read_text()
    release(launcher)


def test_under_a_non_root_grader_the_forked_kernel_keeps_the_graders_user_as_a_cold_one_does(tmp_path):
    root = tmp_path / "root"
    work = root / "kg-abcdefgh" / "w"
    work.mkdir(parents=True)
    user_host = host(tmp_path, root=False, user=None, memory=None, pids=None)
    launcher = ForkLauncher(Limits(), FakeServer(root), host=user_host)
    launcher.prepare(work, Limits())
    assert launcher.forked, launcher.cold_reason
    assert launcher._request["user"] == [os.getuid(), os.getgid()] and launcher._request["no_new_privs"]
    plan = launcher.isolation()
    assert (plan.network, plan.filesystem, plan.pids, plan.memory) == ("fork+netns", "fork+mountns", "rlimit", "rlimit")
    launcher.cleanup()


@pytest.mark.parametrize("server, options, reason", [
    (None, {}, "no fork server"),
    ("dead", {}, "not running"),
    ("live", {"bwrap": False}, "no working bubblewrap"),
    ("live", {"drop_user": False}, "unprivileged user"),
    ("elsewhere", {}, "outside the fork server's"),
])
def test_without_the_same_containment_the_kernel_starts_cold_and_says_why(tmp_path, server, options, reason):
    fake = {None: None, "dead": FakeServer(tmp_path / "root", alive=False), "live": FakeServer(tmp_path / "root"),
            "elsewhere": FakeServer(tmp_path / "other")}[server]
    launcher = prepared(tmp_path, fake, **options)
    assert not launcher.forked and reason in launcher.cold_reason
    assert any("fast path not used" in note for note in launcher.isolation().notes)
    assert not launcher.spawns_kernel and launcher.wrap(list(ARGV)) != ARGV  # the cold chain
    release(launcher)


def test_the_servers_environment_is_a_kernels_without_the_per_run_entries(tmp_path):
    sandboxed = SandboxLauncher(Limits(), host=host(tmp_path), cgroups=False)
    work = tmp_path / "w"
    work.mkdir()
    sandboxed.prepare(work, Limits())
    kernel = sandboxed.env()
    sandboxed.cleanup()
    server = pool.server_env(str(tmp_path / "server-matplotlib"))
    assert set(server) == set(kernel) - {"KERAS_GRADER_RUN"}
    same = {k for k in server if server[k] == kernel[k]}
    assert set(server) - same == {"HOME", "KERAS_HOME", "MPLCONFIGDIR"}


def test_the_server_runs_in_bubblewrap_with_only_the_scratch_root_writable(tmp_path):
    server = pool.ForkServer(host=host(tmp_path), scratch_root=tmp_path)
    server.control = tmp_path / "kgz-test"
    command = server.command()
    bwrap = command[:command.index("--")]
    assert " --ro-bind / / " in " ".join(bwrap) and "--cap-drop" not in bwrap
    assert "--unshare-user" not in bwrap and "--cap-add" not in bwrap  # root: the host's root, nobody's kernels
    assert {"--unshare-net", "--unshare-pid", "--as-pid-1"} <= set(bwrap)  # its death ends every kernel
    writable = [bwrap[i + 1] for i, arg in enumerate(bwrap) if arg == "--bind"]
    assert writable == [str(tmp_path)]
    assert {"/run", "/dev/shm", "/tmp"} <= {bwrap[i + 1] for i, arg in enumerate(bwrap) if arg == "--tmpfs"}
    assert command[command.index("--") + 2:] == ["/run/keras-grader/forkserver.py", "--socket",
                                                 str(tmp_path / "kgz-test" / "s"), "--scratch-root", str(tmp_path)]


def test_a_non_root_grader_runs_its_server_in_a_user_namespace_with_that_namespaces_capabilities(tmp_path):
    server = pool.ForkServer(host=host(tmp_path, root=False, user=None), scratch_root=tmp_path)
    server.control = tmp_path / "kgz-test"
    assert server._unsupported() is None
    bwrap = server.command()[:server.command().index("--")]
    assert " --unshare-user --cap-add ALL " in " ".join(bwrap) + " "
    nobody_missing = pool.ForkServer(host=host(tmp_path, user=None), scratch_root=tmp_path)
    assert "no unprivileged user" in nobody_missing._unsupported()  # root, but no one to drop kernels to


class _Server:
    """Stands in for ForkServer in ``shared_server``: counts starts, can die, can refuse to start."""

    starts = 0
    refuse = False

    def __init__(self) -> None:
        self.alive_now = True

    def start(self) -> _Server:
        if _Server.refuse:
            raise pool.SandboxError("no bubblewrap here")
        _Server.starts += 1
        return self

    def alive(self) -> bool:
        return self.alive_now

    def stop(self) -> None:
        self.alive_now = False


def test_the_shared_server_starts_once_comes_back_after_dying_and_remembers_failing(monkeypatch):
    monkeypatch.setattr(pool, "ForkServer", _Server)
    monkeypatch.setattr(pool, "_shared", None)
    monkeypatch.setattr(pool, "_failure", None)
    monkeypatch.setattr(_Server, "starts", 0)
    first = pool.shared_server()
    assert pool.shared_server() is first and _Server.starts == 1
    first.alive_now = False
    second = pool.shared_server()
    assert second is not first and second.alive() and _Server.starts == 2
    pool.stop_shared_server()
    monkeypatch.setattr(_Server, "refuse", True)
    assert pool.shared_server() is None and pool.shared_server() is None and _Server.starts == 2
    assert "no bubblewrap" in pool.shared_failure()
    pool.stop_shared_server()


# --------------------------------------------------------------------------- the differential tool


def test_two_grades_differ_only_where_the_evidence_does():
    exercise = get_exercise("day096")
    run = ExecutionOutcome(status=Status.GRADED, harvest=harvest(conv_model(), separable_model()), seconds=3.0,
                           message="in /tmp/kg-abcdefgh/w")
    same = replace(run, seconds=0.5, message="in /tmp/kg-zyxwvuts/w")
    wrong = replace(run, harvest=harvest(conv_model(second=32), separable_model()))
    assert differences(grade(exercise, None, run), grade(exercise, None, same)) == []
    found = differences(grade(exercise, None, run), grade(exercise, None, wrong))
    assert any(line.startswith("checks[0].points") for line in found)
    assert any(line.startswith("models[0].") for line in found)


# --------------------------------------------------------------------------- what the server imports

STARTS_A_KERNEL_APP = """
import importlib, json, os, sys
from grader.execute.forkserver import PRELOAD
for name in PRELOAD:
    if name not in ("keras", "tensorflow"):  # they do not change what ipykernel's start imports
        importlib.import_module(name)
before = set(sys.modules)
from ipykernel.kernelapp import IPKernelApp
app = IPKernelApp.instance()
app.initialize(["-f", sys.argv[1]])
with open(sys.argv[2], "w") as out:  # ipykernel now owns stdout
    json.dump(sorted(set(sys.modules) - before), out)
os._exit(0)
"""


@pytest.mark.kernel
def test_the_server_has_imported_everything_a_kernels_start_imports(tmp_path):
    """What ipykernel imports while it starts, each forked kernel would import again (a cold one does too)."""
    connection = tmp_path / "kernel.json"
    connection.write_text(json.dumps({"transport": "ipc", "ip": str(tmp_path / "s"), "shell_port": 1, "iopub_port": 2,
                                      "stdin_port": 3, "control_port": 4, "hb_port": 5, "key": "k",
                                      "signature_scheme": "hmac-sha256"}))
    found = tmp_path / "imported.json"
    done = subprocess.run([sys.executable, "-c", STARTS_A_KERNEL_APP, str(connection), str(found)],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path,
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])})
    assert done.returncode == 0 and found.exists(), done.stderr[-2000:]
    assert json.loads(found.read_text()) == [], "add these to forkserver.PRELOAD"
