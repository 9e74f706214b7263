"""The ``validate`` and ``new`` subcommands' options, apart from their work (``grader.author.commands``)
so that building the parser, which every ``grader`` command does, imports none of it.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from grader.argtypes import add_run_options, seconds
from grader.i18n import LANGS


def register(sub: argparse._SubParsersAction) -> None:
    validate = sub.add_parser(
        "validate", help="prove exercises: solution, template and mutants of the solution",
        description="Check that each exercise's spec parses and holds no TODO, that its reference solution scores "
                    "full marks, that its template scores what the spec declares, and that every mutant of the "
                    "solution (one deliberate mistake each) loses points on some check. Exit 0 when all pass.")
    validate.add_argument("exercises", nargs="*", metavar="EXERCISE",
                          help="exercise ids or folders (default: every installed exercise)")
    validate.add_argument("--solution", type=Path, metavar="PATH",
                          help="the reference solution (default: the one file in solutions/ID/ beside exercises/)")
    validate.add_argument("--mutants", action="append", default=[], metavar="PATTERN",
                          help="run only the mutants whose id matches PATTERN (repeatable), e.g. 'Conv2D#2.*'")
    validate.add_argument("--format", choices=("text", "json"), default="text")
    validate.add_argument("--lang", choices=LANGS, default="en", help="language of the report")
    add_run_options(validate)
    validate.set_defaults(func=_cmd_validate)

    new = sub.add_parser(
        "new", help="write a new exercise from a reference solution",
        description="Run SOLUTION once and write exercises/ID/ (exercise.toml holding what the run measured, the "
                    "student template) and solutions/ID/. Code between '### BEGIN SOLUTION' and "
                    "'### END SOLUTION' lines is left out of the template, and so are the written answers.")
    new.add_argument("id", metavar="ID", help="the new exercise's id, e.g. day101")
    new.add_argument("--from-solution", type=Path, required=True, metavar="SOLUTION",
                     help="the reference solution (.ipynb or .py)")
    new.add_argument("--template-markers", action="store_true",
                     help="refuse a solution without BEGIN/END SOLUTION markers (else its code stays in the "
                          "template, with a warning)")
    new.add_argument("--root", type=Path, default=Path("."),
                     help="the folder holding exercises/ and solutions/ (default: the current folder)")
    new.add_argument("--force", action="store_true", help="replace an existing exercise of that id")
    new.add_argument("--lang", choices=LANGS, default="en", help="language of the messages")
    new.add_argument("--timeout", type=seconds, metavar="S", help="per-cell timeout in seconds (default 60)")
    new.set_defaults(func=_cmd_new)


def _cmd_validate(args: argparse.Namespace) -> int:
    from grader.author.commands import cmd_validate

    return cmd_validate(args)


def _cmd_new(args: argparse.Namespace) -> int:
    from grader.author.commands import cmd_new

    return cmd_new(args)
