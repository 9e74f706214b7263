"""What running a submission produced, as plain values.

A timeout, a dead kernel or a syntax error is a normal result of grading, so
the executor returns it here instead of raising. Nothing in this module imports
Jupyter or TensorFlow: the rubric and the reporters read it freely.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Mapping

from grader.harvest.schema import Harvest
from grader.i18n import Message


class Status(str, Enum):
    """How a submission's run ended. The string values are part of the JSON contract."""

    GRADED = "graded"
    TIMEOUT = "timeout"
    MEMORY_LIMIT = "memory-limit"
    KERNEL_DIED = "kernel-died"
    OUTPUT_LIMIT = "output-limit"
    INVALID_SUBMISSION = "invalid-submission"
    INTERNAL_ERROR = "internal-error"


class CellState(str, Enum):
    OK = "ok"
    ERROR = "error"
    TIMEOUT = "timeout"
    NOT_RUN = "not-run"


@dataclass(frozen=True)
class CellRun:
    """One executed cell. ``index`` is the cell's position in the submission (0-based)."""

    index: int
    state: CellState
    seconds: float = 0.0
    error_name: str | None = None
    error_value: str | None = None
    traceback: str | None = None  # the last lines, ANSI colours stripped
    error_line: int | None = None  # the line of the cell's own code that raised (IPython's "Cell In[n], line L")

    @property
    def failed(self) -> bool:
        return self.state in (CellState.ERROR, CellState.TIMEOUT)


@dataclass(frozen=True)
class Isolation:
    """Which mechanism enforced each containment layer, or ``"none"``."""

    network: str = "none"
    filesystem: str = "none"
    pids: str = "none"
    memory: str = "none"
    notes: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        return "none" not in (self.network, self.filesystem, self.pids, self.memory)

    def as_dict(self) -> dict[str, Any]:
        return {"network": self.network, "filesystem": self.filesystem, "pids": self.pids,
                "memory": self.memory, "notes": list(self.notes)}


@dataclass(frozen=True)
class ExecutionOutcome:
    status: Status
    cells: tuple[CellRun, ...] = ()
    harvest: Harvest = field(default_factory=Harvest.empty)
    seconds: float = 0.0
    message: str | None = None  # why the run stopped early, in plain English
    reason: Message | None = None  # an unusable file's message and hint, in every language (the student's)
    isolation: Isolation = field(default_factory=Isolation)
    output_truncated_bytes: int = 0
    notes: tuple[str, ...] = ()  # e.g. "dataset mnist served offline"
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def failed_cells(self) -> tuple[CellRun, ...]:
        return tuple(c for c in self.cells if c.failed)
