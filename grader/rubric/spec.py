"""Exercises as data: parse and validate an ``exercise.toml``.

A TA writes a new exercise as a folder holding ``exercise.toml`` (this format)
and a template notebook; no Python. Every mistake is reported with the file,
the line of the table it is in, the key path and what to write instead.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from grader.errors import SpecError, SubmissionError
from grader.rubric.answers.fingerprint import Fingerprints
from grader.rubric.checks import Check
from grader.rubric.checks.base import parse_text

SPEC_FILE = "exercise.toml"
_ID = re.compile(r"^[a-z0-9][a-z0-9_\-]*$")
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMG]i?B)?\s*$", re.IGNORECASE)
_UNITS = {None: 1, "kb": 1000, "mb": 1000**2, "gb": 1000**3, "kib": 1024, "mib": 1024**2, "gib": 1024**3}
_COMMON_CHECK_KEYS = {"id", "kind", "points", "title", "hidden", "hint", "feedback"}


@dataclass(frozen=True)
class ExecutionSettings:
    cell_timeout: float = 60.0
    total_timeout: float = 600.0
    memory_bytes: int = 4 * 1024**3
    training_steps: int | None = None  # cap on batches per epoch in fit(), when the checks don't need training
    training_epochs: int | None = None  # cap on epochs in fit() (only with training_steps)
    training_batch: int | None = None  # cap on samples per budgeted batch (only with training_steps)


@dataclass(frozen=True)
class AnswerSettings:
    questions: int
    fingerprints: Fingerprints


@dataclass(frozen=True)
class Acceptance:
    """A mutant ``grader validate`` may leave uncaught, and why (``[[validate.accept]]``)."""

    mutant: str  # a shell-style pattern over mutant ids: "*.activation", "compile#1.learning_rate"
    reason: Mapping[str, str]


@dataclass(frozen=True)
class ValidateSettings:
    """What ``grader validate`` expects beyond its defaults.

    ``template_points``: points the untouched template earns per check (unlisted: 0).
    """

    template_points: Mapping[str, float] = field(default_factory=dict)
    accept: tuple[Acceptance, ...] = ()


@dataclass(frozen=True)
class Exercise:
    id: str
    title: Mapping[str, str]
    folder: Path
    checks: tuple[Check, ...]
    match: tuple[str, ...] = ()
    files: tuple[Path, ...] = ()
    template: Path | None = None
    execution: ExecutionSettings = field(default_factory=ExecutionSettings)
    answers: AnswerSettings | None = None
    validate: ValidateSettings = field(default_factory=ValidateSettings)
    digest: str = ""  # of the spec and every file it names: part of the batch cache key

    @property
    def max_score(self) -> float:
        return sum(c.points for c in self.checks)


# The columns of grades.csv around the checks' own: a check may not take their names.
LEADING_COLUMNS = ("id", "file", "score", "max_score", "status")
TRAILING_COLUMNS = ("duplicate_of", "review")
RESERVED_IDS = LEADING_COLUMNS + TRAILING_COLUMNS


def load_exercise(folder: Path) -> Exercise:
    path = folder / SPEC_FILE
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SpecError(f"cannot read the spec: {exc.strerror}", where=str(path),
                        hint=f"an exercise folder needs an {SPEC_FILE}") from None
    try:
        text = data.decode("utf-8-sig")  # a byte-order mark from Windows Notepad is harmless
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise SpecError(f"the spec is not UTF-8 (line {line}; Windows Notepad's \"ANSI\" is Big5 here)",
                        where=f"{path}:{line}", hint="save it as UTF-8 (Notepad: Save as, Encoding: UTF-8)") from None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"not valid TOML: {exc}", where=str(path), hint="check quotes, brackets and commas on that line") from None
    return _Parser(path, text).exercise(doc)


class _Parser:
    def __init__(self, path: Path, text: str):
        self.path = path
        self.text = text
        self.folder = path.parent
        self.hasher = hashlib.sha256(text.encode("utf-8"))

    def fail(self, message: str, key: str, hint: str | None = None) -> SpecError:
        return SpecError(message, where=self._where(key), hint=hint)

    def _where(self, key: str) -> str:
        return spec_location(self.path, self.text, key)

    # ------------------------------------------------------------------ sections

    def exercise(self, doc: dict[str, Any]) -> Exercise:
        self._known(doc, {"exercise", "execution", "answers", "checks", "validate"}, "")
        meta = self._table(doc, "exercise", required=True)
        self._known(meta, {"id", "title", "match", "files", "template"}, "exercise")
        ex_id = meta.get("id")
        if not isinstance(ex_id, str) or not _ID.match(ex_id):
            raise self.fail(f"id must be lower-case letters, digits, '-' or '_', found {ex_id!r}", "exercise.id",
                            hint='e.g. id = "day096"')
        if ex_id != self.folder.name:
            raise self.fail(f"id {ex_id!r} differs from the folder name {self.folder.name!r}", "exercise.id",
                            hint="rename the folder or the id so that they agree")
        title = self._text(meta.get("title", ex_id), "exercise.title")
        match = self._strings(meta.get("match", []), "exercise.match")
        files = tuple(self._file(p, f"exercise.files[{i}]") for i, p in enumerate(self._strings(meta.get("files", []), "exercise.files")))
        template = self._file(meta["template"], "exercise.template") if "template" in meta else None
        execution = self._execution(self._table(doc, "execution"))
        answers = self._answers(self._table(doc, "answers"), template)
        checks = self._checks(doc.get("checks"), answers)
        validate = self._validate(self._table(doc, "validate"), checks)
        return Exercise(id=ex_id, title=title, folder=self.folder, checks=checks, match=match, files=files,
                        template=template, execution=execution, answers=answers, validate=validate,
                        digest=self.hasher.hexdigest())

    def _validate(self, table: dict[str, Any], checks: tuple[Check, ...]) -> ValidateSettings:
        """``grader validate``'s expectations: the template's points, and the mutants left uncaught on purpose."""
        self._known(table, {"template_points", "accept"}, "validate")
        points = {c.id: c.points for c in checks}
        template_points = {}
        for check_id, value in self._table(table, "template_points").items():
            key = f"validate.template_points.{check_id}"
            if check_id not in points:
                raise self.fail(f"no check {check_id!r}", key, hint=f"checks: {', '.join(points)}")
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 <= value <= points[check_id]:
                raise self.fail(f"expected points between 0 and {points[check_id]:g}, found {value!r}", key)
            template_points[check_id] = float(value)
        raw = table.get("accept", [])
        if not isinstance(raw, list):
            raise self.fail("accept must be an array of tables", "validate.accept",
                            hint='[[validate.accept]] with mutant = "..." and reason = "..."')
        accepted = []
        for i, entry in enumerate(raw):
            key = f"validate.accept[{i}]"
            if not isinstance(entry, dict):
                raise self.fail("each accept entry must be a table", key)
            self._known(entry, {"mutant", "reason"}, key)
            patterns = entry.get("mutant")
            patterns = [patterns] if isinstance(patterns, str) else patterns
            if not isinstance(patterns, list) or not patterns or not all(
                    isinstance(p, str) and p.strip() for p in patterns):
                raise self.fail("missing key mutant" if patterns is None
                                else "mutant must be a non-empty text or a list of them", f"{key}.mutant",
                                hint='mutant ids or patterns from `grader validate`, e.g. "*.activation" or '
                                     '["Conv2D#*", "Dense#*"]')
            if "reason" not in entry:
                raise self.fail("an accepted mutant needs a reason", f"{key}.reason",
                                hint='say why the rubric may let it pass, e.g. reason = "any activation is fine here"')
            reason = self._text(entry["reason"], f"{key}.reason")
            if not any(text.strip() for text in reason.values()):
                raise self.fail("the reason is empty", f"{key}.reason", hint="say why the rubric may let it pass")
            accepted += [Acceptance(mutant=pattern.strip(), reason=reason) for pattern in patterns]
        return ValidateSettings(template_points=template_points, accept=tuple(accepted))

    def _execution(self, table: dict[str, Any]) -> ExecutionSettings:
        self._known(table, {"cell_timeout", "total_timeout", "memory", "training_steps", "training_epochs",
                                "training_batch"}, "execution")
        defaults = ExecutionSettings()
        cell = self._positive(table.get("cell_timeout", defaults.cell_timeout), "execution.cell_timeout")
        total = self._positive(table.get("total_timeout", defaults.total_timeout), "execution.total_timeout")
        memory = table.get("memory", defaults.memory_bytes)
        if isinstance(memory, str):
            m = _SIZE.match(memory)
            if not m:
                raise self.fail(f"cannot read memory size {memory!r}", "execution.memory", hint='e.g. memory = "4GiB"')
            memory = int(float(m.group(1)) * _UNITS[m.group(2).lower() if m.group(2) else None])
        memory = int(self._positive(memory, "execution.memory"))
        steps = table.get("training_steps")
        if steps is not None:
            steps = self._count(steps, "execution.training_steps")
        return ExecutionSettings(cell_timeout=cell, total_timeout=total, memory_bytes=memory, training_steps=steps,
                                 training_epochs=self._budget(table, "training_epochs", steps),
                                 training_batch=self._budget(table, "training_batch", steps))

    def _budget(self, table: dict[str, Any], key: str, steps: int | None) -> int | None:
        """A further cap of the training budget, which only means something with ``training_steps``."""
        value = table.get(key)
        if value is None:
            return None
        if steps is None:
            raise self.fail(f"{key} needs training_steps", f"execution.{key}",
                            hint="add training_steps = N (batches per epoch)")
        return self._count(value, f"execution.{key}")

    def _count(self, value: Any, key: str, wanted: str = "expected a whole number of at least 1") -> int:
        """A positive whole number: 0.5 batches would silently become 0, which turns a budget off."""
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise self.fail(f"{wanted}, found {value!r}", key, hint="e.g. 1")
        return value

    def _answers(self, table: dict[str, Any], template: Path | None) -> AnswerSettings | None:
        if not table:
            return None
        self._known(table, {"questions", "fingerprints", "prompts"}, "answers")
        questions = table.get("questions")
        if not isinstance(questions, int) or isinstance(questions, bool) or questions < 0:
            # 0: no written questions, but the course's text (fingerprints) is still recognised as not the student's
            raise self.fail(f"questions must be a whole number (0 for none), found {questions!r}", "answers.questions",
                            hint="e.g. questions = 2")
        prints = Fingerprints()
        for i, name in enumerate(self._strings(table.get("fingerprints", []), "answers.fingerprints")):
            prints.update(Fingerprints.load(self._file(name, f"answers.fingerprints[{i}]")))
        prompts: dict[int, re.Pattern[str]] = {}
        for key, pattern in self._table(table, "prompts").items():
            if not key.isdigit() or not 1 <= int(key) <= questions:
                raise self.fail(f"prompt key {key!r} is not a question number 1..{questions}", f"answers.prompts.{key}")
            try:
                prompts[int(key)] = re.compile(pattern)
            except (re.error, TypeError) as exc:
                raise self.fail(f"invalid regular expression: {exc}", f"answers.prompts.{key}") from None
        if template is not None:
            try:
                texts = _template_texts(template)
            except SubmissionError as exc:  # the TA's file: say which key, not "hand it in again"
                raise self.fail(f"the template cannot be read: {exc.message}", "exercise.template",
                                hint="point template at a Jupyter notebook (.ipynb) or script (.py) in this folder") \
                    from None
            self._check_prompts(prompts, texts)
            prints.update(Fingerprints.from_texts(texts, prompts))
        missing = [n for n in range(1, questions + 1) if n not in {q.question for q in prints.questions}]
        if missing and (prompts or template is not None):
            raise self.fail(f"no prompt for question(s) {', '.join(map(str, missing))}: their answers could not be "
                            "found", "answers.prompts",
                            hint="give each question a regex for its line in the template, e.g. "
                                 + ", ".join(f"{n} = '^Q{n}\\.'" for n in missing))
        return AnswerSettings(questions=questions, fingerprints=prints)

    def _check_prompts(self, prompts: dict[int, re.Pattern[str]], texts: list[str]) -> None:
        """Each prompt names one question's line(s) of the template: none, or another question's too, is a typo."""
        lines = [line for text in texts for line in text.splitlines() if line.strip()]
        for number, pattern in prompts.items():
            if not any(pattern.search(line) for line in lines):
                raise self.fail(f"prompt of question {number} matches no line of the template",
                                f"answers.prompts.{number}", hint="copy a distinctive start of the question's line")
        for line in lines:
            hit = [n for n, pattern in prompts.items() if pattern.search(line)]
            if len(hit) > 1:
                raise self.fail(f"prompts of questions {hit[0]} and {hit[1]} both match the template line "
                                f"{line.strip()[:60]!r}", f"answers.prompts.{hit[1]}",
                                hint="anchor each regex to its own question, e.g. '^Q2\\.'")

    def _checks(self, raw: Any, answers: AnswerSettings | None) -> tuple[Check, ...]:
        if not isinstance(raw, list) or not raw:
            raise self.fail("an exercise needs at least one [[checks]] table", "checks",
                            hint='add [[checks]] with id, kind = "model" or "answer", points and title')
        checks: list[Check] = []
        seen: set[str] = set()
        for i, table in enumerate(raw):
            key = f"checks[{i}]"
            if not isinstance(table, dict):
                raise self.fail("each check must be a table", key)
            check_id = table.get("id")
            if not isinstance(check_id, str) or not _ID.match(check_id):
                raise self.fail(f"check id must be lower-case letters, digits, '-' or '_', found {check_id!r}", f"{key}.id")
            if check_id in RESERVED_IDS:
                raise self.fail(f"check id {check_id!r} is a column grades.csv already has", f"{key}.id",
                                hint=f"name it e.g. {check_id + '_check'!r} (reserved: {', '.join(RESERVED_IDS)})")
            if check_id in seen:
                raise self.fail(f"duplicate check id {check_id!r}", f"{key}.id", hint="ids become gradebook columns: make them unique")
            seen.add(check_id)
            kind = table.get("kind")
            if kind not in Check.registry:
                raise self.fail("missing key kind" if kind is None else f"unknown check kind {kind!r}", f"{key}.kind",
                                hint=f"one of {sorted(Check.registry)}")
            cls = Check.registry[kind]
            self._known(table, _COMMON_CHECK_KEYS | cls.own_keys, key)
            points = table.get("points")
            if not isinstance(points, (int, float)) or isinstance(points, bool) or points <= 0:
                raise self.fail("missing key points" if points is None else
                                f"points must be a positive number, found {points!r}", f"{key}.points", hint="e.g. points = 1")
            hidden = table.get("hidden", False)
            if not isinstance(hidden, bool):
                raise self.fail("hidden must be true or false", f"{key}.hidden")
            feedback = self._table(table, "feedback")
            self._known(feedback, {"pass", "fail"}, f"{key}.feedback")
            try:
                own = cls.parse_own(table, key)
            except SpecError as exc:
                raise self.fail(exc.message, exc.where or key, exc.hint) from None
            if "question" in own:  # a check of a written answer
                if answers is None:
                    raise self.fail(f"{kind} checks need an [answers] section", f"{key}.question",
                                    hint="add [answers] with questions = N (and fingerprints or a template)")
                if own["question"] > answers.questions:
                    raise self.fail(f"question {own['question']} is beyond answers.questions = {answers.questions}",
                                    f"{key}.question")
            checks.append(cls(id=check_id, title=self._text(table.get("title", check_id), f"{key}.title"),
                              points=float(points), hidden=hidden,
                              hint=self._text(table["hint"], f"{key}.hint") if "hint" in table else {},
                              feedback_pass=self._text(feedback["pass"], f"{key}.feedback.pass") if "pass" in feedback else {},
                              feedback_fail=self._text(feedback["fail"], f"{key}.feedback.fail") if "fail" in feedback else {},
                              **own))
        models = {c.id for c in checks if c.kind == "model"}
        for i, check in enumerate(checks):
            for ref in check.references():
                if ref not in models:
                    raise self.fail(f"{ref!r} is not the id of a model check of this exercise", f"checks[{i}]",
                                    hint=f"model checks here: {', '.join(sorted(models)) or 'none'}")
        return tuple(checks)

    # ------------------------------------------------------------------ value helpers

    def _known(self, table: Mapping[str, Any], allowed: set[str], key: str) -> None:
        unknown = sorted(set(table) - allowed)
        if unknown:
            where = f"{key}.{unknown[0]}" if key else unknown[0]
            raise self.fail(f"unknown key {unknown[0]!r}", where, hint=f"allowed here: {', '.join(sorted(allowed))}")

    def _table(self, doc: Mapping[str, Any], key: str, required: bool = False) -> dict[str, Any]:
        value = doc.get(key, None)
        if value is None:
            if required:
                raise self.fail(f"missing [{key}] table", key)
            return {}
        if not isinstance(value, dict):
            raise self.fail(f"{key} must be a table", key)
        return value

    def _text(self, value: Any, key: str) -> dict[str, str]:
        try:
            return parse_text(value, key)
        except SpecError as exc:
            raise self.fail(exc.message, key, exc.hint) from None

    def _strings(self, value: Any, key: str) -> tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail("expected a list of strings", key)
        return tuple(value)

    def _positive(self, value: Any, key: str) -> float:
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
            raise self.fail(f"expected a positive number, found {value!r}", key)
        return float(value)

    def _file(self, name: Any, key: str) -> Path:
        if not isinstance(name, str):
            raise self.fail("expected a file name", key)
        path = (self.folder / name).resolve()
        if self.folder.resolve() not in path.parents:
            raise self.fail(f"{name!r} is outside the exercise folder", key, hint="keep exercise files inside its folder")
        if not path.is_file():
            raise self.fail(f"file {name!r} not found in {self.folder}", key)
        self.hasher.update(name.encode() + b"\0" + path.read_bytes())
        return path


def spec_location(path: Path, text: str, key: str) -> str:
    """``file:line (key)``, the line being that of the table the key lives in (``spec_line``)."""
    line = spec_line(text, key)
    return f"{path}:{line} ({key})" if line else f"{path} ({key})"


def spec_line(text: str, key: str) -> int | None:
    """The line of the table ``key`` lives in.

    ``checks[2].title`` is in the third ``[[checks]]``, ``validate.accept[0]``
    in the first ``[[validate.accept]]``, ``answers.prompts.1`` in
    ``[answers.prompts]`` if the spec has that header, else in ``[answers]``.
    """
    headers = [(i, _header(ln)) for i, ln in enumerate(text.splitlines(), 1)]
    m = re.match(r"([a-z_.]+?)\[(\d+)\]", key)
    if m:
        tables = [i for i, header in headers if header == f"[[{m.group(1)}]]"]
        if int(m.group(2)) < len(tables):
            return tables[int(m.group(2))]
    parts = re.sub(r"\[\d+\]", "", key).split(".")
    for n in range(len(parts), 0, -1):
        line = next((i for i, header in headers if header == f"[{'.'.join(parts[:n])}]"), None)
        if line is not None:
            return line
    return None


def _header(line: str) -> str:
    """A TOML table header as written, without a trailing comment ("[[checks]]   # Q1")."""
    return line.split("#", 1)[0].strip() if line.lstrip().startswith("[") else line.strip()


def _template_texts(template: Path) -> list[str]:
    """Every cell's text of a template notebook (or script): none of it is the student's."""
    from grader.submission.loader import load_submission

    return [cell.source for cell in load_submission(template).cells]
