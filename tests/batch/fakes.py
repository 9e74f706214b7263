"""A fake ``grade_path`` for the batch tests: same signature, no kernel, decided by the file's text.

The text of the submission (a file, or the one notebook/script in a folder) says
what happens, by the first marker it contains:

* ``CORRECT``  every check passes;
* ``WRONG``    the first check and the hidden one fail, the rest pass;
* ``HOSTILE``  the run times out after flooding the output and forging harvests;
* ``CRASH``    the grader itself raises (a grader failure);
* ``UNSURE``   as WRONG, and the first check quotes where it read the answer and is flagged for a human look;
* anything else: ``invalid-submission``.

``ECHO: text`` puts ``text`` into the first check's message, as an answer excerpt
would. With ``FAKE_GRADER_LOG`` set, each call appends ``start <id>`` and
``done <id>`` lines (O_APPEND, so concurrent workers do not interleave);
``FAKE_GRADER_SLEEP`` makes each call take that many seconds. Used in-process
(passed to ``cmd_grade``) and in subprocesses through
``KERAS_GRADER_BATCH_GRADE_FN=tests.batch.fakes:fake_grade``.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from grader.execute.outcome import ExecutionOutcome, Status
from grader.i18n import Message
from grader.rubric.result import CheckResult, GradeResult, Quote


def _log(line: str) -> None:
    target = os.environ.get("FAKE_GRADER_LOG")
    if target:
        fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, (line + "\n").encode())
        finally:
            os.close(fd)


def _text(path: Path) -> str:
    if path.is_dir():
        found = sorted(p for p in path.iterdir() if p.suffix in (".ipynb", ".py"))
        path = found[0] if found else path
    if path.suffix == ".zip":  # as the real loader: a zip is never read as a notebook
        return ""
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _marker(text: str) -> str:
    for word in ("CORRECT", "WRONG", "UNSURE", "HOSTILE", "CRASH"):
        if word in text:
            return word
    return "INVALID"


def fake_grade(path: Path, exercise, options=None, name: str | None = None) -> GradeResult:
    name = name or str(path)
    _log(f"start {name}")
    time.sleep(float(os.environ.get("FAKE_GRADER_SLEEP", "0")))
    text = _text(Path(path))
    kind = _marker(text)
    if kind == "CRASH":
        _log(f"done {name}")
        raise RuntimeError("the fake grader crashed")
    echo = next((line.split("ECHO:", 1)[1].strip() for line in text.splitlines() if "ECHO:" in line), None)
    checks = []
    for n, check in enumerate(exercise.checks):
        passed = kind == "CORRECT" or (kind in ("WRONG", "UNSURE") and n != 0 and not check.hidden)
        message = "looks right" if passed else "Conv2D #2: filters expected 64, found 32"
        if n == 0 and echo:
            message = f"answer (\u201c{echo}\u201d) is not the expected answer"
        unsure = kind == "UNSURE" and n == 0
        checks.append(CheckResult(id=check.id, title=check.title, points=check.points if passed else 0.0,
                                  max_points=check.points, message=Message.literal({"en": message}),
                                  details=() if passed else (Message.literal({"en": "found 32 filters"}),),
                                  hint={} if passed else {"en": "use 64 filters"}, hidden=check.hidden,
                                  evidence=Quote(cell=8, line=2, excerpt="約 16", source="markdown") if unsure else None,
                                  review=Message.of("review.unclear", question=1) if unsure else None))
    outcome = {
        "CORRECT": ExecutionOutcome(status=Status.GRADED, seconds=1.5),
        "WRONG": ExecutionOutcome(status=Status.GRADED, seconds=1.5),
        "UNSURE": ExecutionOutcome(status=Status.GRADED, seconds=1.5),
        "HOSTILE": ExecutionOutcome(status=Status.TIMEOUT, seconds=1.5, message="the notebook ran out of time",
                                    output_truncated_bytes=10_000_000,
                                    notes=("ignored 3 harvest-typed output(s) that did not answer the request",)),
        "INVALID": ExecutionOutcome(status=Status.INVALID_SUBMISSION, message="not a notebook: unsupported file type"),
    }[kind]
    _log(f"done {name}")
    return GradeResult(exercise=exercise.id, submission=name, checks=tuple(checks), outcome=outcome)


def make_doc(text: str, ident: str, exercise, lang: str = "en", **batch) -> dict:
    """The results document the batch stores for a submission whose text is ``text``."""
    from grader.report.json_report import result_to_dict

    doc = result_to_dict(_grade_text(text, ident, exercise), lang)
    doc["batch"] = {"id": ident, "student": ident.split("#")[0], "slug": ident, "file": f"{ident}.ipynb",
                    "fields": {}, "duplicate_of": None, "duplicates": [], "graded_at": "2024-03-05T10:00:00+00:00",
                    "host": "testhost", "cache": {"key": "k"}, **batch}
    return doc


def _grade_text(text: str, ident: str, exercise) -> GradeResult:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "s.ipynb"
        path.write_text(text, encoding="utf-8")
        return fake_grade(path, exercise, name=ident)


VOID = {"meta", "br", "hr", "img", "input", "link", "col", "area", "base", "wbr", "source"}


def assert_well_formed_html(text: str) -> None:
    """Every element closed in order, and no script or event handler anywhere."""
    from html.parser import HTMLParser

    stack: list[str] = []
    problems: list[str] = []

    class Parser(HTMLParser):
        def handle_starttag(self, tag, attrs):
            if tag == "script" or any(name.startswith("on") for name, _ in attrs):
                problems.append(f"active content: <{tag} {attrs}>")
            if tag not in VOID:
                stack.append(tag)

        def handle_startendtag(self, tag, attrs):
            self.handle_starttag(tag, attrs)
            if tag not in VOID:
                stack.pop()

        def handle_endtag(self, tag):
            if tag in VOID:
                return
            if not stack or stack[-1] != tag:
                problems.append(f"</{tag}> closes {stack[-1] if stack else 'nothing'}")
            else:
                stack.pop()

    assert text.startswith("<!DOCTYPE html>")
    parser = Parser(convert_charrefs=True)
    parser.feed(text)
    parser.close()
    assert not problems, problems
    assert not stack, f"unclosed: {stack}"


def snapshot(out: Path, skip: tuple[str, ...] = ()) -> dict[str, str]:
    """Every output file of OUT, with what legitimately differs between runs (when, where) blanked."""
    import json
    import re

    files = {}
    for path in sorted(out.rglob("*")):
        rel = path.relative_to(out).as_posix()
        if not path.is_file() or rel.startswith(".work/") or path.name == ".lock" or rel in skip:
            continue
        text = path.read_text(encoding="utf-8")
        if rel.startswith("results/"):
            doc = json.loads(text)
            doc["batch"].pop("graded_at")
            text = json.dumps(doc, sort_keys=True)
        files[rel] = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\+00:00)?", "<time>", text)  # graded_at
    return files
