"""What a real class folder throws at a batch: names in other encodings or too long for the disk,
ids that collide, OUT inside SUBMISSIONS, escape sequences, and shards that crashed."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import pytest
from rich.console import Console

from grader import cli
from grader.batch.commands import cmd_merge
from grader.batch.discover import discover, text_name
from grader.batch.store import SAFE_BYTES, OutDir, slug
from grader.errors import UsageError
from tests.batch.test_grade import grade


def _write_raw(folder: Path, name: bytes, text: str) -> None:
    """A file whose name is raw bytes, as a zip made on a Big5 Windows unpacks."""
    with open(os.path.join(os.fsencode(folder), name), "w", encoding="utf-8") as fh:
        fh.write(text)


def test_a_big5_file_name_is_read_as_chinese_and_the_batch_completes(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    _write_raw(subs, "王小明.ipynb".encode("cp950"), "CORRECT")
    _write_raw(subs, b"\xff\xfe\xfd.ipynb", "WRONG")  # neither UTF-8 nor Big5
    (subs / "alice.ipynb").write_text("CORRECT")
    code, summary = grade(subs, "--exercise", "day096", "--out", tmp_path / "out")
    assert code == 0, summary
    ids = sorted(d["batch"]["id"] for d in OutDir(tmp_path / "out").all_results())
    assert ids == ["alice", "王小明", "\ufffd\ufffd\ufffd"], ids
    rows = list(csv.DictReader(io.StringIO((tmp_path / "out" / "grades.csv").read_text(encoding="utf-8-sig"))))
    assert {r["id"]: r["file"] for r in rows}["王小明"] == "王小明.ipynb"
    assert (tmp_path / "out" / "grades.csv").read_bytes().startswith("\ufeffid,".encode())  # Excel reads UTF-8


def test_text_name_keeps_utf8_and_decodes_what_is_not():
    assert text_name("王小明.ipynb") == "王小明.ipynb"
    escaped = "王".encode("cp950").decode("utf-8", "surrogateescape")
    assert text_name(escaped) == "王"


def test_long_chinese_names_fit_the_file_system(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    long_name = "資料科學馬拉松" * 11  # 77 characters, 231 bytes in UTF-8: the stem fits, OUT's temp names did not
    (subs / f"{long_name}.ipynb").write_text("CORRECT")
    code, summary = grade(subs, "--exercise", "day096", "--out", tmp_path / "out")
    assert code == 0, summary
    doc, = OutDir(tmp_path / "out").all_results()
    assert doc["batch"]["id"] == long_name and doc["score"] == 8
    assert len(doc["batch"]["slug"].encode()) <= SAFE_BYTES


def test_slug_is_bounded_in_bytes_and_stays_distinct():
    a, b = "王" * 40, "王" * 39 + "李"
    assert len(slug(a).encode()) <= SAFE_BYTES and slug(a) != slug(b)
    assert slug("alice") == "alice" and slug("王" * 33) == "王" * 33  # 99 bytes: kept as it is


def test_a_student_called_like_a_duplicate_keeps_their_own_id(tmp_path):
    subs = tmp_path / "subs"
    (subs / "alice").mkdir(parents=True)
    (subs / "alice" / "hw.ipynb").write_text("CORRECT")
    os.utime(subs / "alice", (1_000_000_000, 1_000_000_000))  # older than alice.ipynb
    (subs / "alice.ipynb").write_text("CORRECT")
    (subs / "alice#2.ipynb").write_text("WRONG")
    entries = {e.id: e for e in discover(subs).entries}
    assert sorted(entries) == ["alice", "alice#2", "alice#3"]
    assert entries["alice#2"].file == "alice#2.ipynb" and entries["alice#3"].file == "alice"
    assert entries["alice"].duplicates == ("alice#3",)


@pytest.mark.parametrize("class_in", [".", "class"])  # ".": OUT among the students; "class": OUT next to
def test_out_inside_submissions_is_not_graded_as_a_student(tmp_path, class_in):  # a lone class folder
    subs = tmp_path / "subs"
    (subs / class_in).mkdir(parents=True)
    (subs / class_in / "alice.ipynb").write_text("CORRECT")
    (subs / class_in / "bob.ipynb").write_text("WRONG")
    for _ in range(2):  # the second run finds OUT in SUBMISSIONS
        code, summary = grade(subs, "--exercise", "day096", "--out", subs / "grades")
        assert code == 0, summary
    assert sorted(d["batch"]["id"] for d in OutDir(subs / "grades").all_results()) == ["alice", "bob"]


def test_out_inside_one_students_folder_is_refused(tmp_path):
    subs = tmp_path / "subs"
    (subs / "alice").mkdir(parents=True)
    (subs / "alice" / "hw.ipynb").write_text("CORRECT")
    (subs / "bob.ipynb").write_text("WRONG")
    with pytest.raises(UsageError, match="inside a student's submission") as caught:
        grade(subs, "--exercise", "day096", "--out", subs / "alice" / "grades")
    assert "outside SUBMISSIONS" in caught.value.hint


def test_no_escape_sequence_of_a_student_reaches_the_terminal(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "\x1b]0;owned\x07eve.ipynb").write_text("not a notebook")  # not graded: listed with its id
    (subs / "\x1b[2Jmallory.ipynb").symlink_to("/etc/hostname")  # a problem: listed with its name
    (subs / "alice.ipynb").write_text("CORRECT")
    code, summary = grade(subs, "--exercise", "day096", "--out", tmp_path / "out")
    assert code == 2
    assert "\x1b" not in summary and "\x07" not in summary
    assert "mallory.ipynb: symbolic link" in summary and "owned\ufffdeve: invalid-submission" in summary


def _merge(*argv) -> tuple[int, str]:
    args = cli.build_parser().parse_args(["merge", *map(str, argv)])
    buffer = io.StringIO()
    return cmd_merge(args, console=Console(file=buffer, width=200)), buffer.getvalue()


def test_merge_never_replaces_a_result_with_a_newer_grader_failure(tmp_path):
    for name, text in (("good", "CORRECT"), ("crashed", "CRASH")):  # graded in this order: the crash is newer
        (tmp_path / name).mkdir()
        (tmp_path / name / "s1.ipynb").write_text(text)
        grade(tmp_path / name, "--exercise", "day096", "--out", tmp_path / f"out-{name}")
    for order in (("good", "crashed"), ("crashed", "good")):
        merged = tmp_path / f"merged-{order[0]}"
        _merge(*(tmp_path / f"out-{n}" for n in order), "--out", merged)
        doc = json.loads((merged / "results" / "s1.json").read_text())
        assert (doc["status"], doc["score"]) == ("graded", 8), order


def test_moodle_comment_is_empty_for_a_grader_failure_like_its_grade(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "Ann_1_assignsubmission_file_hw.ipynb").write_text("CRASH")
    (subs / "Ben_2_assignsubmission_file_hw.ipynb").write_text("WRONG")
    code, _ = grade(subs, "--exercise", "day096", "--out", tmp_path / "out", "--lms", "moodle")
    assert code == 3
    rows = {r["Identifier"]: r for r in csv.DictReader(io.StringIO(
        (tmp_path / "out" / "grades.csv").read_text(encoding="utf-8-sig")))}
    assert rows["Participant 1"]["Grade"] == "" and rows["Participant 1"]["Feedback comments"] == ""
    assert not (tmp_path / "out" / "grades.csv").read_bytes().startswith(b"\xef\xbb\xbf")  # as Moodle expects
    assert (tmp_path / "out" / "grades-detail.csv").read_bytes().startswith(b"\xef\xbb\xbf")  # for Excel
    assert rows["Participant 2"]["Feedback comments"].startswith("6 / 8 (graded). Model with two Conv2D layers:")
