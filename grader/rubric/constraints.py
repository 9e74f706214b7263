"""Value constraints for layer attributes and model properties.

In a spec, an attribute's value is one of:

* a literal: ``filters = 64``; ``kernel_size = 3`` also matches ``(3, 3)``;
  strings compare case-insensitively (``padding = "same"`` matches "SAME");
* ``{one_of = [32, 64]}``;
* ``{min = 1, max = 128}`` (either bound may be left out);
* ``"*"`` or ``{any = true}``: present, any value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from grader.errors import SpecError
from grader.i18n import Message, number


def _canon(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return tuple(_canon(v) for v in value)
    if isinstance(value, str):
        return value.lower()
    return value


def same(expected: Any, found: Any) -> bool:
    """Equality that forgives the spellings Keras itself treats as equal."""
    e, f = _canon(expected), _canon(found)
    if e == f:
        return True
    if isinstance(f, tuple) and not isinstance(e, tuple) and f:
        return all(x == e for x in f)  # kernel_size=3 means (3, 3)
    if isinstance(e, tuple) and isinstance(f, tuple) and len(e) == len(f) and "*" in e:
        return all(x == "*" or same(x, y) for x, y in zip(e, f))  # ["*", "*", 3]: any height and width
    return False


def show(value: Any) -> str:
    """A measured or expected value as reports write it: numbers by ``number``, tuples as code."""
    if isinstance(value, (list, tuple)):
        return "(" + ", ".join("None" if v is None else show(v) if isinstance(v, (list, tuple, str)) else str(v)
                               for v in value) + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, str):
        return repr(value)
    return "None" if value is None else number(value)


@dataclass(frozen=True)
class Constraint:
    kind: str  # "exact", "one_of", "range", "any"
    value: Any = None
    low: float | None = None
    high: float | None = None

    def ok(self, found: Any) -> bool:
        if self.kind == "any":
            return found is not None
        if found is None:
            return False
        if self.kind == "exact":
            return same(self.value, found)
        if self.kind == "one_of":
            return any(same(v, found) for v in self.value)
        if not isinstance(found, (int, float)) or isinstance(found, bool):
            return False
        return (self.low is None or found >= self.low) and (self.high is None or found <= self.high)

    def describe(self) -> str | Message:
        """What is expected, in words the report renders in its reader's language."""
        if self.kind == "exact":
            return show(self.value)
        if self.kind == "one_of":
            return Message.of("expect.one_of", values=", ".join(show(v) for v in self.value))
        if self.kind == "range":
            if self.low is not None and self.high is not None:
                return Message.of("expect.between", low=show(self.low), high=show(self.high))
            return (Message.of("expect.at_least", low=show(self.low)) if self.low is not None
                    else Message.of("expect.at_most", high=show(self.high)))
        return Message.of("expect.any")

    def to_spec(self) -> Any:
        if self.kind == "exact":
            return list(self.value) if isinstance(self.value, tuple) else self.value
        if self.kind == "one_of":
            return {"one_of": [list(v) if isinstance(v, tuple) else v for v in self.value]}
        if self.kind == "range":
            return {k: v for k, v in (("min", self.low), ("max", self.high)) if v is not None}
        return "*"

    @classmethod
    def parse(cls, raw: Any, where: str) -> "Constraint":
        if raw == "*":
            return cls("any")
        if isinstance(raw, dict):
            keys = set(raw)
            if keys == {"any"} and raw["any"] is True:
                return cls("any")
            if keys == {"one_of"}:
                if not isinstance(raw["one_of"], list) or not raw["one_of"]:
                    raise SpecError("one_of needs a non-empty list", where=where, hint="e.g. {one_of = [32, 64]}")
                return cls("one_of", value=tuple(_freeze(v) for v in raw["one_of"]))
            if keys and keys <= {"min", "max"}:
                for k in keys:
                    if not isinstance(raw[k], (int, float)) or isinstance(raw[k], bool):
                        raise SpecError(f"{k} must be a number, found {raw[k]!r}", where=where)
                return cls("range", low=raw.get("min"), high=raw.get("max"))
            raise SpecError(f"unknown constraint {raw!r}", where=where,
                            hint='use a value, {one_of = [...]}, {min = .., max = ..} or "*"')
        return cls("exact", value=_freeze(raw))


def _freeze(value: Any) -> Any:
    return tuple(_freeze(v) for v in value) if isinstance(value, list) else value
