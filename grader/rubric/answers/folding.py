"""Text as a reader compares it, with a way back to the characters the student typed.

NFKC folds what a Chinese keyboard types in full width ("１．", "：", "（２）") into ASCII, and circled
numbers ("①", "❷") into "(1)", "(2)". Each folded character keeps the index of the character it came
from, so a position found in the folded text cuts the original.
"""

from __future__ import annotations

import unicodedata

# ①..⑳ and the dingbat forms ❶ ➀ ➊ are labels by themselves; NFKC would leave a bare digit ("① 有" -> "1 有").
_CIRCLED = {chr(base + i): f"({i + 1})" for base, count in ((0x2460, 20), (0x2776, 10), (0x2780, 10), (0x278A, 10))
            for i in range(count)}


def fold(text: str) -> tuple[str, list[int]]:
    """``text`` folded, and for each folded character its index in ``text`` (plus ``len(text)`` at the end)."""
    chars: list[str] = []
    where: list[int] = []
    for i, char in enumerate(text):
        for folded in _CIRCLED.get(char) or unicodedata.normalize("NFKC", char):
            chars.append(folded)
            where.append(i)
    where.append(len(text))
    return "".join(chars), where
