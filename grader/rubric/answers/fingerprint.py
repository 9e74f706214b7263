"""Recognise a template's text without keeping a copy of it.

A template's lines are stored as short hashes of their *normalised* form
(markup, numbering, case and white space removed). A line of a submission
whose hash is in the set is template text, not the student's; a line that
*starts with* a hashed question prompt is that question's anchor, and what
follows the prompt on the same line is the start of the answer.

A prompt also keeps the hashes of its *shingles*: each pair of neighbouring
tokens (a Chinese character, or a word of letters and digits), punctuation
ignored, one set per sentence of the prompt (a bilingual prompt is copied one
language at a time). They let ``prompts.py`` recognise a partial copy or a
paraphrase of the question anywhere in a line, again without the words
themselves being stored.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from grader.errors import SpecError
from grader.rubric.answers.folding import fold

FORMAT = "keras-grader.fingerprints/1"
# Leading markdown/markup and an enumeration label such as "1.", "(2)", "3、", "Q4:".
_LEAD = re.compile(r"^[\s#>*\-+`|]*(?:(?:q|question|問題|题|題)?\s*\(?\d{1,2}\s*[.、:：)）]\s*)?", re.IGNORECASE)
_TAG = re.compile(r"<[^>]{0,40}>")
_DROP = set(" \t\r\n*_`#>|~\u3000")


def normalise(text: str) -> tuple[str, list[int]]:
    """Return the normalised text and, for each of its characters, the raw index it came from."""
    text = _TAG.sub(lambda m: " " * len(m.group()), text)
    lead = _LEAD.match(text)
    start = lead.end() if lead else 0
    chars: list[str] = []
    where: list[int] = []
    for i in range(start, len(text)):
        for ch in unicodedata.normalize("NFKC", text[i]).lower():
            if ch in _DROP:
                continue
            chars.append(ch)
            where.append(i)
    return "".join(chars), where


def digest(normalised: str) -> str:
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()[:16]


_TOKEN = re.compile(r"[a-z0-9]+|(?:(?![a-z0-9_])\w)")


def tokens(text: str) -> list[tuple[str, int, int]]:
    """(token, start, end) in ``text``: words of ASCII letters and digits, any other letter on its own."""
    text = _TAG.sub(lambda m: " " * len(m.group()), text)
    folded, where = fold(text)
    return [(m.group(), where[m.start()], where[m.end() - 1] + 1) for m in _TOKEN.finditer(folded.lower())]


def shingle(first: str, second: str) -> str:
    return hashlib.sha256(f"{first}\x1f{second}".encode("utf-8")).hexdigest()[:12]


_SENTENCE_END = re.compile(r"\s+/\s+|[?？。!！;；]")


def shingles_of(text: str) -> tuple[frozenset[str], ...]:
    """The pairs of a prompt's text, sentence by sentence (without the number in front of it: students renumber)."""
    parts = []
    for sentence in _SENTENCE_END.split(text):
        words = [t for t, _, _ in tokens(sentence)]
        if len(words) > 1:
            parts.append(frozenset(shingle(a, b) for a, b in zip(words, words[1:])))
    return tuple(parts)


@dataclass(frozen=True)
class QuestionPrint:
    question: int
    chars: int
    sha: str
    shingles: tuple[frozenset[str], ...] = ()  # per sentence

    @property
    def pairs(self) -> frozenset[str]:
        return frozenset().union(*self.shingles)


@dataclass
class Fingerprints:
    lines: set[str] = field(default_factory=set)
    questions: list[QuestionPrint] = field(default_factory=list)

    def is_template(self, text: str) -> bool:
        """Template text, or nothing once normalised (markup, a bare "1.")."""
        norm, _ = normalise(text)
        return not norm or digest(norm) in self.lines

    def has_line(self, text: str) -> bool:
        """``text`` is one of the template's lines (not merely empty once normalised, as "2." is)."""
        norm, _ = normalise(text)
        return bool(norm) and digest(norm) in self.lines

    def question_at(self, text: str) -> tuple[int, str] | None:
        """If ``text`` starts with a known question prompt: (question, rest of the line)."""
        found = self.prompt_span(text)
        return None if found is None else (found[0], text[found[2]:])

    def prompt_span(self, text: str) -> tuple[int, int, int] | None:
        """If ``text`` starts with a known question prompt: (question, where it starts, where it ends) in ``text``."""
        norm, where = normalise(text)
        for q in self.questions:
            if q.chars and len(norm) >= q.chars and digest(norm[: q.chars]) == q.sha:
                return q.question, where[0], where[q.chars - 1] + 1
        return None

    def update(self, other: "Fingerprints") -> None:
        self.lines |= other.lines
        self.questions.extend(other.questions)

    # ------------------------------------------------------------------ files

    @classmethod
    def from_texts(cls, texts: Iterable[str], questions: dict[int, re.Pattern[str]] | None = None) -> "Fingerprints":
        """Fingerprint every line of ``texts``; lines matching ``questions[n]`` become prompts of question n."""
        fp = cls()
        for text in texts:
            for line in text.splitlines():
                norm, where = normalise(line)
                if not norm:
                    continue
                for number, pattern in (questions or {}).items():
                    if pattern.search(line):
                        prompt = QuestionPrint(number, len(norm), digest(norm), shingles_of(line[where[0]:]))
                        if prompt not in fp.questions:
                            fp.questions.append(prompt)
                        break
                else:
                    fp.lines.add(digest(norm))
        return fp

    def dump(self, path: Path, *, provenance: str) -> None:
        doc = {"format": FORMAT, "provenance": provenance,
               "questions": [{"question": q.question, "chars": q.chars, "sha": q.sha,
                              "shingles": [sorted(part) for part in q.shingles]} for q in self.questions],
               "lines": sorted(self.lines)}
        path.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> "Fingerprints":
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise SpecError(f"cannot read fingerprints: {exc}", where=str(path),
                            hint="regenerate it with `python -m grader.tools.fingerprint`") from None
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise SpecError(f"not a fingerprint file (format must be {FORMAT!r})", where=str(path),
                            hint="regenerate it with `python -m grader.tools.fingerprint`")
        try:
            questions = [QuestionPrint(int(q["question"]), int(q["chars"]), str(q["sha"]),
                                       tuple(frozenset(str(x) for x in part) for part in q.get("shingles", ())))
                         for q in doc["questions"]]
            lines = {str(x) for x in doc["lines"]}
        except (KeyError, TypeError, ValueError) as exc:
            raise SpecError(f"malformed fingerprint entry: {exc}", where=str(path)) from None
        return cls(lines=lines, questions=questions)
