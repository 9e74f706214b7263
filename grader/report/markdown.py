"""A student's feedback as Markdown (``OUT/feedback/<id>.md``): for an LMS comment box or a repo.

Student text is made inert: ``<``/``>``/``&`` become entities (Markdown passes raw
HTML through) and the punctuation that builds links, emphasis or tables is
backslash-escaped, so an answer excerpt cannot turn into markup.
"""

from __future__ import annotations

import html
import re

from grader.report import comparison
from grader.report.common import (ResultLike, as_doc, check_lines, read_and_review, run_notes, shown, student_id,
                                  words)

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|#!{}])")


def escape(text: str) -> str:
    """Inert Markdown on one line: HTML entities, escaped punctuation, newlines as spaces."""
    text = html.escape(text, quote=False)
    return _MD_SPECIAL.sub(r"\\\1", " ".join(text.splitlines()))


_EMPHASIS = {"read": "*", "review": "**"}


def render(result: ResultLike, lang: str | None = None, reveal_hidden: bool = False) -> str:
    doc = as_doc(result, lang)
    w = words(doc)
    title = f"# {w['feedback_for']} {escape(student_id(doc))}"
    lines = [title, "",
             f"**{w['score']}: {shown(doc['score'])} / {shown(doc['max_score'])}** · {w['status']}: `{doc['status']}`"
             f" · {escape(str(doc.get('exercise', '')))}", ""]
    for check in doc["checks"]:
        mark = "✓" if check["passed"] else "✗"
        message, details, hint = check_lines(check, doc, reveal_hidden)
        lines.append(f"- {mark} **{escape(check['title'])}** — {shown(check['points'])}/{shown(check['max_points'])}  ")
        lines.append(f"  {escape(message)}")
        lines.extend(f"  - {escape(d)}" for d in details)
        lines.extend(f"  - {_EMPHASIS[kind]}{escape(text)}{_EMPHASIS[kind]}"
                     for kind, text in read_and_review(check, doc, reveal_hidden))
        if hint:
            lines.append(f"  - *{w['hint']}:* {escape(hint)}")
    for check, shown_model in comparison.sections(doc["checks"], reveal_hidden):
        lines += ["", *comparison.markdown(shown_model, check["title"], doc.get("lang"), escape)]
    notes = run_notes(doc)
    if notes:
        lines += ["", f"## {w['notes']}", ""] + [f"- {escape(n)}" for n in notes]
    return "\n".join(lines) + "\n"
