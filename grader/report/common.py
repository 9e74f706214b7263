"""Shared by the per-student and class reporters: they all read the JSON contract's dict.

The batch rebuilds every aggregate from ``OUT/results/*.json``, long after the
``GradeResult`` objects are gone, so reporters take the dict that
``json_report.result_to_dict`` produced (and accept a ``GradeResult`` for
convenience). Everything here is text in, text out: no files, no Jupyter.
"""

from __future__ import annotations

import re
from typing import Any, Mapping, Union

from grader.i18n import Message, normalise_lang
from grader.report.json_report import result_to_dict
from grader.rubric.result import GradeResult

Doc = Mapping[str, Any]
ResultLike = Union[GradeResult, Doc]

WORDS = {
    "en": {"score": "Score", "status": "status", "feedback_for": "Feedback for", "hint": "hint",
           "hidden": "hidden check: counted, not shown", "notes": "About the run", "check": "Check",
           "points": "Points", "passed": "passed", "failed": "failed", "run_stopped": "The run stopped early"},
    "zh-TW": {"score": "總分", "status": "狀態", "feedback_for": "評分回饋：", "hint": "提示",
              "hidden": "隱藏的評分項目：計分但不顯示", "notes": "執行狀況", "check": "評分項目",
              "points": "分數", "passed": "通過", "failed": "未通過", "run_stopped": "執行被提前中止"},
}

# Characters XML 1.0 forbids and terminals interpret; student output can carry any of them.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


def as_doc(result: ResultLike, lang: str | None = None) -> Doc:
    """The JSON contract's dict for ``result`` (a ``GradeResult`` is rendered in ``lang``)."""
    if isinstance(result, GradeResult):
        return result_to_dict(result, lang or "en")
    return result


def words(doc: Doc) -> dict[str, str]:
    return WORDS[normalise_lang(doc.get("lang"))]


def clean(text: Any) -> str:
    """``text`` as a string that every output format can hold (control characters become U+FFFD)."""
    return _CONTROL.sub("\ufffd", "" if text is None else str(text))


def fmt(points: float) -> str:
    """Points as data (CSV columns an LMS imports): as computed, up to four decimals."""
    return f"{points:g}"


def shown(points: float) -> str:
    """Points as people read them: at most two decimals (a third of a point is 0.33, not 0.3333)."""
    return f"{round(points, 2):g}"


def check_lines(check: Doc, doc: Doc, reveal_hidden: bool = False) -> tuple[str, list[str], str | None]:
    """(message, details, hint) for one check as the reader may see it: a hidden check says only that."""
    if check.get("hidden") and not reveal_hidden:
        return words(doc)["hidden"], [], None
    return clean(check.get("message")), [clean(d) for d in check.get("details") or ()], \
        (clean(check["hint"]) if check.get("hint") else None)


def evidence_line(check: Doc, doc: Doc, reveal_hidden: bool = False) -> str | None:
    """Where the check read its verdict, in the result's language ("read in cell 9, line 2: “2 層”"), or why it
    found nothing to read; None for checks that read no text of the student's, and for hidden ones."""
    if check.get("hidden") and not reveal_hidden:
        return None
    quote = check.get("evidence")
    if isinstance(quote, Mapping):
        lang = normalise_lang(doc.get("lang"))
        excerpt = clean(quote.get("excerpt"))
        if quote.get("file_line") is not None:
            return Message.of("evidence.read_script", line=quote["file_line"], excerpt=excerpt).render(lang)
        return Message.of("evidence.read", cell=int(quote.get("cell", 0)) + 1, line=quote.get("line", "?"),
                          excerpt=excerpt).render(lang)
    return clean(check["evidence_missing"]) if check.get("evidence_missing") else None


def review_line(check: Doc, doc: Doc, reveal_hidden: bool = False) -> str | None:
    """For a verdict flagged for a human look: that a person will look, and why (None otherwise)."""
    if not check.get("review") or (check.get("hidden") and not reveal_hidden):
        return None
    return Message.of("review.note", reason=clean(check.get("review_reason") or "")).render(
        normalise_lang(doc.get("lang")))


def read_and_review(check: Doc, doc: Doc, reveal_hidden: bool = False) -> list[tuple[str, str]]:
    """("read", where the verdict was read) and ("review", that a person will look), those that apply: every
    renderer shows them under the check's message, each in its own style."""
    found = [("read", evidence_line(check, doc, reveal_hidden)), ("review", review_line(check, doc, reveal_hidden))]
    return [(kind, text) for kind, text in found if text]


def flagged(doc: Doc) -> list[Doc]:
    """The checks of a result flagged for a human look."""
    return [check for check in doc.get("checks") or () if check.get("review")]


def run_notes(doc: Doc) -> list[str]:
    """What the student should know about the run: why it stopped, failed cells, offline datasets.

    The run's own message is the grader's diagnostic, in English. A reader of
    another language gets it only where the localized notes cannot say the
    same: a grader failure, and why a file is unusable when the result has no
    ``reason`` (the same in the result's language; older results lack it). A
    timeout, a limit or a dead kernel is said by the status's note and the
    cells' notes already.
    """
    notes = [clean(n) for n in doc.get("notes") or ()]
    status = doc.get("status")
    if status == "invalid-submission" and doc.get("reason"):  # the file's fault, said in the reader's language
        notes.insert(1 if notes else 0, clean(doc["reason"]))
    elif status != "graded" and doc.get("message") and (normalise_lang(doc.get("lang")) == "en"
                                                        or status in ("invalid-submission", "internal-error")):
        notes.insert(1 if notes else 0, _run_message(status, doc["message"]))  # after the status's note
    return notes


def _run_message(status: str, message: Any) -> str:
    """A run's message as a reader sees it: of a grader failure only the first line (its traceback is
    for the TA, in the JSON result), otherwise all of it (an unusable file's message ends with its hint)."""
    text = clean(message).strip()
    return text.split("\n", 1)[0] if status == "internal-error" else text


def student_id(doc: Doc) -> str:
    """The id the batch graded this result under (``submission`` for a single ``grader check``)."""
    batch = doc.get("batch") or {}
    return clean(batch.get("id") or doc.get("submission") or "?")


def needs_look(doc: Doc, lang: str | None = None) -> list[str]:
    """Why a TA should open this submission by hand, in ``lang``; empty when nothing stands out.

    Status values stay codes (they are the contract's); after them, why a file is
    unusable in the result's language, or else the run's own message: the grader's
    diagnostic, in English.
    """
    def say(key: str, **params: Any) -> str:
        return Message.of(key, **params).render(lang or "en")

    reasons = []
    status = doc.get("status")
    if status != "graded":
        first = clean(doc.get("reason") or doc.get("message") or "").strip().splitlines()
        reasons.append(f"{status}: {first[0][:300]}" if first else str(status))
    if doc.get("output_truncated_bytes"):
        reasons.append(say("look.over_cap", bytes=doc["output_truncated_bytes"]))
    for note in doc.get("notes") or ():
        if any(word in note for word in ("harvest", "forged", "probe")):
            reasons.append(clean(note))  # the probe's channel was tampered with or failed
    for check in flagged(doc):
        reasons.append(say("look.review", id=clean(check["id"]), reason=clean(check.get("review_reason") or "")))
    batch = doc.get("batch") or {}
    if batch.get("duplicate_of"):
        reasons.append(say("look.older", id=clean(batch["duplicate_of"])))
    elif batch.get("duplicates"):
        reasons.append(say("look.several", n=len(batch["duplicates"]) + 1))
    return reasons
