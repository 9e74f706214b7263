"""The self-check's result as a notebook shows it: ``_repr_html_``, the protocol every Jupyter front end knows.

A fragment, not a page: the score, each visible check with what was measured
(its message and details), where an answer was read, whether a person will look, its hint and the
model beside the expected one;
hidden checks only counted ("2 hidden checks, counted in the score"): neither
their titles nor their verdicts. Every text is escaped (``report.html.esc``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from grader.i18n import normalise_lang
from grader.report import comparison
from grader.report.common import check_lines, read_and_review, run_notes, shown
from grader.report.html import esc

PHRASES = {
    "en": {"score": "Score", "hidden": "{n} hidden check(s) worth {points} point(s): counted in the score, not shown",
           "hint": "hint", "via_watch": "graded by your running grader watch", "via_check": "graded by grader check",
           "in": "in {seconds:.1f} s", "failed": "Could not grade the notebook",
           "stale": "The saved file ({saved}) is older than your last edit ({edited}): the grade is of the saved "
                    "file. Save the notebook (Ctrl-S, File > Save) and run %grade again."},
    "zh-TW": {"score": "總分", "hidden": "{n} 個隱藏的評分項目（共 {points} 分）：計入總分，不顯示內容", "hint": "提示",
              "via_watch": "由執行中的 grader watch 評分", "via_check": "由 grader check 評分", "in": "用時 {seconds:.1f} 秒",
              "failed": "無法評分這個筆記本",
              "stale": "存檔的檔案（{saved}）比你最後的修改（{edited}）舊：評分的是存檔的內容。請先存檔（Ctrl-S，"
                       "File > Save），再執行一次 %grade。"},
}
CSS = """
.kg-selfcheck{font:14px/1.45 system-ui,-apple-system,"Segoe UI","Microsoft JhengHei","PingFang TC","Noto Sans CJK TC",
"Noto Sans TC",sans-serif;max-width:100%}.kg-selfcheck .score{font-size:1.15rem;font-weight:600}
.kg-selfcheck .ok{color:#1a7f37}.kg-selfcheck .bad{color:#cf222e}.kg-selfcheck .warn{color:#9a6700}
.kg-selfcheck .dim{color:#656d76}.kg-selfcheck .hint{color:#0969da}.kg-selfcheck ul{margin:.2rem 0 .2rem 1.2rem}
.kg-selfcheck .check{margin:.5rem 0;padding:.3rem .6rem;border-left:3px solid #d0d7de}
.kg-selfcheck .read{color:#656d76;font-style:italic}.kg-selfcheck .review{color:#9a6700}
.kg-selfcheck .stale{background:#fff8c5;padding:.4rem .6rem;border-radius:4px}
"""


class SelfCheckReport:
    """A graded result (the JSON contract's dict) to display; ``score`` and ``doc`` for those who want numbers."""

    def __init__(self, doc: Mapping[str, Any] | None, path: Path | None = None, warnings: list[str] | None = None,
                 seconds: float = 0.0, via: str = "check", error: str | None = None, lang: str = "en") -> None:
        self.doc, self.path, self.warnings, self.seconds, self.via, self.error = doc, path, warnings or [], seconds, \
            via, error
        self.lang = normalise_lang((doc or {}).get("lang") or lang)

    @classmethod
    def failure(cls, error: str, lang: str, path: Path | None = None, warnings: list[str] | None = None):
        return cls(None, path=path, warnings=warnings, error=error, lang=lang)

    @staticmethod
    def say(lang: str, key: str, **values: Any) -> str:
        return PHRASES[normalise_lang(lang)][key].format(**values)

    @property
    def score(self) -> float | None:
        return None if self.doc is None else self.doc.get("score")

    def __repr__(self) -> str:
        if self.doc is None:
            return f"{self.say(self.lang, 'failed')}: {self.error}"
        return f"{self.say(self.lang, 'score')}: {shown(self.doc['score'])} / {shown(self.doc['max_score'])}"

    def _repr_html_(self) -> str:
        lang = self.lang
        parts = [f"<style>{CSS}{comparison.CSS}</style>", '<div class="kg-selfcheck">']
        parts += [f'<p class="stale">⚠ {esc(w)}</p>' for w in self.warnings]
        if self.doc is None:
            parts.append(f'<p class="bad"><b>{esc(self.say(lang, "failed"))}</b>: {esc(self.error)}</p></div>')
            return "".join(parts)
        doc = self.doc
        full = doc["status"] == "graded" and doc["score"] >= doc["max_score"]
        colour = "ok" if full else ("warn" if doc["status"] == "graded" else "bad")
        name = esc(self.path.name if self.path else doc.get("submission", ""))
        parts.append(f'<p><span class="score {colour}">{esc(self.say(lang, "score"))}: {shown(doc["score"])} / '
                     f'{shown(doc["max_score"])}</span> &nbsp; <code>{esc(doc["status"])}</code> &nbsp; '
                     f'<span class="dim">{name} · {esc(self.say(lang, "via_" + self.via))} '
                     f'{esc(self.say(lang, "in", seconds=self.seconds))}</span></p>')
        hidden = [c for c in doc["checks"] if c.get("hidden")]
        for check in doc["checks"]:
            if check.get("hidden"):
                continue
            message, details, hint = check_lines(check, doc)
            mark = '<span class="ok">✓</span>' if check["passed"] else '<span class="bad">✗</span>'
            block = [f'<div class="check">{mark} <b>{esc(check["title"])}</b> '
                     f'<span class="dim">{shown(check["points"])}/{shown(check["max_points"])}</span><br>{esc(message)}']
            if details:
                block.append("<ul>" + "".join(f"<li>{esc(d)}</li>" for d in details) + "</ul>")
            block += [f'<div class="{kind}">{esc(text)}</div>' for kind, text in read_and_review(check, doc)]
            if hint:
                block.append(f'<div class="hint">{esc(self.say(lang, "hint"))}: {esc(hint)}</div>')
            model = comparison.shown(check)
            if model:
                block.append(comparison.html(model, check["title"], lang, esc))
            parts.append("".join(block) + "</div>")
        if hidden:
            points = shown(sum(c["max_points"] for c in hidden))
            parts.append(f'<p class="dim">{esc(self.say(lang, "hidden", n=len(hidden), points=points))}</p>')
        notes = run_notes(doc)
        if notes:
            parts.append("<ul>" + "".join(f"<li>{esc(n)}</li>" for n in notes) + "</ul>")
        return "".join(parts) + "</div>"
