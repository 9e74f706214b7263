"""The ``grader`` command line.

Exit codes (documented in the README):
  0  full marks (or at least ``--fail-under``)
  1  graded, below full marks
  2  the submission or the command is unusable (the message says why)
  3  the grader itself failed
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Callable

from grader import __version__
from grader.argtypes import seconds
from grader.errors import GraderError
from grader.execute.outcome import Status
from grader.i18n import LANGS

EXIT_FULL, EXIT_PARTIAL, EXIT_UNUSABLE, EXIT_GRADER = 0, 1, 2, 3


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_UNUSABLE
    try:
        return args.func(args)
    except GraderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="grader", description="Grade Keras exercises in a sandbox.")
    parser.add_argument("--version", action="version", version=f"keras-grader {__version__}")
    sub = parser.add_subparsers(metavar="COMMAND")

    check = sub.add_parser("check", help="grade one notebook or script", description="Grade one notebook or script.")
    check.add_argument("submission", type=Path, help="a .ipynb or .py file")
    check.add_argument("--exercise", help="exercise id (default: inferred from the file name or notebook metadata)")
    check.add_argument("--format", choices=("text", "json", "gradescope"), default="text")
    check.add_argument("--lang", choices=LANGS, default="en", help="language of the feedback")
    check.add_argument("--timeout", type=seconds, help="per-cell timeout in seconds (overrides the exercise's)")
    check.add_argument("--output", "-o", type=Path, help="write the report to this file instead of stdout")
    check.add_argument("--fail-under", type=float, metavar="SCORE",
                       help="exit 0 when the score is at least SCORE, else 1 (for CI-style autograding)")
    check.add_argument("--no-sandbox", action="store_true",
                       help="run the kernel without containment (only for your own code)")
    check.set_defaults(func=cmd_check)

    exercises = sub.add_parser("exercises", help="list installed exercises")
    exercises.set_defaults(func=cmd_exercises)

    doctor = sub.add_parser("doctor", help="show which isolation layers this machine supports")
    doctor.add_argument("--json", action="store_true")
    doctor.set_defaults(func=cmd_doctor)

    for register in _extensions():
        register(sub)
    return parser


def _extensions() -> list[Callable[[argparse._SubParsersAction], None]]:
    """Commands that live with their stage: ``grade``/``merge`` (grader.batch), ``watch`` (grader.watch),
    ``validate``/``new`` (grader.author)."""
    from grader.author.cli import register as register_author
    from grader.batch.cli import register as register_batch
    from grader.watch import register as register_watch

    return [register_batch, register_watch, register_author]


def cmd_check(args: argparse.Namespace) -> int:
    from grader.pipeline import RunOptions, grade_path
    from grader.rubric.catalog import exercise_for_file, get_exercise

    path: Path = args.submission
    if not path.exists():
        print(f"error: {path}: no such file", file=sys.stderr)
        return EXIT_UNUSABLE
    if args.output is not None:
        _check_writable(args.output)  # before the run, not after a minute of grading
    exercise = get_exercise(args.exercise) if args.exercise else exercise_for_file(path)
    options = RunOptions(cell_timeout=args.timeout, sandbox=not args.no_sandbox)
    result = grade_path(path, exercise, options)
    try:
        emit(result, args.format, args.lang, args.output)
    except BrokenPipeError:  # `grader check ... | head`: the reader left; the grade still stands
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return exit_code(result, args.fail_under)


def _check_writable(output: Path) -> None:
    """Refuse an --output the report could not be written to, saying why."""
    from grader.errors import UsageError

    folder = output.parent if str(output.parent) else Path(".")
    if output.is_dir():
        raise UsageError("--output is a folder", where=str(output), hint="name a file, e.g. results.json")
    if not folder.is_dir():
        raise UsageError("--output's folder does not exist", where=str(folder), hint=f"create it: mkdir -p {folder}")
    if not os.access(folder, os.W_OK) or (output.exists() and not os.access(output, os.W_OK)):
        raise UsageError("--output cannot be written here", where=str(output), hint="choose a path you can write to")


def exit_code(result, fail_under: float | None = None) -> int:
    if result.status == Status.INTERNAL_ERROR:
        return EXIT_GRADER
    if result.status == Status.INVALID_SUBMISSION:
        return EXIT_UNUSABLE
    if fail_under is not None:
        return EXIT_FULL if result.score >= fail_under else EXIT_PARTIAL
    return EXIT_FULL if result.full_marks else EXIT_PARTIAL


def emit(result, fmt: str, lang: str, output: Path | None) -> None:
    if fmt == "text":
        from rich.console import Console

        from grader.report.text import render

        if output:
            with output.open("w", encoding="utf-8") as fh:
                Console(file=fh, width=100, color_system=None).print(render(result, lang))
        else:
            Console().print(render(result, lang))
        return
    if fmt == "json":
        from grader.report.json_report import dumps

        text = dumps(result, lang)
    else:
        from grader.report.gradescope import dumps as gradescope_dumps

        text = gradescope_dumps(result, lang)
    if output:
        output.write_text(text + "\n", encoding="utf-8")
    else:
        print(text)


def cmd_exercises(args: argparse.Namespace) -> int:
    from grader.rubric.catalog import exercise_folders
    from grader.rubric.spec import load_exercise

    folders = exercise_folders()
    if not folders:
        print("no exercises installed (set KERAS_GRADER_EXERCISES to a folder of exercises)")
        return EXIT_UNUSABLE
    width = max(map(len, folders))
    broken = 0
    for exercise_id, folder in sorted(folders.items()):
        try:
            ex = load_exercise(folder)
        except GraderError as exc:
            broken += 1
            print(f"{exercise_id:{width}}  BROKEN SPEC: {exc}")
            continue
        title = ex.title.get("en") or next(iter(ex.title.values()), "")
        print(f"{exercise_id:{width}}  {ex.max_score:g} points, {len(ex.checks)} check(s)  {title}  ({folder})")
    return EXIT_UNUSABLE if broken else EXIT_FULL  # usable in a TA's CI or pre-commit hook


def cmd_doctor(args: argparse.Namespace) -> int:
    from grader.execute.doctor import probe_capabilities

    report = probe_capabilities()
    if args.json:
        print(json.dumps(report, indent=2))
        return EXIT_FULL
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(title="Isolation of each submission's kernel on this machine", title_justify="left")
    for column in ("layer", "in use", "available", "to enable the rest"):
        table.add_column(column)
    for layer, info in report.get("layers", {}).items():
        in_use = info.get("mechanism") or "none"
        table.add_row(layer, f"[red]{in_use}[/]" if in_use == "none" else f"[green]{in_use}[/]",
                      ", ".join(info.get("available") or []) or "-", info.get("enable") or "")
    console = Console()
    console.print(table)
    fast = report.get("fast_path") or {}
    console.print("fast path (grader grade, grader watch): " + (
        "[green]kernels forked from a warm server[/]" if fast.get("available")
        else f"[red]unavailable[/] ({escape(str(fast.get('why')))}): every kernel starts cold"))
    for note in report.get("notes", []) + report.get("problems", []):
        console.print(f"• {note}")
    return EXIT_FULL


if __name__ == "__main__":
    sys.exit(main())
