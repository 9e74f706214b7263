"""The launcher without containment: the kernel is a plain child process.

It serves until the sandbox exists and as the fallback where Linux namespaces
are unavailable. It still gives the kernel a scrubbed environment (no host
tokens or secrets reach student code) and still kills what the student left
running, but its isolation record says ``"none"`` for every layer so a report
never claims protection that was not there.
"""

from __future__ import annotations

import os
import secrets
import signal
import sys
from pathlib import Path

from grader.errors import SandboxError
from grader.execute.fontcache import seed
from grader.execute.launcher import KERNEL_BASE_ENV, Launcher, Limits
from grader.execute.outcome import Isolation

MARKER = "KERAS_GRADER_RUN"  # inherited by every process the kernel starts; cleanup looks for it


class LocalLauncher(Launcher):
    """Runs ``argv`` unchanged, with an allow-listed environment rooted in the scratch folder."""

    def __init__(self) -> None:
        self._env: dict[str, str] | None = None
        self._token = secrets.token_hex(12)

    def prepare(self, workdir: Path, limits: Limits) -> None:
        workdir = Path(workdir).resolve()
        for sub in (".tmp", ".keras"):
            (workdir / sub).mkdir(exist_ok=True)
        seed(workdir / ".matplotlib")  # `import keras` imports pyplot: spare each kernel the font scan
        locale = os.environ.get("LC_ALL") or os.environ.get("LANG") or "C.UTF-8"
        self._env = {
            "PATH": os.pathsep.join([str(Path(sys.executable).parent), "/usr/local/bin", "/usr/bin", "/bin"]),
            "HOME": str(workdir),
            "TMPDIR": str(workdir / ".tmp"),
            "LANG": locale,
            "LC_ALL": locale,
            **KERNEL_BASE_ENV,
            "KERAS_HOME": str(workdir / ".keras"),
            "MPLCONFIGDIR": str(workdir / ".matplotlib"),
            # ipykernel exits when this process goes away, so a crashed grader leaves no kernel.
            "JPY_PARENT_PID": str(os.getpid()),
            MARKER: self._token,
        }

    def wrap(self, argv: list[str]) -> list[str]:
        return list(argv)

    def env(self) -> dict[str, str]:
        if self._env is None:
            raise SandboxError("LocalLauncher.env() called before prepare()")
        return dict(self._env)

    def isolation(self) -> Isolation:
        return Isolation(notes=("local launcher: the kernel ran as a plain process, without containment",))

    def cleanup(self) -> None:
        """SIGKILL every process still carrying this run's marker, even one that called setsid.

        Best effort: Linux only, and a process that rewrote its environment escapes.
        """
        for _ in range(3):  # a dying parent may fork once more between scans
            pids = self._marked_pids()
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass

    def _marked_pids(self) -> list[int]:
        entry = f"{MARKER}={self._token}".encode()
        proc = Path("/proc")
        if not proc.is_dir():
            return []
        found = []
        for child in proc.iterdir():
            if not child.name.isdigit() or int(child.name) == os.getpid():
                continue
            try:
                if entry in (child / "environ").read_bytes().split(b"\0"):
                    found.append(int(child.name))
            except OSError:
                continue
        return found
