"""Starting, sharing and stopping the fork server; ``make_fast_launcher`` for the pipeline.

``ForkServer`` runs ``forkserver.py`` inside bubblewrap as a context manager:
the host read-only, homes, /run and /dev/shm hidden (the Python prefix
re-bound read-only, as for a cold kernel), no network, a pid namespace of its
own, and the grader's temp folder (the *scratch root*, where the runner makes
every scratch folder) bound read-write so each forked kernel can keep its own.
Its stdin is a pipe from us: when the grader goes away, even by SIGKILL, the
pipe closes, the server exits and its pid namespace takes every kernel with it.

One server per grader process is shared (``shared_server``): a batch, a
``grader watch`` session or a test run starts it once, it is restarted if it
died, and it is stopped at exit. If it cannot start, the failure is remembered
(until ``stop_shared_server``) and every submission runs cold (``make_fast_launcher`` returns a launcher that
says so), because retrying would cost each submission the start-up time.
"""

from __future__ import annotations

import atexit
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Iterable

from grader.errors import SandboxError
from grader.execute.fontcache import seed
from grader.execute.forklauncher import ForkLauncher
from grader.execute.forkserver import FRESH_PER_KERNEL
from grader.execute.launcher import KERNEL_BASE_ENV, Limits
from grader.execute.sandbox import UNPRIVILEGED_USER, Host, SandboxLauncher, detect_host, sandboxed_env

__all__ = ["ForkServer", "fast_path_problem", "make_fast_launcher", "server_env", "shared_failure", "shared_server",
           "stop_shared_server"]

HERE = Path(__file__).resolve().parent
INNER = Path("/run/keras-grader")  # where bwrap shows the server's files, as for launch.py on the cold path
SERVER_FILES = ("forkserver.py", "forkclient.py", "launch.py")
START_TIMEOUT = 120.0  # importing TensorFlow on a loaded machine
STOP_WAIT = 10.0
HOME = "/run/keras-grader-home"  # the server's own $HOME: empty, inside its private /run


def server_env(matplotlib_folder: str) -> dict[str, str]:
    """The server's environment: a kernel's (``SandboxLauncher.env``) without the per-run entries.

    What the imports read at start (``KERNEL_BASE_ENV``, the locale) must equal
    what a cold kernel would see; the per-run entries (HOME, KERAS_HOME,
    MPLCONFIGDIR, the run marker) are set in each forked kernel.
    ``matplotlib_folder``: where the server's ``import keras`` (which imports
    pyplot) finds the font list (``fontcache``).
    """
    return {
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), "/usr/local/bin", "/usr/bin", "/bin"]),
        "HOME": HOME, **KERNEL_BASE_ENV, "KERAS_HOME": f"{HOME}/.keras", "MPLCONFIGDIR": matplotlib_folder,
        **sandboxed_env("/tmp"),
    }


class ForkServer:
    """One fork server process. ``start()`` blocks until it has imported everything and listens."""

    def __init__(self, *, host: Host | None = None, scratch_root: Path | str | None = None,
                 preload: Iterable[str] | None = None, start_timeout: float = START_TIMEOUT) -> None:
        self.host = host or detect_host()
        self.scratch_root = Path(os.path.realpath(scratch_root or tempfile.gettempdir()))
        self.preload = tuple(preload) if preload is not None else None
        self.start_timeout = start_timeout
        self.control: Path | None = None  # root-only folder: the socket and the server's log
        self.process: subprocess.Popen | None = None
        self.info: dict = {}  # what the server said when ready: its pid, import seconds, threads
        self.host_pid: int | None = None

    @property
    def socket_path(self) -> Path:
        if self.control is None:
            raise SandboxError("the fork server was not started")
        return self.control / "s"

    def start(self) -> ForkServer:
        problem = self._unsupported()
        if problem:
            raise SandboxError(f"no fork server: {problem}")
        self.control = Path(tempfile.mkdtemp(prefix="kgz-", dir=self.scratch_root))
        log = open(self.control / "server.log", "wb")  # noqa: SIM115 - the server writes it for its whole life
        env = server_env(str(self.control / "matplotlib"))  # under the scratch root: the server sees it
        seed(Path(env["MPLCONFIGDIR"]))
        try:
            self.process = subprocess.Popen(self.command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                            stderr=log, env=env, close_fds=True)
        finally:
            log.close()
        try:
            self.info = self._wait_ready()
        except BaseException:
            self.stop()
            raise
        self.host_pid = _child_of(self.process.pid)
        return self

    def _unsupported(self) -> str | None:
        host = self.host
        if host.system != "Linux":
            return f"{host.system}: namespaces are Linux-only"
        if not host.bwrap:
            return "no working bubblewrap"
        if host.root and not host.user:
            return f"no unprivileged user to drop kernels to ({UNPRIVILEGED_USER} is missing)"
        return None

    def command(self) -> list[str]:
        """bubblewrap around the server, built from the cold sandbox's own rules for what to hide."""
        assert self.control is not None and self.host.bwrap
        layout = SandboxLauncher(Limits(), host=self.host, cgroups=False)
        root = self.scratch_root
        # --as-pid-1: the server is its namespace's init, so its death ends every kernel (bwrap's own init
        # would wait for them instead).
        args = [self.host.bwrap, "--new-session", "--unshare-pid", "--as-pid-1", "--unshare-net", "--unshare-ipc",
                "--unshare-uts", "--unshare-cgroup-try", "--hostname", "sandbox",
                "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
        if not self.host.root:
            # A non-root grader: the server keeps the user's uid and holds every capability of a user namespace
            # of its own, enough to make each kernel's namespaces; each kernel drops them all (forkserver.py).
            args += ["--unshare-user", "--cap-add", "ALL"]
        for path, mode in layout._tmpfs():
            if path != root:
                args += ["--perms", mode, "--tmpfs", str(path)]
        binds = [("--bind", root, root)]  # first: the read-only binds below may lie inside it
        binds += [("--ro-bind", p, p) for p in layout._exposed()]
        binds += [("--ro-bind", HERE / name, INNER / name) for name in SERVER_FILES]
        for flag, source, target in binds:
            for folder in layout._between(target):
                args += ["--perms", "0755", "--dir", str(folder)]
            args += [flag, str(source), str(target)]
        # What every kernel would otherwise share and C1 does not replace with its own (forkserver.py): /dev and
        # the tmpfs over the homes. Unwritable by nobody anyway; a non-root grader's kernels keep its uid, and
        # one kernel's file there would be the next one's to read.
        per_kernel = {*map(Path, FRESH_PER_KERNEL), root}
        for path in [Path("/dev"), *(p for p, _ in layout._tmpfs() if p not in per_kernel)]:
            args += ["--remount-ro", str(path)]
        server = [sys.executable, str(INNER / "forkserver.py"), "--socket", str(self.socket_path),
                  "--scratch-root", str(root)]
        server += [arg for name in self.preload or () for arg in ("--preload", name)]
        return [*args, "--chdir", "/", "--", *server]

    def _wait_ready(self) -> dict:
        assert self.process is not None and self.process.stdout is not None
        deadline = time.monotonic() + self.start_timeout
        line = b""
        while not line.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0:
                raise SandboxError(f"the fork server did not start within {self.start_timeout:g} s: "
                                   f"{self.log_tail()}")
            ready, _, _ = select.select([self.process.stdout], [], [], min(left, 0.5))
            if ready:
                chunk = os.read(self.process.stdout.fileno(), 4096)
                if not chunk:
                    raise SandboxError(f"the fork server exited while starting "
                                       f"(code {self.process.wait()}): {self.log_tail()}")
                line += chunk
        info = json.loads(line.decode("utf-8", "replace").strip() or "{}")
        if not info.get("ready"):
            raise SandboxError(f"the fork server said {info!r} instead of ready")
        return info

    def log_tail(self, size: int = 2000) -> str:
        try:
            return (self.control / "server.log").read_bytes()[-size:].decode("utf-8", "replace").strip()  # type: ignore[operator]
        except (OSError, TypeError):
            return ""

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def memory(self) -> dict[str, int]:
        """The server's resident memory in bytes (``VmRSS``, ``RssAnon``...): what every fork shares."""
        if self.host_pid is None:
            return {}
        found = {}
        try:
            for line in Path(f"/proc/{self.host_pid}/status").read_text().splitlines():
                name, _, value = line.partition(":")
                if name in ("VmRSS", "RssAnon", "RssFile", "VmHWM"):
                    found[name] = int(value.split()[0]) * 1024
        except OSError:
            return {}
        return found

    def stop(self) -> None:
        """Close the lifeline; the server exits and its pid namespace ends every kernel still running."""
        process, self.process = self.process, None
        if process is not None:
            for stream in (process.stdin, process.stdout):
                if stream is not None:
                    stream.close()
            try:
                process.wait(STOP_WAIT)
            except subprocess.TimeoutExpired:
                for pid in (self.host_pid, process.pid):
                    if pid:
                        try:
                            os.kill(pid, signal.SIGKILL)
                        except OSError:
                            pass
                process.wait(STOP_WAIT)
        if self.control is not None:
            shutil.rmtree(self.control, ignore_errors=True)
            self.control = None

    def __enter__(self) -> ForkServer:
        return self.start() if not self.alive() else self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _child_of(parent: int) -> int | None:
    """The host pid of ``parent``'s child: with ``--as-pid-1`` bwrap's only child is the server."""
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
        except OSError:
            continue
        if fields.get("PPid", "").strip() == str(parent):
            return int(status.parent.name)
    return None


# --------------------------------------------------------------------------- one server per grader process

_lock = threading.Lock()
_shared: ForkServer | None = None
_failure: str | None = None
_at_exit = False


def shared_server() -> ForkServer | None:
    """The process-wide fork server, started on first use and restarted if it died; None if it cannot run."""
    global _shared, _failure, _at_exit
    with _lock:
        if _shared is not None and _shared.alive():
            return _shared
        if _failure is not None:
            return None
        if _shared is not None:  # it died (killed, crashed): its kernels died with it; start another
            _shared.stop()
        if not _at_exit:
            atexit.register(stop_shared_server)
            _at_exit = True
        try:
            _shared = ForkServer().start()
        except (SandboxError, OSError) as exc:
            _shared, _failure = None, str(exc)
            return None
        return _shared


def stop_shared_server() -> None:
    """Stop the shared server (at exit, or between test modules); the next use starts a new one."""
    global _shared, _failure
    with _lock:
        if _shared is not None:
            _shared.stop()
        _shared, _failure = None, None


def shared_failure() -> str | None:
    """Why the shared server could not start, if it could not."""
    return _failure


def fast_path_problem(host: Host | None = None) -> str | None:
    """Why this machine cannot fork kernels from a warm server; None if it can (``grader doctor`` says which)."""
    return ForkServer(host=host)._unsupported()


def make_fast_launcher(limits: Limits, hide: Iterable[Path | str] = ()) -> ForkLauncher:
    """A launcher for the fast path: a forked kernel when the shared server runs, else a cold one."""
    server = shared_server()
    return ForkLauncher(limits, server, hide=hide, unavailable=None if server else _failure)
