"""How a kernel process is started: the extension point between the runner and the sandbox.

The runner (``runner.py``) knows Jupyter; a launcher knows the operating system.
It turns the plain kernel command into a contained one (namespaces, rlimits,
a scrubbed environment) and cleans up every process afterwards. Modelled on
jupyter_client's kernel provisioners: small, with a lifecycle, no Jupyter inside.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.execute.outcome import Isolation

# Every kernel's environment has these, on every path (cold, sandboxed, forked): what the
# imports read at start must not differ between paths, and start-up noise is not student output.
KERNEL_BASE_ENV = {
    "PYTHONHASHSEED": "0",  # same submission, same run
    "TF_CPP_MIN_LOG_LEVEL": "2",  # TensorFlow's C++ banner
    # oneDNN rewrites each op's graph and JIT-compiles kernels the first time the op runs: a kernel here runs
    # a few tiny batches once, so that set-up is all cost (a budgeted mnist_cnn fit: 0.50 s with it, 0.37 without)
    "TF_ENABLE_ONEDNN_OPTS": "0",
    "MPLBACKEND": "Agg",
    "PYDEVD_DISABLE_FILE_VALIDATION": "1",  # ipykernel's debugger warns about frozen modules on stderr
}


@dataclass(frozen=True)
class Limits:
    """Caps for one submission. ``None`` means "no cap" for that resource."""

    memory_bytes: int | None = 4 * 1024**3
    cpu_seconds: int | None = 600
    processes: int | None = 256
    file_bytes: int | None = 256 * 1024**2
    output_bytes: int = 2 * 1024**2  # captured stdout/stderr kept per submission
    cell_timeout: float = 60.0
    total_timeout: float = 600.0


class Launcher(abc.ABC):
    """Builds the command that starts one kernel, and tears everything down afterwards.

    One instance serves one submission: ``prepare`` → (runner starts ``wrap(argv)``
    with ``env()``) → ``cleanup``.
    """

    @abc.abstractmethod
    def prepare(self, workdir: Path, limits: Limits) -> None:
        """Set up what the kernel needs (scratch folder permissions, cgroups, ...)."""

    @abc.abstractmethod
    def wrap(self, argv: list[str]) -> list[str]:
        """Return the command line that runs ``argv`` inside the containment."""

    @abc.abstractmethod
    def env(self) -> dict[str, str]:
        """The complete environment of the kernel (an allow-list, never the host's)."""

    @abc.abstractmethod
    def isolation(self) -> Isolation:
        """What this launcher actually enforces, for the result's ``isolation`` record."""

    @abc.abstractmethod
    def cleanup(self) -> None:
        """Kill every process the submission started, however it detached."""

    def memory_exceeded(self) -> bool:
        """Whether the kernel was stopped for using too much memory (if the launcher can tell)."""
        return False

    # A launcher that starts the kernel itself says so here; the runner's kernel provisioner then calls
    # spawn(wrap(argv), ...) instead of starting that command as a process.
    spawns_kernel: bool = False

    def spawn(self, argv: list[str], env: dict[str, str], stdout: Any, stderr: Any) -> Any:
        """Start the kernel; return a handle with ``subprocess.Popen``'s pid, poll, wait, send_signal, kill."""
        raise NotImplementedError(f"{type(self).__name__} does not start kernels itself")
