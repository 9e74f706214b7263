"""The sandbox launcher without a kernel: which layer each host gets, and the commands it builds."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from grader.errors import SandboxError
from grader.execute import sandbox
from grader.execute.doctor import INSTALL_BWRAP, NOT_LINUX, probe_capabilities
from grader.execute.launcher import Limits
from grader.execute.sandbox import Controller, Host, SandboxLauncher, make_launcher

ARGV = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
FULL = dict(system="Linux", root=True, bwrap="/usr/bin/bwrap", unshare="/usr/bin/unshare", user=(65534, 65534))


def _others_reach(path: Path) -> bool:
    """Whether a user who owns nothing on the way (nobody) may enter every folder to ``path`` and read it."""
    folders = [q for q in path.parents if q != Path("/")]
    return all(q.stat().st_mode & 0o001 for q in folders) and bool(path.stat().st_mode & 0o004)


# Without bwrap a root grader's kernel drops to nobody only if nobody can reach the Python (a pyenv under
# /root cannot be: the file system then has no layer at all).
UNSHARE_FILESYSTEM = "uid" if _others_reach(Path(os.path.realpath(sys.executable))) else "none"


def host(tmp_path: Path | None = None, **changes) -> Host:
    """A Linux root host with every tool; cgroup parents are plain folders under tmp_path."""
    fields = dict(FULL)
    if tmp_path is not None:
        for name in ("memory", "pids"):
            (tmp_path / name).mkdir(exist_ok=True)
            fields[name] = Controller(name, 1, tmp_path / name)
    fields.update(changes)
    return Host(**fields)


def prepared(tmp_path: Path, limits: Limits = Limits(), **options) -> SandboxLauncher:
    options.setdefault("host", host(tmp_path))
    launcher = SandboxLauncher(limits, **options)
    work = tmp_path / "scratch"
    work.mkdir(exist_ok=True)
    launcher.prepare(work, limits)
    return launcher


def release(launcher: SandboxLauncher) -> None:
    """Fake cgroup folders hold plain files that real cgroupfs would not; clear them, then clean up."""
    for _, group in launcher._groups:
        for item in group.iterdir():
            item.unlink()
    launcher.cleanup()


def layers(launcher: SandboxLauncher) -> tuple[str, str, str, str]:
    iso = launcher.isolation()
    return iso.network, iso.filesystem, iso.pids, iso.memory


# --------------------------------------------------------------------------- degradation


@pytest.mark.parametrize("changes, options, expected", [
    ({}, {}, ("bwrap", "bwrap", "cgroup", "cgroup")),
    ({}, {"cgroups": False}, ("bwrap", "bwrap", "rlimit", "rlimit")),
    ({}, {"cgroups": False, "drop_user": False}, ("bwrap", "bwrap", "none", "rlimit")),
    ({"bwrap": None}, {}, ("unshare", UNSHARE_FILESYSTEM, "cgroup", "cgroup")),
    ({"bwrap": None, "unshare": None, "memory": None, "pids": None}, {"drop_user": False},
     ("none", "none", "none", "rlimit")),
    ({"root": False, "user": None, "memory": None, "pids": None}, {}, ("bwrap", "bwrap", "rlimit", "rlimit")),
    ({"system": "Darwin", "root": False, "bwrap": None, "unshare": None, "memory": None, "pids": None,
      "user": None}, {}, ("none", "none", "rlimit", "rlimit")),
])
def test_each_layer_falls_back_to_the_next_mechanism(tmp_path, changes, options, expected):
    launcher = SandboxLauncher(Limits(), host=host(tmp_path, **changes), **options)
    assert layers(launcher) == expected
    iso = launcher.isolation()
    assert iso.complete == ("none" not in expected)
    for layer, mechanism in zip(("network", "filesystem", "pids", "memory"), expected):
        if mechanism == "none":  # every missing layer is explained
            assert any(note.startswith(layer) or "not reachable" in note for note in iso.notes), iso.notes


def test_a_cap_left_at_none_is_reported_as_not_requested(tmp_path):
    launcher = SandboxLauncher(Limits(memory_bytes=None, processes=None), host=host(tmp_path))
    iso = launcher.isolation()
    assert (iso.memory, iso.pids) == ("none", "none")
    assert "memory: no cap requested" in iso.notes and "pids: no cap requested" in iso.notes


def test_the_kernel_stays_root_when_nobody_cannot_reach_the_scratch_folder(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o700)
    launcher = SandboxLauncher(Limits(), host=host(tmp_path, bwrap=None, unshare=None, pids=None))
    (locked / "w").mkdir()
    launcher.prepare(locked / "w", Limits())
    try:
        assert launcher.plan.user is None
        assert any("not reachable by uid 65534" in note for note in launcher.isolation().notes)
        assert launcher.isolation().pids == "none"  # root is exempt from RLIMIT_NPROC
    finally:
        release(launcher)


def test_make_launcher_uses_the_detected_host_and_hides_what_it_is_given(tmp_path):
    launcher = make_launcher(Limits(), hide=[tmp_path])
    assert launcher.host is sandbox.detect_host()
    assert launcher.hide == (tmp_path.resolve(),)


# --------------------------------------------------------------------------- commands


@pytest.mark.skipif(sys.platform != "linux", reason="the probes run on Linux only")
def test_the_hosts_probes_run_side_by_side_and_report_problems_in_a_fixed_order(monkeypatch):
    """Four probes that each wait for a process: together they cost the slowest one, not the sum."""
    meeting = threading.Barrier(4, timeout=5)  # one after the other, the first would wait here in vain

    def works(tool, flags, problems):
        meeting.wait()
        time.sleep(0.05 if "--ro-bind" in flags else 0)  # bwrap's answer comes last
        problems.append(f"{'bwrap' if '--ro-bind' in flags else 'unshare'} refused")
        return None

    def controller(name, problems):
        meeting.wait()
        problems.append(f"{name} refused")
        return None

    monkeypatch.setattr(sandbox, "_works", works)
    monkeypatch.setattr(sandbox, "_controller", controller)
    host = sandbox.detect_host.__wrapped__()
    assert host.problems == ("bwrap refused", "unshare refused", "memory refused", "pids refused")
    assert (host.bwrap, host.unshare, host.memory, host.pids) == (None, None, None, None)


def test_wrap_and_env_refuse_to_run_before_prepare():
    launcher = SandboxLauncher(host=host())
    with pytest.raises(SandboxError, match="before prepare"):
        launcher.wrap(ARGV)
    with pytest.raises(SandboxError, match="before prepare"):
        launcher.env()


def test_the_bwrap_chain_joins_cgroups_outside_and_drops_privileges_inside(tmp_path):
    limits = Limits(memory_bytes=2**30, processes=64, cpu_seconds=30, file_bytes=10**6)
    launcher = prepared(tmp_path, limits)
    try:
        cmd = launcher.wrap(ARGV)
        assert cmd[-len(ARGV):] == ARGV  # {connection_file} survives for jupyter_client to fill in
        outer_end = cmd.index("/usr/bin/bwrap")
        outer = cmd[:outer_end]
        assert outer[:4] == [sys.executable, "-I", "-S", str(sandbox.LAUNCH)]
        assert outer.count("--cgroup") == 2 and "--stdin-null" in outer and "--pidfile" in outer
        inner = cmd[cmd.index(sandbox.INNER_LAUNCH):-len(ARGV)]
        assert {"--rlimit", "cpu=30", "fsize=1000000", "core=0", "--no-new-privs"} <= set(inner)
        assert "--user" in inner and inner[inner.index("--user") + 1] == "65534:65534"
        assert inner[inner.index("--chown") + 1] == str(launcher.workdir)
        assert not any(arg.startswith(("data=", "nproc=")) for arg in inner)  # cgroups cap those
        assert "--status" not in inner
        for name, value in (("memory", "memory.limit_in_bytes"), ("pids", "pids.max")):
            group = next(g for c, g in launcher._groups if c.name == name)
            assert (group / value).read_text() == str(2**30 if name == "memory" else 64)
    finally:
        release(launcher)


def test_bwrap_shows_a_read_only_host_with_private_tmp_home_and_hidden_paths(tmp_path):
    hidden_dir, hidden_file = tmp_path / "out", tmp_path / "answers.json"
    hidden_dir.mkdir()
    hidden_file.write_text("{}")
    launcher = prepared(tmp_path, hide=[hidden_dir, hidden_file])
    try:
        args = launcher.bwrap_args()
        joined = " ".join(args)
        for flag in ("--unshare-pid", "--unshare-net", "--unshare-ipc", "--die-with-parent", "--new-session"):
            assert flag in args
        assert "--ro-bind / /" in joined and "--proc /proc" in joined and "--dev /dev" in joined
        assert "--perms 1777 --tmpfs /tmp" in joined and "--perms 0755 --tmpfs /root" in joined
        assert f"--perms 0755 --tmpfs {hidden_dir}" in joined
        assert f"--ro-bind {os.devnull} {hidden_file}" in joined
        assert f"--bind {launcher.workdir} {launcher.workdir}" in joined
        assert f"--ro-bind {sandbox.LAUNCH} {sandbox.INNER_LAUNCH}" in joined
        assert args[-2:] == ["--chdir", str(launcher.workdir)]
        # every folder between a tmpfs and a bind target is created passable by nobody
        for parent in launcher.workdir.parents:
            if parent != Path("/tmp") and Path("/tmp") in parent.parents:
                assert f"--perms 0755 --dir {parent}" in joined
        # the scratch folder is bound after the tmpfs that would otherwise cover it
        assert args.index(str(launcher.workdir)) > args.index("/tmp")
    finally:
        release(launcher)


def test_pythons_under_a_hidden_home_are_rebound_read_only(tmp_path, monkeypatch):
    home = tmp_path / "home"
    prefix = home / ".pyenv" / "versions" / "3.x"
    prefix.mkdir(parents=True)
    monkeypatch.setattr(sandbox.Path, "home", classmethod(lambda cls: home))
    launcher = prepared(tmp_path, expose=[prefix, prefix / "lib"])
    try:
        joined = " ".join(launcher.bwrap_args())
        assert f"--perms 0755 --tmpfs {home}" in joined
        assert f"--perms 0755 --dir {home / '.pyenv'} --perms 0755 --dir {home / '.pyenv' / 'versions'}" in joined
        assert f"--ro-bind {prefix} {prefix}" in joined
        assert f"{prefix / 'lib'}" not in joined  # already inside an exposed folder
    finally:
        release(launcher)


def test_without_cgroups_memory_and_processes_become_rlimits_and_the_exit_is_recorded(tmp_path):
    limits = Limits(memory_bytes=2**30, processes=50)
    launcher = prepared(tmp_path, limits, cgroups=False)
    try:
        cmd = launcher.wrap(ARGV)
        assert "--cgroup" not in cmd
        assert f"data={2**30}" in cmd
        nproc = next(arg for arg in cmd if arg.startswith("nproc="))
        assert int(nproc.split("=")[1]) >= 50  # plus what nobody already runs
        assert cmd[cmd.index("--status") + 1] == str(launcher._state / "status")
        assert f"--bind {launcher._state} {launcher._state}" in " ".join(cmd)
    finally:
        release(launcher)


@pytest.mark.parametrize("tool, first", [("unshare", "/usr/bin/unshare"), (None, "--rlimit")])
def test_without_bwrap_the_chain_uses_unshare_or_launch_alone(tmp_path, tool, first):
    changes = {"bwrap": None} if tool else {"bwrap": None, "unshare": None}
    launcher = prepared(tmp_path, host=host(tmp_path, **changes))
    try:
        cmd = launcher.wrap(ARGV)
        assert cmd[cmd.index("--") + 1 if tool else cmd.index("--rlimit")] == first
        if tool:
            assert {"--net", "--pid", "--fork", "--kill-child"} <= set(cmd) and "-r" not in cmd
        assert cmd.count(str(sandbox.LAUNCH)) == (2 if tool else 1)
        assert launcher.env()["TMPDIR"] == str(launcher.workdir / ".tmp")
    finally:
        release(launcher)


def test_the_environment_is_an_allow_list(tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "hunter2")
    monkeypatch.setenv("PYTHONPATH", "/somewhere")
    launcher = prepared(tmp_path, extra_env={"KERAS_BACKEND": "tensorflow"})
    try:
        env = launcher.env()
        assert "hunter2" not in repr(env) and "PYTHONPATH" not in env and "JPY_PARENT_PID" not in env
        assert env["HOME"] == str(launcher.workdir) and env["TMPDIR"] == "/tmp"
        assert env["LANG"] == env["LC_ALL"] == "C.UTF-8"
        assert env["PYTHONNOUSERSITE"] == env["PYTHONDONTWRITEBYTECODE"] == "1"
        assert env["TF_CPP_MIN_LOG_LEVEL"] == "2" and env["MPLBACKEND"] == "Agg"
        assert env["KERAS_HOME"].startswith(str(launcher.workdir)) and env["KERAS_BACKEND"] == "tensorflow"
    finally:
        release(launcher)


# --------------------------------------------------------------------------- cgroups, memory, cleanup


@pytest.mark.parametrize("version, files, expected", [
    (1, {"memory.oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n"}, True),
    (1, {"memory.oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n", "memory.failcnt": "7"}, False),
    (1, {"memory.oom_control": "oom_kill_disable 0\n", "memory.failcnt": "7"}, True),  # kernels before 4.13
    (2, {"memory.events": "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n"}, True),
    (2, {"memory.events": "low 0\nmax 3\noom_kill 0\n"}, False),
])
def test_an_oom_kill_counted_by_the_cgroup_means_memory_exceeded(tmp_path, version, files, expected):
    launcher = prepared(tmp_path, host=host(tmp_path, memory=Controller("memory", version, tmp_path / "memory")))
    group = next(g for c, g in launcher._groups if c.name == "memory")
    for name, text in files.items():
        (group / name).write_text(text)
    assert launcher.memory_exceeded() is expected
    release(launcher)


def test_cgroup_v2_limits_share_one_folder(tmp_path):
    v2 = {name: Controller(name, 2, tmp_path / "memory") for name in ("memory", "pids")}
    launcher = prepared(tmp_path, Limits(memory_bytes=2**30, processes=64), host=host(tmp_path, **v2))
    group = launcher._groups[0][1]
    assert [g for _, g in launcher._groups] == [group, group]
    assert {p.name: p.read_text() for p in group.iterdir()} == {
        "memory.max": str(2**30), "memory.swap.max": "0", "pids.max": "64"}
    release(launcher)


@pytest.mark.parametrize("status, expected", [
    ("signal 9 1000000", True), ("signal 11 900000", True),
    ("signal 9 1000", False),  # a crash long before the cap is not a memory death
    ("exit 1 1000000", False), ("", False),
])
def test_with_an_rlimit_a_death_by_signal_near_the_cap_means_memory_exceeded(tmp_path, status, expected):
    launcher = prepared(tmp_path, Limits(memory_bytes=2**30), cgroups=False)
    (launcher._state / "status").write_text(status)
    assert launcher.memory_exceeded() is expected
    release(launcher)


def test_cleanup_kills_the_chain_and_detached_marked_processes_then_removes_its_state(tmp_path):
    launcher = prepared(tmp_path, Limits(memory_bytes=None, processes=None), bwrap=False, unshare=False)
    env = launcher.env()
    # the chain's first process, as launch.py records it, and a session leader that left it
    chain = subprocess.Popen(launcher.wrap(["sleep", "300"]), env=env, cwd=launcher.workdir)
    detached = subprocess.Popen(["sleep", "301"], env=env, start_new_session=True)
    deadline = time.monotonic() + 5
    while not (launcher._state / "pid").exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    state = launcher._state
    launcher.cleanup()
    assert chain.wait(timeout=5) == -signal.SIGKILL and detached.wait(timeout=5) == -signal.SIGKILL
    assert not state.exists()


def test_cleanup_never_kills_a_process_that_reused_the_recorded_pid(tmp_path):
    launcher = prepared(tmp_path, Limits(memory_bytes=None, processes=None), cgroups=False)
    bystander = subprocess.Popen(["sleep", "300"])
    try:
        (launcher._state / "pid").write_text(f"{bystander.pid} 1")  # same pid, another start time
        launcher.cleanup()
        assert bystander.poll() is None
    finally:
        bystander.kill()
        bystander.wait()


# --------------------------------------------------------------------------- doctor


def test_doctor_reports_the_mechanism_per_layer_and_how_to_get_the_missing_ones(tmp_path):
    full = probe_capabilities(host(tmp_path))
    assert full["complete"] and all(layer["enable"] is None for layer in full["layers"].values())
    assert full["layers"]["memory"]["available"] == ["cgroup", "rlimit"]

    bare = probe_capabilities(host(tmp_path, bwrap=None, unshare=None, memory=None, pids=None))
    assert not bare["complete"]
    assert bare["layers"]["network"] == {"mechanism": "none", "available": [], "enable": INSTALL_BWRAP}
    assert "cgroup" in bare["layers"]["memory"]["enable"]

    blocked = probe_capabilities(host(tmp_path, bwrap=None, problems=("/usr/bin/bwrap --ro-bind / /...: "
                                                                     "setting up uid map: Permission denied",)))
    assert "user namespaces" in blocked["layers"]["network"]["enable"]

    mac = probe_capabilities(Host(system="Darwin"))
    assert mac["layers"]["filesystem"]["enable"] == NOT_LINUX and mac["layers"]["memory"]["mechanism"] == "rlimit"


@pytest.mark.parametrize("changes, why", [
    ({}, None),
    ({"root": False, "user": None, "memory": None, "pids": None}, None),  # a user namespace of its own
    ({"user": None}, "no unprivileged user"),
    ({"bwrap": None}, "no working bubblewrap"),
    ({"system": "Darwin", "bwrap": None}, "Linux-only"),
])
def test_doctor_says_whether_kernels_can_be_forked_from_a_warm_server(tmp_path, changes, why):
    fast = probe_capabilities(host(tmp_path, **changes))["fast_path"]
    assert fast["available"] is (why is None)
    assert (fast["why"] is None) if why is None else (why in fast["why"])


def test_a_cgroup_that_refuses_its_limits_falls_back_to_rlimits(tmp_path):
    broken = Controller("memory", 1, tmp_path / "gone")  # the probe passed, the folder vanished since
    launcher = prepared(tmp_path, Limits(memory_bytes=2**30), host=host(tmp_path, memory=broken))
    try:
        assert layers(launcher)[2:] == ("rlimit", "rlimit") and launcher._groups == []
        assert any(note.startswith("cgroups failed") for note in launcher.isolation().notes)
        assert f"data={2**30}" in launcher.wrap(ARGV)
    finally:
        release(launcher)


@pytest.mark.parametrize("options, dropped", [({}, False), ({"drop_user": False}, True)])
def test_a_kernel_that_stays_root_loses_its_capabilities(tmp_path, options, dropped):
    launcher = prepared(tmp_path, **options)
    try:
        assert ("--cap-drop" in launcher.bwrap_args()) is dropped
    finally:
        release(launcher)
