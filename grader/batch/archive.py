"""Unpack an LMS bulk download (.zip) without trusting it.

A member is refused, reported, and the rest unpacked, when it: climbs out of
the folder (``..``), is absolute or has a drive letter, is a symlink or a
device, is encrypted, claims a size over the per-member cap, compresses better
than ``max_ratio`` (a zip bomb), or would take the total over ``max_total``.
Sizes are enforced on the bytes actually inflated, not on the header's claim.
The whole archive is refused (``UsageError``) when it is unreadable or holds
more than ``max_members`` entries. Files are created fresh (``O_EXCL``), never
executable, never through a link; their zip timestamps are kept so "newest"
means what the student's upload order says.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import lzma
import os
import re
import shutil
import stat
import time
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from grader.batch.store import file_digest
from grader.errors import UsageError

JUNK = {"__MACOSX", ".DS_Store", "Thumbs.db", "desktop.ini"}
_DRIVE = re.compile(r"^[A-Za-z]:")
_CHUNK = 1 << 16
_DONE = ".unpacked.json"


@dataclass(frozen=True)
class ZipLimits:
    max_members: int = 20_000
    max_total: int = 4 * 1024**3
    max_member: int = 512 * 1024**2
    max_ratio: float = 200.0
    ratio_floor: int = 1024**2  # small members may compress well (a notebook of zeros) without being a bomb


@dataclass
class Unpacked:
    root: Path
    files: int = 0
    problems: list[dict[str, str]] = field(default_factory=list)
    size: int = 0  # bytes written


def member_path(name: str) -> PurePosixPath:
    """The member's path inside the destination; ``ValueError`` says why it is refused."""
    if "\x00" in name:
        raise ValueError("NUL byte in the name")
    unified = name.replace("\\", "/")
    if unified.startswith("/") or _DRIVE.match(unified):
        raise ValueError("absolute path")
    parts = [p for p in unified.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise ValueError("path climbs out of the archive (..)")
    if not parts:
        raise ValueError("empty name")
    return PurePosixPath(*parts)


def unpack(archive: Path, dest: Path, limits: ZipLimits = ZipLimits()) -> Unpacked:
    """Unpack ``archive`` into ``dest`` (created; must not exist), reporting what was refused."""
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UsageError(f"not a readable zip archive: {exc}", where=str(archive)) from None
    result = Unpacked(root=dest)
    dest.mkdir(parents=True)
    with zf:
        infos = zf.infolist()
        if len(infos) > limits.max_members:
            raise UsageError(f"the archive holds {len(infos):,} entries, over the limit of {limits.max_members:,}",
                             where=str(archive), hint="unpack it yourself and pass the folder")
        total, seen = 0, set[PurePosixPath]()
        for info in infos:
            try:
                rel = member_path(info.filename)
                if rel.parts[0] in JUNK or rel.name in JUNK:
                    continue
                if info.is_dir():
                    _safe_mkdir(dest, rel)
                    continue
                _check_header(info, limits, total)
                if rel in seen:
                    raise ValueError("a second member with the same name")
                seen.add(rel)
                total += _extract(zf, info, dest, rel, limits, limits.max_total - total)
                result.files, result.size = result.files + 1, total
            except (ValueError, OSError, EOFError, zlib.error, lzma.LZMAError, zipfile.BadZipFile,
                    NotImplementedError, RuntimeError) as exc:  # a corrupt member: refuse it, keep the rest
                result.problems.append({"where": f"{archive.name}:{info.filename}", "what": f"refused: {exc}"})
    return result


def _check_header(info: zipfile.ZipInfo, limits: ZipLimits, total: int) -> None:
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        raise ValueError("symbolic link")
    if mode and stat.S_IFMT(mode) and not stat.S_ISREG(mode):
        raise ValueError("not a regular file")
    if info.flag_bits & 0x1:
        raise ValueError("encrypted")
    if info.file_size > limits.max_member:
        raise ValueError(f"{info.file_size:,} bytes, over the per-file limit of {limits.max_member:,}")
    if info.file_size > limits.ratio_floor and info.file_size > limits.max_ratio * max(info.compress_size, 1):
        ratio = info.file_size / max(info.compress_size, 1)
        raise ValueError(f"compression ratio {ratio:,.0f}:1 is over {limits.max_ratio:g}:1 (zip bomb?)")
    if total + info.file_size > limits.max_total:
        raise ValueError(f"the archive would unpack to more than {limits.max_total:,} bytes")


def _safe_mkdir(dest: Path, rel: PurePosixPath) -> Path:
    """Create the folders of ``rel`` under ``dest`` one by one, refusing any that is not a real folder."""
    current = dest
    for part in rel.parts:
        current = current / part
        try:
            current.mkdir(mode=0o755)
        except FileExistsError:
            if current.is_symlink() or not current.is_dir():
                raise ValueError(f"{part!r} is both a file and a folder") from None
    return current


def _extract(zf: zipfile.ZipFile, info: zipfile.ZipInfo, dest: Path, rel: PurePosixPath,
             limits: ZipLimits, budget: int) -> int:
    folder = _safe_mkdir(dest, rel.parent) if rel.parent.parts else dest
    target = folder / rel.name
    cap = min(info.file_size, limits.max_member, budget)
    written = 0
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    try:
        with os.fdopen(fd, "wb") as out, zf.open(info) as src:
            while chunk := src.read(_CHUNK):
                written += len(chunk)
                if written > cap:  # the header lied about the size
                    raise ValueError(f"inflates past its declared {info.file_size:,} bytes (zip bomb?)")
                out.write(chunk)
    except BaseException:
        with contextlib.suppress(OSError):
            target.unlink()
        raise
    with contextlib.suppress(ValueError, OverflowError, OSError):
        stamp = time.mktime(info.date_time + (0, 0, -1))
        os.utime(target, (stamp, stamp))
    return written


# A student's own upload is one homework, not a class: much smaller caps than a bulk download.
STUDENT_LIMITS = ZipLimits(max_members=2_000, max_total=512 * 1024**2, max_member=256 * 1024**2)


def unpack_student(archive: Path, work: Path) -> Unpacked:
    """Unpack a student's own ``.zip`` (found among the submissions) and step into its lone wrapper folders.

    Opened one level deep only: a zip inside it stays a file (and the loader
    says it cannot grade it). Cached by content like a class archive.
    """
    unpacked = unpack_cached(archive, work, STUDENT_LIMITS)
    while (inner := lone_folder(unpacked.root)) is not None:
        unpacked.root = inner
    return unpacked


def lone_folder(folder: Path, out: Path | None = None) -> Path | None:
    """The one real folder that is all ``folder`` holds (hidden files, OS junk and OUT aside), else None."""
    items = [p for p in folder.iterdir() if not p.name.startswith(".") and p.name not in JUNK and not _same(p, out)]
    if len(items) != 1 or not items[0].is_dir() or items[0].is_symlink():
        return None
    return items[0]


def _same(path: Path, other: Path | None) -> bool:
    return other is not None and path.resolve() == other.resolve()


def _limits_tag(limits: ZipLimits) -> str:
    """Part of the cache key: the same archive unpacked under other caps may keep other members."""
    return hashlib.sha256(repr(limits).encode()).hexdigest()[:8]


def unpack_cached(archive: Path, work: Path, limits: ZipLimits = ZipLimits()) -> Unpacked:
    """Unpack into ``work/<digest of the archive>`` once; a re-run reuses it (and its problem list)."""
    dest = work / "unpacked" / f"{file_digest(archive)[:20]}-{_limits_tag(limits)}"
    marker = dest / _DONE
    if marker.is_file():
        with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
            saved = json.loads(marker.read_text(encoding="utf-8"))
            return Unpacked(root=dest / "files", files=saved["files"], problems=saved["problems"],
                            size=saved.get("size", 0))
    if dest.exists():
        shutil.rmtree(dest)  # an unpack that was interrupted: start again
    result = unpack(archive, dest / "files", limits)
    marker.write_text(json.dumps({"files": result.files, "problems": result.problems, "size": result.size}),
                      encoding="utf-8")
    return result
