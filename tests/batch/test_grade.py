"""``grader grade`` in-process with the fake grader: every output, the cache, the lock, exit codes."""

from __future__ import annotations

import csv
import io
import json
import threading
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest
from rich.console import Console

from grader import cli
from grader.batch.commands import cmd_grade
from grader.batch.store import OutDir
from grader.errors import UsageError
from grader.rubric.catalog import get_exercise
from tests.batch.fakes import assert_well_formed_html, fake_grade, snapshot

SCRIPT = "<script>alert(1)</script>"


class Counting:
    """The fake grader, counting its calls per id (thread-safe)."""

    def __init__(self):
        self.calls: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, path, exercise, options, name=None):
        with self._lock:
            self.calls.append(name)
        return fake_grade(path, exercise, options, name=name)


def class_folder(root: Path) -> Path:
    subs = root / "subs"
    subs.mkdir()
    (subs / "alice.ipynb").write_text("CORRECT")
    (subs / "bob.py").write_text("WRONG")
    (subs / "carol.ipynb").write_text("{ truncated")
    (subs / "x<script>y.ipynb").write_text(f"HOSTILE ECHO: {SCRIPT}")
    (subs / "dave").mkdir()
    (subs / "dave" / "hw.ipynb").write_text("CORRECT")
    return subs


def grade(*argv: str, grader=None) -> tuple[int, str]:
    args = cli.build_parser().parse_args(["grade", *map(str, argv)])
    buffer = io.StringIO()
    code = cmd_grade(args, grade_fn=grader or fake_grade, console=Console(file=buffer, width=200))
    return code, buffer.getvalue()


def test_a_mixed_class_into_every_output(tmp_path):
    subs, out = class_folder(tmp_path), tmp_path / "out"
    counting = Counting()
    code, summary = grade(subs, "--exercise", "day096-strides", "--out", out, "--jobs", "3", grader=counting)
    assert code == 0, summary
    assert sorted(counting.calls) == ["alice", "bob", "carol", "dave", "x<script>y"]
    results = OutDir(out).all_results()
    assert [d["batch"]["id"] for d in results] == ["alice", "bob", "carol", "dave", "x<script>y"]
    alice = json.loads((out / "results" / "alice.json").read_text())
    assert alice["schema"] == "keras-grader.result/1" and alice["score"] == 7 and alice["status"] == "graded"
    assert set(alice["batch"]["cache"]) >= {"submission_sha256", "exercise_digest", "grader_version", "key"}

    rows = list(csv.DictReader(io.StringIO((out / "grades.csv").read_text(encoding="utf-8-sig"))))
    assert {r["id"]: r["status"] for r in rows} == {"alice": "graded", "bob": "graded", "carol": "invalid-submission",
                                                   "dave": "graded", "x<script>y": "timeout"}
    assert {r["id"]: r["score"] for r in rows}["bob"] == "3" and rows[0]["file"] == "alice.ipynb"

    suites = ET.parse(out / "junit.xml").getroot().findall("testsuite")
    assert [s.get("name") for s in suites] == ["alice", "bob", "carol", "dave", "x<script>y"]

    hostile = next(d for d in results if d["status"] == "timeout")["batch"]["slug"]
    for page in [out / "report.html", out / "feedback" / f"{hostile}.html"]:
        text = page.read_text()
        assert_well_formed_html(text)
        assert SCRIPT not in text and "x&lt;script&gt;y" in text
    assert sorted(p.name for p in (out / "feedback").iterdir()) == sorted(
        f"{d['batch']['slug']}{s}" for d in results for s in (".md", ".html"))
    assert "could not be graded normally (2)" in summary and "most-missed checks" in summary
    assert "carol: invalid-submission" in summary


def test_verdicts_flagged_for_a_human_look_are_listed_everywhere_a_ta_looks(tmp_path):
    subs, out = tmp_path / "subs", tmp_path / "out"
    subs.mkdir()
    (subs / "erin.ipynb").write_text("UNSURE")
    (subs / "fred.ipynb").write_text("CORRECT")
    code, summary = grade(subs, "--exercise", "day096-strides", "--out", out)
    assert code == 0, summary
    first = get_exercise("day096-strides").checks[0].id
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO((out / "grades.csv").read_text(encoding="utf-8-sig")))}
    assert (rows["erin"]["review"], rows["fred"]["review"]) == (first, "")
    assert f"needs a human look: verdicts the grader is unsure of (see report.html) (1):\n  erin: {first}" in summary
    report = (out / "report.html").read_text(encoding="utf-8")
    assert f"check {first} needs a look: the answer to question 1 is neither an expected answer" in report
    feedback = (out / "feedback" / "erin.md").read_text(encoding="utf-8")
    assert "*read in cell 9, line 2: \u201c約 16\u201d*" in feedback and "**a person will look at this:" in feedback
    result = json.loads((out / "results" / "erin.json").read_text(encoding="utf-8"))["checks"][0]
    assert result["evidence"] == {"cell": 8, "line": 2, "excerpt": "約 16", "source": "markdown", "file_line": None}
    assert result["review"] is True and result["review_reason"].startswith("the answer to question 1 is neither")


def test_up_to_date_submissions_are_skipped_until_they_change_or_force(tmp_path):
    subs, out = class_folder(tmp_path), tmp_path / "out"
    counting = Counting()
    base = [subs, "--exercise", "day096-strides", "--out", out]
    assert grade(*base, grader=counting)[0] == 0
    first = snapshot(out)
    counting.calls.clear()
    assert grade(*base, grader=counting)[0] == 0
    assert counting.calls == [] and snapshot(out) == first  # nothing graded, outputs unchanged
    (subs / "bob.py").write_text("CORRECT")
    grade(*base, grader=counting)
    assert counting.calls == ["bob"]
    counting.calls.clear()
    grade(*base, "--force", grader=counting)
    assert len(counting.calls) == 5
    counting.calls.clear()
    grade(*base, "--lang", "zh-TW", grader=counting)  # the stored messages are in the other language
    assert len(counting.calls) == 5 and "總分" in (out / "feedback" / "bob.md").read_text()


def test_grader_failures_exit_3_and_are_retried(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "a.ipynb").write_text("CORRECT")
    (subs / "b.ipynb").write_text("CRASH")
    counting = Counting()
    code, summary = grade(subs, "--exercise", "day096", "--out", tmp_path / "out", grader=counting)
    assert code == 3
    b = json.loads((tmp_path / "out" / "results" / "b.json").read_text())
    assert b["status"] == "internal-error" and "fake grader crashed" in b["message"]
    grades = (tmp_path / "out" / "grades.csv").read_text(encoding="utf-8-sig")
    assert list(csv.reader(io.StringIO(grades)))[2][4] == "internal-error"
    counting.calls.clear()
    assert grade(subs, "--exercise", "day096", "--out", tmp_path / "out", grader=counting)[0] == 3
    assert counting.calls == ["b"]  # a grader failure is never taken as up to date


def test_a_second_run_on_the_same_out_is_refused_naming_the_first(tmp_path, capsys):
    subs, out = class_folder(tmp_path), tmp_path / "out"
    with OutDir(out).locked():
        assert cli.main(["grade", str(subs), "--exercise", "day096", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "another grader run is using this folder" in err and "pid " in err
    assert grade(subs, "--exercise", "day096", "--out", out)[0] == 0  # released


def test_zip_with_refused_members_grades_the_rest_and_exits_2(tmp_path):
    archive = tmp_path / "class.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("export/Ann Lee_101_assignsubmission_file_/hw.ipynb", "CORRECT")
        zf.writestr("export/Bo Wu_102_assignsubmission_file_/hw.ipynb", "WRONG")
        zf.writestr("export/../../../evil.ipynb", "CORRECT")
    out = tmp_path / "out"
    code, summary = grade(archive, "--exercise", "day096", "--out", out, "--lms", "moodle")
    assert code == 2 and "input problems (1)" in summary and "climbs out" in summary
    rows = list(csv.reader(io.StringIO((out / "grades.csv").read_text(encoding="utf-8-sig"))))
    assert [r[:3] for r in rows[1:]] == [["Participant 101", "Ann Lee", "8"], ["Participant 102", "Bo Wu", "6"]]
    assert (out / "grades-detail.csv").is_file() and "climbs out" in (out / "report.html").read_text()
    assert not (tmp_path / "evil.ipynb").exists()


def _zip_bytes(members: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in members.items():
            zf.writestr(name, text)
    return buffer.getvalue()


def _corrupt_member(name: str) -> bytes:
    """A zip whose one deflated member is damaged mid-stream (zlib fails while inflating)."""
    data = bytearray(_zip_bytes({name: "CORRECT " * 5000}))
    start = 30 + len(name)  # the local header, then the compressed data
    data[start + 5:start + 25] = b"\xff" * 20
    return bytes(data)


def test_students_zips_are_opened_one_level_deep_and_bad_ones_reported(tmp_path):
    archive = tmp_path / "class.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("export/Ann Lee_101_assignsubmission_file_/homework.zip",
                    _zip_bytes({"hw/Day_096.ipynb": "CORRECT", "__MACOSX/hw/._Day_096.ipynb": "junk"}))
        zf.writestr("export/Bo Wu_102_assignsubmission_file_/hw.ipynb", "WRONG")
        zf.writestr("export/Cy Ng_103_assignsubmission_file_/broken.zip", "this is not a zip")
        zf.writestr("export/Di Ho_104_assignsubmission_file_/evil.zip",
                    _zip_bytes({"ok.ipynb": "CORRECT", "../../../planted.ipynb": "CORRECT"}))
        zf.writestr("export/Ed Yu_105_assignsubmission_file_/outer.zip",
                    _zip_bytes({"inner.zip": _zip_bytes({"hw.ipynb": "CORRECT"}).decode("latin-1")}))
        zf.writestr("export/Fay Wu_106_assignsubmission_file_/hw.zip", _corrupt_member("hw.ipynb"))
    out = tmp_path / "out"
    code, summary = grade(archive, "--exercise", "day096", "--out", out, "--lms", "moodle")
    status = {d["batch"]["id"]: (d["status"], d["score"]) for d in OutDir(out).all_results()}
    assert status == {"101": ("graded", 8), "102": ("graded", 6), "103": ("invalid-submission", 0),
                      "104": ("graded", 8), "105": ("invalid-submission", 0),
                      "106": ("invalid-submission", 0)}, status
    assert code == 2, summary
    manifest = json.loads((out / "manifest.json").read_text())
    problems = {p["where"]: p["what"] for p in manifest["problems"]}
    assert "not a readable zip" in problems["Cy Ng_103_assignsubmission_file_/broken.zip"], problems
    assert any(w.startswith("Di Ho_104_assignsubmission_file_/evil.zip:") and "climbs out" in v
               for w, v in problems.items()), problems
    assert any(w.startswith("Fay Wu_106_assignsubmission_file_/hw.zip:") and "refused" in v
               for w, v in problems.items()), problems
    assert not list(tmp_path.rglob("planted.ipynb"))


def test_a_folder_of_zips_is_graded_without_writing_into_it(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "alice.zip").write_bytes(_zip_bytes({"alice/hw.ipynb": "CORRECT"}))
    (subs / "bob.zip").write_bytes(_zip_bytes({"hw.py": "WRONG"}))
    before = sorted(p.name for p in subs.rglob("*"))
    code, _summary = grade(subs, "--exercise", "day096", "--out", tmp_path / "out")
    status = {d["batch"]["id"]: (d["status"], d["score"]) for d in OutDir(tmp_path / "out").all_results()}
    assert status == {"alice": ("graded", 8), "bob": ("graded", 6)}, status
    assert code == 0  # a class grades fine even when students lose points
    assert sorted(p.name for p in subs.rglob("*")) == before


def test_duplicates_are_all_graded_and_only_the_newest_reaches_the_lms(tmp_path):
    import os

    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "jo_7_1_hw.ipynb").write_text("WRONG")
    (subs / "jo_7_2_hw.py").write_text("CORRECT")
    os.utime(subs / "jo_7_1_hw.ipynb", (1, 1))
    out = tmp_path / "out"
    code, summary = grade(subs, "--exercise", "day096", "--out", out, "--lms", "canvas", "--lms-column", "HW (9)")
    assert code == 0 and "jo_7_2" not in summary and "7: also 7#2" in summary and "several files (newest" in summary
    canvas = list(csv.reader(io.StringIO((out / "grades.csv").read_text(encoding="utf-8-sig"))))
    assert canvas[0][-1] == "HW (9)" and [r[:2] for r in canvas[2:]] == [["jo", "7"]] and canvas[2][5] == "8"
    detail = list(csv.DictReader(io.StringIO((out / "grades-detail.csv").read_text(encoding="utf-8-sig"))))
    assert [(r["id"], r["duplicate_of"]) for r in detail] == [("7", ""), ("7#2", "7")]


def test_an_out_that_is_a_file_is_refused_and_left_alone(tmp_path):
    subs, out = class_folder(tmp_path), tmp_path / "grades.csv"
    out.write_text("the TA's own sheet")
    with pytest.raises(UsageError, match="names a file, not a folder") as caught:
        grade(subs, "--exercise", "day096", "--out", out)
    assert "folder" in caught.value.hint and out.read_text() == "the TA's own sheet"


def test_an_out_folder_belongs_to_one_exercise(tmp_path):
    subs, out = class_folder(tmp_path), tmp_path / "out"
    grade(subs, "--exercise", "day096", "--out", out)
    with pytest.raises(UsageError, match="exercise 'day096'"):
        grade(subs, "--exercise", "day096-strides", "--out", out)


@pytest.mark.parametrize("argv", [
    ["missing-folder", "--exercise", "day096"],
    ["{subs}", "--exercise", "no-such-exercise"],
    ["{subs}", "--exercise", "day096", "--id-pattern", "(unclosed"],
    ["{subs}", "--exercise", "day096", "--shard", "4/3"],
    ["{subs}", "--exercise", "day096", "--jobs", "0"],
    ["{subs}/alice.ipynb", "--exercise", "day096"],
])
def test_unusable_commands_exit_2(tmp_path, argv, capsys):
    subs = class_folder(tmp_path)
    argv = [a.replace("{subs}", str(subs)) for a in argv]
    assert cli.main(["grade", *argv, "--out", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err.startswith("error:")


def test_results_whose_submission_is_gone_are_kept_and_said(tmp_path):
    subs, out = class_folder(tmp_path), tmp_path / "out"
    grade(subs, "--exercise", "day096", "--out", out)
    (subs / "bob.py").unlink()
    code, summary = grade(subs, "--exercise", "day096", "--out", out)
    assert code == 0 and "1 result(s) in OUT have no submission" in summary


def test_an_empty_folder_is_a_mistake(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(UsageError, match="no submissions found"):
        grade(tmp_path / "empty", "--exercise", "day096", "--out", tmp_path / "out")


def test_side_files_are_listed_as_skipped_and_never_become_students(tmp_path):
    subs, out = class_folder(tmp_path), tmp_path / "out"
    (subs / "README.md").write_text("# Day 96 hand-ins")
    (subs / "LABELS.tsv").write_text("id\tscore\n")
    code, summary = grade(subs, "--exercise", "day096", "--out", out)
    rows = list(csv.DictReader(io.StringIO((out / "grades.csv").read_text(encoding="utf-8-sig"))))
    assert {r["id"] for r in rows} == {"alice", "bob", "carol", "x<script>y", "dave"}
    notices = json.loads((out / "manifest.json").read_text())["notices"]
    assert {n["where"] for n in notices if n["what"].startswith("skipped")} == {"README.md", "LABELS.tsv"}
    assert code == 0 and "README.md" in summary


def test_notices_follow_the_runs_language(tmp_path):
    subs, out = class_folder(tmp_path), tmp_path / "out"
    (subs / "README.md").write_text("# 說明")
    code, summary = grade(subs, "--exercise", "day096", "--out", out, "--lang", "zh-TW")
    notices = json.loads((out / "manifest.json").read_text())["notices"]
    assert [n["what"][:4] for n in notices if n["where"] == "README.md"] == ["已略過："]
    assert code == 0 and "注意事項" in summary and "已略過" in summary


def test_a_folder_of_notes_only_says_what_it_skipped(tmp_path):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "README.md").write_text("x")
    with pytest.raises(UsageError, match="no submissions found") as caught:
        grade(tmp_path / "notes", "--exercise", "day096", "--out", tmp_path / "out")
    assert "README.md" in caught.value.hint and "--id-pattern" in caught.value.hint


def test_merge_keeps_the_newer_of_conflicting_results_and_checks_exercises(tmp_path):
    from grader.batch.commands import cmd_merge

    def merge(*argv):
        args = cli.build_parser().parse_args(["merge", *map(str, argv)])
        buffer = io.StringIO()
        return cmd_merge(args, console=Console(file=buffer, width=200)), buffer.getvalue()

    a, b = tmp_path / "a", tmp_path / "b"
    for folder, text in ((a, "WRONG"), (b, "CORRECT")):
        folder.mkdir()
        (folder / "s1.ipynb").write_text(text)
        grade(folder, "--exercise", "day096", "--out", tmp_path / f"out-{folder.name}")
    code, summary = merge(tmp_path / "out-a", tmp_path / "out-b", "--out", tmp_path / "merged")
    assert code == 2 and "graded from different files in two folders" in summary
    merged = json.loads((tmp_path / "merged" / "results" / "s1.json").read_text())
    assert merged["score"] == 8  # out-b's result is the newer one
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "s2.ipynb").write_text("CORRECT")
    grade(tmp_path / "c", "--exercise", "day096-strides", "--out", tmp_path / "out-c")
    with pytest.raises(UsageError, match="different exercises"):
        merge(tmp_path / "out-a", tmp_path / "out-c", "--out", tmp_path / "merged2")
    with pytest.raises(UsageError, match="no manifest"):
        merge(tmp_path / "a", "--out", tmp_path / "merged3")


def test_the_summary_speaks_the_runs_language_and_merge_follows(tmp_path):
    archive = tmp_path / "class.zip"
    archive.write_bytes(_zip_bytes({"export/alice.ipynb": "CORRECT", "export/bob.ipynb": "WRONG",
                                    "export/carol.ipynb": "not a notebook", "export/../evil.ipynb": "CORRECT"}))
    code, summary = grade(archive, "--exercise", "day096", "--out", tmp_path / "out", "--lang", "zh-TW")
    assert code == 2
    for expected in ("3 位學生", "本次評分 3 份", "分數分布：", "最常失分的項目（", "3 人中    2 人未通過  conv_model（",
                     "無法正常評分（1）：", "輸入檔案的問題（1）：", "輸出："):
        assert expected in summary, (expected, summary)
    assert "score distribution" not in summary and "input problems" not in summary
    buffer = io.StringIO()
    args = cli.build_parser().parse_args(["merge", str(tmp_path / "out"), "--out", str(tmp_path / "merged")])
    from grader.batch.commands import cmd_merge
    cmd_merge(args, console=Console(file=buffer, width=200))
    assert "合併了 1 個資料夾" in buffer.getvalue() and "分數分布：" in buffer.getvalue()


def test_students_zips_stop_being_opened_past_the_runs_unpack_cap(tmp_path, monkeypatch):
    from grader.batch import discover

    monkeypatch.setattr(discover, "BATCH_UNPACK_CAP", 100)  # bytes: the first zip opens, its 140 reach the cap
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "alice.zip").write_bytes(_zip_bytes({"hw.ipynb": "CORRECT" * 20}))
    (subs / "bob.zip").write_bytes(_zip_bytes({"hw.ipynb": "CORRECT"}))
    out = tmp_path / "out"
    code, summary = grade(subs, "--exercise", "day096", "--out", out)
    status = {d["batch"]["id"]: (d["status"], d["score"]) for d in OutDir(out).all_results()}
    assert status == {"alice": ("graded", 8), "bob": ("invalid-submission", 0)}, status
    problems = json.loads((out / "manifest.json").read_text())["problems"]
    assert problems == [{"where": "bob.zip", "what": "student archive: not opened, the students' zips of this run "
                                                     "already unpacked to 140 bytes (cap 100); unpack it yourself"}]
    assert code == 2
