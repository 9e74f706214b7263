"""Agreement of the grader with a TA's hand grades on a corpus of real submissions.

    python -m grader.tools.agreement ../shared/corpus/day097 [--exercise ID] [--columns FILE] [--jobs 2]
                                     [--answers-only] [--no-sandbox]

The corpus folder holds the notebooks and a ``LABELS.tsv`` with a ``file``
column and one column per thing the TA graded: ``C`` correct, ``W`` wrong,
``M`` missing (the grader must agree: pass on C, fail on W/M) and ``P`` a
judgement call (either verdict is fine, not scored). Which check grades which
column is declared per exercise in ``agreement.toml`` beside this tool (or
``--columns``): a check id, ``check.item`` for an item of a checklist, or
``{ none = "why" }`` for a column no check grades. The exercise is ``--exercise``,
else the one named like the folder, else day096. Prints a table per column, the
columns without a check and why, every disagreement, and the notebooks that
ended in an internal error; then the checks flagged for a human look
(``review``): how many, their share of all checks compared, and how many were
needed (the flagged verdict disagreed with the label) or noise (it agreed: a
TA's look for nothing). Exit code 1 on any disagreement or internal error.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
import tomllib
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from grader.errors import GraderError
from grader.execute.outcome import ExecutionOutcome, Status
from grader.pipeline import RunOptions, grade_path
from grader.rubric.catalog import get_exercise
from grader.rubric.engine import grade
from grader.rubric.result import GradeResult
from grader.rubric.spec import Exercise
from grader.submission import load_submission

COLUMNS_FILE = Path(__file__).with_name("agreement.toml")
TEXT_KINDS = ("answer", "written")  # checks judged on the written text alone (--answers-only)
CLEAR = ("C", "W", "M")


@dataclass(frozen=True)
class Columns:
    """A corpus' label columns: those a check grades (column -> check id or ``check.item``), and the rest, why."""

    graded: Mapping[str, str]
    ungraded: Mapping[str, str] = field(default_factory=dict)


def load_columns(exercise_id: str, path: Path = COLUMNS_FILE) -> Columns:
    doc = tomllib.loads(path.read_text(encoding="utf-8"))
    table = doc.get(exercise_id)
    if not isinstance(table, dict):
        raise GraderError(f"{path} has no [{exercise_id}] table", hint="map the LABELS.tsv columns to check ids there")
    graded = {col: target for col, target in table.items() if isinstance(target, str)}
    ungraded = {col: str(target.get("none", "")) for col, target in table.items() if isinstance(target, dict)}
    return Columns(graded, ungraded)


def verdict(result: GradeResult, target: str) -> tuple[bool, str, str | None] | None:
    """(passed, message, why a person should look) of a check or of ``check.item``, in English; None when the
    result has no such check. An item is flagged when it is (its checklist's flag names which item)."""
    check_id, _, item_id = target.partition(".")
    check = next((c for c in result.checks if c.id == check_id), None)
    if check is None:
        return None
    if not item_id:
        return check.passed, check.message.render("en"), check.review.render("en") if check.review else None
    item = next((i for i in check.items if i.id == item_id), None)
    return None if item is None else (item.passed, item.message.render("en"),
                                      item.review.render("en") if item.review else None)


@dataclass
class Tally:
    counts: Counter = field(default_factory=Counter)  # (label, agreed) and "P"
    disagreements: list[tuple[str, str, bool, str]] = field(default_factory=list)  # name, label, passed, message
    flags: Counter = field(default_factory=Counter)  # flagged verdicts: "needed", "noise", "judgement call"
    flagged: list[tuple[str, str, bool, str, str]] = field(default_factory=list)  # name, label, passed, outcome, why

    @property
    def agree(self) -> int:
        return sum(n for (label, ok), n in self._clear() if ok)

    @property
    def disagree(self) -> int:
        return sum(n for (label, ok), n in self._clear() if not ok)

    def _clear(self) -> list[tuple[tuple[str, bool], int]]:
        return [(key, n) for key, n in self.counts.items() if isinstance(key, tuple)]

    def by_label(self) -> str:
        parts = []
        for label in CLEAR:
            total = self.counts[(label, True)] + self.counts[(label, False)]
            if total:
                parts.append(f"{label} {self.counts[(label, True)]}/{total}")
        return " ".join(parts)


def compare(results: Mapping[str, GradeResult], labels: Mapping[str, Mapping[str, str]],
            columns: Columns) -> dict[str, Tally]:
    """Each graded column's agreement with the grader's verdicts (P counted apart, never scored)."""
    tallies = {col: Tally() for col in columns.graded}
    for name, result in results.items():
        for col, target in columns.graded.items():
            label = (labels[name].get(col) or "").strip()
            found = verdict(result, target)
            if found is None or label not in (*CLEAR, "P"):
                continue
            passed, message, review = found
            tally = tallies[col]
            if label == "P":
                tally.counts["P"] += 1
                outcome = "judgement call"
            else:
                agreed = (label == "C") == passed
                tally.counts[(label, agreed)] += 1
                outcome = "noise" if agreed else "needed"
                if not agreed:
                    tally.disagreements.append((name, label, passed, message))
            if review is not None:
                tally.flags[outcome] += 1
                tally.flagged.append((name, label, passed, outcome, review))
    return tallies


def flag_summary(flags: Counter, checks: int) -> str:
    """One line: how many verdicts were flagged, their share of the checks, and how many of them were needed."""
    total = sum(flags.values())
    share = total / checks if checks else 0.0
    return (f"flagged for review: {total} of {checks} checks ({share:.1%}); needed (verdict disagreed with the "
            f"label): {flags['needed']}, on judgement calls: {flags['judgement call']}, noise: {flags['noise']}")


def report(results: Mapping[str, GradeResult], labels: Mapping[str, Mapping[str, str]], columns: Columns,
           header: list[str], out: Any = sys.stdout) -> int:
    """Print the tables; the exit code (1 on a disagreement or an internal error)."""
    def say(text: str = "") -> None:
        print(text, file=out)

    tallies = compare(results, labels, columns)
    for line in header:
        say(line)
    say(f"{'column':<13}{'check':<28}{'agree':>6}{'disagree':>9}{'P':>4}  by label (agreed/total)")
    for col, target in columns.graded.items():
        t = tallies[col]
        say(f"{col:<13}{target:<28}{t.agree:>6}{t.disagree:>9}{t.counts['P']:>4}  {t.by_label()}")
    agree, disagree = sum(t.agree for t in tallies.values()), sum(t.disagree for t in tallies.values())
    share = f" ({100 * agree / (agree + disagree):.1f} %)" if agree + disagree else ""
    say(f"{'all':<41}{agree:>6}{disagree:>9}{share}")
    seen = set(next(iter(labels.values()), {})) - {"file"}
    for col, why in columns.ungraded.items():
        if col in seen:
            say(f"no check for {col}: {why}")
    for col in sorted(seen - set(columns.graded) - set(columns.ungraded)):
        say(f"no check for {col}: not mapped in the columns file")
    missing = [t for t in columns.graded.values() if all(verdict(r, t) is None for r in results.values())]
    for target in missing:
        say(f"NO SUCH CHECK {target}: the exercise has no check (or item) of that id")
    for col, tally in tallies.items():
        for name, label, passed, message in tally.disagreements:
            say(f"DISAGREE {name} {col}: TA {label}, grader {'pass' if passed else 'fail'}: {message}")
    internal = [n for n, r in results.items() if r.status == Status.INTERNAL_ERROR]
    for name in internal:
        say(f"INTERNAL-ERROR {name}: {results[name].outcome.message}")
    flags = sum((t.flags for t in tallies.values()), Counter())
    say(flag_summary(flags, sum(sum(t.counts.values()) for t in tallies.values())))
    for col, tally in tallies.items():
        for name, label, passed, outcome, why in tally.flagged:
            say(f"FLAGGED {name} {col}: TA {label}, grader {'pass' if passed else 'fail'} ({outcome}): {why}")
    return 1 if disagree or internal or missing else 0


def default_exercise(corpus: Path) -> str:
    try:
        return get_exercise(corpus.resolve().name).id
    except GraderError:
        return "day096"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader.tools.agreement", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--exercise", help="the exercise to grade with (default: the folder's name, else day096)")
    parser.add_argument("--columns", type=Path, default=COLUMNS_FILE, help="the column -> check mapping (TOML)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--answers-only", action="store_true", help="skip execution: judge the written answers only")
    parser.add_argument("--no-sandbox", action="store_true")
    args = parser.parse_args(argv)

    with (args.corpus / "LABELS.tsv").open(encoding="utf-8") as fh:
        labels = {row["file"]: row for row in csv.DictReader(fh, delimiter="\t")}
    exercise = get_exercise(args.exercise or default_exercise(args.corpus))
    columns = load_columns(exercise.id, args.columns)
    if args.answers_only:
        text_checks = {c.id for c in exercise.checks if c.kind in TEXT_KINDS}
        skipped = {col: "not judged with --answers-only (the check needs the run)"
                   for col, t in columns.graded.items() if t.partition(".")[0] not in text_checks}
        columns = Columns({col: t for col, t in columns.graded.items() if col not in skipped},
                          {**columns.ungraded, **skipped})
    options = RunOptions(sandbox=not args.no_sandbox, fast=not args.no_sandbox)
    started = time.monotonic()
    results = grade_all(args.corpus, list(labels), exercise, options, args.jobs, args.answers_only)
    elapsed = time.monotonic() - started
    statuses = Counter(r.status.value for r in results.values())
    header = [f"{exercise.id}: {len(results)} notebooks graded in {elapsed:.1f} s ({args.jobs} jobs); "
              f"statuses: {dict(statuses)}"]
    return report(results, labels, columns, header)


def grade_all(corpus: Path, names: list[str], exercise: Exercise, options: RunOptions, jobs: int,
              answers_only: bool) -> dict[str, GradeResult]:
    def one(name: str) -> GradeResult:
        path = corpus / name
        if answers_only:
            return grade(exercise, load_submission(path), ExecutionOutcome(status=Status.GRADED), submission_name=name)
        return grade_path(path, exercise, options, name=name)

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return dict(zip(names, pool.map(one, names)))


if __name__ == "__main__":
    sys.exit(main())
