"""Exec-wrapper that puts itself under the sandbox's limits, then becomes the kernel.

Run as ``python -I -S launch.py [options] -- argv...``. It uses the standard
library only (it runs by path, before and inside bubblewrap, with no site
packages and as root), so the order of the steps is explicit:

1. join the cgroups (their limits then cover everything started after),
2. record ``pid starttime`` so cleanup can kill exactly this tree, never a reused pid,
3. close stdin, chown the scratch folder to the kernel's user,
4. with ``--status``, fork and stay behind (still privileged, so the kernel
   cannot kill us) to record how the child died: the launcher's only way to
   tell a memory-limit death when no cgroup counts OOM kills,
5. set the rlimits, drop to the unprivileged user, set no-new-privs, exec ``argv``.
"""

from __future__ import annotations

import argparse
import errno
import os
import resource
import signal
import sys

RLIMITS = {
    "cpu": "RLIMIT_CPU", "fsize": "RLIMIT_FSIZE", "nproc": "RLIMIT_NPROC",
    "data": "RLIMIT_DATA", "as": "RLIMIT_AS", "core": "RLIMIT_CORE",
}
FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2)
PR_SET_NO_NEW_PRIVS = 38
PR_CAPBSET_DROP, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 24, 47, 4
CAPABILITY_VERSION_3 = 0x20080522
CAPABILITY_SETS = ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")


def parse(args: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="launch.py", description=__doc__.splitlines()[0])
    parser.add_argument("--cgroup", action="append", default=[], metavar="DIR",
                        help="join this cgroup (write our pid to DIR/cgroup.procs)")
    parser.add_argument("--pidfile", help="write 'pid starttime' here")
    parser.add_argument("--stdin-null", action="store_true", help="replace stdin with /dev/null")
    parser.add_argument("--rlimit", action="append", default=[], metavar="NAME=N",
                        help=f"set soft and hard limit; NAME in {', '.join(RLIMITS)}")
    parser.add_argument("--user", metavar="UID:GID", help="drop to this user (needs root)")
    parser.add_argument("--chown", metavar="DIR", help="give DIR's tree to --user first")
    parser.add_argument("--no-new-privs", action="store_true")
    parser.add_argument("--status", metavar="FILE", help="run argv as a child; write 'exit N' or 'signal N'")
    parser.add_argument("argv", nargs=argparse.REMAINDER)
    ns = parser.parse_args(args)
    if ns.argv[:1] == ["--"]:
        ns.argv = ns.argv[1:]
    if not ns.argv:
        parser.error("no command after --")
    return ns


def start_time(pid: int | str = "self") -> str:
    """Field 22 of /proc/PID/stat: with the pid, it names one process for its whole life."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[1].split()[19].decode()
    except (OSError, IndexError):
        return "0"


def chown_tree(root: str, uid: int, gid: int) -> None:
    """lchown everything under root; links are never followed, so the student cannot aim it elsewhere."""
    os.lchown(root, uid, gid)
    for base, dirs, files in os.walk(root):
        for name in dirs + files:
            os.lchown(os.path.join(base, name), uid, gid)


def set_rlimits(specs: list[str]) -> None:
    for spec in specs:
        name, _, value = spec.partition("=")
        limit = int(value)
        resource.setrlimit(getattr(resource, RLIMITS[name]), (limit, limit))


def drop_user(spec: str) -> None:
    uid, gid = (int(x) for x in spec.split(":"))
    if os.getresuid() == (uid, uid, uid) and os.getresgid() == (gid, gid, gid):
        return  # already that user (a non-root grader's kernel keeps its uid; its user namespace denies setgroups)
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)
    if os.getuid() != uid or os.geteuid() != uid:
        raise OSError(f"could not drop to uid {uid}")


def limit_capabilities() -> None:
    """Empty the bounding and ambient sets, so nothing the kernel runs can gain a capability back.

    Done while we still hold CAP_SETPCAP: before ``drop_user`` (from root), and
    in a fork server inside a user namespace (a non-root grader), where every
    capability of that namespace is held and the kernel keeps the same uid.
    """
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)  # fails only where ambient sets do not exist
    for cap in range(64):
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            err = ctypes.get_errno()
            if err == errno.EINVAL:  # past the kernel's last capability
                break
            raise OSError(err, f"prctl(PR_CAPBSET_DROP, {cap})")


def clear_capabilities() -> None:
    """Empty the effective, permitted and inheritable sets, then check that all five sets are empty.

    Leaving root clears them by itself; keeping a uid (a non-root grader's kernel) does not.
    """
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    header = (ctypes.c_uint32 * 2)(CAPABILITY_VERSION_3, 0)
    data = (ctypes.c_uint32 * 6)()  # two {effective, permitted, inheritable} triples, all zero
    if libc.capset(header, data) != 0:
        raise OSError(ctypes.get_errno(), "capset")
    held = held_capabilities()
    if held:
        raise OSError(f"capabilities still held: {held}")


def held_capabilities() -> dict[str, str]:
    """The non-empty capability sets of this process, from /proc/self/status (hex masks)."""
    with open("/proc/self/status", encoding="ascii") as fh:
        fields = dict(line.split(":", 1) for line in fh if ":" in line)
    return {name: fields[name].strip() for name in CAPABILITY_SETS
            if name in fields and int(fields[name], 16) != 0}


def no_new_privs() -> None:
    """Setuid binaries and file capabilities stop working for the kernel and its children."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS)")


def supervise(pid: int, status_file: str) -> int:
    """Wait for the kernel, pass signals on, and write ``exit|signal N peak-rss-KiB`` for the launcher.

    The peak size tells a death by memory from a plain crash when the cap is an rlimit.
    """
    for sig in FORWARDED:
        signal.signal(sig, lambda signum, _frame: os.kill(pid, signum))
    _, status, usage = os.wait4(pid, 0)
    if os.WIFSIGNALED(status):
        how, code = f"signal {os.WTERMSIG(status)}", 128 + os.WTERMSIG(status)
    else:
        how, code = f"exit {os.WEXITSTATUS(status)}", os.WEXITSTATUS(status)
    with open(status_file, "w", encoding="ascii") as fh:
        fh.write(f"{how} {usage.ru_maxrss}")
    return code


def become(ns: argparse.Namespace) -> None:
    """Limits, user, no-new-privs, then exec: the last steps, in the process that becomes the kernel."""
    set_rlimits(ns.rlimit)
    if ns.user:
        drop_user(ns.user)
    if ns.no_new_privs:
        no_new_privs()
    os.execvp(ns.argv[0], ns.argv)


def main(args: list[str] | None = None) -> int:
    ns = parse(sys.argv[1:] if args is None else args)
    pid = -1  # becomes 0 in the forked kernel, which must never return into our caller
    try:
        for group in ns.cgroup:
            with open(os.path.join(group, "cgroup.procs"), "w", encoding="ascii") as fh:
                fh.write(str(os.getpid()))
        if ns.pidfile:
            with open(ns.pidfile, "w", encoding="ascii") as fh:
                fh.write(f"{os.getpid()} {start_time()}")
        if ns.stdin_null:
            null = os.open(os.devnull, os.O_RDONLY)
            os.dup2(null, 0)
            os.close(null)
        if ns.chown and ns.user:
            uid, gid = (int(x) for x in ns.user.split(":"))
            chown_tree(ns.chown, uid, gid)
        if ns.status:
            pid = os.fork()
            if pid:
                return supervise(pid, ns.status)
        become(ns)
    except OSError as exc:  # the kernel never starts; say why in the kernel log
        print(f"keras-grader launch: {exc}", file=sys.stderr)
        if pid == 0:
            os._exit(126)
        return 126
    return 0  # not reached: exec does not return


if __name__ == "__main__":
    sys.exit(main())
