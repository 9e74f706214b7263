"""Grade sheets: our own layout, and the layouts Canvas' and Moodle's grade imports read.

* generic: ``id, file, score, max_score, status``, one column per check id (the
  points earned), then ``duplicate_of`` and ``review`` (the ids of the checks flagged
  for a human look, separated by spaces).
* canvas: the Gradebook import (canvas-lms ``GradebookImporter``): header
  ``Student, ID, SIS User ID, SIS Login ID, Section, <assignment>``, then a
  ``Points Possible`` row. Canvas finds the student by ``ID`` (the user id in
  the bulk-download file names). An assignment column named ``Title (123)``
  updates assignment 123; any other name creates a new assignment.
* moodle: the assignment's offline grading worksheet (``assignfeedback_offline``):
  it needs ``Identifier`` (``Participant <n>``, the number in the bulk-download
  names), ``Grade`` and ``Last modified (grade)``; ``Feedback comments`` is read
  when feedback comments are enabled. Other columns are ignored.

A result with ``internal-error`` gets an empty grade in the LMS layouts (both
read empty as "no change"): a grader failure must not become a zero. Only the
newest file of a student goes to an LMS sheet; older duplicates stay in ours.
Text cells that a spreadsheet would run as a formula get a leading ``'``.
"""

from __future__ import annotations

import csv
import html
import io
from typing import Any, Iterable, Sequence

from grader.report.common import Doc, check_lines, clean, evidence_line, flagged, fmt, shown
from grader.rubric.spec import LEADING_COLUMNS, TRAILING_COLUMNS

LMS = ("canvas", "moodle")
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def cell(text: Any) -> str:
    """A text cell a spreadsheet shows as text, never evaluates."""
    value = clean(text)
    return "'" + value if value.startswith(_FORMULA) else value


def _batch(doc: Doc) -> dict[str, Any]:
    return dict(doc.get("batch") or {})


def _grade(doc: Doc) -> str:
    return "" if doc["status"] == "internal-error" else fmt(doc["score"])


def generic_rows(docs: Sequence[Doc]) -> list[list[Any]]:
    check_ids = list(dict.fromkeys(c["id"] for d in docs for c in d["checks"]))
    rows: list[list[Any]] = [[*LEADING_COLUMNS, *check_ids, *TRAILING_COLUMNS]]
    for doc in docs:
        batch = _batch(doc)
        points = {c["id"]: fmt(c["points"]) for c in doc["checks"]}
        rows.append([cell(batch.get("id") or doc["submission"]), cell(batch.get("file", "")), fmt(doc["score"]),
                     fmt(doc["max_score"]), doc["status"], *(points.get(c, "") for c in check_ids),
                     cell(batch.get("duplicate_of") or ""), cell(" ".join(c["id"] for c in flagged(doc)))])
    return rows


def canvas_rows(docs: Sequence[Doc], column: str) -> list[list[Any]]:
    primary = [d for d in docs if not _batch(d).get("duplicate_of")]
    max_score = max((d["max_score"] for d in primary), default=0)
    rows: list[list[Any]] = [["Student", "ID", "SIS User ID", "SIS Login ID", "Section", cell(column)],
                             ["Points Possible", "", "", "", "", fmt(max_score)]]
    for doc in primary:
        batch = _batch(doc)
        fields = batch.get("fields") or {}
        name = fields.get("login") or fields.get("name") or ""
        rows.append([cell(name), cell(batch.get("student") or batch.get("id")), "", "", "", _grade(doc)])
    return rows


def moodle_rows(docs: Sequence[Doc]) -> list[list[Any]]:
    rows: list[list[Any]] = [["Identifier", "Full name", "Grade", "Maximum Grade", "Last modified (grade)",
                              "Feedback comments"]]
    for doc in docs:
        batch = _batch(doc)
        if batch.get("duplicate_of"):
            continue
        fields = batch.get("fields") or {}
        rows.append([cell(f"Participant {batch.get('student') or batch.get('id')}"), cell(fields.get("name", "")),
                     _grade(doc), fmt(doc["max_score"]), batch.get("graded_at", ""), moodle_comment(doc)])
    return rows


def moodle_comment(doc: Doc) -> str:
    """A short summary for Moodle's comment box, which renders HTML: so escaped here.

    Empty for a grader failure, like its grade: "0 / N" would read as the student's mark.
    """
    if doc["status"] == "internal-error":
        return ""
    parts = [f"{shown(doc['score'])} / {shown(doc['max_score'])} ({doc['status']})."]
    for check in doc["checks"]:
        if not check["passed"]:
            message, _, _ = check_lines(check, doc)
            read = evidence_line(check, doc)
            parts.append(f"{clean(check['title'])}: {message}" + (f" ({read})." if read else "."))
    return html.escape(" ".join(parts))


def to_csv(rows: Iterable[Sequence[Any]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


def grades_csv(docs: Sequence[Doc], lms: str | None = None, column: str | None = None) -> str:
    if lms == "canvas":
        return to_csv(canvas_rows(docs, column or (docs[0]["exercise"] if docs else "grade")))
    if lms == "moodle":
        return to_csv(moodle_rows(docs))
    if lms is not None:
        raise ValueError(f"unknown LMS {lms!r} (known: {', '.join(LMS)})")
    return to_csv(generic_rows(docs))
