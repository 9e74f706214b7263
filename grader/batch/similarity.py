"""Which students handed in the same work: pairs above a threshold, with the passages they share.

For the TA's eyes only (``report.html``, the summary, ``OUT/similarity.json``);
it never changes a score. What is compared is what each student *wrote*: their
code, and their prose (markdown, comments, strings), with every line of the
exercise's template and of the course's fingerprinted template removed, and
then every passage that more than a few students share (a correct short answer,
a snippet the whole class pasted from the lesson): sharing those says nothing.

The fingerprinting is copydetect's (the winnowing of MOSS: hashed k-grams of
the text, code tokenised by Pygments so that renamed variables still match),
used through its ``CodeFingerprint``/``compare_files`` API. Two choices of ours:
every k-gram is kept (window 1: copydetect hashes with Python's ``hash``, whose
seed changes per process, so winnowing would select different fingerprints on
each run and the report would change with nothing graded again), and the
class-common fingerprints are removed from each document before comparing.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import logging
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

from grader.errors import SubmissionError
from grader.batch.store import read_json
from grader.rubric.answers.fingerprint import Fingerprints, normalise

DEFAULT_THRESHOLD = 0.5  # of one student's written text found in the other's
NOISE = 25  # characters of a k-gram (after code is tokenised): shorter runs are coincidence
MIN_SHARED = 80  # characters shared at the least: two identical one-line answers are not a pair
COMMON_SHARE = 0.2  # a fingerprint in more than this share of the class (and in at least 4 students) is common
MAX_PASSAGES, MAX_PASSAGE = 8, 600


@dataclass(frozen=True)
class Written:
    """One student's own text: code and prose, template lines removed."""

    id: str
    code: str
    prose: str


@dataclass(frozen=True)
class Pair:
    a: str
    b: str
    similarity_a: float  # share of a's written text found in b's
    similarity_b: float
    shared: int  # characters of a's text in shared passages
    passages_a: list[str] = field(default_factory=list)
    passages_b: list[str] = field(default_factory=list)

    @property
    def similarity(self) -> float:
        return max(self.similarity_a, self.similarity_b)


def template_prints(exercise: Any) -> Fingerprints:
    """The lines no student wrote: the exercise's template and the course's fingerprinted one."""
    prints = Fingerprints()
    if exercise.answers is not None:
        prints.update(exercise.answers.fingerprints)
    if exercise.template is not None:
        from grader.submission.loader import load_submission

        try:
            prints.update(Fingerprints.from_texts(cell.source for cell in load_submission(exercise.template).cells))
        except SubmissionError:
            pass  # a spec that loads has a readable template; nothing to remove otherwise
    return prints


def written(ident: str, path: Path, prints: Fingerprints) -> Written | None:
    """What ``path`` holds that the student wrote; None if it cannot be read (its result says why)."""
    from grader.submission.loader import load_submission
    from grader.submission.prose import prose_lines

    try:
        submission = load_submission(path)
    except SubmissionError:
        return None
    code = [line for cell in submission.code_cells for line in cell.source.splitlines()
            if line.strip() and not prints.is_template(line)]
    prose = []
    for line in prose_lines(submission):
        prompt = prints.question_at(line.text)
        text = prompt[1] if prompt else line.text  # a question's prompt is the template's, its answer is not
        if text.strip() and not prints.is_template(text):
            prose.append(text)
    return Written(ident, "\n".join(code), "\n".join(prose))


def without_common_lines(texts: Sequence[Written], limit: int) -> list[Written]:
    """Each text without the lines (as normalised) that more than ``limit`` students have: what a class pasted."""
    def lines(text: str) -> set[str]:
        return {normalise(line)[0] for line in text.splitlines()}

    counts: Counter[str] = Counter(line for t in texts for line in lines(t.code) | lines(t.prose))
    common = {line for line, n in counts.items() if n > limit}

    def keep(text: str) -> str:
        return "\n".join(line for line in text.splitlines() if normalise(line)[0] not in common)

    return [Written(t.id, keep(t.code), keep(t.prose)) for t in texts]


def similar_pairs(texts: Sequence[Written], threshold: float = DEFAULT_THRESHOLD) -> tuple[list[Pair], int]:
    """Pairs whose similarity reaches ``threshold``, most similar first; and how many fingerprints were common."""
    from copydetect import CodeFingerprint
    from copydetect.utils import get_token_coverage

    root = logging.getLogger()
    if _quiet_copydetect not in root.filters:
        root.addFilter(_quiet_copydetect)
    limit = max(3, int(COMMON_SHARE * len(texts)))
    prints = {}
    for text in without_common_lines(texts, limit):
        prints[text.id] = (
            CodeFingerprint("code.py", NOISE, 1, fp=io.StringIO(text.code), language="python") if text.code else None,
            CodeFingerprint("prose.txt", NOISE, 1, fp=io.StringIO(text.prose), filter=False) if text.prose else None)
    counts: Counter[int] = Counter(h for fps in prints.values() for fp in fps if fp is not None for h in fp.hashes)
    common = {h for h, n in counts.items() if n > limit}
    for fps in prints.values():
        for fp in fps:
            if fp is not None and common & fp.hashes:
                fp.hashes -= common
                fp.hash_idx = {h: i for h, i in fp.hash_idx.items() if h not in common}
                fp.token_coverage = get_token_coverage(fp.hash_idx, fp.k, len(fp.filtered_code))
    pairs = []
    for a, b in itertools.combinations(sorted(prints), 2):
        pair = _compare(a, b, prints[a], prints[b])
        if pair is not None and pair.shared >= MIN_SHARED and pair.similarity >= threshold:
            pairs.append(pair)
    pairs.sort(key=lambda p: (-p.similarity, p.a, p.b))
    return pairs, len(common)


def _compare(a: str, b: str, prints_a: tuple, prints_b: tuple) -> Pair | None:
    from copydetect import compare_files

    shared_a = shared_b = total_a = total_b = 0
    passages_a: list[str] = []
    passages_b: list[str] = []
    for fp_a, fp_b in zip(prints_a, prints_b):
        total_a += fp_a.token_coverage if fp_a is not None else 0
        total_b += fp_b.token_coverage if fp_b is not None else 0
        if fp_a is None or fp_b is None or not fp_a.hashes & fp_b.hashes:
            continue
        overlap, (_, share_b), (slices_a, slices_b) = compare_files(fp_a, fp_b)
        if not overlap:
            continue
        shared_a += int(overlap)
        shared_b += round(share_b * fp_b.token_coverage)
        passages_a += _passages(fp_a.raw_code, slices_a)
        passages_b += _passages(fp_b.raw_code, slices_b)
    if not shared_a or not total_a or not total_b:
        return None
    return Pair(a, b, round(min(shared_a / total_a, 1.0), 3), round(min(shared_b / total_b, 1.0), 3), shared_a,
                passages_a[:MAX_PASSAGES], passages_b[:MAX_PASSAGES])


def _passages(text: str, slices: Any) -> list[str]:
    out = []
    for start, end in zip(*slices):
        passage = text[int(start):int(end)].strip()
        if passage:
            out.append(passage if len(passage) <= MAX_PASSAGE else passage[:MAX_PASSAGE] + " …")
    return out


def _quiet_copydetect(record: logging.LogRecord) -> bool:
    """copydetect logs a warning for every text it does not tokenise (prose, by design here)."""
    return "not tokenize" not in record.getMessage()


def to_doc(pairs: Sequence[Pair], threshold: float, compared: int, common: int) -> dict[str, Any]:
    """``OUT/similarity.json``: the settings, how many students were compared, the pairs."""
    return {"threshold": threshold, "noise": NOISE, "min_shared": MIN_SHARED, "compared": compared,
            "common_fingerprints": common, "pairs": [asdict(p) | {"similarity": p.similarity} for p in pairs]}



FILE, WRITTEN = "similarity.json", "written"


def store_written(out: Any, entries: Sequence[Any], exercise: Any) -> None:
    """Keep each newest hand-in's own text in ``OUT/written/<slug>.json`` (unless already kept for these bytes).

    Stored, like the results, so that the comparison is rebuilt from OUT alone:
    by every run, and by ``grader merge`` over the shards' folders.
    """
    import json

    from grader.batch.store import atomic_write, slug

    prints = None
    folder = out.root / WRITTEN
    for entry in entries:
        if entry.duplicate_of is not None:
            continue
        path = folder / f"{slug(entry.id)}.json"
        stored = read_json(path)
        if stored is not None and stored.get("digest") == entry.digest and stored.get("id") == entry.id:
            continue
        prints = prints if prints is not None else template_prints(exercise)
        text = written(entry.id, entry.path, prints) or Written(entry.id, "", "")
        atomic_write(path, json.dumps({"id": entry.id, "digest": entry.digest, "code": text.code,
                                       "prose": text.prose}, ensure_ascii=False), durable=False)


def copy_written(src: Any, out: Any, slug_name: str) -> None:
    """``grader merge``: a shard's kept text goes along with the result it belongs to."""
    from grader.batch.store import atomic_write

    source = src.root / WRITTEN / f"{slug_name}.json"
    if source.is_file():
        atomic_write(out.root / WRITTEN / source.name, source.read_bytes(), durable=False)


def rebuild(out: Any, docs: Sequence[Mapping[str, Any]], settings: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """``OUT/similarity.json`` from the kept texts of the students in ``docs`` (None and no file when off)."""
    import json

    from grader.batch.store import atomic_write

    target = out.root / FILE
    if settings is None:
        with contextlib.suppress(OSError):
            target.unlink()  # an earlier run's pairs would not match this one's
        return None
    threshold = float(settings.get("threshold", DEFAULT_THRESHOLD))
    texts = []
    for doc in docs:
        batch = doc.get("batch") or {}
        stored = None if batch.get("duplicate_of") else read_json(out.root / WRITTEN / f"{batch.get('slug')}.json")
        if stored is not None and stored.get("id") == batch.get("id"):
            texts.append(Written(str(stored["id"]), str(stored.get("code") or ""), str(stored.get("prose") or "")))
    pairs, common = similar_pairs(texts, threshold)
    result = to_doc(pairs, threshold, len(texts), common)
    text = json.dumps(result, ensure_ascii=False, indent=1)
    with contextlib.suppress(OSError):
        if target.read_text(encoding="utf-8") == text:
            return result
    atomic_write(target, text, durable=False)
    return result


def load(out: Any) -> dict[str, Any] | None:
    """The stored comparison, if this OUT has one (``--no-similarity`` leaves none)."""
    doc = read_json(out.root / FILE)
    return doc if doc is not None and isinstance(doc.get("pairs"), list) else None
