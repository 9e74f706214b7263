"""`grader check` from a cold start, and a re-check in `grader watch`, beside the floor a cold start cannot beat.

    python benchmarks/check.py [SUBMISSION] [--runs 5] [--exercise ID]

SUBMISSION defaults to the Day 96 reference solution. Prints the median (and
range) of ``--runs`` runs of:

* check: the wall time of ``python -m grader check SUBMISSION``, as a student
  runs it: a new grader process, a cold sandboxed kernel;
* floor: ``import keras`` alone, as a kernel imports it (the same interpreter,
  the variables every kernel gets, ``KERNEL_BASE_ENV``, the garbage collector
  off): what each cold check pays in its kernel, timed alternately with check in
  the same run: on a day when this machine is slow, both show it;
* re-check: one grade as ``grader watch`` does on each save (the fork server
  already running), after the server's own start.

Issue 5's targets: check under 6 s, a re-check under 1 s. A script, not a
test: each check takes seconds and its figures depend on the machine's day.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from grader.execute.launcher import KERNEL_BASE_ENV

ROOT = Path(__file__).resolve().parents[1]
SOLUTION = ROOT / "solutions" / "day096" / "Day_096_Keras_CNN_layers.ipynb"
CHECK_TARGET, RECHECK_TARGET = 6.0, 1.0
FLOOR = "import gc; gc.disable(); import keras"  # as the probe imports it in a cold kernel


def timed(command: list[str], env: dict[str, str] | None = None) -> tuple[float, subprocess.CompletedProcess]:
    began = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False, env=env)
    return time.monotonic() - began, done


def spread(values: list[float]) -> str:
    return f"median {statistics.median(values):5.2f} s  ({min(values):.2f}-{max(values):.2f})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("submission", nargs="?", type=Path, default=SOLUTION)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--exercise", default="day096")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    submission = args.submission.resolve()

    check = [sys.executable, "-m", "grader", "check", str(submission), "--exercise", args.exercise, "--format", "json"]
    checks, floors, scores = [], [], set()
    for _ in range(args.runs):  # alternated, so that a slow minute weighs on both
        seconds, done = timed(check)
        if done.returncode not in (0, 1):
            print(f"grader check failed (exit {done.returncode}):\n{done.stderr}", file=sys.stderr)
            return 2
        doc = json.loads(done.stdout)
        checks.append(seconds)
        scores.add(f"{doc['score']:g}/{doc['max_score']:g} ({doc['status']})")
        floors.append(timed([sys.executable, "-c", FLOOR], {**os.environ, **KERNEL_BASE_ENV})[0])

    print(f"{submission.name}: {args.runs} runs each, exercise {args.exercise}, score {', '.join(sorted(scores))}")
    print(f"check     {spread(checks)}   target < {CHECK_TARGET:g} s: {_verdict(checks, CHECK_TARGET)}")
    print(f"  floor   {spread(floors)}   `import keras` as a kernel does; check minus floor: "
          f"{statistics.median(checks) - statistics.median(floors):.2f} s")

    from grader.execute.pool import shared_failure, shared_server, stop_shared_server
    from grader.pipeline import RunOptions, grade_path
    from grader.rubric.catalog import get_exercise

    exercise = get_exercise(args.exercise)
    began = time.monotonic()
    if shared_server() is None:
        print(f"re-check  no fork server here ({shared_failure()}): `grader watch` would start every run cold")
        return 0
    started = time.monotonic() - began
    rechecks = []
    try:
        for _ in range(args.runs):
            began = time.monotonic()
            grade_path(submission, exercise, RunOptions(fast=True))
            rechecks.append(time.monotonic() - began)
    finally:
        stop_shared_server()
    print(f"re-check  {spread(rechecks)}   target < {RECHECK_TARGET:g} s: {_verdict(rechecks, RECHECK_TARGET)}"
          f"   (after the fork server's start, {started:.1f} s)")
    return 0


def _verdict(values: list[float], target: float) -> str:
    return "met" if statistics.median(values) < target else "NOT met"


if __name__ == "__main__":
    sys.exit(main())
