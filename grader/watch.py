"""``grader watch SUBMISSION``: grade again every time the file is saved, with the fork server kept warm.

A student iterating on a notebook wants the report of the version just saved,
in about a second, not after a TensorFlow import each time: the fork server
starts once, at the start of the session, and every run forks from it
(``--cold`` starts each kernel from scratch instead). The file's modification
time and size are polled (default every 0.5 s; no new dependency); a run starts
once they have stayed put for one poll, so an editor's partial write is not
graded. Ctrl-C (or SIGTERM) stops the session after cleaning up.

While it runs, it also answers ``%grade`` in the student's notebook
(``grader.notebook``): a Unix socket named after the file (``socket_path``, in
the user's cache folder, mode 0700) takes one JSON line ``{"lang": ...}`` and
returns the JSON result of the file as saved now, waiting for the run of the
latest save if one is under way. No other request exists.

Registered by ``grader.cli`` (``_extensions``); also ``python -m grader.watch``.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import signal
import socket
import socketserver
import sys
import threading
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
    latest = Latest()
    answering = serve(path, latest)
    try:
        if options.fast:
            _start_server(console)

        def run(number: int) -> None:
            stamp = _stamp(path)  # before the run: a save during it makes the next run the one %grade waits for
            latest.publish(stamp, _grade(console, path, number, grade_path, exercise, options, render, args.lang))

        watch(path, args.interval, args.max_runs, run)
    except KeyboardInterrupt:
        console.print("stopped")
        return EXIT_INTERRUPTED
    finally:
        answering.close()
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
           render: Callable, lang: str) -> Any:
    from rich.text import Text  # a path is not markup: "[x].ipynb" is a legal file name

    began = time.monotonic()
    console.rule(Text(f"run {number} · {time.strftime('%H:%M:%S')} · {path.name}"))
    result = grade_path(path, exercise, options)
    console.print(render(result, lang))
    console.print(Text(f"graded in {time.monotonic() - began:.1f} s; watching {path} (Ctrl-C to stop)", style="dim"))
    return result


# --------------------------------------------------------------------------- answering %grade


def socket_path(path: Path) -> Path:
    """Where the watch of ``path`` answers: named by a hash of the file's real path, in the user's cache."""
    from grader.execute.fontcache import cache_root

    digest = hashlib.sha256(os.path.realpath(path).encode("utf-8", "surrogateescape")).hexdigest()[:20]
    return cache_root() / "watch" / f"{digest}.sock"


class Latest:
    """The result of the latest run and the file's stamp when it started, for the socket's threads to wait on."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._stamp: tuple | None = None
        self._result: Any = None

    def publish(self, stamp: tuple | None, result: Any) -> None:
        with self._changed:
            self._stamp, self._result = stamp, result
            self._changed.notify_all()

    def wait_for(self, stamp: tuple | None, timeout: float) -> Any:
        """The result for the file as ``stamp`` says it is, once graded; None if not within ``timeout``."""
        with self._changed:
            self._changed.wait_for(lambda: self._result is not None and self._stamp == stamp, timeout)
            return self._result if self._stamp == stamp else None


class Answering:
    """The socket server's thread and file; ``close`` removes both."""

    def __init__(self, server: socketserver.BaseServer | None, where: Path | None) -> None:
        self.server, self.where = server, where

    def close(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
        if self.where is not None:
            with contextlib.suppress(OSError):
                self.where.unlink()


def serve(path: Path, latest: Latest, wait: float = 600.0, render: Callable[[Any, str], dict] | None = None) -> Answering:
    """Answer ``%grade`` for ``path`` on its socket (in a thread) until ``close``; never fails the watch."""
    if render is None:
        from grader.report.json_report import result_to_dict as render
    where = socket_path(path)
    try:
        where.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(where.parent, 0o700)  # only this user may ask for this user's results
        with contextlib.suppress(OSError):
            where.unlink()  # a watch killed earlier left its socket behind
    except OSError:
        return Answering(None, None)

    class Handler(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            try:
                request = json.loads(self.rfile.readline(4096) or b"{}")
                lang = request.get("lang") if isinstance(request, dict) else None
                result = latest.wait_for(_stamp(path), wait)
                reply = {"error": "no result yet for the file as saved"} if result is None else \
                    render(result, lang if isinstance(lang, str) else "en")
            except (ValueError, OSError) as exc:
                reply = {"error": str(exc)}
            with contextlib.suppress(OSError):
                self.wfile.write(json.dumps(reply, ensure_ascii=False, default=list).encode("utf-8") + b"\n")

    class Server(socketserver.ThreadingUnixStreamServer):
        daemon_threads = True

    try:
        server = Server(str(where), Handler)
    except OSError:  # e.g. a path too long for a Unix socket: %grade then starts its own check
        return Answering(None, None)
    threading.Thread(target=server.serve_forever, name="grader-watch-answer", daemon=True).start()
    return Answering(server, where)


def ask(path: Path, lang: str, timeout: float = 600.0) -> dict | None:
    """The result of ``path`` from its running watch, or None when no watch answers for it."""
    where = socket_path(path)
    if not where.exists():
        return None
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.settimeout(timeout)
            client.connect(str(where))
            client.sendall(json.dumps({"lang": lang}).encode("utf-8") + b"\n")
            with client.makefile("rb") as reply:
                doc = json.loads(reply.readline() or b"null")
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) and "error" not in doc else None


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
