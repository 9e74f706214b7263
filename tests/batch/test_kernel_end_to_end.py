"""``grader grade`` through the real pipeline: sandboxed kernels, four tiny submissions, two at a time.

The hostile one tries to write into OUT and to list the other submissions: both are hidden from it.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.kernel

REPO = Path(__file__).resolve().parents[2]


def test_real_pipeline_grades_a_small_class(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    shutil.copy(REPO / "solutions" / "day096-strides" / "day096-strides.ipynb", subs / "good.ipynb")
    (subs / "broken.py").write_text("raise ValueError('boom')\n")
    (subs / "empty.ipynb").write_text("")
    out = tmp_path / "out"
    out.mkdir()
    # hostile: tries to plant a result and overwrite the grade sheet in OUT, and to read the class's files
    (subs / "hostile.py").write_text(
        "import pathlib\n"
        f"out = pathlib.Path({str(out)!r})\n"
        "for target, text in ((out / 'results' / 'zzz.json', '{}'), (out / 'grades.csv', 'pwned')):\n"
        "    try:\n"
        "        target.parent.mkdir(parents=True, exist_ok=True)\n"
        "        target.write_text(text)\n"
        "    except OSError:\n"
        "        pass\n"
        f"seen = sorted(p.name for p in pathlib.Path({str(subs)!r}).glob('*'))\n"
        "assert not seen, seen\n")
    proc = subprocess.run([sys.executable, "-m", "grader", "grade", str(subs), "--exercise", "day096-strides",
                           "--out", str(out), "--jobs", "2"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    docs = {p.stem: json.loads(p.read_text()) for p in (out / "results").glob("*.json")}
    assert docs["good"]["status"] == "graded" and docs["good"]["score"] == docs["good"]["max_score"] == 7
    assert docs["broken"]["status"] == "graded" and docs["broken"]["score"] == 0
    assert any("ValueError" in n for n in docs["broken"]["notes"])
    assert docs["empty"]["status"] == "invalid-submission"
    assert sorted(docs) == ["broken", "empty", "good", "hostile"]  # nothing planted in results/
    if docs["hostile"]["isolation"]["filesystem"] != "none":
        assert not any("AssertionError" in n for n in docs["hostile"]["notes"]), docs["hostile"]["notes"]
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO((out / "grades.csv").read_text(encoding="utf-8-sig")))}
    assert rows["good"]["score"] == "7" and rows["empty"]["status"] == "invalid-submission"
    assert "pwned" not in (out / "grades.csv").read_text(encoding="utf-8-sig")
    assert (out / "report.html").is_file() and (out / "feedback" / "good.html").is_file()
