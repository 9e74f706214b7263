"""Rebuild every aggregate output from ``OUT/results/*.json``, and print the run's summary.

Aggregates are derived data: they are rewritten from the per-student results
at the end of every run (and by ``grader merge``), so they always agree with
them, whatever was interrupted, skipped or merged before. Files whose content
did not change are left alone.
"""

from __future__ import annotations

import contextlib
from typing import Any, Mapping, Sequence

from rich.console import Console
from rich.text import Text

from grader.batch import similarity
from grader.batch.store import FEEDBACK, OutDir, atomic_write
from grader.report import class_report, csv_report, html, junit, markdown
from grader.report.common import Doc, clean, flagged, needs_look, student_id

BOM = "\ufeff"
MOST_MISSED = 5
LIST_AT_MOST = 20

# The TA's terminal summary, in the run's --lang (the manifest keeps it, so `grader merge` follows).
PHRASES: dict[str, dict[str, str]] = {
    "en": {
        "header": "{title}: {students} student(s), {submissions} submission(s) in {root}",
        "count": "{title} ({n}):",
        "more": "... and {n} more (see report.html)",
        "distribution": "score distribution:",
        "most_missed": "most-missed checks",
        "missed": "{missed:>4} of {n} missed  {id}  ({title})",
        "not_graded": "could not be graded normally",
        "duplicates": "students with several files (newest graded as the id, older as id#2, ...)",
        "review": "needs a human look: verdicts the grader is unsure of (see report.html)",
        "also": "{id}: also {others}",
        "problems": "input problems",
        "similar": "similar submissions (at least {threshold:.0%} of one's own text in the other's; for a human "
                   "look, scores unchanged)",
        "pair": "{a} ~ {b}: {share_a:.0%} of {a}'s own text is in {b}'s, {share_b:.0%} the other way",
        "notices": "notices",
        "outputs": "outputs: {paths}",
        "graded_run": "{done} graded this run in {seconds:.1f} s, {fresh} up to date",
        "shard": " (shard {shard})",
        "interrupted": "interrupted: {n} submission(s) not graded; run the same command again to finish",
        "stale": "{n} result(s) in OUT have no submission in {source} (kept in the outputs)",
        "merged": "merged {n} folder(s)",
        "failure": "grader failure on {id}: {error}",
        "notice_ignored": "ignored: not a notebook or script, and the student handed in one",
        "notice_unmatched": "--id-pattern did not match: the id is the file name",
        "notice_skipped": ("skipped: notes or a table, not a submission (hand-ins are .ipynb, .py, a folder or "
                           "a .zip; an --id-pattern that matches its name grades it)"),
    },
    "zh-TW": {
        "header": "{title}：{students} 位學生，{submissions} 份繳交，結果在 {root}",
        "count": "{title}（{n}）：",
        "more": "……還有 {n} 項（見 report.html）",
        "distribution": "分數分布：",
        "most_missed": "最常失分的項目",
        "missed": "{n} 人中 {missed:>4} 人未通過  {id}（{title}）",
        "not_graded": "無法正常評分",
        "duplicates": "繳交多個檔案的學生（最新的以學號評分，較舊的為 學號#2、……）",
        "review": "需要人工確認：評分程式沒有把握的評分項目（見 report.html）",
        "also": "{id}：另有 {others}",
        "problems": "輸入檔案的問題",
        "similar": "內容相似的作業（一方自己寫的內容至少 {threshold:.0%} 出現在另一方；請人工檢查，不影響分數）",
        "pair": "{a} ~ {b}：{a} 自己寫的內容有 {share_a:.0%} 出現在 {b} 的作業中，反之 {share_b:.0%}",
        "notices": "注意事項",
        "outputs": "輸出：{paths}",
        "graded_run": "本次評分 {done} 份，用時 {seconds:.1f} 秒；{fresh} 份已是最新",
        "shard": "（分片 {shard}）",
        "interrupted": "已中斷：{n} 份尚未評分；再執行同一個指令即可完成",
        "stale": "OUT 裡有 {n} 份結果在 {source} 中已找不到繳交檔（仍保留在輸出中）",
        "merged": "合併了 {n} 個資料夾",
        "failure": "評分程式在 {id} 出錯：{error}",
        "notice_ignored": "已略過：不是 notebook 或程式檔，且該學生已繳交了一份",
        "notice_unmatched": "--id-pattern 不符：以檔名作為學號",
        "notice_skipped": "已略過：這是說明或表格檔，不是作業（作業為 .ipynb、.py、資料夾或 .zip；"
                          "若 --id-pattern 符合其檔名，就會評分）",
    },
}


def phrase(lang: str | None, key: str, **values: Any) -> str:
    """One line of the summary in ``lang`` (English when the language is unknown)."""
    return PHRASES.get(lang or "en", PHRASES["en"])[key].format(**values)


def title_of(manifest: Mapping[str, Any]) -> str:
    title = manifest.get("title") or {}
    lang = manifest.get("lang") or "en"
    return title.get(lang) or title.get("en") or manifest.get("exercise", "")


def rebuild(out: OutDir, manifest: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Write grades.csv, feedback/, junit.xml and report.html; return the results they were built from."""
    docs = [d for d in out.all_results() if d.get("exercise") == manifest.get("exercise")]
    lms = manifest.get("lms")
    # Our own layout starts with a byte-order mark: Excel on a Chinese Windows reads a CSV without one as
    # Big5 and garbles every name (Python reads it with "utf-8-sig"). An LMS's import file stays exactly
    # the bytes its importer expects.
    ours = BOM + csv_report.grades_csv(docs)
    _write_if_changed(out, "grades.csv", csv_report.grades_csv(docs, lms, manifest.get("lms_column")) if lms else ours)
    if lms:
        _write_if_changed(out, "grades-detail.csv", ours)
    wanted = set()
    for doc in docs:
        stem = doc["batch"]["slug"]
        for suffix, text in ((".md", markdown.render(doc)), (".html", html.render(doc))):
            wanted.add(stem + suffix)
            _write_if_changed(out, f"{FEEDBACK}/{stem}{suffix}", text)
    for stale in out.feedback.iterdir() if out.feedback.is_dir() else ():
        if stale.name not in wanted:
            with contextlib.suppress(OSError):
                stale.unlink()
    _write_if_changed(out, "junit.xml", junit.render(docs, name=str(manifest.get("exercise", "keras-grader"))))
    problems = list(manifest.get("problems") or ()) + list(manifest.get("notices") or ())
    similar = similarity.rebuild(out, docs, manifest.get("similarity"))
    _write_if_changed(out, "report.html", class_report.render(docs, title_of(manifest), problems,
                                                              manifest.get("lang") or "en", similar))
    return docs


def _write_if_changed(out: OutDir, relative: str, text: str) -> None:
    path = out.root / relative
    with contextlib.suppress(OSError):
        if path.read_text(encoding="utf-8") == text:
            return
    atomic_write(path, text, durable=False)


def print_summary(console: Console, docs: Sequence[Doc], manifest: Mapping[str, Any], out: OutDir,
                  lines: Sequence[str] = ()) -> None:
    """Score distribution, the most-missed checks, what could not be graded and why, where outputs are."""
    lang = manifest.get("lang") or "en"

    def say(text: str, style: str = "") -> None:
        # Text: student ids are not rich markup; clean: no escape sequence in a student's file or zip
        # member name reaches the TA's terminal
        console.print(Text(clean(text), style=style), soft_wrap=True)

    def listing(key: str, items: Sequence[str], style: str = "", **values: Any) -> None:
        if items:
            say(phrase(lang, "count", title=phrase(lang, key, **values), n=len(items)), style)
            for item in items[:LIST_AT_MOST]:
                say(f"  {item}")
            if len(items) > LIST_AT_MOST:
                say("  " + phrase(lang, "more", n=len(items) - LIST_AT_MOST))

    primary = [d for d in docs if not d["batch"].get("duplicate_of")]
    say(phrase(lang, "header", title=title_of(manifest), students=len(primary), submissions=len(docs),
               root=out.root), "bold")
    for line in lines:
        say(line)
    if primary:
        bins = class_report.score_bins([d["score"] for d in primary], max(d["max_score"] for d in primary))
        widest = max(c for _, c in bins) or 1
        label_width = max(len(label) for label, _ in bins)
        say(phrase(lang, "distribution"))
        for label, count in bins:
            say(f"  {label:>{label_width}} | {'█' * round(30 * count / widest)} {count}")
        rates = sorted(class_report.pass_rates(primary), key=lambda r: r["passed"] / max(r["n"], 1))
        listing("most_missed", [phrase(lang, "missed", missed=r["n"] - r["passed"], n=r["n"], id=r["id"],
                                       title=r["title"]) for r in rates if r["passed"] < r["n"]][:MOST_MISSED])
    listing("not_graded", [f"{student_id(d)}: {needs_look(d, lang)[0]}" for d in docs if d["status"] != "graded"],
            "yellow")
    listing("review", [f"{student_id(d)}: {' '.join(clean(c['id']) for c in flagged(d))}" for d in docs if flagged(d)],
            "yellow")
    listing("duplicates", [phrase(lang, "also", id=student_id(d), others=", ".join(d["batch"]["duplicates"]))
                           for d in docs if d["batch"].get("duplicates")], "yellow")
    similar = similarity.load(out)
    if similar is not None and similar["pairs"]:
        listing("similar", [phrase(lang, "pair", a=p["a"], b=p["b"], share_a=p["similarity_a"],
                                   share_b=p["similarity_b"]) for p in similar["pairs"]], "yellow",
                threshold=similar.get("threshold", 0))
    listing("problems", [f"{p['where']}: {p['what']}" for p in manifest.get("problems") or ()], "red")
    listing("notices", [f"{p['where']}: {p['what']}" for p in manifest.get("notices") or ()])
    outputs = ["grades.csv", "report.html", "junit.xml", "feedback/", "results/"]
    say(phrase(lang, "outputs", paths=", ".join(str(out.root / o) for o in outputs)))
