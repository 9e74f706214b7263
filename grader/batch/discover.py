"""Find the submissions in a folder and tell whose each one is.

Each item directly inside SUBMISSIONS (a file, or a folder per student) is a
candidate; hidden files and OS junk are skipped. Its student id comes from the
first of these that matches the item's name:

* ``--id-pattern REGEX`` (``re.search``; the group named ``id``, else group 1,
  else the whole match);
* Moodle's bulk-download names, ``Full Name_12345_assignsubmission_file_...``
  (the id is the participant number Moodle's grading worksheet calls
  ``Participant 12345``);
* Canvas' bulk-download names, ``login_12345_67890_file.ipynb`` or
  ``login_LATE_12345_67890_...`` (user id, then submission id);
* otherwise the file's stem, or the folder's name.

``--lms`` restricts the automatic patterns to that LMS. A student with several
gradeable items (two notebooks, a notebook and a folder, ...) is not silently
reduced to one: every item is graded, the newest (by modification time, as the
zip stored it) under the student's id and the older ones as ``id#2``, ``id#3``;
the LMS sheets carry only the newest, and the class report lists the others.
A student who zipped their work (a ``.zip`` item, or the one zip in their
folder with no notebook beside it) is graded from the zip's content, unpacked
safely into OUT (``archive.unpack_student``; one level deep, smaller caps).
Items that cannot be graded (a PDF) next to a gradeable one are listed as
ignored; a student with nothing gradeable is graded anyway, so the result says
why it is unusable. The exception is a TA's side file at the top (``README.md``,
a roster ``.csv``, notes ``.txt``) that no id pattern claims: it is listed as
skipped, not graded as a student who scored 0 and skewed the class's figures.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from grader.batch.archive import JUNK, lone_folder, unpack_student
from grader.batch.store import file_digest
from grader.errors import UsageError
from grader.submission.loader import has_submission_suffix, submission_files

# All students' zips of one run together may unpack to this much; past it, no further zip is opened
# (each is capped at STUDENT_LIMITS.max_total, so a run writes at most one student's cap more).
BATCH_UNPACK_CAP = 8 * 1024**3

# Files a TA keeps beside the hand-ins (notes, rosters, grade sheets); a student's file of these kinds
# still counts when an id pattern (--id-pattern, Moodle's or Canvas' names) says whose it is.
SIDE_FILE_SUFFIXES = frozenset({".md", ".markdown", ".rst", ".txt", ".tsv", ".csv", ".xls", ".xlsx", ".ods"})
SIDE_FILE_STEMS = frozenset({"readme", "license", "licence", "manifest"})

LMS_PATTERNS = {
    "moodle": re.compile(r"^(?P<name>.+?)_(?P<id>\d+)_assign(?:submission|feedback)_[a-z]+_"),
    "canvas": re.compile(r"^(?P<login>[^_]+)_(?:LATE_)?(?P<id>\d+)_(?P<submission>\d+)_"),
}


@dataclass(frozen=True)
class Entry:
    """One item to grade. ``id`` is unique in a run; ``student`` is shared by a student's duplicates."""

    id: str
    student: str
    path: Path
    file: str  # the name as handed in, relative to SUBMISSIONS
    digest: str
    mtime: float
    fields: Mapping[str, str] = field(default_factory=dict)  # the pattern's named groups (name, login, ...)
    duplicate_of: str | None = None
    duplicates: tuple[str, ...] = ()


@dataclass
class Discovery:
    entries: list[Entry]
    problems: list[dict[str, str]] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)  # names --id-pattern did not match (id = stem)
    skipped: list[str] = field(default_factory=list)  # a TA's side files: see ``side_file``
    unpacked_bytes: int = 0  # written by opening students' zips


def student_of(name: str, is_dir: bool, pattern: re.Pattern[str] | None = None,
               lms: str | None = None) -> tuple[str, dict[str, str], bool]:
    """(student id, named groups, matched) for an item called ``name``."""
    patterns = [pattern] if pattern is not None else []
    patterns += [LMS_PATTERNS[lms]] if lms else list(LMS_PATTERNS.values())
    for candidate in patterns:
        match = candidate.search(name)
        if match is None:
            continue
        groups = {k: v for k, v in match.groupdict().items() if v is not None}
        ident = groups.get("id") or (match.group(1) if candidate.groups else match.group(0))
        if ident and ident.strip():
            return ident.strip(), groups, True
    return (name if is_dir else Path(name).stem) or name, {}, False


def side_file(path: Path) -> bool:
    """Notes or a table (``README.md``, ``LABELS.tsv``, ``roster.csv``): kept beside the hand-ins, never one."""
    return path.is_file() and (path.suffix.lower() in SIDE_FILE_SUFFIXES or path.stem.lower() in SIDE_FILE_STEMS)


def student_archive(path: Path) -> Path | None:
    """The zip a student handed in: the item itself, or the one zip in their folder with no notebook beside it."""
    if path.is_symlink():
        return None
    if path.is_file():
        return path if path.suffix.lower() == ".zip" else None
    try:
        inside = [p for p in path.iterdir() if not p.name.startswith(".") and p.name not in JUNK]
    except OSError:
        return None
    if any(has_submission_suffix(p) for p in inside):
        return None
    zips = [p for p in inside if p.suffix.lower() == ".zip" and p.is_file() and not p.is_symlink()]
    return zips[0] if len(zips) == 1 else None


def gradeable(path: Path, archives: bool = False) -> bool:
    """A notebook or script, or a folder with one directly inside (what ``load_submission`` reads);
    with ``archives``, also a student's zip (see ``student_archive``)."""
    if archives and student_archive(path) is not None:
        return True
    if path.is_dir():
        try:
            return bool(submission_files(path))
        except OSError:
            return False
    return has_submission_suffix(path)


def tree_digest(path: Path) -> str:
    """sha256 of a file, or of a folder's relative names and contents (links recorded, not followed)."""
    if not path.is_dir():
        return file_digest(path)
    digest = hashlib.sha256()
    for folder, dirs, files in os.walk(path):
        dirs.sort()
        for name in sorted(files):
            item = Path(folder) / name
            rel = item.relative_to(path).as_posix()
            content = "link:" + os.readlink(item) if item.is_symlink() else file_digest(item)
            digest.update(f"{rel}\0{content}\n".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def discover(root: Path, pattern: re.Pattern[str] | None = None, lms: str | None = None,
             work: Path | None = None, out: Path | None = None) -> Discovery:
    """The entries under ``root``; with ``work`` (OUT's work folder) students' zips are opened there.

    ``out`` (OUT) is skipped: ``grader grade . --out grades`` must not grade its own outputs as a
    student. An OUT inside one student's folder is refused: skipping that student would lose them.
    """
    found = Discovery(entries=[])
    archives = work is not None
    groups: dict[str, list[tuple[Path, dict[str, str]]]] = defaultdict(list)
    out_real = out.resolve() if out is not None else None
    for item in sorted(root.iterdir()):
        if item.name.startswith(".") or item.name in JUNK:
            continue
        name = text_name(item.name)
        if item.is_symlink():
            found.problems.append({"where": name, "what": "symbolic link: not followed"})
            continue
        real = item.resolve() if out_real is not None else None
        if real is not None and real == out_real:
            continue
        if real is not None and real in out_real.parents:
            raise UsageError("--out is inside a student's submission", where=f"{out} (in {name})",
                             hint="pass an --out outside SUBMISSIONS, or directly in it next to the students' files")
        student, fields, matched = student_of(name, item.is_dir(), pattern, lms)
        if not matched and side_file(item):
            found.skipped.append(name)
            continue
        if pattern is not None and not matched:
            found.unmatched.append(name)
        groups[student].append((item, name, fields))
    taken = set(groups)  # every student's own id; an older duplicate's id#n skips these
    for student, items in sorted(groups.items()):
        can = {p: gradeable(p, archives) for p, _, _ in items}  # each item's folder listed once
        usable = [i for i in items if can[i[0]]]
        found.ignored += [name for p, name, _ in items if usable and not can[p]]
        chosen = usable or items
        chosen.sort(key=lambda i: (-i[0].stat().st_mtime, i[1]))  # newest first
        ids = [student] + [_unused(student, taken) for _ in chosen[1:]]
        for n, ((path, name, fields), ident) in enumerate(zip(chosen, ids)):
            try:
                digest = tree_digest(path)
            except OSError as exc:
                found.problems.append({"where": name, "what": f"unreadable: {exc.strerror or exc}"})
                continue
            graded = _opened(path, name, work, found)
            found.entries.append(Entry(
                id=ident, student=student, path=graded, file=name, digest=digest,
                mtime=path.stat().st_mtime, fields=fields, duplicate_of=student if n else None,
                duplicates=tuple(ids[1:]) if n == 0 else ()))
    return found


def text_name(name: str) -> str:
    """``name`` as valid text. A name that is not UTF-8 (Big5 from a Taiwanese Windows zip) arrives with
    surrogate escapes, which no output can encode: it is read as Big5 (cp950), else UTF-8 with U+FFFD."""
    raw = name.encode("utf-8", "surrogateescape")
    for encoding in ("utf-8", "cp950"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            pass
    return raw.decode("utf-8", "replace")


def _unused(student: str, taken: set[str]) -> str:
    """The next ``student#n`` no other item has: a student may be called ``alice#2`` too."""
    n = 2
    while f"{student}#{n}" in taken:
        n += 1
    taken.add(f"{student}#{n}")
    return f"{student}#{n}"


def _opened(path: Path, name: str, work: Path | None, found: Discovery) -> Path:
    """What to grade for ``path``: the unpacked content of a student's zip, else ``path`` itself.

    A zip that cannot be opened is reported and graded as it is (the loader then
    says it cannot read a .zip), so the student still gets a result.
    """
    if work is None or (zipped := student_archive(path)) is None:
        return path
    where = name if zipped == path else f"{name}/{text_name(zipped.name)}"  # whose zip, not just "hw.zip"
    if found.unpacked_bytes >= BATCH_UNPACK_CAP:
        found.problems.append({"where": where, "what": f"student archive: not opened, the students' zips of this "
                                                       f"run already unpacked to {found.unpacked_bytes:,} bytes "
                                                       f"(cap {BATCH_UNPACK_CAP:,}); unpack it yourself"})
        return path
    try:
        unpacked = unpack_student(zipped, work)
    except Exception as exc:  # never let one student's upload stop the class
        what = exc.message if isinstance(exc, UsageError) else f"{type(exc).__name__}: {exc}"
        found.problems.append({"where": where, "what": f"student archive: {what}"})
        return path
    found.unpacked_bytes += unpacked.size
    # the problem list may be cached from an identical zip of another student: name this one
    found.problems += [{"where": where + ":" + p["where"].split(":", 1)[-1], "what": p["what"]}
                       for p in unpacked.problems]
    return unpacked.root


def submissions_root(folder: Path, out: Path | None = None) -> Path:
    """Step into a lone top-level folder (how most zips are made) unless it is one student's work.

    A lone folder holding exactly one notebook or script is a student's; one holding
    several, or only folders, is a wrapper around the class.
    """
    while (inner := lone_folder(folder, out)) is not None:
        inside = submission_files(inner)
        if len(inside) == 1:
            return folder
        folder = inner
    return folder
