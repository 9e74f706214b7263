"""The placeholders a spec still holds: every text value that starts with ``TODO``.

``grader new`` writes them where only a person can say what is right (a
title in Traditional Chinese, what the exercise is called); ``grader
validate`` refuses a spec that still has one, naming its file, line and key.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from grader.rubric.spec import SPEC_FILE, spec_line

MARK = "TODO"


@dataclass(frozen=True)
class Placeholder:
    where: str  # file:line (key)
    key: str
    text: str


def placeholders(folder: Path) -> list[Placeholder]:
    path = folder / SPEC_FILE
    text = path.read_text(encoding="utf-8-sig")
    lines = text.splitlines()
    found = []
    for key, value in _strings(tomllib.loads(text), ""):
        if not value.lstrip().startswith(MARK):
            continue
        start = spec_line(text, key) or 1
        # The value's own line: the first from its table's header that holds it.
        line = next((i for i in range(start, len(lines) + 1) if value in lines[i - 1]), start)
        found.append(Placeholder(where=f"{path}:{line} ({key})", key=key, text=value.strip()))
    return found


def _strings(value: Any, key: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield key, value
    elif isinstance(value, dict):
        for name, item in value.items():
            yield from _strings(item, f"{key}.{name}" if key else name)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _strings(item, f"{key}[{i}]")
