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
        raise SubmissionError("no such file", where=str(path), hint="check the path")
    if path.suffix.lower() == ".zip":
        raise SubmissionError("a zip archive is not a notebook", where=str(path),
                              hint="unzip it and hand in the .ipynb or .py inside (`grader grade` opens a "
                                   "student's zip one level deep, not a zip within a zip)")
    if not has_submission_suffix(path):
        raise SubmissionError(f"unsupported file type {path.suffix or '(none)'!r}", where=str(path),
                              hint="hand in a Jupyter notebook (.ipynb) or a Python script (.py)")
    notebook = path.suffix.lower() == ".ipynb"
    data = path.read_bytes()
    if len(data) > _MAX_BYTES:
        raise SubmissionError(f"file is {len(data) // 2**20} MiB, more than {_MAX_BYTES // 2**20} MiB",
                              where=str(path), hint="clear the notebook's outputs before handing it in" if notebook
                              else "load data from a file instead of pasting it into the script")
    if not data.strip():
        raise SubmissionError("the file is empty", where=str(path),
                              hint="save the notebook (File > Save) and hand it in again" if notebook
                              else "save the script in your editor and hand it in again")
    return _load_notebook(path, data) if notebook else _load_script(path, data)


def _single_file_in(folder: Path) -> Path:
    found = submission_files(folder)
    notebooks = {p.stem for p in found if p.suffix.lower() == ".ipynb"}
    found = [p for p in found if not (p.suffix.lower() == ".py" and p.stem in notebooks)]  # a notebook and its export
    zips = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".zip" and not p.name.startswith("."))
    if not found and len(zips) == 1:
        return zips[0]  # so the error names the zip and what to do with it
    if len(found) != 1:
        raise SubmissionError(f"expected one .ipynb or .py file in the folder, found {len(found)}",
                              where=str(folder), hint="point at the file itself")
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
    raise SubmissionError(
        f"the file is neither UTF-8 nor Big5: byte 0x{data[first_error.start]:02x} at line {line} "
        f"(offset {first_error.start}) cannot be decoded",
        where=where, hint="open the file in an editor and save it with UTF-8 encoding")


def _load_notebook(path: Path, data: bytes) -> Submission:
    text, encoding = decode(data, str(path))
    try:
        raw = json.loads(text)
    except RecursionError:
        raise SubmissionError("not a valid notebook: its JSON is nested too deeply", where=str(path),
                              hint="re-download or re-save the notebook from Jupyter and hand it in again") from None
    except json.JSONDecodeError as exc:
        truncated = _ends_inside_json(text)
        raise SubmissionError(
            f"not a valid notebook: JSON error at line {exc.lineno}, column {exc.colno} ({exc.msg})"
            + (" — the file looks truncated" if truncated else ""),
            where=str(path), hint="re-download or re-save the notebook from Jupyter and hand it in again") from None
    if not isinstance(raw, dict) or "cells" not in raw and "worksheets" not in raw:
        raise SubmissionError("the file is JSON but not a Jupyter notebook (no 'cells')", where=str(path),
                              hint="hand in the .ipynb file that Jupyter saved")
    major = raw.get("nbformat")
    if major not in (3, 4):
        raise SubmissionError(f"unsupported notebook format version {major!r} (supported: 3 and 4)",
                              where=str(path), hint="open and save the notebook with a current Jupyter")
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
        cells.append(Cell(index=index, kind=kind, source=scrub(str(source))))
    return Submission(path=path, fmt="ipynb", cells=tuple(cells), encoding=encoding,
                      metadata=dict(nb.get("metadata", {})), digest=Submission.digest_of(data))


def _converted_v3(text: str, path: Path) -> dict:
    """A v3 notebook (worksheets) as v4, read and converted by nbformat, not validated."""
    import nbformat
    import nbformat.reader

    try:
        return nbformat.convert(nbformat.reader.reads(text), 4)
    except Exception as exc:  # nbformat raises many types for malformed structures
        raise SubmissionError(f"not a valid notebook: {str(exc) or type(exc).__name__}", where=str(path),
                              hint="open and save the notebook with Jupyter, then hand it in again") from None


def _tidied(raw: dict, path: Path) -> dict:
    """A v4 notebook's JSON with what the grader reads made sound: cells as objects, sources as text, metadata.

    Nothing else is checked: the grader runs the code itself and never reads outputs,
    ids or cell metadata, and a malformed one (``"outputs": null`` from a converter,
    a hand-edited cell) is no reason to refuse a student's work.
    """
    cells = raw.get("cells")
    if not isinstance(cells, list):
        raise SubmissionError(f"not a valid notebook: its 'cells' is {_json_kind(cells)}, not a list of cells",
                              where=str(path), hint="open and save the notebook with Jupyter, then hand it in again")
    for number, cell in enumerate(cells, 1):
        if not isinstance(cell, dict):
            raise SubmissionError(f"not a valid notebook: cell {number} is not a cell (a JSON object)",
                                  where=str(path), hint="open and save the notebook with Jupyter, then hand it in again")
        source = cell.get("source")
        if isinstance(source, list):  # lines: a stray null or number among them is not the student's text
            cell["source"] = [line for line in source if isinstance(line, str)]
        elif not isinstance(source, str):
            cell["source"] = ""
    if not isinstance(raw.get("metadata"), dict):
        raw["metadata"] = {}
    return raw


def _json_kind(value: object) -> str:
    kinds = {dict: "an object", str: "a string", bool: "true or false", int: "a number", float: "a number"}
    return "null" if value is None else kinds.get(type(value), "a " + type(value).__name__)


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
        raise SubmissionError(f"the script has a syntax error at line {exc.lineno}: {exc.msg}",
                              where=str(path), hint="run `python -m py_compile FILE` and fix the line it names") from None
    except ValueError as exc:  # e.g. NUL bytes
        raise SubmissionError(f"the script cannot be compiled: {exc}", where=str(path)) from None
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
