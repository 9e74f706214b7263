"""The class report's "similar submissions" section: a bar per pair and the shared passages side by side.

Reads ``OUT/similarity.json`` as ``grader.batch.similarity`` wrote it. Every
passage is the students' own text, escaped; long lines wrap inside their column.
"""

from __future__ import annotations

from typing import Any, Mapping
from urllib.parse import quote

from grader.report.html import esc
from grader.report.svg import fit

WORDS = {
    "en": {"title": "Similar submissions", "none": "No pair reaches the threshold.",
           "about": "{n} students compared; a pair is listed when at least {threshold:.0%} of one student's own "
                    "text (template and passages common to the class removed) is in the other's. For a human look: "
                    "scores are not changed.",
           "pair": "{share_a:.0%} of {a}'s own text is in {b}'s; {share_b:.0%} the other way",
           "shared": "shared passages", "chart": "similarity per pair"},
    "zh-TW": {"title": "內容相似的作業", "none": "沒有超過門檻的組合。",
              "about": "比較了 {n} 位學生；一方自己寫的內容（去除範本與全班共同的段落）至少有 {threshold:.0%} 出現在另一方時列出。"
                       "僅供人工檢查，不影響分數。",
              "pair": "{a} 自己寫的內容有 {share_a:.0%} 出現在 {b} 的作業中；反之 {share_b:.0%}",
              "shared": "共同的段落", "chart": "各組的相似度"},
}
CSS = """
.pair{margin:1rem 0;border:1px solid #d0d7de;border-radius:6px;padding:.5rem .75rem}
.side-by-side{display:grid;grid-template-columns:1fr 1fr;gap:.75rem}.side-by-side>div{min-width:0}
pre.passage{white-space:pre-wrap;overflow-wrap:anywhere;background:#fff8c5;padding:.3rem .5rem;margin:.3rem 0;
font-size:.8rem;max-height:16rem;overflow-y:auto}
"""
ROW, LABEL_W, BAR_W = 24, 300, 260


def pairs_svg(pairs: list[Mapping[str, Any]], label: str) -> str:
    height = ROW * len(pairs) + 10
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{LABEL_W + BAR_W + 110}" height="{height}" '
             f'role="img" aria-label="{esc(label)}">']
    for i, pair in enumerate(pairs):
        y = 5 + i * ROW
        name = f"{pair['a']} ~ {pair['b']}"
        parts.append(f'<text x="{LABEL_W - 8}" y="{y + 14}" text-anchor="end">{esc(fit(name, LABEL_W - 12))}'
                     f"<title>{esc(name)}</title></text>")
        parts.append(f'<rect x="{LABEL_W}" y="{y + 2}" width="{BAR_W}" height="16" fill="#eaeef2"/>')
        parts.append(f'<rect x="{LABEL_W}" y="{y + 2}" width="{BAR_W * min(pair["similarity"], 1):.1f}" height="16" '
                     'fill="#bf8700"/>')
        parts.append(f'<text x="{LABEL_W + BAR_W + 8}" y="{y + 14}">{pair["similarity"]:.0%}</text>')
    return "".join(parts) + "</svg>"


def section(similarity: Mapping[str, Any] | None, lang: str, slugs: Mapping[str, str]) -> str:
    """The section's HTML ('' when the run compared nothing: --no-similarity or a shard)."""
    if similarity is None:
        return ""
    w = WORDS.get(lang, WORDS["en"])
    pairs = similarity.get("pairs") or []
    body = [f"<style>{CSS}</style><h2>{esc(w['title'])}</h2>",
            f"<p>{esc(w['about'].format(n=similarity.get('compared', 0), threshold=similarity.get('threshold', 0)))}</p>"]
    if not pairs:
        return "\n".join(body + [f"<p>{esc(w['none'])}</p>"])
    body.append(pairs_svg(pairs[:30], w["chart"]))
    for pair in pairs:
        a, b = str(pair["a"]), str(pair["b"])
        columns = "".join(
            f"<div><b>{_link(who, slugs)}</b> · {esc(w['shared'])}"
            + "".join(f'<pre class="passage">{esc(p)}</pre>' for p in passages) + "</div>"
            for who, passages in ((a, pair.get("passages_a") or ()), (b, pair.get("passages_b") or ())))
        body.append(f'<div class="pair"><p>{_link(a, slugs)} ~ {_link(b, slugs)} · '
                    f'{esc(w["pair"].format(a=a, b=b, share_a=pair["similarity_a"], share_b=pair["similarity_b"]))}'
                    f'</p><div class="side-by-side">{columns}</div></div>')
    return "\n".join(body)


def _link(ident: str, slugs: Mapping[str, str]) -> str:
    slug = slugs.get(ident)
    return f'<a href="feedback/{esc(quote(slug))}.html">{esc(ident)}</a>' if slug else esc(ident)
