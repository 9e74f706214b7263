"""The JSON result document: a stable, versioned contract for TAs' scripts and LMSes.

Bump ``SCHEMA`` on any incompatible change; adding a field is compatible.
The README documents every field.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from grader import __version__
from grader.i18n import normalise_lang
from grader.rubric.result import CheckResult, GradeResult

SCHEMA = "keras-grader.result/1"


def check_to_dict(check: CheckResult, lang: str) -> dict[str, Any]:
    return {
        "id": check.id,
        "title": check.title.get(lang) or check.title.get("en") or check.id,
        "points": check.points,
        "max_points": check.max_points,
        "passed": check.passed,
        "message": check.message.render(lang),
        "details": [m.render(lang) for m in check.details],
        "hint": (check.hint.get(lang) or check.hint.get("en")) if check.hint else None,
        "hidden": check.hidden,
        "comparison": check.comparison.to_dict(lang) if check.comparison else None,
        "items": [{"id": i.id, "title": i.title.get(lang) or i.title.get("en") or i.id, "points": i.points,
                   "max_points": i.max_points, "passed": i.passed, "message": i.message.render(lang),
                   "review": i.review is not None, "review_reason": i.review.render(lang) if i.review else None}
                  for i in (() if check.hidden else check.items)],
        **evidence_fields(check, lang),
    }


def evidence_fields(check: CheckResult, lang: str) -> dict[str, Any]:
    """Where the verdict was read and whether a person should look (any check kind may carry them)."""
    return {
        "evidence": check.evidence.as_dict() if check.evidence is not None else None,
        "evidence_missing": check.evidence_missing.render(lang) if check.evidence_missing is not None else None,
        "review": check.review is not None,
        "review_reason": check.review.render(lang) if check.review is not None else None,
    }


def result_to_dict(result: GradeResult, lang: str = "en") -> dict[str, Any]:
    lang = normalise_lang(lang)
    outcome = result.outcome
    return {
        "schema": SCHEMA,
        "grader_version": __version__,
        "exercise": result.exercise,
        "submission": result.submission,
        "status": outcome.status.value,
        "score": result.score,
        "max_score": result.max_score,
        "lang": lang,
        "message": outcome.message,
        "reason": outcome.reason.render(lang) if outcome.reason else None,
        "seconds": round(outcome.seconds, 3),
        "checks": [check_to_dict(c, lang) for c in result.checks],
        "cells": [
            {"index": c.index, "state": c.state.value, "seconds": round(c.seconds, 3),
             "error": None if c.error_name is None else
             {"name": c.error_name, "value": c.error_value, "traceback": c.traceback, "line": c.error_line}}
            for c in outcome.cells
        ],
        "notes": [n.render(lang) for n in result.notes] + list(outcome.notes),
        "isolation": outcome.isolation.as_dict(),
        "output_truncated_bytes": outcome.output_truncated_bytes,
        "models": [dataclasses.asdict(m) for m in outcome.harvest.models],
        "trainings": [dataclasses.asdict(t) for t in outcome.harvest.trainings],
        "image_data_generators": [dataclasses.asdict(g) for g in outcome.harvest.image_data_generators],
    }


def dumps(result: GradeResult, lang: str = "en") -> str:
    return json.dumps(result_to_dict(result, lang), ensure_ascii=False, indent=2, default=_jsonable)


def _jsonable(value: Any) -> Any:
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
