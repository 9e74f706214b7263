"""Matchers: small, declarative tests of an answer's text.

Each kind is registered by name, parsed from the spec's table, and can write
itself back (``to_spec``) — a round trip tested for every kind at once.

* ``{regex = "(?i)adadelta"}``: the pattern occurs in the answer.
* ``{number = 1199882}``: some number in the answer equals it ("1,199,882",
  "1199882", "兩", "two" all count; digits inside words such as Conv2D do not).
* ``{lines = [37, 38], slack = 3}``: the answer names a line (or a range of
  lines) covering one of the target lines, and no wider than the targets plus
  ``slack`` on either side ("35~38" passes, "26~45" does not).

A matcher also says whether an answer it did not accept still *says something of
its kind* (``recognises``: a number for ``number``, a line for ``lines``): an answer
that does is a clear wrong answer; one that does not ("see above", "有") is
unclear, and a person should look.

A comment answer can point at the code below it instead of naming it: for a
question answered by ``lines`` (``answered_by_pointing``), "答：有" above
``x_train /= 255`` is read together with that code, by the matchers that read
code (``reads_code``: ``regex``; the numbers in code are nobody's count). The
answer check does so only when the words alone say nothing of the kind asked.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Callable, ClassVar

from grader.errors import SpecError
from grader.i18n import number

_WORD_NUMBERS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10,
}
_NUMBER = re.compile(
    r"(?<![A-Za-z0-9_.])(\d+)\s*[萬万]\s*(\d{1,4})?(?![A-Za-z0-9_])"  # 119萬9882
    r"|(?<![A-Za-z0-9_.])(\d{1,3}(?:,\d{3})+|\d{1,3}(?: \d{3}){2,}|\d+)(?![A-Za-z0-9_])"  # 1,199,882, 1 199 882
    r"|\b(zero|one|two|three|four|five|six|seven|eight|nine|ten)\b"
    r"|([零〇一二兩两三四五六七八九十百千萬万]+)(?![維维])", re.IGNORECASE)  # not the 二 of 二維 (2-D)
_HAN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "兩": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
               "八": 8, "九": 9}
_HAN_UNITS = {"十": 10, "百": 100, "千": 1000}
# A line reference: "37", "37-38", "35~38", "37 至 38", "L37", "#L37-L38".
_LINE_RANGE = re.compile(r"(?<!\d)L?(\d{1,4})(?:\s*(?:-|~|～|–|—|至|到|to)\s*L?(\d{1,4}))?(?!\d)", re.IGNORECASE)


_MARKUP = re.compile(r"<[^>]*>|\]\([^)]*\)")  # an HTML tag; the target of a markdown link or image


def plain(text: str) -> str:
    """An answer as its reader sees it, which is what matchers test.

    Full-width forms folded (NFKC: "１，１９９" from a Chinese keyboard is
    "1,199"), HTML tags and link or image targets removed (the "2" of
    ``<font size="2">`` or ``image-2.png`` is nobody's answer).
    """
    text = unicodedata.normalize("NFKC", text)
    return _MARKUP.sub(lambda m: "]" if m.group().startswith("]") else " ", text)


def numbers_in(text: str) -> list[int]:
    found = []
    for wan, rest, digits, word, han in _NUMBER.findall(text):
        if wan:
            found.append(int(wan) * 10_000 + int(rest or 0))
        elif digits:
            found.append(int(digits.replace(",", "").replace(" ", "")))
        elif word:
            found.append(_WORD_NUMBERS[word.lower()])
        else:
            found.append(han_number(han))
    return found


def han_number(text: str) -> int:
    """A number written in Chinese numerals: 二 2, 十二 12, 一百一十九萬九千八百八十二 1199882."""
    total = section = digit = 0
    for char in text:
        if char in _HAN_DIGITS:
            digit = _HAN_DIGITS[char]
        elif char in _HAN_UNITS:
            section += (digit or 1) * _HAN_UNITS[char]
            digit = 0
        else:  # 萬
            total += (section + digit or 1) * 10_000
            section = digit = 0
    return total + section + digit


@dataclass(frozen=True)
class Matcher:
    kind: ClassVar[str]
    registry: ClassVar[dict[str, type["Matcher"]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        Matcher.registry[cls.kind] = cls

    #: whether the code a comment answer points at is read too
    reads_code: ClassVar[bool] = False
    #: whether an answer of this kind may be given by pointing at code (a comment right above it)
    answered_by_pointing: ClassVar[bool] = False

    def matches(self, text: str) -> bool:
        raise NotImplementedError

    def recognises(self, text: str) -> bool:
        """Whether ``text`` says something of the kind this matcher judges (a number, a line); unknown: False."""
        return False

    def to_spec(self) -> dict[str, Any]:
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError

    @staticmethod
    def from_spec(table: Any, where: str) -> "Matcher":
        if isinstance(table, str):
            table = {"regex": table}
        if not isinstance(table, dict):
            raise SpecError(f"a matcher must be a table such as {{regex = \"...\"}}, found {table!r}", where=where)
        kinds = [k for k in table if k in Matcher.registry]
        if len(kinds) != 1:
            raise SpecError(f"a matcher needs exactly one of {sorted(Matcher.registry)}, found keys {sorted(table)}",
                            where=where, hint='for example {regex = "(?i)adadelta"} or {number = 2}')
        return Matcher.registry[kinds[0]]._parse(table, where)

    @classmethod
    def _parse(cls, table: dict[str, Any], where: str) -> "Matcher":
        raise NotImplementedError


def _allow_keys(table: dict[str, Any], allowed: set[str], where: str) -> None:
    extra = set(table) - allowed
    if extra:
        raise SpecError(f"unknown key(s) {sorted(extra)} in matcher", where=where,
                        hint=f"allowed keys: {sorted(allowed)}")


@dataclass(frozen=True)
class Regex(Matcher):
    kind: ClassVar[str] = "regex"
    reads_code: ClassVar[bool] = True
    pattern: str

    def matches(self, text: str) -> bool:
        return re.search(self.pattern, text, re.MULTILINE) is not None

    def to_spec(self) -> dict[str, Any]:
        return {"regex": self.pattern}

    def describe(self) -> str:
        return f"text matching /{self.pattern}/"

    @classmethod
    def _parse(cls, table: dict[str, Any], where: str) -> "Regex":
        _allow_keys(table, {"regex"}, where)
        pattern = table["regex"]
        try:
            re.compile(pattern)
        except (re.error, TypeError) as exc:
            raise SpecError(f"invalid regular expression {pattern!r}: {exc}", where=where,
                            hint="test it with Python's re module; remember TOML needs \\\\ for a backslash") from None
        return cls(pattern)


@dataclass(frozen=True)
class Number(Matcher):
    kind: ClassVar[str] = "number"
    value: int

    def matches(self, text: str) -> bool:
        return self.value in numbers_in(text)

    def recognises(self, text: str) -> bool:
        return bool(numbers_in(text))

    def to_spec(self) -> dict[str, Any]:
        return {"number": self.value}

    def describe(self) -> str:
        return number(self.value)

    @classmethod
    def _parse(cls, table: dict[str, Any], where: str) -> "Number":
        _allow_keys(table, {"number"}, where)
        value = table["number"]
        if not isinstance(value, int) or isinstance(value, bool):
            raise SpecError(f"number must be an integer, found {value!r}", where=where)
        return cls(value)


@dataclass(frozen=True)
class Lines(Matcher):
    kind: ClassVar[str] = "lines"
    answered_by_pointing: ClassVar[bool] = True
    targets: tuple[int, ...]
    slack: int = 2

    def matches(self, text: str) -> bool:
        low, high = min(self.targets) - self.slack, max(self.targets) + self.slack
        for first, last in _LINE_RANGE.findall(text):
            start = int(first)
            end = int(last) if last else start
            start, end = min(start, end), max(start, end)
            covers = any(start <= t <= end for t in self.targets)
            if covers and low <= start and end <= high:
                return True
        return False

    def recognises(self, text: str) -> bool:
        return _LINE_RANGE.search(text) is not None

    def to_spec(self) -> dict[str, Any]:
        return {"lines": list(self.targets), "slack": self.slack}

    def describe(self) -> str:
        return "lines " + ", ".join(map(str, self.targets))

    @classmethod
    def _parse(cls, table: dict[str, Any], where: str) -> "Lines":
        _allow_keys(table, {"lines", "slack"}, where)
        targets = table["lines"]
        if isinstance(targets, int):
            targets = [targets]
        if not isinstance(targets, list) or not targets or not all(isinstance(t, int) for t in targets):
            raise SpecError(f"lines must be a list of line numbers, found {targets!r}", where=where)
        slack = table.get("slack", 2)
        if not isinstance(slack, int) or slack < 0:
            raise SpecError(f"slack must be a non-negative integer, found {slack!r}", where=where)
        return cls(tuple(targets), slack)


MATCHER_KINDS: dict[str, Callable[..., Matcher]] = Matcher.registry
