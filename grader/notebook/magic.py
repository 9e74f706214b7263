"""The ``%grade`` line magic: ``%grade [NOTEBOOK] [--lang zh-TW] [--exercise ID] [--timeout S]``.

The report is shown with ``IPython.display.display``, not returned: a magic's
return value would become ``Out[n]`` and ``_`` in the student's namespace.
"""

from __future__ import annotations

import argparse
import shlex
from typing import Any

from grader.notebook.selfcheck import CellClock, check

_clocks: dict[int, CellClock] = {}  # per shell: when its cells ran (kept here, not in the student's namespace)


def load(ipython: Any) -> None:
    clock = _clocks.get(id(ipython))
    if clock is None:
        clock = _clocks[id(ipython)] = CellClock()
        ipython.events.register("pre_run_cell", clock.pre_run_cell)
    ipython.register_magic_function(lambda line: _grade(ipython, line, clock), magic_kind="line", magic_name="grade")


def clock_for(ipython: Any) -> CellClock | None:
    return _clocks.get(id(ipython))


def _grade(ipython: Any, line: str, clock: CellClock) -> None:
    from IPython.display import display

    parser = argparse.ArgumentParser(prog="%grade", add_help=False, exit_on_error=False)
    parser.add_argument("notebook", nargs="?")
    parser.add_argument("--lang")
    parser.add_argument("--exercise")
    parser.add_argument("--timeout", type=float)
    try:
        args = parser.parse_args(shlex.split(line))
    except (argparse.ArgumentError, ValueError) as exc:
        print(f"%grade: {exc}\nusage: %grade [NOTEBOOK] [--lang en|zh-TW] [--exercise ID] [--timeout SECONDS]")
        return
    display(check(ipython, args.notebook, lang=args.lang, exercise=args.exercise, timeout=args.timeout, clock=clock))
