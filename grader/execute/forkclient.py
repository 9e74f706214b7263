"""Stand-in for the kernel process on the fast path: asks the fork server for a kernel, then waits for it.

``ForkLauncher.wrap`` returns ``python -I -S forkclient.py --server SOCKET --plan
FILE [--cgroup DIR]... --pidfile FILE [--status FILE] -- python -m
ipykernel_launcher -f CONNECTION_FILE``, so the runner keeps its
``AsyncKernelManager`` unchanged: the process it starts, polls, and kills is this
client, and this client's exit status is the kernel's (128 + N for a death by
signal N, as a sandbox wrapper reports it). Standard library only and run by
path (about 20 ms), because it starts once per submission.

Steps: connect (a SOCK_SEQPACKET Unix socket, so each JSON frame is one message),
send the request with our stdout and stderr attached (the runner's kernel log),
and wait. When the kernel's namespace init says ``started``, its host pid comes
with the message (SO_PASSCRED: the kernel translates the pid into our
namespace); we record it for cleanup, move it into the run's cgroups, and say
``go``: everything the kernel starts is then inside the caps. If this client
dies, the socket closes and the init ends the whole pid namespace.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import struct
import sys

if __package__:
    from grader.execute.launch import start_time
else:  # run by path with -I, which leaves this folder off sys.path: launch.py (standard library only) is beside us
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from launch import start_time  # type: ignore[no-redef]

MAX_FRAME = 1 << 20
EXIT_SETUP = 126  # the kernel never started (as launch.py reports it)
KERNEL_MODULE = ("-m", "ipykernel_launcher")


def send_frame(sock: socket.socket, message: dict, fds: list[int] | tuple[int, ...] = ()) -> None:
    data = json.dumps(message).encode("utf-8")
    if len(data) > MAX_FRAME:
        raise ValueError(f"frame of {len(data)} bytes is too large")
    if fds:
        socket.send_fds(sock, [data], list(fds))
    else:
        sock.send(data)


def recv_frame(sock: socket.socket, max_fds: int = 0) -> tuple[dict | None, list[int], int | None]:
    """One message: (JSON object or None at end of stream, received fds, sender's pid if SO_PASSCRED)."""
    ancillary = socket.CMSG_SPACE(max_fds * 4) + socket.CMSG_SPACE(12)
    data, anc, _flags, _addr = sock.recvmsg(MAX_FRAME, ancillary)
    fds: list[int] = []
    pid = None
    for level, kind, payload in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds += list(struct.unpack(f"{len(payload) // 4}i", payload[: len(payload) - len(payload) % 4]))
        elif level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
            pid = struct.unpack("3i", payload[:12])[0]
    if len(fds) > max_fds:  # more than we asked for: never keep descriptors we did not expect
        for fd in fds:
            os.close(fd)
        raise ValueError(f"expected at most {max_fds} file descriptors, got {len(fds)}")
    if not data:
        return None, fds, pid
    message = json.loads(data.decode("utf-8"))
    if not isinstance(message, dict):
        raise ValueError("a frame must hold a JSON object")
    return message, fds, pid


def parse(args: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="forkclient.py", description=__doc__.splitlines()[0])
    parser.add_argument("--server", required=True, help="the fork server's socket")
    parser.add_argument("--plan", required=True, help="JSON file: workdir, rlimits, user, hide")
    parser.add_argument("--cgroup", action="append", default=[], metavar="DIR", help="move the kernel into DIR")
    parser.add_argument("--pidfile", help="write the kernel namespace init's 'pid starttime' here")
    parser.add_argument("--status", help="write 'exit|signal N peak-rss-KiB' here")
    parser.add_argument("argv", nargs=argparse.REMAINDER)
    ns = parser.parse_args(args)
    if ns.argv[:1] == ["--"]:
        ns.argv = ns.argv[1:]
    if tuple(ns.argv[1:3]) != KERNEL_MODULE:
        parser.error("the command after -- must be: python -m ipykernel_launcher ...")
    return ns


def main(args: list[str] | None = None) -> int:
    ns = parse(sys.argv[1:] if args is None else args)
    try:
        with open(ns.plan, encoding="utf-8") as fh:
            plan = json.load(fh)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)  # before any reply can be queued
        sock.connect(ns.server)
        request = dict(plan, kernel_args=ns.argv[3:], env=dict(os.environ))
        send_frame(sock, request, [1, 2])
        return wait(sock, ns)
    except (OSError, ValueError) as exc:
        print(f"keras-grader fork client: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
        return EXIT_SETUP


def wait(sock: socket.socket, ns: argparse.Namespace) -> int:
    """Follow the kernel's life; return its exit status."""
    while True:
        message, _fds, pid = recv_frame(sock)
        if message is None:  # the init is gone without a word: killed from outside (cleanup, OOM)
            print("keras-grader fork client: the kernel's namespace ended without an exit status",
                  file=sys.stderr, flush=True)
            return 128 + 9
        event = message.get("event")
        if event == "started":
            if pid is None or pid <= 0:
                raise ValueError("the kernel's init sent no credentials")
            if ns.pidfile:
                with open(ns.pidfile, "w", encoding="ascii") as fh:
                    fh.write(f"{pid} {start_time(pid)}")
            for group in ns.cgroup:
                with open(os.path.join(group, "cgroup.procs"), "w", encoding="ascii") as fh:
                    fh.write(str(pid))
            send_frame(sock, {"go": True})
        elif event == "error":
            print(f"keras-grader fork server: {message.get('message')}", file=sys.stderr, flush=True)
            return EXIT_SETUP
        elif event == "exit":
            how, number = str(message.get("how")), int(message.get("number", 0))
            if ns.status:
                with open(ns.status, "w", encoding="ascii") as fh:
                    fh.write(f"{how} {number} {int(message.get('maxrss', 0))}")
            return 128 + number if how == "signal" else number


if __name__ == "__main__":
    sys.exit(main())
