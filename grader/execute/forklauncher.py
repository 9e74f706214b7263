"""The fast path's launcher: the sandbox's caps and bookkeeping, with a forked kernel instead of a cold one.

``ForkLauncher`` is a ``SandboxLauncher`` that starts the kernel itself
(``spawn``, which the runner's kernel provisioner calls instead of starting a
process): it asks the fork server for a fork (``forkclient.ForkedKernel``), so
everything the cold path does around the kernel is the same code: the per-run
cgroups and rlimits, the scrubbed environment, the pid file and the kill sweep
of ``cleanup``, the OOM counter of ``memory_exceeded``, the scratch folder
handed to ``nobody`` and back. What changes is who builds the namespaces: the
fork server's children (see ``forkserver.py``) instead of one bubblewrap per
kernel. No process of ours stands between: a client process started per
kernel cost ~40 ms of each submission.

Where the fork path cannot give the same containment (no server, no bwrap, a
kernel that would stay root, a scratch folder outside the server's scratch
root), the launcher quietly runs the cold chain and says so in its notes:
the fast path is an optimisation, never a weaker sandbox.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from grader.execute.forkclient import KERNEL_MODULE, ForkedKernel
from grader.execute.launcher import Limits
from grader.execute.sandbox import SandboxLauncher

if TYPE_CHECKING:
    from grader.execute.pool import ForkServer

__all__ = ["ForkLauncher"]

FAST_NOTE = ("fast path: the kernel was forked from a warm fork server (Keras, TensorFlow and ipykernel imported "
             "once; no student code runs there), into its own pid, network, ipc, uts and mount namespaces: "
             "host read-only, private /tmp, /dev/shm and /run, only its own scratch folder")
SHARED_NOTE = ("memory: pages the kernel shares unchanged with the fork server (its imports) are charged to the "
               "server, not to the kernel's cgroup")


class ForkLauncher(SandboxLauncher):
    """A ``SandboxLauncher`` that asks ``server`` for a kernel; cold (and says why) when it cannot."""

    def __init__(self, limits: Limits = Limits(), server: ForkServer | None = None, *,
                 hide: Iterable[Path | str] = (), unavailable: str | None = None, **kwargs) -> None:
        super().__init__(limits, hide=hide, **kwargs)
        self.server = server
        self.unavailable = unavailable  # why there is no server, for the notes
        self.forked = False
        self.cold_reason: str | None = None
        self._request: dict | None = None  # what the fork server is asked, but the kernel's own argv and env
        self._kernel: ForkedKernel | None = None

    def prepare(self, workdir: Path, limits: Limits) -> None:
        super().prepare(workdir, limits)
        self.cold_reason = self._why_cold()
        self.forked = self.cold_reason is None
        if not self.forked:
            self.plan.notes.append(f"fast path not used ({self.cold_reason}): the kernel started cold")
            return
        assert self._state is not None and self.workdir is not None
        options = self._inner_options()
        self._request = {
            "workdir": str(self.workdir),
            "hide": [str(p) for p in self.hide],
            "expose": [str(p) for p in self._exposed()],  # e.g. a virtualenv under /tmp, read-only
            "rlimits": [options[i + 1] for i, flag in enumerate(options) if flag == "--rlimit"],
            "user": list(self._kernel_user()),
            "no_new_privs": "--no-new-privs" in options,
        }
        self.plan.network, self.plan.filesystem = "fork+netns", "fork+mountns"
        self.plan.notes.append(FAST_NOTE)
        if self.plan.memory == "cgroup":
            self.plan.notes.append(SHARED_NOTE)

    def _why_cold(self) -> str | None:
        server = self.server
        if server is None:
            return f"no fork server: {self.unavailable}" if self.unavailable else "no fork server"
        if not server.alive():
            return "the fork server is not running"
        if self.tool != "bwrap":
            return "no working bubblewrap"
        if self.host.root and self.plan.user is None:
            return "the kernel could not drop to an unprivileged user"
        assert self.workdir is not None
        if server.scratch_root not in self.workdir.parents:
            return f"scratch folder {self.workdir} is outside the fork server's {server.scratch_root}"
        return None

    def _kernel_user(self) -> tuple[int, int]:
        """Whom the kernel runs as: ``nobody`` under a root grader; a non-root grader's own user, as cold."""
        return self.plan.user or (os.getuid(), os.getgid())

    def wrap(self, argv: list[str]) -> list[str]:
        """The kernel's own command when forked (``spawn`` receives it), else the cold chain."""
        return list(argv) if self.forked else super().wrap(argv)

    @property
    def spawns_kernel(self) -> bool:
        return self.forked

    def spawn(self, argv: list[str], env: dict[str, str], stdout: Any, stderr: Any) -> ForkedKernel:
        """Ask the server for the kernel ``argv`` (``python -m ipykernel_launcher ...``) would start.

        A refusal is written to the kernel's log and the kernel reported as
        exited (126), as a kernel that failed to start: the runner says so.
        """
        assert self.forked and self.server is not None and self._state is not None and self._request is not None
        if tuple(argv[1:3]) != KERNEL_MODULE:
            raise ValueError(f"the fork server only starts ipykernel, not {argv[:3]}")
        request = dict(self._request, kernel_args=list(argv[3:]), env=dict(env))
        try:
            self._kernel = ForkedKernel.start(
                str(self.server.socket_path), request, [stdout.fileno(), stderr.fileno()],
                cgroups=[str(group) for _, group in self._groups], pidfile=str(self._state / "pid"),
                status=str(self._state / "status") if self.plan.memory == "rlimit" else None)
        except (OSError, ValueError) as exc:
            os.write(stderr.fileno(), f"keras-grader fork client: {type(exc).__name__}: {exc}\n".encode())
            self._kernel = ForkedKernel.failed()
        return self._kernel

    def cleanup(self) -> None:
        if self._kernel is not None:  # its namespace ends with the connection, then the sweep finds nothing
            self._kernel.close()
            self._kernel = None
        super().cleanup()
