"""Running a submission: the runner speaks Jupyter, a launcher speaks to the operating system.

Importing this package stays cheap (no Jupyter, no TensorFlow): the rubric and
the reporters import the outcome types from here. The runner, which pulls in
jupyter_client and ZeroMQ, loads on first use of ``run_submission``.
"""

from __future__ import annotations

from typing import Any

from grader.execute.launcher import Launcher, Limits
from grader.execute.local import LocalLauncher
from grader.execute.outcome import CellRun, CellState, ExecutionOutcome, Isolation, Status

__all__ = [
    "CellRun", "CellState", "ExecutionOutcome", "Isolation", "Launcher", "Limits", "LocalLauncher",
    "Status", "run_submission", "run_submission_async",
]

_LAZY = ("run_submission", "run_submission_async")


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from grader.execute import runner

        return getattr(runner, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
