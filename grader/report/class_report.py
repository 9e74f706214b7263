"""The TA's view of a whole class (``OUT/report.html``): one self-contained file.

Score histogram and pass rate per check are inline SVG (no script, no CDN), so
the page opens anywhere and prints. Every string that came from a student (ids,
file names, messages) is escaped with ``html.esc``; links to the feedback pages
are percent-encoded.
"""

from __future__ import annotations

import statistics
from collections import Counter
from typing import Any, Mapping, Sequence
from urllib.parse import quote

from grader.i18n import normalise_lang
from grader.report.common import Doc, needs_look, shown, student_id
from grader.report import similarity_report
from grader.report.html import esc, page
from grader.report.svg import fit, time_bins

_WORDS = {
    "en": {"report": "Class report", "submissions": "submissions", "students": "students", "mean": "mean",
           "median": "median", "full": "full marks", "histogram": "Score distribution",
           "pass_rate": "Pass rate per check", "look": "Needs a human look", "all": "All submissions",
           "nothing": "Nothing stands out.", "score": "Score", "status": "Status", "why": "Why",
           "count": "number of submissions", "problems": "Input problems", "time": "Time per submission",
           "timed": "seconds graded"},
    "zh-TW": {"report": "全班報告", "submissions": "份作業", "students": "位學生", "mean": "平均",
              "median": "中位數", "full": "滿分", "histogram": "分數分布", "pass_rate": "各評分項目通過率",
              "look": "需要人工檢查", "all": "所有作業", "nothing": "沒有需要特別注意的作業。", "score": "分數",
              "status": "狀態", "why": "原因", "count": "作業份數", "problems": "輸入問題", "time": "每份作業的評分時間",
              "timed": "評分秒數"},
}


def _primary(docs: Sequence[Doc]) -> list[Doc]:
    return [d for d in docs if not (d.get("batch") or {}).get("duplicate_of")]


def score_bins(scores: Sequence[float], max_score: float) -> list[tuple[str, int]]:
    """(label, count) per bin: one bin per point up to 20 whole points, else ten equal bins."""
    if max_score <= 0:
        return [("0", len(scores))]
    if max_score <= 20 and float(max_score).is_integer():
        counts = Counter(min(int(s), int(max_score)) for s in scores)
        return [(str(i), counts.get(i, 0)) for i in range(int(max_score) + 1)]
    width = max_score / 10
    counts = Counter(min(int(s / width), 9) for s in scores)
    return [(f"{i * width:g}–{(i + 1) * width:g}", counts.get(i, 0)) for i in range(10)]


def histogram_svg(bins: Sequence[tuple[str, int]], label: str) -> str:
    width, height, left, bottom, top = 640, 220, 40, 30, 20
    plot_h = height - bottom - top
    slot = (width - left) / max(len(bins), 1)
    tallest = max((c for _, c in bins), default=0) or 1
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
             f'aria-label="{esc(label)}" viewBox="0 0 {width} {height}">',
             f'<line x1="{left}" y1="{height - bottom}" x2="{width}" y2="{height - bottom}" stroke="#8c959f"/>']
    for i, (name, count) in enumerate(bins):
        bar_h = plot_h * count / tallest
        x = left + i * slot + slot * 0.1
        y = height - bottom - bar_h
        parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{slot * 0.8:.1f}" height="{bar_h:.1f}" fill="#0969da">'
                     f"<title>{esc(name)}: {count}</title></rect>")
        if count:
            parts.append(f'<text x="{x + slot * 0.4:.1f}" y="{y - 4:.1f}" text-anchor="middle">{count}</text>')
        parts.append(f'<text x="{x + slot * 0.4:.1f}" y="{height - bottom + 16}" text-anchor="middle">'
                     f"{esc(name)}</text>")
    # the axis label turned on its side: its glyphs reach ~14 px left of x, so x leaves room for them
    parts.append(f'<text x="16" y="{top + plot_h / 2:.0f}" transform="rotate(-90 16 {top + plot_h / 2:.0f})" '
                 f'text-anchor="middle">{esc(fit(label, plot_h))}</text></svg>')
    return "".join(parts)


def pass_rates(docs: Sequence[Doc]) -> list[dict[str, Any]]:
    """Per check, in rubric order: title, how many passed, mean points, max points, hidden."""
    rates: dict[str, dict[str, Any]] = {}
    for doc in docs:
        for check in doc["checks"]:
            entry = rates.setdefault(check["id"], {"id": check["id"], "title": check["title"], "passed": 0,
                                                   "points": 0.0, "max_points": check["max_points"], "n": 0,
                                                   "hidden": check.get("hidden", False)})
            entry["n"] += 1
            entry["passed"] += bool(check["passed"])
            entry["points"] += check["points"]
    return list(rates.values())


def pass_rate_svg(rates: Sequence[Mapping[str, Any]]) -> str:
    row, label_w, bar_w = 26, 260, 300
    height = row * len(rates) + 10
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{label_w + bar_w + 150}" height="{height}" '
             f'role="img" aria-label="pass rate per check">']
    for i, rate in enumerate(rates):
        share = rate["passed"] / rate["n"] if rate["n"] else 0.0
        y = 5 + i * row
        parts.append(f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end">{esc(fit(rate["title"], label_w - 12))}'
                     f"<title>{esc(rate['title'])} ({esc(rate['id'])})</title></text>")
        parts.append(f'<rect x="{label_w}" y="{y + 3}" width="{bar_w}" height="16" fill="#eaeef2"/>')
        parts.append(f'<rect x="{label_w}" y="{y + 3}" width="{bar_w * share:.1f}" height="16" fill="#1a7f37"/>')
        mean = rate["points"] / rate["n"] if rate["n"] else 0.0
        parts.append(f'<text x="{label_w + bar_w + 8}" y="{y + 15}">{share:.0%} · mean {mean:.2f}/'
                     f"{shown(rate['max_points'])}</text>")
    return "".join(parts) + "</svg>"


def feedback_link(doc: Doc) -> str:
    slug = (doc.get("batch") or {}).get("slug")
    ident = esc(student_id(doc))
    return f'<a href="feedback/{esc(quote(slug))}.html">{ident}</a>' if slug else ident


def render(docs: Sequence[Doc], title: str = "", problems: Sequence[Mapping[str, str]] = (),
           lang: str = "en", similarity: Mapping[str, Any] | None = None) -> str:
    w = _WORDS[normalise_lang(lang)]
    primary = _primary(docs)
    scores = [d["score"] for d in primary]
    max_score = max((d["max_score"] for d in primary), default=0.0)
    statuses = Counter(d["status"] for d in docs)
    full = sum(1 for d in primary if d["status"] == "graded" and d["score"] >= d["max_score"])
    body = [f"<h1>{esc(title)} — {esc(w['report'])}</h1>",
            f"<p>{len(primary)} {esc(w['students'])}, {len(docs)} {esc(w['submissions'])} · "
            + (f"{esc(w['mean'])} {statistics.fmean(scores):.2f} · {esc(w['median'])} "
               f"{shown(statistics.median(scores))} / {shown(max_score)} · " if scores else "")
            + f"{esc(w['full'])}: {full} · "
            + ", ".join(f"<code>{esc(s)}</code> {n}" for s, n in sorted(statuses.items())) + "</p>",
            f"<h2>{esc(w['histogram'])}</h2>", histogram_svg(score_bins(scores, max_score), w["count"]),
            f"<h2>{esc(w['pass_rate'])}</h2>", pass_rate_svg(pass_rates(primary)),
            f"<h2>{esc(w['time'])}</h2>",
            histogram_svg(time_bins([float(d.get("seconds") or 0) for d in docs]), w["count"]),
            f"<h2>{esc(w['look'])}</h2>"]
    flagged = [(d, needs_look(d, lang)) for d in docs]
    flagged = [(d, reasons) for d, reasons in flagged if reasons]
    if flagged:
        body.append(f"<table><thead><tr><th>id</th><th>{esc(w['status'])}</th><th>{esc(w['why'])}</th></tr>"
                    "</thead><tbody>" + "".join(
                        f"<tr><td>{feedback_link(d)}</td><td><code>{esc(d['status'])}</code></td>"
                        f"<td>{'<br>'.join(esc(r) for r in reasons)}</td></tr>" for d, reasons in flagged)
                    + "</tbody></table>")
    else:
        body.append(f"<p>{esc(w['nothing'])}</p>")
    if problems:
        body.append(f"<h2>{esc(w['problems'])}</h2><ul>" + "".join(
            f"<li><code>{esc(p.get('where', ''))}</code>: {esc(p.get('what', ''))}</li>" for p in problems) + "</ul>")
    slugs = {student_id(d): (d.get("batch") or {}).get("slug") for d in docs}
    similar = similarity_report.section(similarity, normalise_lang(lang), slugs)
    if similar:
        body.append(similar)
    check_ids = [r["id"] for r in pass_rates(docs)]
    head = "".join(f'<th title="{esc(c)}">{i + 1}</th>' for i, c in enumerate(check_ids))
    rows = []
    for doc in docs:
        marks = {c["id"]: ('<span class="ok">✓</span>' if c["passed"] else '<span class="bad">✗</span>')
                 for c in doc["checks"]}
        rows.append(f"<tr><td>{feedback_link(doc)}</td><td class=\"num\">{shown(doc['score'])}/"
                    f"{shown(doc['max_score'])}</td><td><code>{esc(doc['status'])}</code></td>"
                    + "".join(f"<td>{marks.get(c, '')}</td>" for c in check_ids) + "</tr>")
    body.append(f"<h2>{esc(w['all'])}</h2><table><thead><tr><th>id</th><th class=\"num\">{esc(w['score'])}</th>"
                f"<th>{esc(w['status'])}</th>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>")
    return page(f"{title} — {w['report']}", "\n".join(body), normalise_lang(lang))
