"""Agreement of the grader with a TA's hand grades on a corpus of real submissions.

    python -m grader.tools.agreement ../shared/corpus/day096 [--jobs 2] [--answers-only]

The corpus folder holds the notebooks and a ``LABELS.tsv`` with a ``file``
column and one column per check: ``C`` correct, ``W`` wrong, ``M`` missing
(the grader must agree: pass on C, fail on W/M) and ``P`` a judgement call
(either verdict is fine). Prints a table per check, every disagreement, and
the notebooks that ended in an internal error; then the checks flagged for a
human look (``review``): how many, their share of all checks compared, and how
many were needed (the flagged verdict disagreed with the label) or noise (it
agreed: a TA's look for nothing). Exit code 1 on any disagreement or internal
error.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from grader.execute.outcome import ExecutionOutcome, Status
from grader.pipeline import RunOptions, grade_path
from grader.rubric.catalog import get_exercise
from grader.rubric.engine import grade
from grader.rubric.result import GradeResult
from grader.submission import load_submission

# LABELS.tsv column -> check id, for the day096 corpus.
DAY096_COLUMNS = {"conv": "conv_model", "sep": "separable_model", "q1": "q1_normalization",
                  "q2": "q2_optimizer", "q3": "q3_conv_layers", "q4": "q4_total_params"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader.tools.agreement", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--exercise", default="day096")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--answers-only", action="store_true", help="skip execution: judge the written answers only")
    parser.add_argument("--no-sandbox", action="store_true")
    args = parser.parse_args(argv)

    labels_path = args.corpus / "LABELS.tsv"
    with labels_path.open(encoding="utf-8") as fh:
        labels = {row["file"]: row for row in csv.DictReader(fh, delimiter="\t")}
    exercise = get_exercise(args.exercise)
    columns = {col: cid for col, cid in DAY096_COLUMNS.items() if any(c.id == cid for c in exercise.checks)}
    if args.answers_only:
        columns = {col: cid for col, cid in columns.items() if cid.startswith("q")}
    options = RunOptions(sandbox=not args.no_sandbox)

    def one(name: str) -> GradeResult:
        path = args.corpus / name
        if args.answers_only:
            return grade(exercise, load_submission(path), ExecutionOutcome(status=Status.GRADED), submission_name=name)
        return grade_path(path, exercise, options, name=name)

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        results = dict(zip(labels, pool.map(one, labels)))
    elapsed = time.monotonic() - started

    tally: dict[str, Counter] = {col: Counter() for col in columns}
    disagreements = []
    flags: Counter = Counter()
    flagged = []
    for name, result in results.items():
        verdicts = {c.id: c for c in result.checks}
        for col, cid in columns.items():
            label = labels[name][col]
            passed = verdicts[cid].passed
            if label == "P":
                tally[col]["P (either)"] += 1
                outcome = "judgement call"
            elif (label == "C") == passed:
                tally[col]["agree"] += 1
                outcome = "noise"
            else:
                tally[col]["disagree"] += 1
                outcome = "needed"
                disagreements.append((name, col, label, passed, verdicts[cid].message.render("en")))
            review = verdicts[cid].review
            if review is not None:
                flags[outcome] += 1
                flagged.append((name, col, label, passed, outcome, review.render("en")))
    statuses = Counter(r.status.value for r in results.values())
    internal = [n for n, r in results.items() if r.status == Status.INTERNAL_ERROR]

    print(f"{len(results)} notebooks graded in {elapsed:.1f} s ({args.jobs} jobs); statuses: {dict(statuses)}")
    print(f"{'check':<18}{'agree':>7}{'disagree':>10}{'P (either)':>12}")
    for col, cid in columns.items():
        t = tally[col]
        print(f"{cid:<18}{t['agree']:>7}{t['disagree']:>10}{t['P (either)']:>12}")
    total = sum(t["agree"] for t in tally.values()), sum(t["disagree"] for t in tally.values())
    print(f"{'all':<18}{total[0]:>7}{total[1]:>10}")
    for name, col, label, passed, message in disagreements:
        print(f"DISAGREE {name} {col}: TA {label}, grader {'pass' if passed else 'fail'}: {message}")
    for name in internal:
        print(f"INTERNAL-ERROR {name}: {results[name].outcome.message}")
    print(flag_summary(flags, len(results) * len(columns)))
    for name, col, label, passed, outcome, reason in flagged:
        print(f"FLAGGED {name} {col}: TA {label}, grader {'pass' if passed else 'fail'} ({outcome}): {reason}")
    return 1 if disagreements or internal else 0


def flag_summary(flags: Counter, checks: int) -> str:
    """One line: how many verdicts were flagged, their share of the checks, and how many of them were needed."""
    total = sum(flags.values())
    share = total / checks if checks else 0.0
    return (f"flagged for review: {total} of {checks} checks ({share:.1%}); needed (verdict disagreed with the "
            f"label): {flags['needed']}, on judgement calls: {flags['judgement call']}, noise: {flags['noise']}")


if __name__ == "__main__":
    sys.exit(main())
