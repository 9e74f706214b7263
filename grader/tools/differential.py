"""Compare two grades of the same submission, field by field: the fast path must grade as the cold one does.

Used by ``benchmarks/batch.py`` and ``tests/fast``. What may differ between two
runs of one submission is left out: durations, the isolation record (it names
the mechanism), the scratch folder's random name and measured durations
("stopped after 3.2 s") wherever a message or a traceback quotes them.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from grader.rubric.result import GradeResult

_SCRATCH = re.compile(r"/[\w.-]*/kg[a-z]?-[\w]{8}/w\b")  # the runner's and the tests' mkdtemp names
_DURATION = re.compile(r"\b\d+\.\d+ s\b")  # measured times are printed with decimals, limits without


def comparable(result: GradeResult, lang: str = "en") -> dict[str, Any]:
    """The parts of a result that must not depend on how the kernel was started."""
    outcome = result.outcome
    return _scrub({
        "status": outcome.status.value,
        "score": result.score,
        "message": outcome.message,
        "checks": [{"id": c.id, "points": c.points, "max_points": c.max_points, "message": c.message.render(lang),
                    "details": [m.render(lang) for m in c.details]} for c in result.checks],
        "cells": [{"index": c.index, "state": c.state.value, "error": c.error_name, "value": c.error_value,
                   "traceback": c.traceback} for c in outcome.cells],
        "notes": [n.render(lang) for n in result.notes] + list(outcome.notes),
        "output_truncated_bytes": outcome.output_truncated_bytes,
        "models": [dataclasses.asdict(m) for m in outcome.harvest.models],
        "trainings": [_without_ranges(dataclasses.asdict(t)) for t in outcome.harvest.trainings],
        "image_data_generators": [dataclasses.asdict(g) for g in outcome.harvest.image_data_generators],
        "keras": [outcome.harvest.keras_version, outcome.harvest.backend],
    })


def _without_ranges(training: dict[str, Any]) -> dict[str, Any]:
    """A training's facts less its first batch's value range: a shuffled or augmented stream draws other samples."""
    for tensors in (training.get("first_batch") or {}).values():
        for tensor in tensors:
            tensor.pop("min", None)
            tensor.pop("max", None)
    return training


def differences(first: GradeResult, second: GradeResult, lang: str = "en") -> list[str]:
    """Human-readable differences between two grades (empty when they agree)."""
    found: list[str] = []
    _diff(comparable(first, lang), comparable(second, lang), "", found)
    return found


def _diff(a: Any, b: Any, where: str, found: list[str]) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b), key=str):
            _diff(a.get(key), b.get(key), f"{where}.{key}" if where else str(key), found)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            _diff(x, y, f"{where}[{i}]", found)
    elif a != b:
        found.append(f"{where}: {_short(a)} != {_short(b)}")


def _short(value: Any, size: int = 300) -> str:
    text = repr(value)
    return text if len(text) <= size else text[:size] + "..."


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return _DURATION.sub("_ s", _SCRATCH.sub("/SCRATCH", value))
    if isinstance(value, dict):
        return {k: _scrub(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_scrub(v) for v in value]
    return value
