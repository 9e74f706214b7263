"""``grader grade`` (a whole class) and ``grader merge`` (shards back into one OUT).

``grade`` exit codes: 0 every submission has a result (whatever the scores);
2 the command or the input is unusable (bad option, unknown exercise, OUT in use,
an unreadable archive, or archive members / items that were refused: the rest
is still graded); 3 the grader failed on at least one submission; 130 stopped
by Ctrl-C or SIGTERM (what was graded is kept).

Test hook: when ``KERAS_GRADER_BATCH_GRADE_FN=module:function`` is set, that
function replaces ``grader.pipeline.grade_path`` (same signature). The batch
tests use it to run the real command in a subprocess with a fast, fake grader;
a warning on stderr says so whenever it is active.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import os
import re
import sys
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from rich.console import Console

from grader import __version__
from grader.batch import aggregate, archive, discover, shard, similarity
from grader.batch.merge import merge_outs
from grader.batch.runner import ProgressView, run_parallel
from grader.batch.store import OutDir, cache_key, host, slug
from grader.errors import UsageError

EXIT_OK, EXIT_UNUSABLE, EXIT_GRADER, EXIT_INTERRUPTED = 0, 2, 3, 130
GRADE_FN_ENV = "KERAS_GRADER_BATCH_GRADE_FN"
GradeFn = Callable[..., Any]  # (path, exercise, options, name=...) -> GradeResult, like grade_path


def cmd_grade(args: argparse.Namespace, grade_fn: GradeFn | None = None, console: Console | None = None) -> int:
    from grader.pipeline import RunOptions
    from grader.rubric.catalog import get_exercise

    console = console or Console(highlight=False)
    source: Path = args.submissions
    if not source.exists():
        raise UsageError("no such file or folder", where=str(source))
    if args.jobs < 1:
        raise UsageError(f"--jobs must be at least 1, not {args.jobs}")
    if args.timeout is not None and args.timeout <= 0:
        raise UsageError("--timeout must be positive")
    shard_spec = shard.parse_shard(args.shard) if args.shard else None
    pattern = _compile(args.id_pattern)
    exercise = get_exercise(args.exercise)
    grade_fn = grade_fn or _grade_function()
    out = OutDir(args.out)
    with out.locked():
        previous = out.manifest()
        if previous.get("exercise") not in (None, exercise.id):
            raise UsageError(f"this folder holds results for exercise {previous['exercise']!r}",
                             where=str(out.root), hint="pass another --out")
        found = _find(source, out, pattern, args.lms)
        entries = shard.select(found.entries, *shard_spec) if shard_spec else found.entries
        jobs = _stale_entries(entries, out, exercise, args)
        manifest = {"exercise": exercise.id, "title": dict(exercise.title), "lang": args.lang, "lms": args.lms,
                    "lms_column": args.lms_column, "source": str(source), "shard": args.shard,
                    "grader_version": __version__, "problems": found.problems, "notices": _notices(found, args.lang),
                    # the TA's comparison of what students wrote (never a score); off with --no-similarity
                    "similarity": None if getattr(args, "no_similarity", False) else
                    {"threshold": getattr(args, "similarity_threshold", similarity.DEFAULT_THRESHOLD)}}
        out.write_manifest(manifest)
        options = RunOptions(cell_timeout=args.timeout, hide=(out.root.resolve(), source.resolve()),
                             fast=not args.cold)
        with ProgressView(len(jobs), label=f"grading {exercise.id}") as view:
            outcome = run_parallel(jobs, _worker(exercise, options, args.lang, out, grade_fn), args.jobs, view)
        if manifest["similarity"] is not None:
            similarity.store_written(out, entries, exercise)
        docs = aggregate.rebuild(out, manifest)
        say = functools.partial(aggregate.phrase, args.lang)
        lines = [say("graded_run", done=len(outcome.done), seconds=outcome.seconds, fresh=len(entries) - len(jobs))
                 + (say("shard", shard=args.shard) if args.shard else "")]
        if outcome.interrupted:
            lines.append(say("interrupted", n=len(outcome.not_done)))
        lines += [say("failure", id=e.id, error=error) for (e, _), error in outcome.failed]
        stale = {d["batch"]["id"] for d in docs} - {e.id for e in entries}
        if stale and not args.shard:
            lines.append(say("stale", n=len(stale), source=source))
        aggregate.print_summary(console, docs, manifest, out, lines)
    if outcome.interrupted:
        return EXIT_INTERRUPTED
    ids = {e.id for e in entries}
    if outcome.failed or any(d["status"] == "internal-error" for d in docs if d["batch"]["id"] in ids):
        return EXIT_GRADER
    return EXIT_UNUSABLE if found.problems else EXIT_OK


def _find(source: Path, out: OutDir, pattern: re.Pattern[str] | None, lms: str | None) -> discover.Discovery:
    """The submissions in ``source`` (a folder, or a zip unpacked into OUT), with what was refused."""
    problems: list[dict[str, str]] = []
    root = source
    if source.is_file():
        if source.suffix.lower() != ".zip":
            raise UsageError("SUBMISSIONS must be a folder or a .zip", where=str(source))
        unpacked = archive.unpack_cached(source, out.work)
        problems, root = unpacked.problems, unpacked.root
    found = discover.discover(discover.submissions_root(root, out.root), pattern, lms, work=out.work, out=out.root)
    found.problems[:0] = problems
    if not found.entries and not found.problems:
        hint = "pass the folder or .zip the LMS gave you"
        if found.skipped:
            hint = (f"skipped as notes or tables: {', '.join(found.skipped[:5])}"
                    f"{', ...' if len(found.skipped) > 5 else ''}; {hint}, or name the students' files "
                    "with --id-pattern")
        raise UsageError("no submissions found", where=str(source), hint=hint)
    return found


def _stale_entries(entries: list[discover.Entry], out: OutDir, exercise: Any,
                   args: argparse.Namespace) -> list[tuple[discover.Entry, dict[str, Any]]]:
    """The entries to grade, with their cache keys: all with --force, else those without a current result."""
    jobs = []
    for entry in entries:
        key = cache_key(entry.digest, exercise.id, exercise.digest, args.lang, args.timeout)
        stored = out.load_result(entry.id)
        if not args.force and _up_to_date(stored, key):
            _refresh_batch_fields(out, stored, entry)
        else:
            jobs.append((entry, key))
    return jobs


def cmd_merge(args: argparse.Namespace, console: Console | None = None) -> int:
    console = console or Console(highlight=False)
    out = OutDir(args.out)
    docs, manifest = merge_outs([OutDir(p) for p in args.inputs], out, lms=args.lms, lms_column=args.lms_column)
    lines = [aggregate.phrase(manifest.get("lang"), "merged", n=len(args.inputs))]
    aggregate.print_summary(console, docs, manifest, out, lines)
    if any(d["status"] == "internal-error" for d in docs):
        return EXIT_GRADER
    return EXIT_UNUSABLE if manifest.get("problems") else EXIT_OK


def _compile(text: str | None) -> re.Pattern[str] | None:
    if text is None:
        return None
    try:
        return re.compile(text)
    except re.error as exc:
        raise UsageError(f"--id-pattern is not a valid regular expression: {exc}") from None


def _grade_function() -> GradeFn:
    target = os.environ.get(GRADE_FN_ENV)
    if not target:
        from grader.pipeline import grade_path

        return grade_path
    module, _, name = target.partition(":")
    print(f"warning: {GRADE_FN_ENV}={target}: grading with a test function, not the real pipeline",
          file=sys.stderr)
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as exc:
        raise UsageError(f"{GRADE_FN_ENV}={target}: {exc}") from None


def _up_to_date(stored: dict[str, Any] | None, key: dict[str, Any]) -> bool:
    """A stored result counts if its key matches; a grader failure is always tried again."""
    return bool(stored and stored.get("status") != "internal-error"
                and (stored.get("batch") or {}).get("cache", {}).get("key") == key["key"])


def _batch_fields(entry: discover.Entry) -> dict[str, Any]:
    return {"id": entry.id, "student": entry.student, "slug": slug(entry.id), "file": entry.file,
            "fields": dict(entry.fields), "duplicate_of": entry.duplicate_of, "duplicates": list(entry.duplicates)}


def _refresh_batch_fields(out: OutDir, stored: dict[str, Any], entry: discover.Entry) -> None:
    """A skipped result still takes this run's file name and duplicate links (same content, maybe renamed)."""
    fields = _batch_fields(entry)
    if any(stored["batch"].get(k) != v for k, v in fields.items()):
        stored["batch"].update(fields)
        out.write_result(stored)


def _worker(exercise: Any, options: Any, lang: str, out: OutDir, grade_fn: GradeFn):
    from grader.execute.outcome import ExecutionOutcome, Status
    from grader.report.json_report import result_to_dict
    from grader.rubric.engine import grade

    machine = host()

    def work(job: tuple[discover.Entry, dict[str, Any]], stop: threading.Event) -> dict[str, Any]:
        entry, key = job
        try:
            result = grade_fn(entry.path, exercise, options, name=entry.id)
        except Exception as exc:  # grade_path never raises for a bad submission: this is the grader's fault
            failed = ExecutionOutcome(status=Status.INTERNAL_ERROR, message=f"{type(exc).__name__}: {exc}")
            result = grade(exercise, None, failed, submission_name=entry.id)
        doc = result_to_dict(result, lang)
        doc["batch"] = {**_batch_fields(entry), "cache": key, "host": machine,
                        "graded_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        if not stop.is_set():
            out.write_result(doc)
        return doc

    return work


def _notices(found: discover.Discovery, lang: str) -> list[dict[str, str]]:
    """What discovery set aside, in the run's language (the summary and report.html show them)."""
    kinds = (("notice_ignored", found.ignored), ("notice_unmatched", found.unmatched),
             ("notice_skipped", found.skipped))
    return [{"where": name, "what": aggregate.phrase(lang, key)} for key, names in kinds for name in names]
