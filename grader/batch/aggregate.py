"""Rebuild every aggregate output from ``OUT/results/*.json``, and print the run's summary.

Aggregates are derived data: they are rewritten from the per-student results
at the end of every run (and by ``grader merge``), so they always agree with
them, whatever was interrupted, skipped or merged before. Files whose content
did not change are left alone.
"""

from __future__ import annotations

import contextlib
from typing import Any, Mapping, Sequence

from rich.console import Console
from rich.text import Text

from grader.batch.store import FEEDBACK, OutDir, atomic_write
from grader.report import class_report, csv_report, html, junit, markdown
from grader.report.common import Doc, needs_look, student_id

MOST_MISSED = 5
LIST_AT_MOST = 20


def title_of(manifest: Mapping[str, Any]) -> str:
    title = manifest.get("title") or {}
    lang = manifest.get("lang") or "en"
    return title.get(lang) or title.get("en") or manifest.get("exercise", "")


def rebuild(out: OutDir, manifest: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Write grades.csv, feedback/, junit.xml and report.html; return the results they were built from."""
    docs = [d for d in out.all_results() if d.get("exercise") == manifest.get("exercise")]
    lms = manifest.get("lms")
    _write_if_changed(out, "grades.csv", csv_report.grades_csv(docs, lms, manifest.get("lms_column")))
    if lms:
        _write_if_changed(out, "grades-detail.csv", csv_report.grades_csv(docs))
    wanted = set()
    for doc in docs:
        stem = doc["batch"]["slug"]
        for suffix, text in ((".md", markdown.render(doc)), (".html", html.render(doc))):
            wanted.add(stem + suffix)
            _write_if_changed(out, f"{FEEDBACK}/{stem}{suffix}", text)
    for stale in out.feedback.iterdir() if out.feedback.is_dir() else ():
        if stale.name not in wanted:
            with contextlib.suppress(OSError):
                stale.unlink()
    _write_if_changed(out, "junit.xml", junit.render(docs, name=str(manifest.get("exercise", "keras-grader"))))
    problems = list(manifest.get("problems") or ()) + list(manifest.get("notices") or ())
    _write_if_changed(out, "report.html", class_report.render(docs, title_of(manifest), problems,
                                                              manifest.get("lang") or "en"))
    return docs


def _write_if_changed(out: OutDir, relative: str, text: str) -> None:
    path = out.root / relative
    with contextlib.suppress(OSError):
        if path.read_text(encoding="utf-8") == text:
            return
    atomic_write(path, text, durable=False)


def print_summary(console: Console, docs: Sequence[Doc], manifest: Mapping[str, Any], out: OutDir,
                  lines: Sequence[str] = ()) -> None:
    """Score distribution, the most-missed checks, what could not be graded and why, where outputs are."""
    def say(text: str, style: str = "") -> None:
        console.print(Text(text, style=style), soft_wrap=True)  # Text: student ids are not rich markup

    def listing(title: str, items: Sequence[str], style: str = "") -> None:
        if items:
            say(f"{title} ({len(items)}):", style)
            for item in items[:LIST_AT_MOST]:
                say(f"  {item}")
            if len(items) > LIST_AT_MOST:
                say(f"  ... and {len(items) - LIST_AT_MOST} more (see report.html)")

    primary = [d for d in docs if not d["batch"].get("duplicate_of")]
    say(f"{title_of(manifest)}: {len(primary)} student(s), {len(docs)} submission(s) in {out.root}", "bold")
    for line in lines:
        say(line)
    if primary:
        bins = class_report.score_bins([d["score"] for d in primary], max(d["max_score"] for d in primary))
        widest = max(c for _, c in bins) or 1
        label_width = max(len(label) for label, _ in bins)
        say("score distribution:")
        for label, count in bins:
            say(f"  {label:>{label_width}} | {'█' * round(30 * count / widest)} {count}")
        rates = sorted(class_report.pass_rates(primary), key=lambda r: r["passed"] / max(r["n"], 1))
        listing("most-missed checks", [f"{r['n'] - r['passed']:>4} of {r['n']} missed  {r['id']}  ({r['title']})"
                                       for r in rates if r["passed"] < r["n"]][:MOST_MISSED])
    listing("could not be graded normally",
            [f"{student_id(d)}: {needs_look(d)[0]}" for d in docs if d["status"] != "graded"], "yellow")
    listing("students with several files (newest graded as the id, older as id#2, ...)",
            [f"{student_id(d)}: also {', '.join(d['batch']['duplicates'])}" for d in docs
             if d["batch"].get("duplicates")], "yellow")
    listing("input problems", [f"{p['where']}: {p['what']}" for p in manifest.get("problems") or ()], "red")
    listing("notices", [f"{p['where']}: {p['what']}" for p in manifest.get("notices") or ()])
    outputs = ["grades.csv", "report.html", "junit.xml", "feedback/", "results/"]
    say("outputs: " + ", ".join(str(out.root / o) for o in outputs))
