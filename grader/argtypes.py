"""Argument types shared by the commands (``check``, ``grade``, ``watch``)."""

from __future__ import annotations

import argparse
import math
import os


def seconds(text: str) -> float:
    """A positive, finite number of seconds: ``--timeout 0`` or ``-1`` would otherwise be ignored silently."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"{text!r}: give a positive number of seconds, e.g. 60")
    return value


def add_run_options(parser: argparse.ArgumentParser) -> None:
    """How many notebooks run at once, their cell timeout, and the fast path: the same for every command that
    grades many (``grade``, ``validate``)."""
    parser.add_argument("--jobs", "-j", type=int, default=os.cpu_count() or 1,
                        help="notebooks graded at once (default: the number of CPUs)")
    parser.add_argument("--timeout", type=seconds, metavar="S",
                        help="per-cell timeout in seconds (overrides the exercise's)")
    parser.add_argument("--cold", action="store_true",
                        help="start every kernel from scratch instead of forking it from a warm server")
