"""The real launcher: namespaces, cgroups and rlimits around each kernel, degrading layer by layer.

Each submission gets this chain of processes::

    launch.py (joins cgroups)  →  bwrap (pid/net/ipc/mount namespaces)
        →  launch.py inside (rlimits, chown scratch, drop to ``nobody``, no-new-privs)  →  ipykernel

bubblewrap runs as root when the grader is root, so it can show the kernel a
Python that lives under the hidden ``$HOME``; the kernel itself then runs as
``nobody``, because uid 0 is exempt from RLIMIT_NPROC and owns the host's files.
Where a layer is missing (no bwrap, no user namespaces, no cgroups, not Linux)
the next one down is used, and :meth:`SandboxLauncher.isolation` says which
mechanism enforced each layer, or ``"none"`` with a note. Isolation values:

* network: ``bwrap`` | ``unshare`` | ``none``
* filesystem: ``bwrap`` (read-only root, private /tmp and $HOME) | ``uid`` (file permissions of ``nobody``) | ``none``
* pids: ``cgroup`` (pids.max) | ``rlimit`` (RLIMIT_NPROC) | ``none``
* memory: ``cgroup`` (memory limit, OOM kill counted) | ``rlimit`` (RLIMIT_DATA) | ``none``
"""

from __future__ import annotations

import functools
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from grader.errors import SandboxError
from grader.execute.launch import chown_tree, start_time
from grader.execute.launcher import Launcher, Limits
from grader.execute.local import LocalLauncher
from grader.execute.outcome import Isolation

__all__ = ["Controller", "Host", "SandboxLauncher", "detect_host", "make_launcher"]

LAUNCH = Path(__file__).resolve().with_name("launch.py")
INNER_LAUNCH = "/run/keras-grader/launch.py"  # where bwrap shows launch.py (the project may sit under $HOME)
UNPRIVILEGED_USER = "nobody"
KILL_WAIT = 5.0  # cleanup gives up (and says so) after this long
KILL_POLL = 0.005  # how often cleanup looks again for killed processes that have not exited yet
PROBE_TIMEOUT = 10.0
MEMORY_SIGNALS = {signal.SIGKILL, signal.SIGSEGV, signal.SIGBUS, signal.SIGABRT}


# --------------------------------------------------------------------------- what the machine offers


@dataclass(frozen=True)
class Controller:
    """A cgroup controller this process may create children under (``parent``), v1 or v2."""

    name: str
    version: int
    parent: Path

    def limit_files(self, limits: Limits) -> dict[str, int]:
        """File → value that caps a child cgroup; swap counts as memory so it cannot spill over."""
        if self.name == "pids":
            return {"pids.max": limits.processes} if limits.processes else {}
        if not limits.memory_bytes:
            return {}
        if self.version == 1:
            return {"memory.limit_in_bytes": limits.memory_bytes, "memory.memsw.limit_in_bytes": limits.memory_bytes}
        return {"memory.max": limits.memory_bytes, "memory.swap.max": 0}

    def oom_kills(self, group: Path) -> int:
        """OOM kills inside ``group`` (v1: oom_control, or failcnt on kernels without the counter)."""
        source = "memory.oom_control" if self.version == 1 else "memory.events"
        counters = dict(line.split()[:2] for line in _read(group / source).splitlines() if " " in line)
        if "oom_kill" in counters:
            return int(counters["oom_kill"])
        return int(_read(group / "memory.failcnt") or 0) if self.version == 1 else 0


@dataclass(frozen=True)
class Host:
    """What this machine lets the grader use. ``problems`` says why something present did not work."""

    system: str = platform.system()
    root: bool = False
    bwrap: str | None = None
    unshare: str | None = None
    memory: Controller | None = None
    pids: Controller | None = None
    user: tuple[int, int] | None = None  # uid, gid the kernel drops to (only when root)
    problems: tuple[str, ...] = ()


@functools.lru_cache(maxsize=None)
def detect_host() -> Host:
    """Probe once per process: each tool is tried for real, since installed is not the same as working."""
    system = platform.system()
    if system != "Linux":
        return Host(system=system, root=_is_root(), problems=(f"{system}: namespaces and cgroups are Linux-only",))
    root = _is_root()
    probes: list[Callable[[list[str]], Any]] = [
        functools.partial(_works, shutil.which("bwrap"), ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
                                                         "--unshare-pid", "--unshare-net", "--die-with-parent"]),
        functools.partial(_works, shutil.which("unshare"), ([] if root else ["-r"]) + list(_UNSHARE_FLAGS)),
        functools.partial(_controller, "memory"),
        functools.partial(_controller, "pids"),
    ]
    # Each probe starts a process and waits for it: side by side they take the slowest one's time, not the sum
    # (0.2 s one after the other, before every command's first kernel).
    found: list[list[str]] = [[] for _ in probes]
    with ThreadPoolExecutor(len(probes), thread_name_prefix="keras-grader-probe") as pool:
        bwrap, unshare, memory, pids = pool.map(lambda probe, problems: probe(problems), probes, found)
    return Host(system=system, root=root, bwrap=bwrap, unshare=unshare, memory=memory, pids=pids,
                user=_unprivileged() if root else None, problems=tuple(p for problems in found for p in problems))


_UNSHARE_FLAGS = ("--net", "--pid", "--fork", "--kill-child", "--mount-proc")


def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def _works(tool: str | None, flags: list[str], problems: list[str]) -> str | None:
    if tool is None:
        return None
    try:
        done = subprocess.run([tool, *flags, "--", sys.executable, "-S", "-c", ""], stdin=subprocess.DEVNULL,
                              capture_output=True, timeout=PROBE_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        problems.append(f"{tool}: {exc}")
        return None
    if done.returncode != 0:
        problems.append(f"{tool} {' '.join(flags[:3])}...: {done.stderr.decode(errors='replace').strip()[:200]}")
        return None
    return tool


def _controller(name: str, problems: list[str]) -> Controller | None:
    """Where this process's own cgroup for ``name`` is, if a child can be made there (v1, else v2)."""
    own = {}
    for line in _read(Path("/proc/self/cgroup")).splitlines():
        hierarchy, controllers, path = line.split(":", 2)
        for c in controllers.split(",") if controllers else ["" if hierarchy == "0" else hierarchy]:
            own[c] = path
    candidates = []
    for line in _read(Path("/proc/self/mountinfo")).splitlines():
        left, _, right = line.partition(" - ")
        fields, (fstype, _source, options) = left.split(), (right.split() + ["", "", ""])[:3]
        mount_root, mountpoint = fields[3], fields[4]
        if fstype == "cgroup" and name in options.split(",") and name in own:
            candidates.append((1, mountpoint, mount_root, own[name]))
        elif fstype == "cgroup2" and "" in own:
            candidates.append((2, mountpoint, mount_root, own[""]))
    for version, mountpoint, mount_root, path in sorted(candidates):
        relative = os.path.relpath(path, mount_root)
        if relative.startswith(".."):
            continue
        parent = Path(os.path.normpath(Path(mountpoint) / relative))
        if version == 2 and name not in _read(parent / "cgroup.subtree_control").split():
            problems.append(f"cgroup v2: '{name}' is not enabled in {parent}/cgroup.subtree_control")
            continue
        probe = parent / f"keras-grader-probe-{os.getpid()}-{name}"  # v2: one folder for both, probed at once
        try:
            probe.mkdir()
        except OSError as exc:
            problems.append(f"cgroup {name}: cannot create a child of {parent}: {exc.strerror}")
            continue
        joined = subprocess.run([sys.executable, "-I", "-S", str(LAUNCH), "--cgroup", str(probe), "--",
                                 sys.executable, "-S", "-c", ""], capture_output=True, timeout=PROBE_TIMEOUT,
                                stdin=subprocess.DEVNULL, check=False)
        _rmdir(probe, time.monotonic() + 1)
        if joined.returncode != 0:  # v2 also wants write access to the common ancestor's cgroup.procs
            problems.append(f"cgroup {name}: cannot move a process into {probe}: {joined.stderr.decode()[:200]}")
            continue
        return Controller(name, version, parent)
    return None


def _unprivileged() -> tuple[int, int] | None:
    try:
        import pwd

        entry = pwd.getpwnam(UNPRIVILEGED_USER)
    except (ImportError, KeyError):
        return None
    return entry.pw_uid, entry.pw_gid


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="ascii", errors="replace")
    except OSError:
        return ""


# --------------------------------------------------------------------------- the launcher


@dataclass
class _Plan:
    """The mechanism chosen for each layer, plus how the chain of processes is built."""

    network: str = "none"
    filesystem: str = "none"
    pids: str = "none"
    memory: str = "none"
    user: tuple[int, int] | None = None
    notes: list[str] = field(default_factory=list)


def sandboxed_env(tmp: str) -> dict[str, str]:
    """What a sandboxed kernel's environment adds to a plain one (the fork server's shares it)."""
    return {
        "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "TMPDIR": tmp,
        "PYTHONNOUSERSITE": "1", "PYTHONDONTWRITEBYTECODE": "1", "JUPYTER_PLATFORM_DIRS": "1",
        "IPYTHONDIR": f"{tmp}/ipython",
        "JUPYTER_CONFIG_DIR": f"{tmp}/jupyter", "JUPYTER_DATA_DIR": f"{tmp}/jupyter",
        # without a network pip would retry for seconds; fail at once instead
        "PIP_RETRIES": "0", "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1",
    }


class SandboxLauncher(Launcher):
    """Contains one kernel with the strongest mechanism the host allows for each layer.

    ``hide``: extra paths (the batch output folder, exercises' hidden files) the
    kernel must not see; ``expose``: paths under a hidden folder it still needs,
    read-only (the Python prefixes are added by themselves); ``extra_env``: more
    variables for the kernel, on top of the allow-list. ``bwrap``, ``unshare``,
    ``cgroups`` and ``drop_user`` switch a mechanism off, for tests and for hosts
    where it misbehaves; ``host`` replaces detection.
    """

    def __init__(self, limits: Limits = Limits(), *, hide: Iterable[Path | str] = (),
                 expose: Iterable[Path | str] = (), extra_env: Mapping[str, str] | None = None,
                 bwrap: bool = True, unshare: bool = True, cgroups: bool = True, drop_user: bool = True,
                 host: Host | None = None) -> None:
        self.limits = limits
        self.host = host or detect_host()
        self.hide = tuple(Path(os.path.realpath(p)) for p in hide)
        self.expose = tuple(Path(os.path.realpath(p)) for p in expose)
        self.extra_env = dict(extra_env or {})
        self.tool = ("bwrap" if bwrap and self.host.bwrap else
                     "unshare" if unshare and self.host.unshare else None)
        self.use_cgroups = cgroups
        self.drop_user = drop_user
        self.workdir: Path | None = None
        self.plan = self._plan(None)
        self._plain = LocalLauncher()  # the scrubbed environment and the marker sweep
        self._state: Path | None = None  # root-only folder outside the scratch: pidfile, status
        self._groups: list[tuple[Controller, Path]] = []
        self._owner: tuple[int, int] | None = None

    # ---- planning

    def _plan(self, workdir: Path | None) -> _Plan:
        host, limits, plan = self.host, self.limits, _Plan()
        plan.network = self.tool or "none"
        if self.tool is None:
            plan.notes.append("network: no working bwrap or unshare; the kernel can reach the network")
        if self.drop_user and host.root and host.user:
            blocked = self._unreachable(host.user, workdir)
            if blocked:
                plan.notes.append(f"kernel stays root: {blocked} is not reachable by uid {host.user[0]}")
            else:
                plan.user = host.user
                plan.notes.append(f"kernel runs as uid {host.user[0]} ({UNPRIVILEGED_USER})")
        plan.filesystem = "bwrap" if self.tool == "bwrap" else "uid" if plan.user else "none"
        if plan.filesystem != "bwrap":
            plan.notes.append("filesystem: no bwrap; the kernel sees the host's files"
                              + (" (write access limited by uid only)" if plan.user else "")
                              + ("; hide paths not enforced" if self.hide else ""))
        cgroups = self.use_cgroups and limits.memory_bytes is not None
        plan.memory = ("cgroup" if cgroups and host.memory else
                       "rlimit" if limits.memory_bytes and host.system != "Windows" else "none")
        real_uid_limited = plan.user is not None or not host.root
        plan.pids = ("cgroup" if self.use_cgroups and limits.processes and host.pids else
                     "rlimit" if limits.processes and real_uid_limited and host.system != "Windows" else "none")
        for layer, limit in (("memory", limits.memory_bytes), ("pids", limits.processes)):
            if getattr(plan, layer) == "none":
                plan.notes.append(f"{layer}: no cap requested" if not limit else
                                  f"{layer}: not capped (root is exempt from RLIMIT_NPROC and no pids cgroup)")
        if plan.memory == "rlimit":
            plan.notes.append("memory: RLIMIT_DATA (allocations fail with MemoryError; OOM deaths guessed "
                              "from the exit signal)")
        if plan.pids == "rlimit":
            plan.notes.append("pids: RLIMIT_NPROC counts every process of the uid, shared by concurrent runs")
        return plan

    def _unreachable(self, user: tuple[int, int], workdir: Path | None) -> Path | None:
        """The first path the kernel needs that ``user`` cannot reach, given what bwrap recreates."""
        made = set(self._recreated(workdir)) if self.tool == "bwrap" else set()
        needed = [Path(os.path.realpath(sys.executable)), Path(sys.prefix)] + ([workdir.parent] if workdir else [])
        if self.tool != "bwrap":
            needed.append(LAUNCH)
        for path in needed:
            for part in [*reversed(path.parents), path]:
                if part not in made and not _may_enter(part, *user):
                    return part
        return None

    # ---- Launcher interface

    def prepare(self, workdir: Path, limits: Limits) -> None:
        self.limits = limits
        self.workdir = Path(workdir).resolve()
        self.plan = self._plan(self.workdir)
        self._plain.prepare(self.workdir, limits)
        self._state = Path(tempfile.mkdtemp(prefix="keras-grader-sandbox-"))
        stat = self.workdir.stat()
        self._owner = (stat.st_uid, stat.st_gid)
        try:
            for layer in ("memory", "pids"):
                controller = getattr(self.host, layer)
                if getattr(self.plan, layer) == "cgroup" and controller is not None:
                    self._groups.append((controller, self._make_group(controller)))
        except OSError as exc:  # the probe passed but this child refused: grade with rlimits instead
            for _, group in self._groups:
                _rmdir(group, time.monotonic() + 1)
            self._groups, self.use_cgroups = [], False
            self.plan = self._plan(self.workdir)
            self.plan.notes.append(f"cgroups failed ({exc}); fell back to rlimits")

    def _make_group(self, controller: Controller) -> Path:
        group = controller.parent / f"keras-grader-{os.getpid()}-{self._state.name[-8:]}"
        group.mkdir(exist_ok=True)  # v2: memory and pids share one folder
        for name, value in controller.limit_files(self.limits).items():
            try:
                (group / name).write_text(str(value), encoding="ascii")
            except OSError:
                if "swap" not in name:  # swap accounting may be off; the memory cap still holds
                    raise
        return group

    def wrap(self, argv: list[str]) -> list[str]:
        if self.workdir is None or self._state is None:
            raise SandboxError("SandboxLauncher.wrap() called before prepare()")
        launch = [sys.executable, "-I", "-S"]
        outer = [*launch, str(LAUNCH), "--stdin-null", "--pidfile", str(self._state / "pid")]
        outer += [arg for _, group in self._groups for arg in ("--cgroup", str(group))]
        inner = self._inner_options()
        if self.tool == "bwrap":
            return [*outer, "--", *self.bwrap_args(), "--", *launch, INNER_LAUNCH, *inner, "--", *argv]
        if self.tool == "unshare":
            userns = [] if self.host.root else ["-r"]
            return [*outer, "--", self.host.unshare, *userns, *_UNSHARE_FLAGS, "--",
                    *launch, str(LAUNCH), *inner, "--", *argv]
        return [*outer, *inner, "--", *argv]

    def _inner_options(self) -> list[str]:
        limits, plan = self.limits, self.plan
        caps = {"core": 0, "cpu": limits.cpu_seconds, "fsize": limits.file_bytes}
        if plan.memory == "rlimit":
            caps["data"] = limits.memory_bytes
        if plan.pids == "rlimit":
            uid = plan.user[0] if plan.user else os.getuid()
            caps["nproc"] = limits.processes + _tasks_of(uid)  # the uid's other tasks count too
        options = [arg for name, value in caps.items() if value is not None
                   for arg in ("--rlimit", f"{name}={value}")]
        if plan.user:
            options += ["--user", "%d:%d" % plan.user, "--chown", str(self.workdir)]
        if plan.memory == "rlimit":
            options += ["--status", str(self._state / "status")]
        return options + ["--no-new-privs"] if self.host.system == "Linux" else options

    def bwrap_args(self) -> list[str]:
        """The bubblewrap command: read-only host, private /tmp, /run and homes, writable scratch only."""
        assert self.workdir is not None and self.host.bwrap and self._state is not None
        args = [self.host.bwrap, "--die-with-parent", "--new-session", "--unshare-pid", "--unshare-net",
                "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try", "--hostname", "sandbox",
                "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
        if self.host.root and not self.plan.user:  # a root kernel with CAP_SYS_ADMIN could remount / read-write
            args += ["--cap-drop", "ALL"]
        for path, mode in self._tmpfs():
            args += ["--perms", mode, "--tmpfs", str(path)]
        for path in self.hide:
            if path.is_file():
                args += ["--ro-bind", os.devnull, str(path)]
        binds = [("--ro-bind", p, p) for p in self._exposed()] + [
            ("--ro-bind", LAUNCH, Path(INNER_LAUNCH)),
            ("--bind", self.workdir, self.workdir),
            ("--bind", self._state, self._state),  # root-only 0700: the status file, out of the kernel's reach
        ]
        for flag, source, target in binds:
            for folder in self._between(target):
                args += ["--perms", "0755", "--dir", str(folder)]
            args += [flag, str(source), str(target)]
        return args + ["--chdir", str(self.workdir)]

    def _tmpfs(self) -> list[tuple[Path, str]]:
        """Folders replaced by an empty tmpfs: shared scratch spaces, homes, hidden paths."""
        shared = [(Path("/tmp"), "1777"), (Path("/dev/shm"), "1777"), (Path("/run"), "0755")]
        homes = {Path("/root"), Path("/home"), Path(os.path.realpath(Path.home()))}
        private = sorted(p for p in homes | {p for p in self.hide if not p.is_file()} if p.is_dir())
        return shared + [(p, "0755") for p in private if not any(p == s for s, _ in shared)]

    def _exposed(self) -> list[Path]:
        """Paths the kernel needs that lie under a tmpfs: re-bound read-only, outermost only."""
        wanted = {Path(os.path.realpath(p)) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix,
                                                       sys.base_exec_prefix, Path(sys.executable).parent,
                                                       Path(os.path.realpath(sys.executable)).parent)}
        wanted |= set(self.expose)
        hidden = [p for p, _ in self._tmpfs()]
        covered = [p for p in wanted if p.exists() and any(_under(p, h) for h in hidden)]
        return sorted(p for p in covered if not any(q != p and _under(p, q) for q in covered))

    def _between(self, target: Path) -> list[Path]:
        """Folders bwrap must create (0755, so ``nobody`` can pass) between a tmpfs and ``target``."""
        roots = [p for p, _ in self._tmpfs() if _under(target, p) and target != p]
        if not roots:
            return []
        root = max(roots, key=lambda p: len(p.parts))
        return [p for p in reversed(target.parents) if _under(p, root) and p != root]

    def _recreated(self, workdir: Path | None) -> Iterable[Path]:
        yield from (p for p, _ in self._tmpfs())
        for target in [*self._exposed(), Path(INNER_LAUNCH), *([workdir] if workdir else [])]:
            yield from self._between(target)

    def env(self) -> dict[str, str]:
        if self.workdir is None:
            raise SandboxError("SandboxLauncher.env() called before prepare()")
        env = self._plain.env()
        env.pop("JPY_PARENT_PID", None)  # ipykernel would exit at once: its parent is pid 1 in the namespace
        env.update(sandboxed_env("/tmp" if self.tool == "bwrap" else env["TMPDIR"]))
        env.update(self.extra_env)
        return env

    def isolation(self) -> Isolation:
        plan = self.plan
        return Isolation(network=plan.network, filesystem=plan.filesystem, pids=plan.pids,
                         memory=plan.memory, notes=tuple(plan.notes))

    def memory_exceeded(self) -> bool:
        """cgroup: an OOM kill was counted. rlimit: killed by a signal after using half the cap."""
        for controller, group in self._groups:
            if controller.name == "memory":
                return controller.oom_kills(group) > 0
        if self.plan.memory != "rlimit" or self._state is None or not self.limits.memory_bytes:
            return False
        words = _read(self._state / "status").split()
        if len(words) < 3 or words[0] != "signal":
            return False
        return int(words[1]) in MEMORY_SIGNALS and int(words[2]) * 1024 >= self.limits.memory_bytes // 2

    def cleanup(self) -> None:
        """SIGKILL the cgroups' members, the chain's first process and anything carrying the marker."""
        deadline = time.monotonic() + KILL_WAIT
        while True:
            alive = self._members()
            for pid in alive:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            if not alive or time.monotonic() > deadline:
                break
            time.sleep(KILL_POLL)
        # Detached processes outside any cgroup or namespace, once the chain is gone: scanning every
        # process's environment in each 5 ms poll above took 5.5 scans a run, 14 ms of the grader's CPU.
        self._plain.cleanup()
        left = [group for _, group in self._groups if not _rmdir(group, deadline)]
        self._groups = []
        if self._owner and self.plan.user and self.workdir and self.workdir.exists():
            try:  # give the scratch folder back to the grader's user
                chown_tree(str(self.workdir), *self._owner)
            except OSError:
                pass
        if self._state is not None:
            shutil.rmtree(self._state, ignore_errors=True)
            self._state = None
        if alive or left:
            raise SandboxError(f"processes {sorted(alive)} survived cleanup; cgroups left: {left}",
                               hint="kill them by hand; report this as a bug")

    def _members(self) -> set[int]:
        pids: set[int] = set()
        for _, group in self._groups:
            pids |= {int(p) for p in _read(group / "cgroup.procs").split()}
        if self._state is not None:
            words = _read(self._state / "pid").split()
            if len(words) == 2 and start_time(words[0]) == words[1]:
                pids.add(int(words[0]))
        return {pid for pid in pids if pid != os.getpid() and not _zombie(pid)}


def make_launcher(limits: Limits, hide: Iterable[Path | str] = ()) -> SandboxLauncher:
    """The strongest launcher this machine supports, hiding ``hide`` (e.g. the output folder)."""
    return SandboxLauncher(limits, hide=hide)


# --------------------------------------------------------------------------- helpers


def _under(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _may_enter(path: Path, uid: int, gid: int) -> bool:
    try:
        st = path.stat()
    except OSError:
        return False
    bits = 0o100 if st.st_uid == uid else 0o010 if st.st_gid == gid else 0o001
    need = bits if path.is_dir() else bits * 4  # a folder is entered, a file is read
    return bool(st.st_mode & need)


def _tasks_of(uid: int) -> int:
    """Tasks (threads count) the uid already runs: RLIMIT_NPROC counts them with the kernel's."""
    total = 0
    for status in Path("/proc").glob("[0-9]*/status"):
        fields = dict(line.split(":", 1) for line in _read(status).splitlines() if ":" in line)
        if fields.get("Uid", "").split()[:1] == [str(uid)]:
            total += int(fields.get("Threads", "1").strip() or 1)
    return total


def _zombie(pid: int) -> bool:
    stat = _read(Path(f"/proc/{pid}/stat"))
    return not stat or stat.rsplit(")", 1)[1].split()[0] in ("Z", "X")


def _rmdir(group: Path, deadline: float) -> bool:
    """Remove a cgroup; it stays busy for a moment after its last task was killed."""
    while True:
        try:
            group.rmdir()
            return True
        except FileNotFoundError:
            return True
        except OSError:
            if time.monotonic() > deadline:
                return False
            time.sleep(KILL_POLL)
