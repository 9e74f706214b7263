"""``grader validate`` and ``grader new``: the work behind their options (``grader.author.cli``).

``validate`` exit codes: 0 every exercise is valid; 1 some exercise is not (a
TODO left, the solution below full marks, the template scoring other than
declared, a mutant no check catches); 2 unusable (a broken spec, no reference
solution, a bad option); 3 the grader itself failed. ``new``: 0 written, 2
unusable (bad id, an existing exercise without --force, an unreadable or
unrunnable solution).
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from rich.console import Console

from grader.errors import UsageError


def cmd_validate(args: argparse.Namespace, console: Console | None = None) -> int:
    from grader.author.report import document, render
    from grader.author.validate import ValidateOptions, exercise_targets, validate
    from grader.batch.runner import ProgressView
    from grader.pipeline import RunOptions

    if args.jobs < 1:
        raise UsageError(f"--jobs must be at least 1, not {args.jobs}")
    if args.solution is not None and len(args.exercises) != 1:
        raise UsageError("--solution needs exactly one EXERCISE", hint="grader validate ID --solution PATH")
    options = ValidateOptions(run=RunOptions(cell_timeout=args.timeout, fast=not args.cold), jobs=args.jobs,
                              solution=args.solution, only=tuple(args.mutants))
    errors = Console(stderr=True)
    started = time.monotonic()
    validations = [validate(target, options, lambda total, label: ProgressView(total, errors, label))
                   for target in exercise_targets(args.exercises)]
    seconds = time.monotonic() - started
    if args.format == "json":
        print(json.dumps(document(validations, args.lang, seconds), ensure_ascii=False, indent=1))
    else:
        # Piped (CI logs), the table is wider than a terminal's 80 columns rather than folded line after line.
        console = console or Console(highlight=False, width=None if sys.stdout.isatty() else 160)
        render(console, validations, args.lang, seconds)
    return max(v.exit_code for v in validations)


def cmd_new(args: argparse.Namespace) -> int:
    from grader.author.new import create, say
    from grader.pipeline import RunOptions

    made = create(args.id, args.from_solution, args.root, require_markers=args.template_markers, force=args.force,
                  options=RunOptions(cell_timeout=args.timeout))
    for line in [*made.report(args.lang), say(args.lang, "next", folder=made.folder)]:
        print(line)
    return 0
