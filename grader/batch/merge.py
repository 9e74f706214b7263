"""``grader merge``: the OUT folders of ``--shard`` runs back into one, then the outputs rebuilt.

Each input is locked while it is read, so a shard still running is refused
rather than half-copied. Results are copied as they are (atomically); an id
present in two inputs keeps the newer result (the later folder on a tie; a
grader failure never replaces a real result, whatever its age) and,
when the two were graded from different files, is reported as a problem.
Input problems and notices of the shards are combined without repeats; every
shard sees the whole folder, so they list the same ones.
"""

from __future__ import annotations

import os
from typing import Any, Sequence

from grader.batch.aggregate import rebuild
from grader.batch.similarity import copy_written
from grader.batch.store import OutDir
from grader.errors import UsageError


def merge_outs(inputs: Sequence[OutDir], out: OutDir, lms: str | None = None,
               lms_column: str | None = None) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    manifests = []
    for src in inputs:
        if not (src.root / "manifest.json").is_file():
            raise UsageError("not an output folder of `grader grade` (no manifest.json)", where=str(src.root))
        manifests.append(src.manifest())
    exercises = {m.get("exercise") for m in manifests}
    if len(exercises) != 1:
        raise UsageError(f"the folders hold different exercises: {', '.join(sorted(map(str, exercises)))}")
    with out.locked():
        target = out.manifest()
        if target.get("exercise") not in (None, *exercises):
            raise UsageError(f"{out.root} holds results for exercise {target['exercise']!r}", hint="pass another --out")
        problems: list[dict[str, str]] = []
        for src in inputs:
            if os.path.realpath(src.root) == os.path.realpath(out.root):
                continue
            with src.locked():
                problems += _copy_results(src, out)
        first = manifests[0]
        manifest = {**first, "shard": None, "source": [m.get("source") for m in manifests],
                    "lms": lms or first.get("lms"), "lms_column": lms_column or first.get("lms_column"),
                    "problems": _unique(problems + [p for m in manifests for p in m.get("problems") or ()]),
                    "notices": _unique([p for m in manifests for p in m.get("notices") or ()])}
        out.write_manifest(manifest)
        return rebuild(out, manifest), manifest


def _copy_results(src: OutDir, out: OutDir) -> list[dict[str, str]]:
    problems = []
    for doc in src.all_results():
        ident = doc["batch"]["id"]
        mine = out.load_result(ident)
        if mine is not None:
            if _key(mine) != _key(doc):
                problems.append({"where": ident, "what": f"graded from different files in two folders "
                                                         f"(kept the newer; the other is in {src.root})"})
            if _rank(mine) > _rank(doc):
                continue  # on a tie the later folder wins
        out.write_result(doc)
        copy_written(src, out, doc["batch"]["slug"])
    return problems


def _rank(doc: dict[str, Any]) -> tuple[bool, str]:
    """Which of two results of an id to keep: a real one over a grader failure (a crashed node
    says nothing about the student), then the newer."""
    return doc.get("status") != "internal-error", doc["batch"].get("graded_at", "")


def _key(doc: dict[str, Any]) -> str | None:
    return (doc["batch"].get("cache") or {}).get("key")


def _unique(items: list[dict[str, str]]) -> list[dict[str, str]]:
    seen, unique = set(), []
    for item in items:
        key = (item.get("where"), item.get("what"))
        if key not in seen:
            seen.add(key)
            unique.append(item)
    return unique
