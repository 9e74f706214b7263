"""launch.py, the exec-wrapper, run for real around tiny commands (no kernel)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from grader.execute import launch
from grader.execute.sandbox import LAUNCH

ROOT = os.geteuid() == 0


def run(*options: str, code: str = "", argv: tuple[str, ...] = (), check: bool = True,
        **kwargs) -> subprocess.CompletedProcess:
    """launch.py around ``argv``, by default a Python one-liner."""
    argv = argv or (sys.executable, "-S", "-c", code)
    return subprocess.run([sys.executable, "-I", "-S", str(LAUNCH), *options, "--", *argv],
                          capture_output=True, text=True, timeout=20, check=check, **kwargs)


def test_rlimits_are_set_before_the_command_starts():
    code = ("import resource as r; print(*[r.getrlimit(getattr(r, n))[0] for n in "
            "('RLIMIT_CPU', 'RLIMIT_FSIZE', 'RLIMIT_CORE', 'RLIMIT_DATA')])")
    out = run("--rlimit", "cpu=7", "--rlimit", "fsize=4096", "--rlimit", "core=0", "--rlimit", f"data={2**31}",
              code=code).stdout
    assert out.split() == ["7", "4096", "0", str(2**31)]


def test_a_file_past_the_size_cap_fails_instead_of_filling_the_disk(tmp_path):
    done = run("--rlimit", "fsize=1000", code="with open('big', 'wb') as f: f.write(b'x' * 5000)", check=False, cwd=tmp_path)
    assert done.returncode != 0 and "File too large" in done.stderr
    assert (tmp_path / "big").stat().st_size == 1000


def test_stdin_is_closed_and_the_pidfile_names_the_process_that_became_the_command(tmp_path):
    pidfile = tmp_path / "pid"
    code = "import os, sys; print(os.getpid(), repr(sys.stdin.read()))"
    out = run("--stdin-null", "--pidfile", str(pidfile), code=code, input="secret answer").stdout.split()
    pid, start = pidfile.read_text().split()
    assert out == [pid, "''"] and int(start) > 0


def test_no_new_privs_is_set():
    out = run("--no-new-privs", code="print(open('/proc/self/status').read().split('NoNewPrivs:')[1].split()[0])")
    assert out.stdout.strip() == "1"


@pytest.mark.parametrize("code, status", [("import os; os._exit(3)", "exit 3"),
                                          ("import os, signal; os.kill(os.getpid(), signal.SIGKILL)", "signal 9")])
def test_status_records_how_the_command_ended_and_its_peak_memory(tmp_path, code, status):
    done = run("--status", str(tmp_path / "status"), code=code, check=False)
    how, kind, peak = (tmp_path / "status").read_text().rpartition(" ")
    assert how == status and int(peak) > 1000  # KiB: a Python interpreter at least
    assert done.returncode == (3 if status == "exit 3" else 128 + 9)


def test_a_command_that_cannot_start_is_reported_not_raised(tmp_path):
    done = run("--cgroup", str(tmp_path / "missing"), argv=("true",), check=False)
    assert done.returncode == 126 and "keras-grader launch:" in done.stderr


@pytest.mark.skipif(not ROOT, reason="dropping to another user needs root")
def test_as_root_it_hands_the_scratch_folder_to_nobody_and_becomes_nobody(tmp_path):
    work = tmp_path / "w"
    (work / "sub").mkdir(parents=True)
    (work / "sub" / "kernel.json").write_text("{}")
    os.symlink("/etc/passwd", work / "link")
    out = run("--user", "65534:65534", "--chown", str(work), argv=("cat", "/proc/self/status")).stdout
    fields = dict(line.split(":", 1) for line in out.splitlines())
    assert fields["Uid"].split() == ["65534"] * 4 and fields["Gid"].split() == ["65534"] * 4
    assert fields["Groups"].split() == [] and int(fields["CapEff"], 16) == 0
    assert {p.stat().st_uid for p in [work, work / "sub", work / "sub" / "kernel.json"]} == {65534}
    assert os.lstat(work / "link").st_uid == 65534 and Path("/etc/passwd").stat().st_uid == 0  # link not followed


def test_options_need_a_command():
    with pytest.raises(SystemExit):
        launch.parse(["--stdin-null"])
    assert launch.parse(["--rlimit", "cpu=1", "--", "x", "--y"]).argv == ["x", "--y"]
