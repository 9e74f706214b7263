"""Architecture guards: the pure stages never import TensorFlow, and imports go one way."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PURE = ["grader.rubric.engine", "grader.rubric.catalog", "grader.report.json_report", "grader.report.text",
        "grader.harvest.schema", "grader.submission.prose", "grader.cli", "grader.pipeline"]


def test_pure_stages_import_without_tensorflow_or_keras():
    # A blocked import raises at once: proves none of these modules (or their imports) need TF.
    code = ("import sys\nsys.modules['tensorflow'] = None\nsys.modules['keras'] = None\n"
            + "".join(f"import {m}\n" for m in PURE)
            + "from grader.rubric.spec import load_exercise\nfrom pathlib import Path\n"
            + f"load_exercise(Path({str(ROOT / 'exercises' / 'day096')!r}))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr


def test_import_contracts_hold():
    lint = Path(sys.executable).with_name("lint-imports")
    if not lint.exists():
        pytest.fail("import-linter is a test dependency: pip install -e '.[test]'")
    proc = subprocess.run([str(lint)], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
