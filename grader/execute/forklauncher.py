"""The fast path's launcher: the sandbox's caps and bookkeeping, with a forked kernel instead of a cold one.

``ForkLauncher`` is a ``SandboxLauncher`` whose ``wrap`` returns the fork
client (``forkclient.py``) instead of the bwrap chain, so everything the cold
path does around the kernel is the same code: the per-run cgroups and rlimits,
the scrubbed environment, the pid file and the kill sweep of ``cleanup``, the
OOM counter of ``memory_exceeded``, the scratch folder handed to ``nobody`` and
back. What changes is who builds the namespaces: the fork server's children
(see ``forkserver.py``) instead of one bubblewrap per kernel.

Where the fork path cannot give the same containment (no server, no bwrap, a
kernel that would stay root, a scratch folder outside the server's scratch
root), the launcher quietly runs the cold chain and says so in its notes:
the fast path is an optimisation, never a weaker sandbox.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from grader.execute.forkclient import KERNEL_MODULE
from grader.execute.launcher import Limits
from grader.execute.sandbox import SandboxLauncher

if TYPE_CHECKING:
    from grader.execute.pool import ForkServer

__all__ = ["CLIENT", "ForkLauncher"]

CLIENT = Path(__file__).resolve().with_name("forkclient.py")
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

    def prepare(self, workdir: Path, limits: Limits) -> None:
        super().prepare(workdir, limits)
        self.cold_reason = self._why_cold()
        self.forked = self.cold_reason is None
        if not self.forked:
            self.plan.notes.append(f"fast path not used ({self.cold_reason}): the kernel started cold")
            return
        assert self._state is not None and self.workdir is not None
        options = self._inner_options()
        plan = {
            "workdir": str(self.workdir),
            "hide": [str(p) for p in self.hide],
            "expose": [str(p) for p in self._exposed()],  # e.g. a virtualenv under /tmp, read-only
            "rlimits": [options[i + 1] for i, flag in enumerate(options) if flag == "--rlimit"],
            "user": list(self.plan.user) if self.plan.user else None,
            "no_new_privs": "--no-new-privs" in options,
        }
        (self._state / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
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
        if self.plan.user is None:
            return "the kernel could not drop to an unprivileged user"
        assert self.workdir is not None
        if server.scratch_root not in self.workdir.parents:
            return f"scratch folder {self.workdir} is outside the fork server's {server.scratch_root}"
        return None

    def wrap(self, argv: list[str]) -> list[str]:
        if not self.forked or tuple(argv[1:3]) != KERNEL_MODULE:
            return super().wrap(argv)
        assert self.server is not None and self._state is not None
        command = [sys.executable, "-I", "-S", str(CLIENT), "--server", str(self.server.socket_path),
                   "--plan", str(self._state / "plan.json"), "--pidfile", str(self._state / "pid")]
        command += [arg for _, group in self._groups for arg in ("--cgroup", str(group))]
        if self.plan.memory == "rlimit":
            command += ["--status", str(self._state / "status")]
        return [*command, "--", *argv]
