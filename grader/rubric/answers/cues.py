"""The cues a reader uses to see where a written answer starts: a question's number and an answer marker.

Numbers come in every form students type: ``1.``, ``2、``, ``3)``, ``(4)``, ``Q1``, ``Q.2:``,
``第三題``, ``作業１``, ``問題 2``, ``①``, ``1.ans:``, ``2 答：``, with full-width digits or Chinese
numerals. Markers are ``答：``, ``Ans:``, ``A:``, ``[Answer]:``, ``=>``, ``→``. Everything here reads
one line of text and returns positions in that line as it was written, so that pieces cut at
them quote the student's own characters.

A number in the middle of a line is a label only where a reader would take it for one: a word
form (``Q2``, ``第二題``) or a marker right after it (``2) 答：``), or the next number of a list the
line already started (``1) ... 2) ... 3) ...``, ``1. ...；2. ...``); ``第 37、38 行`` and
``(3, 3)`` are not labels.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from grader.rubric.answers.folding import fold
from grader.rubric.answers.matchers import han_number

_NUM = r"(?P<num>\d{1,2}|[一二三四五六七八九十]{1,2})(?![\d一二三四五六七八九十])"
# words students put before a question's number (after NFKC: full-width letters are ASCII)
_WORD = r"(?:q(?:uestion|ues)?s?|exercise|問題|问题|題目|题目|作業|作业|習題|习题|練習|练习|no\.)"
_MARKER_WORD = r"(?:答案?|解答|回答|作答|answers?|ans|a(?=\s*[:.]))"
_AFTER = re.compile(r"[\s.、:)\]】\-–>→=]*")  # the punctuation between a label (or marker) and what follows it
_FORMS = {
    "word": rf"(?<![a-z]){_WORD}\s*[.#]?\s*{_NUM}(?:\s*[題题])?(?![a-z0-9])",
    "ordinal": rf"第\s*{_NUM}\s*(?:題|题|問|问|小題|小题)",
    "paren": rf"[(\[【]\s*{_NUM}\s*[)\]】]",
    "punct": rf"{_NUM}\s*(?P<punct>[.、:)]|->|→)",
    "marked": rf"{_NUM}\s*(?={_MARKER_WORD}\s*[:.\s])",
    # a letter or two stuck to the number, as exercises number their questions: "A1:", "P2.", "Ex3:", "ans4."
    "lettered": rf"(?<![a-z])(?:ans\s?|[a-z]{{1,2}}){_NUM}\s*(?P<punct>[.、:)])",
}
_LABEL = re.compile("|".join(
    f"(?P<{name}>{form.replace('?P<num>', f'?P<{name}_num>').replace('?P<punct>', f'?P<{name}_punct>')})"
    for name, form in _FORMS.items()), re.IGNORECASE)
_MARKUP = re.compile(r"[\s#>*\-+`|_~]*")
_MARKER = re.compile(rf"(?:[\s>*#\-/]*[\[(【]?\s*{_MARKER_WORD}\s*[\])】]?[\s*/]*[:.]\s*"
                     r"|[\s>*#\-/]*(?:答案?(?:是|為|为)?(?![對对錯错])\s*|=+>|-+>|→|⇒|➔|➜)\s*)+", re.IGNORECASE)
_MARKER_HEAD = re.compile(rf"[\[(【]?\s*{_MARKER_WORD}\s*[\])】]?\s*[:.\s]|答", re.IGNORECASE)
_FENCE = re.compile(r"^\s*(?:```|~~~)[\w+-]*\s*$")
# a line of nothing but punctuation and the words of a marker or a table's header ("# Ans", "答案：", "| 題號 | 答案 |")
_EMPTY = re.compile(r"^[\W_]*(?:(?:答案?|解答|回答|作答|answers?|ans|a|題號|题号|題目|题目|問題|问题|questions?)"
                    r"(?![^\W\d_])[\W_]*)*$", re.IGNORECASE)
# What may sit right before a label in the middle of a line: not a letter, digit, "_" or "." ("Conv2D", "1.5").
_BEFORE_MIDDLE = re.compile(r"[^0-9A-Za-z_.]")


@dataclass(frozen=True)
class Label:
    """A question's number written in a line: ``start`` where the label begins, ``end`` where its content does."""

    number: int
    start: int
    end: int
    form: str  # word, ordinal, paren, punct, marked, lettered
    punct: str = ""  # for "punct": the character after the number (a list keeps it: 1) 2) 3))
    tight: bool = False  # "3.2層": a digit right after the dot, a label only as the next number of a list

    @property
    def strong(self) -> bool:
        """A word or ordinal label names a question wherever it stands; a bare number needs context."""
        return self.form in ("word", "ordinal")


def _number(text: str) -> int:
    return int(text) if text.isdigit() else han_number(text)


def _label_at(folded: str, pos: int) -> Label | None:
    """The label starting exactly at ``pos`` of ``folded`` (positions in ``folded``)."""
    match = _LABEL.match(folded, pos)
    if match is None:
        return None
    form = next(name for name in _FORMS if match.group(name) is not None)
    punct = (match.group(f"{form}_punct") or "") if form in ("punct", "lettered") else ""
    end = match.end()
    end += len(_AFTER.match(folded, end).group())
    return Label(_number(match.group(f"{form}_num")), pos, end, form, punct)


def _decimal(label: Label, folded: str) -> bool:
    """``3.2`` in the middle of a line: a decimal point, unless it is a list's next number ("１．有；２．２層")."""
    return label.punct == "." and folded[label.end - 1] == "." and folded[label.end:label.end + 1].isdigit()


def _in_text(label: Label, where: list[int], tight: bool = False) -> Label:
    return Label(label.number, where[label.start], where[label.end], label.form, label.punct, tight)


def leading_label(text: str) -> Label | None:
    """The question number a line starts with (after markup such as ``#``, ``>``, ``-``, ``**``)."""
    folded, where = fold(text)
    label = _label_at(folded, _MARKUP.match(folded).end())
    # At the start of a line "3.2層" may be question 3 answered "2層", as students type it, or a decimal: the
    # label is tight, and the lines around it decide. "v2.0" is a version.
    if label is None or (label.form == "lettered" and _decimal(label, folded)):
        return None
    return _in_text(label, where, tight=_decimal(label, folded))


def labels(text: str) -> list[Label]:
    """Every question label in a line, in order: the leading one, then those a reader sees mid-line."""
    folded, where = fold(text)
    first = leading_label(text)
    found: list[Label] = [first] if first is not None else []
    pos = where.index(first.end) if first is not None else 0
    previous = _label_at(folded, _MARKUP.match(folded).end()) if first is not None else None
    while pos < len(folded):
        label = _label_at(folded, pos) if pos > 0 and _BEFORE_MIDDLE.match(folded[pos - 1]) else None
        if label is None or label.end >= len(folded.rstrip()):  # "see Q2." names a question, answers nothing
            pos += 1
            continue
        continues = (previous is not None and label.form == previous.form and label.form in ("punct", "paren")
                     and label.punct == previous.punct and label.number == previous.number + 1)
        if (label.strong or label.form == "marked" or _MARKER_HEAD.match(folded, label.end)) \
                and not _decimal(label, folded) or continues:
            found.append(_in_text(label, where))
            previous = label
            pos = label.end
        else:
            pos += 1
    return found


def strip_marker(text: str) -> tuple[str, bool]:
    """``text`` without the answer markers it starts with ("答 / Answer:", "Ans.", "=>"), and whether it had any."""
    folded, where = fold(text)
    match = _MARKER.match(folded)
    if match is None or not match.group().strip():
        return text, False
    return text[where[match.end()]:], True


def has_marker(text: str) -> bool:
    return strip_marker(text)[1]


def find_marker(text: str, start: int = 0) -> int | None:
    """Where the content after the first answer marker at or after ``start`` begins (``答：``, ``Ans:``), or None."""
    folded, where = fold(text)
    pattern = re.compile(rf"[\[(【]?\s*{_MARKER_WORD}\s*[\])】]?\s*[:.]\s*|答案?\s*|=+>\s*|→\s*", re.IGNORECASE)
    first = where.index(start) if start in where else len(folded)
    for match in pattern.finditer(folded, first):
        if match.start() > 0 and re.match(r"[a-z0-9]", folded[match.start() - 1], re.IGNORECASE):
            continue  # the "a:" of "data:" is no marker
        return where[match.end()]
    return None


def is_filler(text: str) -> bool:
    """Nothing a student answered: empty, punctuation, a bare marker ("答 / Answer:"), a code fence."""
    if _FENCE.match(text):
        return True
    rest, _ = strip_marker(text)
    return bool(_EMPTY.match(unicodedata.normalize("NFKC", rest)))
