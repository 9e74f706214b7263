"""The OUT folder: per-student results written atomically, the cache key, and the run lock.

Layout::

    OUT/.lock                 flock'ed by the running ``grader grade``/``merge``; holds its pid
    OUT/manifest.json         what this OUT holds: exercise, LMS layout, input problems, duplicates
    OUT/results/<slug>.json   one per submission: the JSON contract + a ``batch`` section (id, file,
                              cache key, graded_at); written the moment the submission is graded
    OUT/feedback/<slug>.md    what the student reads (also .html)
    OUT/grades.csv, junit.xml, report.html   rebuilt from results/*.json at the end of every run
    OUT/.work/                unpacked archives (hidden from the sandbox with the rest of OUT)

Every file is written to a temporary name in the same folder, fsync'ed, then
``os.replace``'d: a reader (or a run killed with SIGKILL) sees the old file or
the new one, never half of one. ``<slug>`` is the id when it is a safe file
name, else a cleaned id plus a short hash of the real one.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import re
import socket
import time
from pathlib import Path
from typing import Any, Iterator, Mapping

from grader import __version__
from grader.errors import UsageError

RESULTS, FEEDBACK, WORK, MANIFEST, LOCK = "results", "feedback", ".work", "manifest.json", ".lock"
_SAFE = re.compile(r"^[\w][\w.@+#-]*$")
SAFE_BYTES = 100  # a file name's limit (255 on most file systems) is in bytes: '王' takes 3
_UNSAFE_CHARS = re.compile(r"[^\w.@+#-]")


def slug(ident: str) -> str:
    """A file name for ``ident`` that cannot escape its folder or collide with another id's."""
    raw = ident.encode("utf-8", "surrogatepass")
    if len(raw) <= SAFE_BYTES and _SAFE.fullmatch(ident) and not ident.endswith((".tmp", ".")):
        return ident
    cleaned = _UNSAFE_CHARS.sub("_", ident).lstrip(".").encode()[:60].decode("utf-8", "ignore") or "id"
    return f"{cleaned}~{hashlib.sha256(raw).hexdigest()[:8]}"


def atomic_write(path: Path, data: str | bytes, durable: bool = True) -> None:
    """Replace ``path`` with ``data`` in one step (temp file in the same folder, rename).

    ``durable`` also fsyncs before the rename, so the data survives a power cut: for
    results; derived outputs, rebuilt every run, skip it.
    """
    raw = data.encode("utf-8", "replace") if isinstance(data, str) else data  # a lone surrogate: "?", not a crash
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{time.monotonic_ns()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def cache_key(submission_digest: str, exercise_id: str, exercise_digest: str, lang: str,
              cell_timeout: float | None) -> dict[str, Any]:
    """What a stored result depends on; any change means the submission is graded again."""
    fields = {"submission_sha256": submission_digest, "exercise": exercise_id, "exercise_digest": exercise_digest,
              "grader_version": __version__, "lang": lang, "cell_timeout": cell_timeout}
    fields["key"] = hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()
    return fields


class OutDir:
    """One OUT folder. Use ``with out.locked():`` around anything that writes."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.results = self.root / RESULTS
        self.feedback = self.root / FEEDBACK
        self.work = self.root / WORK
        self._lock_fd: int | None = None

    @contextlib.contextmanager
    def locked(self) -> Iterator["OutDir"]:
        """Hold OUT for this process; a second run gets a clear error naming the first one's pid."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except FileExistsError:
            raise UsageError("--out names a file, not a folder", where=str(self.root),
                             hint="pass a new or existing folder for the results (the file is left as it is)") from None
        except OSError as exc:
            raise UsageError(f"cannot create the output folder: {exc.strerror}", where=str(self.root),
                             hint="pass a folder you can write to") from None
        fd = os.open(self.root / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "unknown"
            os.close(fd)
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise
            raise UsageError(f"another grader run is using this folder ({holder})", where=str(self.root),
                             hint="wait for it to finish, or pass another --out") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()}, since {time.strftime('%Y-%m-%d %H:%M:%S')}\n"
                  .encode(), 0)
        self._lock_fd = fd
        try:
            self._sweep_temp_files()
            yield self
        finally:
            self._lock_fd = None
            os.close(fd)  # closing releases the flock; the file stays (deleting it would race)

    def _sweep_temp_files(self) -> None:
        """Temp files of a run that was killed mid-write: never complete, safe to drop under the lock."""
        for folder in (self.root, self.results, self.feedback):
            if folder.is_dir():
                for tmp in folder.glob(".*.tmp"):
                    with contextlib.suppress(OSError):
                        tmp.unlink()

    # ---- per-student results

    def result_path(self, ident: str) -> Path:
        return self.results / f"{slug(ident)}.json"

    def load_result(self, ident: str) -> dict[str, Any] | None:
        return read_json(self.result_path(ident))

    def write_result(self, doc: Mapping[str, Any]) -> Path:
        path = self.result_path(doc["batch"]["id"])
        atomic_write(path, json.dumps(doc, ensure_ascii=False, indent=2) + "\n")
        return path

    def all_results(self) -> list[dict[str, Any]]:
        """Every readable result, sorted by id; unreadable files are skipped (they are regraded)."""
        docs = [read_json(p) for p in sorted(self.results.glob("*.json"))] if self.results.is_dir() else []
        return sorted((d for d in docs if d and isinstance(d.get("batch"), dict) and "id" in d["batch"]),
                      key=lambda d: _id_order(d["batch"]["id"]))

    # ---- the manifest

    def manifest(self) -> dict[str, Any]:
        return read_json(self.root / MANIFEST) or {}

    def write_manifest(self, manifest: Mapping[str, Any]) -> None:
        atomic_write(self.root / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n")

    def write_text(self, relative: str, text: str) -> None:
        atomic_write(self.root / relative, text)


def _id_order(ident: str) -> tuple[str, int]:
    """Sort ``12#2`` right after ``12``."""
    base, _, n = ident.partition("#")
    return (base, int(n) if n.isdigit() else 0)


def read_json(path: Path) -> dict[str, Any] | None:
    """A JSON object from ``path``; None if it is missing, unreadable or not an object."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) else None


def file_digest(path: Path) -> str:
    """sha256 of a file's bytes, read in chunks (an archive may be large)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def host() -> str:
    return socket.gethostname()
