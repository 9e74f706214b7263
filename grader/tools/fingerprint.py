"""Fingerprint a template's text so the grader recognises it without storing it.

    python -m grader.tools.fingerprint COURSE_TEMPLATE.ipynb[:CELLS] ... \\
        --question 1=REGEX --question 2=REGEX ... -o exercises/ID/course-template.fp.json

``:CELLS`` (e.g. ``notebook.ipynb:7,8``) takes only those cells (0-based).

Every prose line of the chosen cells (markdown, raw, comments, strings) is
stored as a hash of its normalised text; lines matching ``--question N=REGEX``
become the prompts of question N. The regexes are used here only, on the
author's machine: nothing of the template's wording is written to the output.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from grader.rubric.answers.fingerprint import Fingerprints
from grader.submission.loader import load_submission
from grader.submission.prose import cell_prose


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader.tools.fingerprint", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sources", nargs="+", help="template notebooks or scripts, each optionally :CELLS")
    parser.add_argument("--question", action="append", default=[], metavar="N=REGEX")
    parser.add_argument("--provenance", default="", help="where the template came from (stored in the file)")
    parser.add_argument("-o", "--output", type=Path, required=True)
    args = parser.parse_args(argv)
    questions = {}
    for item in args.question:
        number, _, pattern = item.partition("=")
        if not number.isdigit() or not pattern:
            parser.error(f"--question takes N=REGEX, got {item!r}")
        questions[int(number)] = re.compile(pattern)
    texts = []
    for source in args.sources:
        path, wanted = _source(source)
        for cell in load_submission(path).cells:
            if wanted is None or cell.index in wanted:
                texts.append("\n".join(line.text for line in cell_prose(cell)))
    prints = Fingerprints.from_texts(texts, questions)
    found = sorted({q.question for q in prints.questions})
    missing = sorted(set(questions) - set(found))
    if missing:
        print(f"warning: no prompt line found for question(s) {missing}", file=sys.stderr)
    prints.dump(args.output, provenance=args.provenance)
    print(f"{args.output}: {len(prints.lines)} lines, prompts for questions {found}")
    return 0


def _source(arg: str) -> tuple[Path, set[int] | None]:
    name, sep, cells = arg.rpartition(":")
    if sep and re.fullmatch(r"\d+(,\d+)*", cells):
        return Path(name), {int(c) for c in cells.split(",")}
    return Path(arg), None


if __name__ == "__main__":
    sys.exit(main())
