"""The fork server's client: one request becomes one forked kernel, held like a ``Popen``.

The runner's kernel manager (jupyter_client) polls, waits for and kills the
process its provisioner started. On the fast path that process is a
``ForkedKernel``: ``ForkLauncher.spawn`` connects to the server (a
SOCK_SEQPACKET Unix socket, so each JSON frame is one message), sends the
request with the kernel log attached as stdout and stderr, and waits for the
kernel's namespace init to say ``started``. Its host pid comes with the message
(SO_PASSCRED: the kernel translates the pid into our namespace); we record it
for cleanup, move it into the run's cgroups, and say ``go``: everything the
kernel starts is then inside the caps. The connection is the kernel's
lifeline: when it closes (``kill``, ``close``, or this process dying), the
init ends the whole pid namespace. The exit status is the kernel's, 128 + N
for a death by signal N, as a sandbox wrapper reports it.

Standard library only: ``forkserver.py``, run by path inside the sandbox,
imports the frame helpers from this file.
"""

from __future__ import annotations

import json
import os
import select
import socket
import struct
import subprocess
import time
from typing import Sequence

if __package__:
    from grader.execute.launch import start_time
else:  # imported by forkserver.py, run by path inside the sandbox: launch.py (standard library only) is beside us
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


class ForkedKernel:
    """A kernel forked by the fork server, with the part of ``subprocess.Popen`` a provisioner uses."""

    stdin = stdout = stderr = None  # nothing of ours to close after wait()

    def __init__(self, sock: socket.socket | None, pid: int, status: str | None = None,
                 returncode: int | None = None) -> None:
        self._sock, self.pid, self._status, self.returncode = sock, pid, status, returncode
        self._killed = False

    @classmethod
    def start(cls, server: str, request: dict, fds: Sequence[int], *, cgroups: Sequence[str] = (),
              pidfile: str | None = None, status: str | None = None, timeout: float = 30.0) -> ForkedKernel:
        """Ask ``server`` for a kernel; return once it runs inside ``cgroups``. OSError or ValueError if not."""
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)  # before any reply can be queued
            sock.settimeout(timeout)
            sock.connect(server)
            send_frame(sock, request, fds)
            message, _fds, pid = recv_frame(sock)
            if message is None:
                raise OSError("the fork server closed the connection without starting a kernel")
            if message.get("event") == "error":
                raise OSError(f"the fork server refused: {message.get('message')}")
            if message.get("event") != "started" or pid is None or pid <= 0:
                raise ValueError(f"the kernel's init sent {message!r} without credentials")
            if pidfile:
                with open(pidfile, "w", encoding="ascii") as fh:
                    fh.write(f"{pid} {start_time(pid)}")
            for group in cgroups:
                with open(os.path.join(group, "cgroup.procs"), "w", encoding="ascii") as fh:
                    fh.write(str(pid))
            send_frame(sock, {"go": True})
        except BaseException:
            sock.close()
            raise
        return cls(sock, pid, status)

    @classmethod
    def failed(cls, code: int = EXIT_SETUP) -> ForkedKernel:
        """A kernel that never started, as a process that exited with ``code``."""
        return cls(None, 0, returncode=code)

    def poll(self) -> int | None:
        if self.returncode is None:
            self._read(0)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.returncode is None:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise subprocess.TimeoutExpired("forked kernel", timeout or 0)
            self._read(left)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        """Any signal ends the kernel: its namespace init ignores what it has no handler for."""
        self.kill()

    def kill(self) -> None:
        """Close the lifeline: the init kills every process of the namespace."""
        if self._sock is not None and self.returncode is None:
            self._killed = True
            try:
                self._sock.shutdown(socket.SHUT_RDWR)
            except OSError:  # the init has gone already
                pass

    terminate = kill

    def close(self) -> None:
        """Let go of the connection (the kernel ends with it, if it still ran)."""
        if self._sock is not None:
            self._sock.close()
            self._sock = None
            if self.returncode is None:
                self.returncode = -9

    def _read(self, timeout: float | None) -> None:
        """Take the init's next word if one comes within ``timeout``: the exit status, or the end of the line."""
        assert self._sock is not None
        poller = select.poll()  # not select(): a busy grader may hold descriptors past FD_SETSIZE
        poller.register(self._sock, select.POLLIN | select.POLLHUP)
        if not poller.poll(None if timeout is None else max(0, int(timeout * 1000))):
            return
        try:
            message, _fds, _pid = recv_frame(self._sock)
        except (OSError, ValueError):
            message = None
        if message is None:  # killed without an exit status: by us (as Popen.kill reports it), or from outside
            self._end(-9 if self._killed else 128 + 9)
        elif message.get("event") == "exit":
            how, number = str(message.get("how")), int(message.get("number", 0))
            if self._status:
                with open(self._status, "w", encoding="ascii") as fh:
                    fh.write(f"{how} {number} {int(message.get('maxrss', 0))}")
            self._end(128 + number if how == "signal" else number)

    def _end(self, code: int) -> None:
        self.returncode = code
        self.close()
