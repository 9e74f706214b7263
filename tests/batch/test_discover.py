"""Whose submission is this: LMS naming, custom patterns, duplicates, and deterministic shards."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from grader.batch.discover import discover, student_of, submissions_root
from grader.batch.shard import parse_shard, select, shard_of
from grader.batch.store import slug
from grader.errors import UsageError


def _touch(path: Path, text: str = "x", mtime: float | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


@pytest.mark.parametrize("name, is_dir, expected", [
    ("Jane Doe_12345_assignsubmission_file_", True, ("12345", {"name": "Jane Doe"})),
    ("Jane_Q_Doe_12345_assignsubmission_file_Day_096.ipynb", False, ("12345", {"name": "Jane_Q_Doe"})),
    ("smithbob_340934_208490284_Day_096.ipynb", False, ("340934", {"login": "smithbob", "submission": "208490284"})),
    ("smithbob_LATE_340934_208490284_hw-1.ipynb", False, ("340934", {"login": "smithbob", "submission": "208490284"})),
    ("b0912345.ipynb", False, ("b0912345", {})),
    ("student folder", True, ("student folder", {})),
])
def test_default_id_patterns(name, is_dir, expected):
    ident, fields, _ = student_of(name, is_dir)
    assert ident == expected[0]
    assert {k: v for k, v in fields.items() if k != "id"} == expected[1]


def test_custom_pattern_and_lms_restriction():
    pattern = re.compile(r"(?P<id>[a-z]\d{8})")
    assert student_of("hw_b09123456_final.ipynb", False, pattern)[0] == "b09123456"
    assert student_of("hw.ipynb", False, pattern) == ("hw", {}, False)  # unmatched: the stem
    assert student_of("smithbob_340934_208490284_x.ipynb", False, lms="moodle")[0] == "smithbob_340934_208490284_x"


def test_duplicates_newest_first_and_ignored_extras(tmp_path):
    _touch(tmp_path / "smithbob_111_900_hw.ipynb", "new", mtime=2_000_000_000)
    _touch(tmp_path / "smithbob_111_901_hw_old.ipynb", "old", mtime=1_000_000_000)
    _touch(tmp_path / "smithbob_111_902_screenshot.png", "png")
    _touch(tmp_path / "jones_222_903_report.pdf", "pdf only")
    _touch(tmp_path / ".DS_Store", "junk")
    found = discover(tmp_path)
    by_id = {e.id: e for e in found.entries}
    assert sorted(by_id) == ["111", "111#2", "222"]
    assert by_id["111"].file == "smithbob_111_900_hw.ipynb" and by_id["111"].duplicates == ("111#2",)
    assert by_id["111#2"].duplicate_of == "111" and by_id["111#2"].student == "111"
    assert by_id["222"].file == "jones_222_903_report.pdf"  # nothing gradeable: graded anyway, to say why
    assert found.ignored == ["smithbob_111_902_screenshot.png"]


def test_a_tas_notes_and_tables_beside_the_hand_ins_are_skipped_not_graded(tmp_path):
    _touch(tmp_path / "alice.ipynb")
    for name in ("README.md", "LABELS.tsv", "roster.CSV", "notes.txt", "LICENSE"):
        _touch(tmp_path / name)
    _touch(tmp_path / "bob.pdf")  # a student's wrong file type: still graded, so the result says why
    _touch(tmp_path / "jones_222_903_answers.txt")  # Canvas names it a student's: graded too
    (tmp_path / "carol.csv").mkdir()  # a folder is a student's, whatever its name
    _touch(tmp_path / "carol.csv" / "hw.ipynb")
    found = discover(tmp_path)
    assert sorted(e.file for e in found.entries) == ["alice.ipynb", "bob.pdf", "carol.csv", "jones_222_903_answers.txt"]
    assert found.skipped == ["LABELS.tsv", "LICENSE", "README.md", "notes.txt", "roster.CSV"]
    claimed = discover(tmp_path, re.compile(r"^(roster)"))  # a pattern that names it makes it a student's
    assert "roster.CSV" in {e.file for e in claimed.entries} and "roster.CSV" not in claimed.skipped


def test_folders_per_student_and_digest_tracks_content(tmp_path):
    _touch(tmp_path / "Ann_1_assignsubmission_file_" / "hw.ipynb", "A")
    _touch(tmp_path / "Ann_1_assignsubmission_onlinetext_" / "onlinetext.html", "<p>hi</p>")
    _touch(tmp_path / "Ben_2_assignsubmission_file_" / "hw.ipynb", "B")
    first = {e.id: e for e in discover(tmp_path, lms="moodle").entries}
    assert sorted(first) == ["1", "2"] and first["1"].path.name == "Ann_1_assignsubmission_file_"
    _touch(tmp_path / "Ben_2_assignsubmission_file_" / "data.csv", "1,2")
    second = {e.id: e for e in discover(tmp_path, lms="moodle").entries}
    assert second["1"].digest == first["1"].digest and second["2"].digest != first["2"].digest


def test_symlinks_are_reported_not_followed(tmp_path):
    _touch(tmp_path / "a.ipynb")
    (tmp_path / "b.ipynb").symlink_to("/etc/hostname")
    found = discover(tmp_path)
    assert [e.id for e in found.entries] == ["a"] and "symbolic link" in found.problems[0]["what"]


def test_submissions_root_steps_into_a_lone_folder(tmp_path):
    _touch(tmp_path / "export" / "submissions" / "a.ipynb")
    _touch(tmp_path / "export" / "submissions" / "b.ipynb")
    assert submissions_root(tmp_path) == tmp_path / "export" / "submissions"
    lone = tmp_path / "lone"
    _touch(lone / "student" / "hw.ipynb")
    assert submissions_root(lone) == lone  # a lone student folder is a submission, not a wrapper


def test_shards_partition_students_deterministically():
    students = [f"s{i}" for i in range(200)]
    slices = [select(students, i, 3, key=lambda s: s) for i in (1, 2, 3)]
    assert sorted(sum(slices, [])) == sorted(students) and all(len(s) > 40 for s in slices)
    assert shard_of("s1", 3) == shard_of("s1", 3)
    assert parse_shard("2/8") == (2, 8)
    for bad in ("0/3", "4/3", "x", "1/0", "1-3"):
        with pytest.raises(UsageError):
            parse_shard(bad)


def test_slugs_are_safe_and_distinct():
    assert slug("12345") == "12345" and slug("12345#2") == "12345#2"
    for hostile in ("../etc/passwd", "..", ".hidden", "a/b", "x<script>", "con\x00", "a.tmp"):
        name = slug(hostile)
        assert "/" not in name and not name.startswith(".") and "\x00" not in name and "~" in name
    assert slug("a/b") != slug("a_b") and slug("a b") != slug("a_b")
