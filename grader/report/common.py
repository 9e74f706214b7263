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


MAX_TRAINING_LINES = 20
_SETTINGS = ("rotation_range", "width_shift_range", "height_shift_range", "shear_range", "zoom_range",
             "channel_shift_range", "brightness_range", "horizontal_flip", "vertical_flip", "rescale",
             "featurewise_center", "featurewise_std_normalization", "samplewise_center", "zca_whitening",
             "preprocessing_function")
_UNSET = (None, False, 0, 0.0, [1.0, 1.0], [0, 0])


def training_lines(doc: Doc, lang: str | None = None) -> list[str]:
    """How the run trained its models (the JSON result's ``trainings`` and ``image_data_generators``), a line each.

    Read from the JSON contract, so every reporter can show it; the first
    ``MAX_TRAINING_LINES`` calls (a grid search makes hundreds).
    """
    lang = normalise_lang(lang or doc.get("lang"))

    def say(key: str, **params: Any) -> str:
        return Message.of(key, **params).render(lang)

    lines = []
    for g in doc.get("image_data_generators") or ():
        config = g.get("config") or {}
        settings = [f"{k}={_short(config[k])}" for k in _SETTINGS if config.get(k) not in _UNSET]
        lines.append(clean(say("training.generator", generator=g.get("uid"), cell=_cell(g.get("cell")),
                               settings=", ".join(settings) or say("training.no_augmentation"))))
    for t in list(doc.get("trainings") or ())[:MAX_TRAINING_LINES]:
        parts = [say("training.call", cell=_cell(t.get("cell")), method=t.get("method"),
                     model="?" if t.get("model") is None else t["model"], source=_source(t.get("data") or {}, say))]
        batch = t.get("first_batch")
        if batch:
            parts.append(say("training.first_batch", x=_tensors(batch.get("x")), y=_tensors(batch.get("y"))))
        callbacks = t.get("callbacks") or ()
        if callbacks:
            parts.append(say("training.callbacks", callbacks=", ".join(_callback(c) for c in callbacks)))
        optimizer = t.get("optimizer")
        if optimizer and optimizer.get("name"):
            rate = optimizer.get("learning_rate")
            rate = "?" if rate is None else f"{rate:g}"
            if optimizer.get("schedule"):
                rate += f" ({optimizer['schedule']})"
            parts.append(say("training.optimizer", name=optimizer["name"], rate=rate))
        asked, ran = t.get("asked") or {}, t.get("ran")
        if ran is not None and str(t.get("method")).startswith("fit"):
            parts.append(say("training.steps", epochs=_unknown(asked.get("epochs")),
                             steps=_unknown(asked.get("steps_per_epoch")), ran_epochs=ran.get("epochs"),
                             ran_steps=ran.get("steps")))
        elif ran is not None:
            parts.append(say("training.batches", steps=_unknown(asked.get("steps_per_epoch")),
                             ran_steps=ran.get("steps")))
        if t.get("error"):
            parts.append(say("training.error", error=t["error"]))
        lines.append(clean("; ".join(parts)))
    return lines


def _source(data: Doc, say: Any) -> str:
    kind = data.get("kind")
    if kind == "arrays":
        return say("training.source.arrays", samples=_unknown(data.get("samples")))
    if kind == "generator":
        return say("training.source.generator", function=data.get("function") or "?")
    if str(kind).startswith("flow"):
        return say("training.source.flow", generator=_unknown(data.get("image_data_generator")), kind=kind,
                   batch=_unknown(data.get("batch_size")))
    if kind == "sequence":
        return say("training.source.sequence", name=data.get("class_name") or "?")
    if kind in ("dataset", "none"):
        return say(f"training.source.{kind}")
    return say("training.source.other", name=data.get("class_name") or "?")


def _tensors(tensors: Any) -> str:
    found = []
    for t in tensors or ():
        shape = "(" + ", ".join("None" if d is None else str(d) for d in t.get("shape") or ()) + ")"
        text = f"{shape} {t.get('dtype')}"
        if t.get("min") is not None and t.get("max") is not None:
            text += f" [{t['min']:.3g}, {t['max']:.3g}]"
        found.append(text)
    return " + ".join(found) or "-"


def _callback(callback: Doc) -> str:
    config = callback.get("config") or {}
    shown_keys = ("monitor", "patience", "factor", "min_lr", "save_best_only", "schedule")
    settings = ", ".join(f"{k}={_short(config[k])}" for k in shown_keys if config.get(k) is not None)
    return f"{callback.get('class_name')}({settings})"


def _short(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _cell(index: Any) -> Any:
    return "?" if index is None else index + 1


def _unknown(value: Any) -> Any:
    return "?" if value is None else value


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
