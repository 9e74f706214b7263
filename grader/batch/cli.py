"""The ``grade`` and ``merge`` subcommands' options.

Apart from ``grader.batch.commands``, which does the work, so that building the
parser (every ``grader`` command does) imports none of it: ``grader check``
reached its kernel's launch 0.1 s later when it did.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from grader.argtypes import add_run_options
from grader.i18n import LANGS
from grader.report.csv_report import LMS


def register(sub: argparse._SubParsersAction) -> None:
    grade = sub.add_parser("grade", help="grade a folder or .zip of submissions into OUT",
                           description="Grade every submission in a folder or .zip (an LMS bulk download) into OUT: "
                                       "results/, feedback/, grades.csv, junit.xml, report.html.")
    grade.add_argument("submissions", type=Path, metavar="SUBMISSIONS",
                       help="a folder (one file or one subfolder per student) or a .zip")
    grade.add_argument("--exercise", required=True, help="exercise id (see `grader exercises`)")
    grade.add_argument("--out", type=Path, required=True, help="output folder (created; re-runs reuse it)")
    grade.add_argument("--id-pattern", metavar="REGEX",
                       help="regex for the student id in each file/folder name (group 'id', else group 1)")
    grade.add_argument("--force", action="store_true", help="grade again even the submissions that are up to date")
    _lms_options(grade)
    grade.add_argument("--shard", metavar="I/N", help="grade only slice I of N (1-based); combine with `grader merge`")
    grade.add_argument("--lang", choices=LANGS, default="en", help="language of the feedback")
    add_run_options(grade)
    grade.add_argument("--no-similarity", action="store_true",
                       help="do not compare what the students wrote (report.html then lists no similar pairs)")
    grade.add_argument("--similarity-threshold", type=_share, default=0.5, metavar="SHARE",
                       help="list a pair when this share (0-1) of one student's own text is in the other's "
                            "(default 0.5)")
    grade.set_defaults(func=_cmd_grade)

    merge = sub.add_parser("merge", help="combine the OUT folders of shards into one",
                           description="Combine the results of `grader grade --shard` runs and rebuild the outputs.")
    merge.add_argument("inputs", type=Path, nargs="+", metavar="OUT_I", help="the shards' output folders")
    merge.add_argument("--out", type=Path, required=True, help="the combined output folder")
    _lms_options(merge)
    merge.set_defaults(func=_cmd_merge)


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 < value <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a share between 0 and 1 (e.g. 0.5), not {text!r}")
    return value


def _lms_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lms", choices=LMS,
                        help="write grades.csv in this LMS's grade-import layout (ours goes to grades-detail.csv)")
    parser.add_argument("--lms-column", metavar="NAME",
                        help="Canvas assignment column, e.g. 'Day 96 (12345)' (default: the exercise id)")


def _cmd_grade(args: argparse.Namespace) -> int:
    from grader.batch.commands import cmd_grade

    return cmd_grade(args)


def _cmd_merge(args: argparse.Namespace) -> int:
    from grader.batch.commands import cmd_merge

    return cmd_merge(args)
