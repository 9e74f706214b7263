"""Every note a kernel-side shim can send has a message in both languages (an unknown key would reach the student raw)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from grader.i18n import CATALOG

HARVEST = Path(__file__).parents[2] / "grader" / "harvest"
KEYS = sorted({key for name in ("offline.py", "compat.py")
               for key in re.findall(r"""_note\(\s*["'](\w+)["']""", (HARVEST / name).read_text(encoding="utf-8"))})


def test_the_shims_send_notes():
    assert {"dataset_generated", "helper_renamed", "keras2"} <= set(KEYS), KEYS


@pytest.mark.parametrize("key", KEYS)
def test_each_note_has_a_message_in_english_and_chinese(key):
    entry = CATALOG.get(f"shim.{key}")
    assert entry is not None, f"shim.{key} is not in grader/i18n.py's catalogue"
    assert entry.get("en") and entry.get("zh-TW"), entry
