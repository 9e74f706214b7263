"""Grade many submissions at once, showing progress, and stop cleanly when asked.

Threads, not processes: each ``grade_path`` call spends its time waiting on its
own sandboxed kernel subprocess, so N threads keep N kernels busy. A worker
saves its result itself, the moment it has it, so a SIGKILL loses only what was
in flight.

Ctrl-C (or SIGTERM, as Slurm and Kubernetes send before killing) stops handing
out work; results that finish after that are discarded, since their kernels
got the signal too and their grades may be wrong, and they are graded again
next run. The main thread waits up to ``grace`` seconds for the in-flight
workers (a second Ctrl-C stops waiting), then reports what is done.
"""

from __future__ import annotations

import queue
import signal
import threading
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Generic, Iterator, Sequence, TypeVar

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

J = TypeVar("J")
_SHORT = {"graded": "ok", "invalid-submission": "invalid", "internal-error": "error", "memory-limit": "memory",
          "kernel-died": "died", "output-limit": "output"}  # status names, short enough for an 80-column bar
Work = Callable[[J, threading.Event], "dict[str, Any] | None"]


@dataclass
class RunOutcome(Generic[J]):
    done: list[dict[str, Any]] = field(default_factory=list)
    failed: list[tuple[J, str]] = field(default_factory=list)  # the grader could not even save a result
    not_done: list[J] = field(default_factory=list)
    interrupted: bool = False
    seconds: float = 0.0


class ProgressView:
    """A progress bar on stderr with counts by status and an ETA; silent when stderr is not a terminal."""

    def __init__(self, total: int, console: Console | None = None, label: str = "grading"):
        self.console = console or Console(stderr=True)
        self.counts: Counter[str] = Counter()
        self.progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(bar_width=24),
                                 MofNCompleteColumn(), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                                 TextColumn("{task.fields[counts]}"), console=self.console,
                                 disable=not self.console.is_terminal, transient=False)
        self.task = self.progress.add_task(label, total=total, counts="")

    def __enter__(self) -> "ProgressView":
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def advance(self, status: str) -> None:
        self.counts[status] += 1
        text = " ".join(f"{_SHORT.get(s, s)} {n}" for s, n in sorted(self.counts.items()))
        self.progress.update(self.task, advance=1, counts=text)

    def say(self, text: str) -> None:
        self.console.print(text)


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Turn SIGTERM into KeyboardInterrupt in the main thread, for the same clean stop."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_parallel(jobs: Sequence[J], work: Work[J], workers: int, view: ProgressView,
                 grace: float = 10.0) -> RunOutcome[J]:
    """Run ``work(job, stop)`` for every job on ``workers`` threads; ``work`` saves unless ``stop`` is set."""
    started = time.monotonic()
    todo: queue.SimpleQueue[J] = queue.SimpleQueue()
    for job in jobs:
        todo.put(job)
    finished: queue.SimpleQueue[tuple[J, dict[str, Any] | None, str | None]] = queue.SimpleQueue()
    stop = threading.Event()
    outcome: RunOutcome[J] = RunOutcome()
    in_flight: set[int] = set()
    lock = threading.Lock()

    def worker() -> None:
        while not stop.is_set():
            try:
                job = todo.get_nowait()
            except queue.Empty:
                return
            with lock:
                in_flight.add(id(job))
            try:
                finished.put((job, work(job, stop), None))
            except Exception as exc:  # saving failed (disk full, ...): the grader's fault, reported
                finished.put((job, None, f"{type(exc).__name__}: {exc}"))
            finally:
                with lock:
                    in_flight.discard(id(job))

    threads = [threading.Thread(target=worker, name=f"grade-{i}", daemon=True)
               for i in range(max(1, min(workers, len(jobs))))]
    remaining = {id(j): j for j in jobs}
    with sigterm_as_interrupt():
        for thread in threads:
            thread.start()
        try:
            while remaining:
                try:
                    job, doc, error = finished.get(timeout=0.2)
                except queue.Empty:
                    continue
                remaining.pop(id(job), None)
                if doc is None:
                    outcome.failed.append((job, error or "no result"))
                    view.advance("grader-failure")
                else:
                    outcome.done.append(doc)
                    view.advance(doc["status"])
        except KeyboardInterrupt:
            stop.set()
            outcome.interrupted = True
            _wait_for(threads, in_flight, lock, grace, view)
    outcome.not_done = list(remaining.values())
    outcome.seconds = time.monotonic() - started
    return outcome


def _wait_for(threads: list[threading.Thread], in_flight: set[int], lock: threading.Lock, grace: float,
              view: ProgressView) -> None:
    with lock:
        busy = len(in_flight)
    if busy:
        view.say(f"stopping: {busy} submission(s) in flight will be graded again next run "
                 f"(waiting up to {grace:g} s; Ctrl-C again to stop now)")
    deadline = time.monotonic() + grace
    try:
        for thread in threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
    except KeyboardInterrupt:
        pass
