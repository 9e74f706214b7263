"""Batch throughput of the fast path (forked kernels) against the cold path, on a folder of real submissions.

    python benchmarks/batch.py ../shared/corpus/day096 [--jobs 2] [--sample K] [--exercise day096]

Grades every submission with the fast path, then with the cold path, at the same
``--jobs`` (a thread pool over ``grader.pipeline.grade_path``, as
``grader.tools.agreement`` does), and prints for each: wall time, submissions
per minute, per-submission median and p95, and the peak memory per worker,
read from each run's memory cgroup: the peak of the bytes charged to it
(``memory.max_usage_in_bytes``, every 0.2 s: a forked kernel is not charged for
the pages it shares with the fork server) and the sum of its processes' PSS
(shared pages split among the processes that share them), sampled once a
second: ``smaps_rollup`` walks a TensorFlow process's whole address space, and
read every 0.2 s it took 6 % of this machine's CPU from the runs it measured.
Then the ratio, its ceiling (the ratio if a forked kernel cost nothing but the
submissions' own cells: what this corpus allows any fast path), and every
difference between the two grades of a submission (exit code 1 if any).
A script, not a test: the cold path takes 3-4 minutes for 48 notebooks at 2 jobs.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from grader.execute.pool import shared_server, stop_shared_server
from grader.execute.sandbox import detect_host
from grader.pipeline import RunOptions, grade_path
from grader.rubric.catalog import get_exercise
from grader.rubric.result import GradeResult
from grader.submission.loader import has_submission_suffix
from grader.tools.differential import differences

SAMPLE_SECONDS = 0.2
PSS_EVERY = 5  # samples: PSS once a second


@dataclass
class Run:
    mode: str
    wall: float = 0.0
    seconds: dict[str, float] = field(default_factory=dict)
    results: dict[str, GradeResult] = field(default_factory=dict)
    charged: dict[str, int] = field(default_factory=dict)  # cgroup name -> peak bytes charged
    pss: dict[str, int] = field(default_factory=dict)  # cgroup name -> peak sum of PSS
    server: dict[str, int] = field(default_factory=dict)
    server_start: float = 0.0  # seconds until the fork server was ready (fast path), inside ``wall``

    @property
    def cell_seconds(self) -> float:
        """Time the kernels spent running the submissions' own cells: the work no path can skip."""
        return sum(cell.seconds for result in self.results.values() for cell in result.outcome.cells)


class Sampler(threading.Thread):
    """Peak memory of every run's cgroup (``keras-grader-<our pid>-*``) while the batch runs."""

    def __init__(self, run: Run) -> None:
        super().__init__(daemon=True, name="memory-sampler")
        self.record = run
        self.stopped = threading.Event()
        controller = detect_host().memory
        self.parent = controller.parent if controller and controller.version == 1 else None

    def run(self) -> None:  # type: ignore[override]
        count = 0
        while not self.stopped.wait(SAMPLE_SECONDS):
            self.sample(pss=count % PSS_EVERY == 0)
            count += 1

    def sample(self, *, pss: bool) -> None:
        if self.parent is None:
            return
        for group in self.parent.glob(f"keras-grader-{os.getpid()}-*"):
            key = group.name
            used = _read_int(group / "memory.max_usage_in_bytes")
            self.record.charged[key] = max(self.record.charged.get(key, 0), used)
            if pss:
                total = sum(_pss(pid) for pid in _read(group / "cgroup.procs").split())
                self.record.pss[key] = max(self.record.pss.get(key, 0), total)


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def _read_int(path: Path) -> int:
    text = _read(path).strip()
    return int(text) if text.isdigit() else 0


def _pss(pid: str) -> int:
    for line in _read(Path(f"/proc/{pid}/smaps_rollup")).splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) * 1024
    return 0


def grade_all(mode: str, files: list[Path], exercise, jobs: int) -> Run:
    run = Run(mode)
    options = RunOptions(fast=mode == "fast")
    began = time.monotonic()  # the fast path's wall time includes starting the fork server
    if mode == "fast":
        server = shared_server()
        if server is None:
            sys.exit("the fork server could not start: see `grader doctor`")
        run.server_start = time.monotonic() - began
        print(f"fork server ready in {run.server_start:.1f} s "
              f"(imports {server.info.get('seconds')} s, {server.info.get('threads')} threads)", flush=True)
        run.server = server.memory()

    def one(path: Path) -> tuple[str, GradeResult, float]:
        began = time.monotonic()
        result = grade_path(path, exercise, options, name=path.name)
        return path.name, result, time.monotonic() - began

    sampler = Sampler(run)
    sampler.start()
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for name, result, took in pool.map(one, files):
            run.results[name], run.seconds[name] = result, took
    run.wall = time.monotonic() - began
    sampler.stopped.set()
    sampler.join()
    if mode == "fast":
        stop_shared_server()
    return run


def report(run: Run) -> None:
    times = sorted(run.seconds.values())
    p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
    statuses: dict[str, int] = {}
    for result in run.results.values():
        statuses[result.status.value] = statuses.get(result.status.value, 0) + 1
    print(f"{run.mode:5}  wall {run.wall:7.1f} s  {60 * len(times) / run.wall:6.1f} submissions/min  "
          f"median {statistics.median(times):5.2f} s  p95 {p95:5.2f} s  statuses {statuses}")
    if run.charged:
        pss = (f"PSS of its processes {_mib(max(run.pss.values()))} (median {_mib(statistics.median(run.pss.values()))}"
               f", {len(run.pss)} runs sampled once a second)" if run.pss else "PSS not sampled (every run under 1 s)")
        print(f"       peak per worker: charged to its cgroup {_mib(max(run.charged.values()))} "
              f"(median {_mib(statistics.median(run.charged.values()))}), {pss}")
    print(f"       the submissions' own cells: {run.cell_seconds:.1f} s in all")
    if run.server:
        print(f"       fork server (shared by all workers): RSS {_mib(run.server.get('VmRSS', 0))}, "
              f"of which anonymous {_mib(run.server.get('RssAnon', 0))}")


def ceiling(fast: Run, workers: int) -> float:
    """The least wall time any fast path could take: start the server, then run every cell, perfectly packed."""
    return fast.server_start + fast.cell_seconds / max(workers, 1)


def _mib(value: float) -> str:
    return f"{value / 2**20:.0f} MiB"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--sample", type=int, help="grade only K submissions, drawn at random (seeded)")
    parser.add_argument("--seed", type=int, default=96)
    parser.add_argument("--exercise", default="day096")
    parser.add_argument("--only", choices=("fast", "cold"), help="run one path only (no ratio, no comparison)")
    args = parser.parse_args(argv)
    files = sorted(p for p in args.corpus.iterdir() if has_submission_suffix(p))
    if args.sample:
        files = sorted(random.Random(args.seed).sample(files, min(args.sample, len(files))))
    exercise = get_exercise(args.exercise)
    print(f"{len(files)} submissions from {args.corpus}, --jobs {args.jobs}, {os.cpu_count()} CPUs", flush=True)
    runs = {mode: grade_all(mode, files, exercise, args.jobs) for mode in ("fast", "cold") if args.only in (None, mode)}
    for run in runs.values():
        report(run)
    if len(runs) < 2:
        return 0
    fast, cold = runs["fast"], runs["cold"]
    print(f"ratio  throughput {cold.wall / fast.wall:.1f}x  "
          f"median {statistics.median(cold.seconds.values()) / statistics.median(fast.seconds.values()):.1f}x")
    workers = min(args.jobs, os.cpu_count() or 1)
    best = ceiling(fast, workers)
    print(f"ceiling {cold.wall / best:.1f}x: the throughput ratio if a forked kernel cost nothing but its cells "
          f"(fast wall >= server start {fast.server_start:.1f} s + cells {fast.cell_seconds:.1f} s spread over "
          f"{workers} workers = {best:.1f} s)")
    differing = 0
    for name in sorted(cold.results):
        found = differences(cold.results[name], fast.results[name])
        if found:
            differing += 1
            print(f"DIFFERENT {name}:")
            for line in found:
                print(f"    {line}")
    print(f"grades identical for {len(files) - differing} of {len(files)} submissions")
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
