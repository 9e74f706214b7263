"""Grade the student's notebook from inside it, exactly as ``grader check`` does, never in their kernel.

The grade comes from another process: the running ``grader watch`` of the same
file when there is one (a second or so), else ``python -m grader check --format
json`` (a cold sandboxed kernel, as in a terminal). The student's kernel only
locates the file, starts that process, and shows the JSON it returns; nothing
is put in its namespace and nothing heavy is imported into it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from grader.errors import GraderError
from grader.i18n import normalise_lang
from grader.notebook.display import SelfCheckReport
from grader.notebook.locate import Located, locate

LANG_ENV = "KERAS_GRADER_LANG"
OWN_CALLS = ("%grade", "grader.check(", "load_ext grader", "%reload_ext grader")  # cells that only ask for a grade


class CellClock:
    """When each cell ran since the extension was loaded, to tell a stale saved file from a fresh one."""

    def __init__(self) -> None:
        self.runs: list[tuple[float, str]] = []

    def pre_run_cell(self, info: Any) -> None:
        self.runs.append((time.time(), getattr(info, "raw_cell", "") or ""))


def check(ipython: Any = None, path: str | os.PathLike | None = None, *, lang: str | None = None,
          exercise: str | None = None, timeout: float | None = None, clock: CellClock | None = None) -> SelfCheckReport:
    """Locate the notebook, grade it in another process and return the report (its HTML is what Jupyter shows)."""
    try:
        found = locate(ipython, path)
    except GraderError as exc:
        return SelfCheckReport.failure(str(exc), normalise_lang(lang or os.environ.get(LANG_ENV)))
    lang = choose_lang(lang, found.path)
    warnings = [] if found.live else stale_warning(found.path, clock, lang)
    began = time.monotonic()
    doc, via, error = None, "check", None
    if exercise is None and timeout is None:
        from grader.watch import ask

        doc, via = ask(found.path, lang), "watch"
    if doc is None:
        via = "check"
        doc, error = run_check(found, lang, exercise, timeout)
    if doc is None:
        return SelfCheckReport.failure(error or "no result", lang, path=found.path, warnings=warnings)
    return SelfCheckReport(doc, path=found.path, warnings=warnings, seconds=time.monotonic() - began, via=via)


def choose_lang(given: str | None, path: Path) -> str:
    """``--lang``, else the notebook's ``metadata.keras_grader.lang``, else ``$KERAS_GRADER_LANG``, else English."""
    if given:
        return normalise_lang(given)
    try:
        metadata = json.loads(path.read_text(encoding="utf-8")).get("metadata") or {}
        wanted = (metadata.get("keras_grader") or {}).get("lang")
    except (OSError, ValueError, AttributeError):
        wanted = None
    return normalise_lang(wanted if isinstance(wanted, str) else os.environ.get(LANG_ENV))


def stale_warning(path: Path, clock: CellClock | None, lang: str) -> list[str]:
    """A warning when cells ran after the last save with code the saved file does not hold."""
    if clock is None:
        return []
    try:
        saved_at = path.stat().st_mtime
        cells = json.loads(path.read_text(encoding="utf-8")).get("cells") or []
    except (OSError, ValueError, AttributeError):
        return []
    saved = {_norm(c.get("source")) for c in cells if isinstance(c, dict) and c.get("cell_type") == "code"}
    unsaved = [ran for ran, code in clock.runs
               if ran > saved_at and _norm(code) and _norm(code) not in saved and not any(s in code for s in OWN_CALLS)]
    if not unsaved:
        return []
    edited = time.strftime("%H:%M:%S", time.localtime(max(unsaved)))
    when = time.strftime("%H:%M:%S", time.localtime(saved_at))
    return [SelfCheckReport.say(lang, "stale", saved=when, edited=edited)]


def _norm(source: Any) -> str:
    text = "".join(source) if isinstance(source, list) else str(source or "")
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


def run_check(found: Located, lang: str, exercise: str | None, timeout: float | None) -> tuple[dict | None, str | None]:
    """``grader check FILE --format json`` in a new process: the same command, sandbox and result as a terminal's."""
    command = [sys.executable, "-m", "grader", "check", str(found.path), "--format", "json", "--lang", lang]
    if exercise:
        command += ["--exercise", exercise]
    if timeout:
        command += ["--timeout", str(timeout)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=1800,
                              cwd=found.path.parent, encoding="utf-8", errors="replace")
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, str(exc)
    try:
        doc = json.loads(done.stdout)
    except ValueError:
        return None, (done.stderr.strip() or f"grader check exited with {done.returncode}")
    return (doc, None) if isinstance(doc, dict) and "checks" in doc else (None, done.stderr.strip() or "no result")
