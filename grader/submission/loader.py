"""Load a notebook or a script into a Submission, or say precisely what is wrong with it.

Students of this course often hand in files saved by Windows in Big5 (cp950);
we decode those instead of rejecting them, and name the byte when we cannot.
"""

from __future__ import annotations

import io
import json
import re
import tokenize
from pathlib import Path

from grader.errors import SubmissionError
from grader.submission.model import Cell, Submission

SUFFIXES = (".ipynb", ".py")
_MAX_BYTES = 50 * 1024 * 1024
# Encodings tried in order after UTF-8: cp950 is Microsoft's Big5, a superset of it.
_FALLBACK_ENCODINGS = ("cp950", "big5hkscs")
_CELL_MARKER = re.compile(r"^# ?%%(?P<rest>.*)$")
_MAGIC_LINE = re.compile(r"^[ \t]*[%!].*$", re.MULTILINE)
_SURROGATE = re.compile("[\ud800-\udfff]")


def has_submission_suffix(path: Path) -> bool:
    """A notebook or script by its name (``.ipynb``, ``.py``, in any case): what ``load_submission`` reads."""
    return path.suffix.lower() in SUFFIXES


def submission_files(folder: Path) -> list[Path]:
    """The notebooks and scripts directly in ``folder``, hidden files aside, sorted."""
    return sorted(p for p in folder.iterdir() if has_submission_suffix(p) and not p.name.startswith("."))


def scrub(text: str) -> str:
    """``text`` without lone surrogates (a JSON escape such as \\ud800 makes one): U+FFFD, as Jupyter shows it.

    Everything downstream hashes, writes and prints the student's text as UTF-8.
    """
    return _SURROGATE.sub("\ufffd", text)


def load_submission(path: str | Path) -> Submission:
    """Read ``path`` (a ``.ipynb`` or ``.py``; a folder holding exactly one of them)."""
    path = Path(path)
    if path.is_dir():
        path = _single_file_in(path)
    if not path.exists():
        raise SubmissionError.of("invalid.no_file", where=str(path), fix="fix.path")
    if path.suffix.lower() == ".zip":
        raise SubmissionError.of("invalid.zip", where=str(path), fix="fix.unzip")
    if not has_submission_suffix(path):
        raise SubmissionError.of("invalid.file_type", where=str(path), fix="fix.file_type",
                                 suffix=repr(path.suffix or "(none)"))
    notebook = path.suffix.lower() == ".ipynb"
    data = path.read_bytes()
    if len(data) > _MAX_BYTES:
        raise SubmissionError.of("invalid.too_big", where=str(path), mib=len(data) // 2**20,
                                 limit=_MAX_BYTES // 2**20, fix="fix.clear_outputs" if notebook else "fix.data_in_script")
    if not data.strip():
        raise SubmissionError.of("invalid.empty", where=str(path), fix="fix.save_notebook" if notebook else "fix.save_script")
    return _load_notebook(path, data) if notebook else _load_script(path, data)


def _single_file_in(folder: Path) -> Path:
    found = submission_files(folder)
    notebooks = {p.stem for p in found if p.suffix.lower() == ".ipynb"}
    found = [p for p in found if not (p.suffix.lower() == ".py" and p.stem in notebooks)]  # a notebook and its export
    zips = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".zip" and not p.name.startswith("."))
    if not found and len(zips) == 1:
        return zips[0]  # so the error names the zip and what to do with it
    if len(found) != 1:
        raise SubmissionError.of("invalid.folder", where=str(folder), fix="fix.point_at_file", n=len(found))
    return found[0]


def decode(data: bytes, where: str) -> tuple[str, str]:
    """Return (text, encoding). UTF-8 first (with or without BOM), then Big5 variants."""
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError as exc:
        first_error = exc
    for encoding in _FALLBACK_ENCODINGS:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    line = data[: first_error.start].count(b"\n") + 1
    raise SubmissionError.of("invalid.encoding", where=where, fix="fix.utf8", byte=f"{data[first_error.start]:02x}",
                             line=line, offset=first_error.start)


def _load_notebook(path: Path, data: bytes) -> Submission:
    text, encoding = decode(data, str(path))
    try:
        raw = json.loads(text)
    except RecursionError:
        raise SubmissionError.of("invalid.json_nested", where=str(path), fix="fix.redownload") from None
    except json.JSONDecodeError as exc:
        truncated = _ends_inside_json(text)
        raise SubmissionError.of("invalid.json_truncated" if truncated else "invalid.json", where=str(path),
                                 fix="fix.redownload", line=exc.lineno, column=exc.colno, detail=exc.msg) from None
    if not isinstance(raw, dict) or "cells" not in raw and "worksheets" not in raw:
        raise SubmissionError.of("invalid.not_notebook", where=str(path), fix="fix.ipynb")
    major = raw.get("nbformat")
    if major not in (3, 4):
        raise SubmissionError.of("invalid.nbformat", where=str(path), fix="fix.current_jupyter", version=repr(major))
    # A v4 notebook is read as the JSON it is: nbformat would add nothing to what the grader reads (importing
    # it, and the jsonschema it brings, cost `grader check` 0.2 s before its kernel could start).
    nb = _tidied(raw, path) if major == 4 else _converted_v3(text, path)
    cells = []
    for index, cell in enumerate(nb.get("cells", [])):
        kind = cell.get("cell_type")
        if kind not in ("code", "markdown", "raw"):
            kind = "raw"
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(source)
        finished = _finished(cell) if kind == "code" else None
        cells.append(Cell(index=index, kind=kind, source=scrub(str(source)), finished=finished))
    return Submission(path=path, fmt="ipynb", cells=tuple(cells), encoding=encoding,
                      metadata=dict(nb.get("metadata", {})), digest=Submission.digest_of(data))


def _finished(cell: dict) -> bool:
    """Whether a saved code cell ran to its end in the student's session: it has an execution count (none: it
    never ran, or was still running or interrupted when saved) and no error output (it stopped part way)."""
    outputs = cell.get("outputs")
    errors = any(isinstance(o, dict) and o.get("output_type") == "error" for o in outputs) \
        if isinstance(outputs, list) else False
    return isinstance(cell.get("execution_count"), int) and not errors


def _converted_v3(text: str, path: Path) -> dict:
    """A v3 notebook (worksheets) as v4, read and converted by nbformat, not validated."""
    import nbformat
    import nbformat.reader

    try:
        return nbformat.convert(nbformat.reader.reads(text), 4)
    except Exception as exc:  # nbformat raises many types for malformed structures
        raise SubmissionError.of("invalid.notebook", where=str(path), fix="fix.resave",
                                 detail=str(exc) or type(exc).__name__) from None


def _tidied(raw: dict, path: Path) -> dict:
    """A v4 notebook's JSON with what the grader reads made sound: cells as objects, sources as text, metadata.

    Nothing else is checked: the grader runs the code itself and never reads outputs (only
    whether a code cell has an error among them, and its execution count: ``_finished``),
    ids or cell metadata, and a malformed one (``"outputs": null`` from a converter,
    a hand-edited cell) is no reason to refuse a student's work.
    """
    cells = raw.get("cells")
    if not isinstance(cells, list):
        raise SubmissionError.of("invalid.cells", where=str(path), fix="fix.resave", kind=_json_kind(cells))
    for number, cell in enumerate(cells, 1):
        if not isinstance(cell, dict):
            raise SubmissionError.of("invalid.cell", where=str(path), fix="fix.resave", number=number)
        source = cell.get("source")
        if isinstance(source, list):  # lines: a stray null or number among them is not the student's text
            cell["source"] = [line for line in source if isinstance(line, str)]
        elif not isinstance(source, str):
            cell["source"] = ""
    if not isinstance(raw.get("metadata"), dict):
        raw["metadata"] = {}
    return raw


def _json_kind(value: object) -> str:
    """JSON's name for the type of a value ``json.loads`` returned."""
    kinds = {dict: "object", str: "string", bool: "boolean", int: "number", float: "number", list: "array"}
    return "null" if value is None else kinds.get(type(value), type(value).__name__)


def _ends_inside_json(text: str) -> bool:
    """Whether the text stops inside a string or an open object/array: a cut-off download or save."""
    depth, in_string, escaped = 0, False, False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "{[":
            depth += 1
        elif ch in "}]":
            depth -= 1
    return in_string or depth > 0


def _load_script(path: Path, data: bytes) -> Submission:
    encoding = _declared_encoding(data)
    if encoding:
        try:
            text = data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            text, encoding = decode(data, str(path))
    else:
        text, encoding = decode(data, str(path))
    if any(_CELL_MARKER.match(line) for line in text.splitlines()):
        # Cells, as in a notebook: each runs on its own, and prose typed into one is the student's text.
        return Submission(path=path, fmt="py", cells=split_script(scrub(text)), encoding=encoding,
                          digest=Submission.digest_of(data))
    try:  # one cell: a broken script is said now, with its line (IPython's %magic and !shell lines are fine)
        compile(_MAGIC_LINE.sub("", text), str(path), "exec", dont_inherit=True)
    except SyntaxError as exc:
        raise SubmissionError.of("invalid.syntax", where=str(path), fix="fix.py_compile", line=exc.lineno,
                                 detail=exc.msg) from None
    except ValueError as exc:  # e.g. NUL bytes
        raise SubmissionError.of("invalid.compile", where=str(path), detail=str(exc)) from None
    return Submission(path=path, fmt="py", cells=split_script(scrub(text)), encoding=encoding,
                      digest=Submission.digest_of(data))


def _declared_encoding(data: bytes) -> str | None:
    """A PEP 263 coding cookie, if the script declares one."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError:
        return None
    return None if encoding in ("utf-8", "utf-8-sig") else encoding


def split_script(text: str) -> tuple[Cell, ...]:
    """Split a script on ``# %%`` markers (the VS Code / Jupytext convention).

    Without markers the whole script is one code cell. ``# %% [markdown]``
    cells become markdown with their leading ``# `` removed.
    """
    chunks: list[tuple[str, int, list[str]]] = [("code", 1, [])]  # kind, file line of its first line, lines
    for number, line in enumerate(text.splitlines(), 1):
        marker = _CELL_MARKER.match(line)
        if marker:
            kind = "markdown" if "[markdown]" in marker.group("rest") else "code"
            chunks.append((kind, number + 1, []))
        else:
            chunks[-1][2].append(line)
    cells = []
    for kind, first, lines in chunks:
        if kind == "markdown":
            lines = [re.sub(r"^# ?", "", ln) for ln in lines]
        joined = "\n".join(lines)
        source = joined.strip("\n")
        if source.strip() or (kind == "code" and len(chunks) == 1):
            skipped = joined[: len(joined) - len(joined.lstrip("\n"))].count("\n")
            cells.append(Cell(index=len(cells), kind=kind, source=source, line=first + skipped))
    return tuple(cells)
