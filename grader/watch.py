"""``grader watch SUBMISSION``: grade again every time the file is saved, with the fork server kept warm.

A student iterating on a notebook wants the report of the version just saved,
in about a second, not after a TensorFlow import each time: the fork server
starts once, at the start of the session, and every run forks from it
(``--cold`` starts each kernel from scratch instead). The file's modification
time and size are polled (default every 0.5 s; no new dependency); a run starts
once they have stayed put for one poll, so an editor's partial write is not
graded. Ctrl-C (or SIGTERM) stops the session after cleaning up.

Registered by ``grader.cli`` (``_extensions``); also ``python -m grader.watch``.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path
from typing import Any, Callable

from grader.argtypes import seconds
from grader.i18n import LANGS

POLL_SECONDS = 0.5
EXIT_OK, EXIT_UNUSABLE, EXIT_INTERRUPTED = 0, 2, 130


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("submission", type=Path, help="the .ipynb or .py file to grade on every save")
    parser.add_argument("--exercise", help="exercise id (default: inferred from the file name or notebook metadata)")
    parser.add_argument("--lang", choices=LANGS, default="en", help="language of the feedback")
    parser.add_argument("--timeout", type=seconds, help="per-cell timeout in seconds (overrides the exercise's)")
    parser.add_argument("--cold", action="store_true", help="start every kernel from scratch (no fork server)")
    parser.add_argument("--interval", type=float, default=POLL_SECONDS, help="seconds between two looks at the file")
    parser.add_argument("--max-runs", type=int, metavar="N", help="stop after N runs (for scripts and tests)")


def register(sub: argparse._SubParsersAction) -> None:
    watch = sub.add_parser("watch", help="grade a notebook again on every save",
                           description="Grade a notebook or script again every time it is saved (Ctrl-C to stop).")
    add_arguments(watch)
    watch.set_defaults(func=cmd_watch)


def cmd_watch(args: argparse.Namespace, console: Any = None) -> int:
    from rich.console import Console

    from grader.pipeline import RunOptions, grade_path
    from grader.report.text import render
    from grader.rubric.catalog import exercise_for_file, get_exercise

    console = console or Console(highlight=False)
    path: Path = args.submission
    if not path.exists():
        print(f"error: {path}: no such file", file=sys.stderr)
        return EXIT_UNUSABLE
    if args.interval <= 0:
        print("error: --interval must be positive", file=sys.stderr)
        return EXIT_UNUSABLE
    exercise = get_exercise(args.exercise) if args.exercise else exercise_for_file(path)
    options = RunOptions(cell_timeout=args.timeout, fast=not args.cold)
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        if options.fast:
            _start_server(console)
        watch(path, args.interval, args.max_runs, lambda run: _grade(console, path, run, grade_path,
                                                                        exercise, options, render, args.lang))
    except KeyboardInterrupt:
        console.print("stopped")
        return EXIT_INTERRUPTED
    finally:
        signal.signal(signal.SIGTERM, previous)
        if options.fast:
            from grader.execute.pool import stop_shared_server

            stop_shared_server()
    return EXIT_OK


def watch(path: Path, interval: float, max_runs: int | None, run: Callable[[int], None]) -> int:
    """Call ``run(n)`` for the file as it is now, then after every change that has settled. Returns the runs."""
    done, graded = 0, None
    while max_runs is None or done < max_runs:
        stamp = _stamp(path)
        if stamp is not None and stamp != graded:
            time.sleep(interval)
            if _stamp(path) == stamp:  # unchanged for a whole poll: the save is complete
                graded, done = stamp, done + 1
                run(done)
                continue
        time.sleep(interval)
    return done


def _stamp(path: Path) -> tuple | None:
    """What changes when ``path`` is saved; for a folder, when any file in it is (saved in place or not)."""
    try:
        if path.is_dir():
            return tuple(sorted((p.name, *(_stamp(p) or ())) for p in path.iterdir() if p.is_file()))
        stat = path.stat()
    except OSError:  # being replaced (editors write a new file and rename it)
        return None
    return stat.st_mtime_ns, stat.st_size


def _start_server(console: Any) -> None:
    from grader.execute.pool import shared_failure, shared_server

    began = time.monotonic()
    server = shared_server()
    if server is None:
        console.print(f"[yellow]fork server unavailable ({shared_failure()}); every run starts cold[/]")
    else:
        console.print(f"[dim]fork server ready in {time.monotonic() - began:.1f} s[/]")


def _grade(console: Any, path: Path, number: int, grade_path: Callable, exercise: Any, options: Any,
           render: Callable, lang: str) -> None:
    from rich.text import Text  # a path is not markup: "[x].ipynb" is a legal file name

    began = time.monotonic()
    console.rule(Text(f"run {number} · {time.strftime('%H:%M:%S')} · {path.name}"))
    result = grade_path(path, exercise, options)
    console.print(render(result, lang))
    console.print(Text(f"graded in {time.monotonic() - began:.1f} s; watching {path} (Ctrl-C to stop)", style="dim"))


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader.watch", description=__doc__.splitlines()[0])
    add_arguments(parser)
    args = parser.parse_args(argv)
    from grader.errors import GraderError

    try:
        return cmd_watch(args)
    except GraderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code


if __name__ == "__main__":
    sys.exit(main())
