"""``kind = "techniques"``: a checklist, points for each technique the run shows.

"Use every technique you learned": each item is a check of another kind (a
``training`` with augmentation, a ``model`` with Dropout, ...) with its own
points; the check earns the sum of what its items earn, up to its ``points``
(so "any three of five" is ``points = 3`` over five items of one point).

Spec::

    [[checks]]
    id = "techniques"
    kind = "techniques"
    points = 3
    title = "..."

    [[checks.items]]
    id = "augmentation"
    kind = "training"
    points = 1
    title = { en = "...", zh-TW = "..." }
    hint = { en = "...", zh-TW = "..." }     # shown under an item the run does not show
    augmentation = true
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, ClassVar, Mapping

from grader.errors import SpecError
from grader.i18n import Message
from grader.rubric.checks.base import Check, Evidence, Verdict, parse_text
from grader.rubric.result import ItemResult

_ID = re.compile(r"^[a-z0-9][a-z0-9_\-]*$")
_ITEM_KEYS = {"id", "kind", "points", "title", "hint"}


@dataclass(frozen=True)
class TechniquesCheck(Check):
    kind: ClassVar[str] = "techniques"
    own_keys: ClassVar[frozenset[str]] = frozenset({"items"})

    items: tuple[Check, ...] = ()

    def evaluate(self, evidence: Evidence) -> Verdict:
        results, lines, reviews = [], [], []
        for item in self.items:
            verdict = item.evaluate(evidence)
            if verdict.review is not None:
                reviews.append(Message.of("techniques.item_review", title=Message.literal(item.title),
                                          message=verdict.review))
            fraction = min(max(verdict.fraction, 0.0), 1.0)
            result = ItemResult(id=item.id, title=item.title, points=round(item.points * fraction, 4),
                                max_points=item.points, message=verdict.message, review=verdict.review)
            results.append(result)
            title = Message.literal(item.title)
            if result.passed:
                lines.append(Message.of("techniques.shown", title=title, message=verdict.message))
            elif item.hint:
                lines.append(Message.of("techniques.missing_hint", title=title, message=verdict.message,
                                        hint=Message.literal(item.hint)))
            else:
                lines.append(Message.of("techniques.missing", title=title, message=verdict.message))
        earned = sum(r.points for r in results)
        shown = [r for r in results if r.passed]
        message = (Message.of("techniques.some", n=len(shown), total=len(results), names=_titles(shown)) if shown
                   else Message.of("techniques.none_shown", total=len(results)))
        return Verdict(min(earned / self.points, 1.0) if self.points else 0.0, message, details=tuple(lines),
                       items=tuple(results), review=reviews[0] if reviews else None)

    def references(self) -> tuple[str, ...]:
        return tuple(ref for item in self.items for ref in item.references())

    @classmethod
    def parse_own(cls, table: Mapping[str, Any], where: str) -> dict[str, Any]:
        raw = table.get("items")
        if not isinstance(raw, list) or not raw:
            raise SpecError("a techniques check needs [[checks.items]] tables", where=f"{where}.items",
                            hint='add [[checks.items]] with id, kind, points and title under this check')
        items: list[Check] = []
        for i, entry in enumerate(raw):
            at = f"{where}.items[{i}]"
            if not isinstance(entry, dict):
                raise SpecError("each item must be a table", where=at)
            items.append(_item(entry, at, {c.id for c in items}))
        return {"items": tuple(items)}

    def own_spec(self) -> dict[str, Any]:
        return {"items": [item.to_spec() for item in self.items]}


def _titles(results: list[ItemResult]) -> Message:
    """The items' titles as one text per language ("augmentation, callbacks"; "資料增強、callbacks")."""
    return Message.literal({lang: sep.join(r.title.get(lang) or r.title.get("en") or r.id for r in results)
                            for lang, sep in (("en", ", "), ("zh-TW", "、"))})


def _item(entry: Mapping[str, Any], at: str, seen: set[str]) -> Check:
    item_id = entry.get("id")
    if not isinstance(item_id, str) or not _ID.match(item_id) or item_id in seen:
        raise SpecError(f"item id must be a new name of lower-case letters, digits, '-' or '_', found {item_id!r}",
                        where=f"{at}.id")
    kind = entry.get("kind")
    if kind not in Check.registry or kind == TechniquesCheck.kind:
        raise SpecError("missing key kind" if kind is None else f"unknown item kind {kind!r}", where=f"{at}.kind",
                        hint=f"one of {sorted(k for k in Check.registry if k != TechniquesCheck.kind)}")
    cls = Check.registry[kind]
    unknown = sorted(set(entry) - _ITEM_KEYS - cls.own_keys)
    if unknown:
        raise SpecError(f"unknown key {unknown[0]!r}", where=f"{at}.{unknown[0]}",
                        hint=f"allowed here: {', '.join(sorted(_ITEM_KEYS | cls.own_keys))}")
    points = entry.get("points")
    if not isinstance(points, (int, float)) or isinstance(points, bool) or points <= 0:
        raise SpecError(f"points must be a positive number, found {points!r}", where=f"{at}.points", hint="points = 1")
    return cls(id=item_id, title=parse_text(entry.get("title", item_id), f"{at}.title"), points=float(points),
               hint=parse_text(entry["hint"], f"{at}.hint") if "hint" in entry else {}, **cls.parse_own(entry, at))
