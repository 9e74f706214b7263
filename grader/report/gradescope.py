"""Gradescope's autograder ``results.json`` (``grader check --format gradescope``).

Field names and values follow Gradescope's "Autograder Specifications" page
(gradescope-autograders.readthedocs.io/en/latest/specs/): top-level ``score``,
``execution_time``, ``output``, ``visibility``, ``stdout_visibility`` and
``tests[]`` with ``name``, ``number``, ``score``, ``max_score``, ``status``
(``"passed"``/``"failed"``), ``output`` and ``visibility``.

Every ``*_format`` is pinned to ``"text"``: the top-level output would default
to ``simple_format``, which renders HTML, and our output quotes the student's
own text. A hidden check becomes a test with ``visibility: after_published``
(students see it once the TA publishes grades; pass ``hidden_visibility="hidden"``
to never show it). ``stdout_visibility`` is ``hidden``: the log is for the TA.
"""

from __future__ import annotations

import json
from typing import Any

from grader.report import comparison
from grader.report.common import ResultLike, as_doc, check_lines, clean, read_and_review, run_notes, shown, words

VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")


def to_gradescope(result: ResultLike, lang: str | None = None,
                  hidden_visibility: str = "after_published") -> dict[str, Any]:
    if hidden_visibility not in VISIBILITIES:
        raise ValueError(f"hidden_visibility must be one of {VISIBILITIES}")
    doc = as_doc(result, lang)
    w = words(doc)
    tests = []
    for number, check in enumerate(doc["checks"], start=1):
        # Gradescope shows hidden tests only as their visibility allows, so the output may be complete.
        message, details, hint = check_lines(check, doc, reveal_hidden=True)
        extras = [text for _, text in read_and_review(check, doc, reveal_hidden=True)]
        output = "\n".join([message, *(f"• {d}" for d in details), *extras,
                            *([f"{w['hint']}: {hint}"] if hint else [])])
        model = comparison.shown(check)  # a hidden check has none: its visibility covers the message only
        if model:
            output += "\n\n" + comparison.plain(model, clean(check["title"]), doc.get("lang"))
        tests.append({
            "name": clean(check["title"]),
            "number": str(number),
            "score": float(check["points"]),
            "max_score": float(check["max_points"]),
            "status": "passed" if check["passed"] else "failed",
            "output": output,
            "output_format": "text",
            "name_format": "text",
            "visibility": hidden_visibility if check.get("hidden") else "visible",
        })
    summary = [f"{w['score']}: {shown(doc['score'])} / {shown(doc['max_score'])}   {w['status']}: {doc['status']}"]
    summary += [f"• {n}" for n in run_notes(doc)]
    return {
        "score": float(doc["score"]),
        "execution_time": int(round(doc.get("seconds") or 0)),
        "output": "\n".join(summary),
        "output_format": "text",
        "test_output_format": "text",
        "test_name_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "extra_data": {"status": doc["status"], "exercise": doc.get("exercise"),
                       "grader_version": doc.get("grader_version"), "max_score": float(doc["max_score"])},
        "tests": tests,
    }


def dumps(result: ResultLike, lang: str = "en", hidden_visibility: str = "after_published") -> str:
    return json.dumps(to_gradescope(result, lang, hidden_visibility), ensure_ascii=False, indent=2)
