"""The fork server ("zygote"): imports Keras, TensorFlow and ipykernel once, then forks one kernel per request.

A cold kernel spends about 2 s of CPU importing TensorFlow before the first
cell; a fork of a process that already did costs milliseconds. This process is
started once per grader run by ``pool.ForkServer``, inside bubblewrap (host
read-only, homes and /run hidden, no network, a pid namespace of its own), as root
(or, for a non-root grader, as its user with every capability of a user namespace
of its own), with the grader's temp folder (where every scratch folder lives) bound
read-write. It never runs student code and keeps nothing between requests:
every kernel is a fresh fork of the same idle process. Standard library only
at module level: it runs by path, and imports the heavy modules in ``preload``.

One request (a connection from the grader: ``forkclient.ForkedKernel``) becomes this chain::

    zygote ─fork→ C1  unshare(mount, net, ipc, uts, pid); private /tmp, /dev/shm, /run;
                      only its own scratch folder; hidden paths; loopback up
            C1 ─fork→ C2  pid 1 of the new pid namespace: fresh /proc; tells the client it
                          started (the client moves it into the run's cgroups), then reaps;
                          when C2 exits, the kernel ends every process left in the namespace
            C2 ─fork→ C3  the kernel: own session, stdin /dev/null, rlimits, the run's env,
                          uid nobody (a non-root grader's: its own), no capability in
                          any set, no-new-privs, then ipykernel in-process

C1 exits at once; the zygote, init of its own pid namespace (bwrap
``--as-pid-1``), reaps C2, and if it dies every kernel dies with it. C2 ends
its namespace when the kernel exits (after reporting its status) or when the
client's socket closes (the runner killed the kernel, or the grader died).
After the imports the zygote calls ``gc.freeze()``, so a kernel's garbage
collections do not touch (and copy) the pages it shares with the zygote.
"""

from __future__ import annotations

import argparse
import atexit
import ctypes
import fcntl
import gc
import importlib
import importlib.util
import json
import os
import select
import signal
import socket
import struct
import sys
import time
import traceback
from typing import NoReturn

if __package__:
    from grader.execute import launch
    from grader.execute.forkclient import recv_frame, send_frame
else:  # run by path inside the sandbox: launch.py and forkclient.py are bound beside this file
    import launch  # type: ignore[no-redef]
    from forkclient import recv_frame, send_frame  # type: ignore[no-redef]

# What a cold kernel has imported before the first student cell: ipykernel with what its start imports
# lazily (the debugger, the completer, sqlite3 for the history, the inspector, tornado's asyncio loop,
# faulthandler: a test checks that nothing is left), and Keras with TensorFlow (the probe's install
# imports Keras).
# Keras imports these when they are installed, 0.6 s of CPU: hidden while it imports, as in a cold kernel (probe.py's
# HIDDEN_FROM_KERAS, the same names), then preloaded for the students' code (Day 98 shuffles with sklearn.utils).
HIDDEN_FROM_KERAS = ("sklearn", "pandas")
PRELOAD = ("keras", "tensorflow", "sklearn.utils", "pandas", "ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.zmqshell",
           "ipykernel.debugger", "IPython.core.debugger", "IPython.core.completerlib", "IPython.extensions.storemagic",
           "sqlite3", "IPython.core.oinspect", "IPython.utils.wildcard", "tornado.platform.asyncio", "faulthandler")
_LAUNCHER: str | None = None  # ipykernel_launcher's file, found by preload (sys.argv[0] of a cold kernel)
HOSTNAME = b"sandbox"
GO_TIMEOUT = 30.0  # the client answers "go" at once; a silent one is dead
REAP_SECONDS = 1.0

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWPID, CLONE_NEWNET = 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_MOVE, MS_REC, MS_PRIVATE = 32, 4096, 8192, 16384, 1 << 18
PR_SET_CHILD_SUBREAPER = 36
SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1
PROC_READ_ONLY = ("sys", "sysrq-trigger", "irq", "bus")  # as bubblewrap's --proc leaves them
FRESH_PER_KERNEL = ("/run", "/tmp", "/dev/shm")  # isolate_filesystem mounts a new tmpfs on each (and the scratch root)

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]


# --------------------------------------------------------------------------- system calls


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    enc = lambda s: None if s is None else s.encode()  # noqa: E731
    _check(_libc.mount(enc(source), enc(target), enc(fstype), flags, enc(data)), f"mount {target}")


def unshare(flags: int) -> None:
    _check(_libc.unshare(flags), "unshare")


def loopback_up() -> None:
    """A new network namespace has ``lo`` down; bubblewrap brings it up, so do we (connections get refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sh22x", b"lo", 0)
        flags = struct.unpack("16sh22x", fcntl.ioctl(sock, SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(sock, SIOCSIFFLAGS, struct.pack("16sh22x", b"lo", flags | IFF_UP))


# --------------------------------------------------------------------------- one request


class Job:
    """A validated request: what C1 to C3 need. Paths must be absolute, real and inside the scratch root."""

    def __init__(self, request: dict, scratch_root: str) -> None:
        self.workdir = _real(request.get("workdir"), "workdir")
        if not (_within(self.workdir, scratch_root) and self.workdir != scratch_root and os.path.isdir(self.workdir)):
            raise ValueError(f"workdir {self.workdir} is not a folder under the scratch root {scratch_root}")
        self.scratch_root = scratch_root
        self.hide = [_real(p, "hide") for p in request.get("hide") or []]
        self.expose = [_real(p, "expose") for p in request.get("expose") or []]
        self.kernel_args = [str(a) for a in request.get("kernel_args") or []]
        self.env = {str(k): str(v) for k, v in (request.get("env") or {}).items()}
        self.rlimits = [str(r) for r in request.get("rlimits") or []]
        user = request.get("user") or (0, 0)
        self.user = (int(user[0]), int(user[1]))
        if 0 in self.user:  # a root kernel here would keep the server's capabilities
            raise ValueError("the kernel must run as an unprivileged user")
        self.no_new_privs = bool(request.get("no_new_privs", True))


def _real(path: object, what: str) -> str:
    if not isinstance(path, str) or not os.path.isabs(path) or os.path.realpath(path) != path:
        raise ValueError(f"{what} must be an absolute path without symlinks or dots: {path!r}")
    return path


def isolate_filesystem(job: Job) -> None:
    """C1, in its new mount namespace: what bubblewrap gives a cold kernel, per kernel.

    Fresh tmpfs on /run, /tmp (and the scratch root) and /dev/shm, and a fresh
    devpts, so other submissions' scratch folders, ptys and the server's socket
    vanish. The kernel's own scratch folder is moved back in at the same path,
    and what it must still read there (``expose``: a Python installed under
    /tmp, as in a CI checkout) comes back read-only, with 0755 folders above.
    """
    mount(None, "/", None, MS_REC | MS_PRIVATE)  # nothing we do propagates back to the server
    flags = MS_NOSUID | MS_NODEV
    mount("tmpfs", "/run", "tmpfs", flags, "mode=0755")
    covered = ["/tmp", job.scratch_root]
    keep = [(job.workdir, False)] + [(p, True) for p in job.expose if os.path.isdir(p) and p not in covered
                                     and any(_within(p, root) for root in covered)]
    held = []
    for i, (path, read_only) in enumerate(keep):
        hold = f"/run/keras-grader-hold-{i}"
        os.mkdir(hold, 0o700)
        mount(path, hold, None, MS_BIND | MS_REC)
        held.append((hold, path, read_only))
    for path in job.hide:
        if os.path.isdir(path) and not os.path.islink(path):
            mount("tmpfs", path, "tmpfs", flags, "mode=0755")
        elif os.path.exists(path):
            mount("/dev/null", path, None, MS_BIND)
    for path in dict.fromkeys(covered):
        if os.path.isdir(path):
            mount("tmpfs", path, "tmpfs", flags, "mode=1777")
    for hold, path, read_only in held:
        _make_folders(path, covered)
        mount(hold, path, None, MS_MOVE)
        os.rmdir(hold)
        if read_only:
            mount(None, path, None, MS_REMOUNT | MS_BIND | MS_RDONLY | flags)
    mount("tmpfs", "/dev/shm", "tmpfs", flags, "mode=1777")
    # bwrap's --dev made one devpts for the server; a kernel's ptys must not be open to the others
    mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=620")


def _within(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def _make_folders(path: str, roots: list[str]) -> None:
    """``path`` and the folders above it up to a fresh tmpfs, 0755 whatever the umask (as bwrap's --perms)."""
    os.makedirs(path, 0o755, exist_ok=True)
    while path not in roots and path != "/":
        os.chmod(path, 0o755)
        path = os.path.dirname(path)


def mount_proc() -> None:
    """C2, pid 1 of the new pid namespace: a /proc that shows this namespace only."""
    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    for name in PROC_READ_ONLY:
        path = f"/proc/{name}"
        if os.path.exists(path):
            mount(path, path, None, MS_BIND | MS_REC)
            mount(None, path, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)


def serve_one(conn: socket.socket, scratch_root: str) -> Job:
    """Runs in C1; only the kernel process C3 returns (with its job), the others exit here."""
    fds: list[int] = []
    try:
        conn.settimeout(GO_TIMEOUT)
        request, fds, _ = recv_frame(conn, max_fds=2)
        if request is None or len(fds) != 2:
            raise ValueError("a request needs a JSON frame with stdout and stderr attached")
        job = Job(request, scratch_root)
        unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWPID)
        isolate_filesystem(job)
        _check(_libc.sethostname(HOSTNAME, len(HOSTNAME)), "sethostname")
        loopback_up()
        launch.chown_tree(job.workdir, *job.user)
        if os.fork():
            os._exit(0)
    except BaseException as exc:  # noqa: BLE001 - any failure is the request's, and C1 must not return
        _fail(conn, exc)
    return _init(conn, job, fds)


def _init(conn: socket.socket, job: Job, fds: list[int]) -> Job:
    """C2: start the kernel once the client has put us in the cgroups, then wait for it."""
    try:
        if os.getpid() != 1:
            raise OSError("not pid 1 of a new pid namespace")
        # A non-root grader's kernel shares our uid: SIGINT, the one signal Python handles, would otherwise
        # let it end its own namespace early (from inside, the others never reach pid 1).
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        mount_proc()
        send_frame(conn, {"event": "started"})
        answer, _, _ = recv_frame(conn)
        if not answer or answer.get("go") is not True:
            os._exit(1)  # the client gave up (cgroups failed): nothing was started
        conn.settimeout(None)
        kernel = os.fork()
    except BaseException as exc:  # noqa: BLE001
        _fail(conn, exc)
    if kernel == 0:
        try:
            return become_kernel(conn, job, fds)
        except BaseException as exc:  # noqa: BLE001 - say why in the kernel log, never return into the server
            os.write(2, f"keras-grader fork server: the kernel did not start: {type(exc).__name__}: {exc}\n".encode())
            os._exit(126)
    for fd in fds:
        os.close(fd)
    _reap_until(conn, kernel)


def _reap_until(conn: socket.socket, kernel: int) -> None:
    """Reap every orphan of the namespace; report the kernel's end, or end it all when the client goes."""
    watched = os.pidfd_open(kernel)
    poller = select.poll()
    poller.register(conn, select.POLLIN | select.POLLHUP)
    poller.register(watched, select.POLLIN)
    while True:
        ready = {fd for fd, _ in poller.poll(REAP_SECONDS * 1000)}
        while True:
            try:
                pid, status, usage = os.wait4(-1, os.WNOHANG)
            except ChildProcessError:
                pid = 0
            if pid == 0:
                break
            if pid == kernel:
                how, number = (("signal", os.WTERMSIG(status)) if os.WIFSIGNALED(status)
                               else ("exit", os.WEXITSTATUS(status)))
                try:
                    send_frame(conn, {"event": "exit", "how": how, "number": number, "maxrss": usage.ru_maxrss})
                finally:
                    os._exit(0)  # pid 1 leaves: the kernel kills whatever the student left behind
        if conn.fileno() in ready:
            try:
                message, fds, _ = recv_frame(conn)
            except (OSError, ValueError):
                message, fds = None, []
            for fd in fds:
                os.close(fd)
            if message is None:
                os._exit(0)  # the client is gone: so is the namespace


def become_kernel(conn: socket.socket, job: Job, fds: list[int]) -> Job:
    """C3: the steps launch.py takes before exec, then the interpreter state a fresh kernel would have."""
    conn.close()
    if (os.getpid(), os.getppid()) != (2, 1):  # the last word before student code: alone in a new namespace
        raise OSError(f"the kernel is pid {os.getpid()}, not 2, in its namespace")
    os.setsid()
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(fds[0], 1)
    os.dup2(fds[1], 2)
    os.closerange(3, os.sysconf("SC_OPEN_MAX"))  # the request's fds and anything else inherited from the server
    os.chdir(job.workdir)
    os.environ.clear()
    os.environ.update(job.env)
    launch.set_rlimits(job.rlimits)
    launch.limit_capabilities()
    launch.drop_user("%d:%d" % job.user)
    launch.clear_capabilities()
    if job.no_new_privs:
        launch.no_new_privs()
    _fresh_interpreter(job)
    return job


def _fresh_interpreter(job: Job) -> None:
    """Undo what the server's own start left behind that a fresh ``python -m ipykernel_launcher`` lacks."""
    import tempfile

    if not __package__:  # this server's own helpers, imported by path, are no modules of the kernel's
        for name in ("launch", "forkclient"):
            sys.modules.pop(name, None)
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if p and os.path.abspath(p) != here]  # ipykernel adds '' itself
    # Only the server's own folder goes: dropping every cached finder cost 8 ms per kernel (each a
    # copy-on-write page fault), and the rest are those a fresh interpreter builds from the same sys.path.
    for entry in [e for e in sys.path_importer_cache if e and os.path.abspath(e) == here]:
        del sys.path_importer_cache[entry]
    importlib.invalidate_caches()
    sys.argv[:] = [_LAUNCHER or "ipykernel_launcher", *job.kernel_args]
    tempfile.tempdir = None  # re-read TMPDIR
    if "numpy" in sys.modules:  # numpy's global generator was seeded once, in the server: reseed per kernel
        sys.modules["numpy"].random.seed()
    _rehome_keras(job.env.get("KERAS_HOME"))


def _rehome_keras(home: str | None) -> None:
    """Keras read its home folder at import, in the server; point it at this run's, as an import here would."""
    config = sys.modules.get("keras.src.backend.config")
    if config is None or not home:
        return
    config._KERAS_DIR = home
    path = os.path.join(home, "keras.json")
    try:
        os.makedirs(home, exist_ok=True)
        if not os.path.exists(path):
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(json.dumps({"floatx": config.floatx(), "epsilon": config.epsilon(),
                                     "backend": config.backend(), "image_data_format": config.image_data_format()},
                                    indent=4))
    except OSError:
        pass


def _fail(conn: socket.socket, exc: BaseException) -> NoReturn:
    try:
        send_frame(conn, {"event": "error", "message": f"{type(exc).__name__}: {exc}"})
    finally:
        os._exit(1)


# --------------------------------------------------------------------------- the server


def preload(modules: tuple[str, ...]) -> None:
    """Import what every kernel needs; nothing runs a TensorFlow op or builds a layer.

    Also what every kernel would otherwise look up or set up first: where
    ``ipykernel_launcher`` is, numpy's entropy source. The collector is off
    while importing and on again for the kernels. Then ``gc.freeze()``:
    the imported objects move to the collector's permanent generation, so a
    kernel's collections never walk (and so never copy) the hundreds of
    megabytes of pages it shares with this process.
    """
    global _LAUNCHER
    # The imports make millions of objects that all live on: the collector walking them again and again as
    # they come cost ~0.6 s of a ~2.8 s start. One collection at the end frees the cycles they left.
    gc.disable()
    hidden = [name for name in HIDDEN_FROM_KERAS if name not in sys.modules]
    for name in hidden:  # as the probe's install does for a cold kernel
        sys.modules[name] = None
    try:
        for name in modules:
            root = name.partition(".")[0]
            if root in hidden:  # Keras is imported: now the students' own imports, preloaded
                del sys.modules[root]
                hidden.remove(root)
            importlib.import_module(name)
        for name in hidden:
            del sys.modules[name]
        spec = importlib.util.find_spec("ipykernel_launcher")
        _LAUNCHER = spec.origin if spec else None
        if "numpy" in sys.modules:  # its first seed() sets up the entropy source: 14 ms, once here, not per kernel
            sys.modules["numpy"].random.seed()
    finally:
        gc.collect()
        gc.freeze()
        gc.enable()  # a kernel collects as any Python process does


def serve_forever(listener: socket.socket, lifeline: int, scratch_root: str) -> Job:
    """Accept and fork until the lifeline (our stdin, a pipe from the grader) closes. Returns only in a kernel."""
    while True:
        _reap()
        readable, _, _ = select.select([listener, lifeline], [], [], REAP_SECONDS)
        if lifeline in readable and not os.read(lifeline, 512):
            os._exit(0)  # the grader is gone; as the namespace's init, our exit ends every kernel
        if listener not in readable:
            continue
        try:
            conn, _ = listener.accept()
        except OSError:
            continue
        try:
            pid = os.fork()
        except OSError:  # out of processes or memory: this request fails, the server carries on
            conn.close()
            continue
        if pid == 0:
            listener.close()
            null = os.open(os.devnull, os.O_RDWR)
            os.dup2(null, lifeline)  # a kernel must hold neither the grader's pipe
            os.dup2(null, 1)  # nor the server's stdout (stderr, the server's log, stays until the kernel's)
            os.close(null)
            return serve_one(conn, scratch_root)
        conn.close()


def _reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def run_kernel(job: Job) -> NoReturn:
    """What ``python -m ipykernel_launcher`` does, in the forked process, then a quick exit.

    The exit runs the atexit handlers (IPython's, the student's) as a normal
    exit would, but skips tearing down thousands of modules one by one: with
    TensorFlow loaded that alone costs a second per kernel, and nothing of the
    run is read after the kernel is gone.
    """
    code = 0
    try:
        from ipykernel.kernelapp import IPKernelApp

        app = IPKernelApp.instance()
        app.initialize(job.kernel_args)
        app.start()
    except SystemExit as exc:
        code = _exit_code(exc.code)
    except BaseException:  # noqa: BLE001 - as the interpreter would: traceback, status 1
        traceback.print_exc()
        code = 1
    finally:
        try:
            atexit._run_exitfuncs()
        finally:
            for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
                try:
                    stream.flush()
                except Exception:  # noqa: BLE001, S110 - a closed stream has nothing to flush
                    pass
            os._exit(code)


def _exit_code(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    return 1


def main(args: list[str] | None = None) -> NoReturn:
    parser = argparse.ArgumentParser(prog="forkserver.py", description=__doc__.splitlines()[0])
    parser.add_argument("--socket", required=True, help="where to listen (its folder must be root-only)")
    parser.add_argument("--scratch-root", required=True, help="the folder that holds every scratch folder")
    parser.add_argument("--preload", action="append", help="modules to import (default: Keras and ipykernel)")
    ns = parser.parse_args(args)
    started = time.monotonic()
    preload(tuple(ns.preload or PRELOAD))
    _check(_libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), "prctl(PR_SET_CHILD_SUBREAPER)")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    listener.bind(ns.socket)
    os.chmod(ns.socket, 0o600)
    listener.listen(64)
    threads = len(os.listdir("/proc/self/task"))
    print(json.dumps({"ready": True, "pid": os.getpid(), "seconds": round(time.monotonic() - started, 3),
                      "threads": threads}), flush=True)
    run_kernel(serve_forever(listener, sys.stdin.fileno(), os.path.realpath(ns.scratch_root)))


if __name__ == "__main__":
    sys.exit(main())
