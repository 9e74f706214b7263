"""A student's feedback as one self-contained HTML page (``OUT/feedback/<id>.html``).

No script, no external stylesheet or font: the page opens from a file, an LMS
attachment or an e-mail. Every piece of text goes through ``esc``; the student
controls their file name (the id), their answers (quoted in messages) and
their error messages.
"""

from __future__ import annotations

import html

from grader.report import comparison
from grader.report.common import (ResultLike, as_doc, check_lines, clean, read_and_review, run_notes, shown,
                                  student_id, words)

CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Microsoft JhengHei","PingFang TC","Noto Sans CJK TC",
"Noto Sans TC","Source Han Sans TC","WenQuanYi Micro Hei",sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;
color:#1f2328;overflow-wrap:anywhere}
h1{font-size:1.4rem}h2{font-size:1.15rem;margin-top:2rem}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #d0d7de;padding:.35rem .5rem;
text-align:left;vertical-align:top}th{background:#f6f8fa}
.num{text-align:right;white-space:nowrap}.ok{color:#1a7f37}.bad{color:#cf222e}.warn{color:#9a6700}
.dim{color:#656d76}.hint{color:#0969da}ul.details{margin:.2rem 0 0 1rem;padding:0}
.score{font-size:1.2rem;font-weight:600}svg{max-width:100%;height:auto}
svg text{font:12px "Microsoft JhengHei","PingFang TC","Noto Sans CJK TC","Noto Sans TC",sans-serif;fill:#1f2328}
code{background:#f6f8fa;padding:0 .2rem}
.read{color:#656d76;font-size:.92em}.review{color:#9a6700;font-weight:600}
"""


def esc(text: object) -> str:
    return html.escape(clean(text), quote=True)


def page(title: str, body: str, lang: str = "en") -> str:
    """A complete HTML document; ``title`` is escaped here, ``body`` must already be safe."""
    return (f'<!DOCTYPE html>\n<html lang="{esc(lang)}">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{esc(title)}</title>\n<style>{CSS}{comparison.CSS}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n")


def render(result: ResultLike, lang: str | None = None, reveal_hidden: bool = False) -> str:
    doc = as_doc(result, lang)
    w = words(doc)
    ident = student_id(doc)
    colour = "ok" if doc["status"] == "graded" and doc["score"] >= doc["max_score"] else \
        ("warn" if doc["status"] == "graded" else "bad")
    rows = []
    for check in doc["checks"]:
        message, details, hint = check_lines(check, doc, reveal_hidden)
        mark = '<span class="ok">✓</span>' if check["passed"] else '<span class="bad">✗</span>'
        cell = esc(message)
        if details:
            cell += '<ul class="details">' + "".join(f"<li>{esc(d)}</li>" for d in details) + "</ul>"
        cell += "".join(f'<div class="{kind}">{esc(text)}</div>'
                        for kind, text in read_and_review(check, doc, reveal_hidden))
        if hint:
            cell += f'<div class="hint">{esc(w["hint"])}: {esc(hint)}</div>'
        rows.append(f"<tr><td>{mark}</td><td>{esc(check['title'])}</td>"
                    f'<td class="num">{shown(check["points"])}/{shown(check["max_points"])}</td><td>{cell}</td></tr>')
    body = [f"<h1>{esc(w['feedback_for'])} {esc(ident)}</h1>",
            f'<p><span class="score {colour}">{esc(w["score"])}: {shown(doc["score"])} / {shown(doc["max_score"])}</span>'
            f' &nbsp; {esc(w["status"])}: <code>{esc(doc["status"])}</code> &nbsp; '
            f'<span class="dim">{esc(doc.get("exercise", ""))}</span></p>',
            f'<table><thead><tr><th></th><th>{esc(w["check"])}</th><th class="num">{esc(w["points"])}</th>'
            f"<th></th></tr></thead><tbody>{''.join(rows)}</tbody></table>"]
    body += [comparison.html(shown_model, check["title"], doc.get("lang"), esc)
             for check, shown_model in comparison.sections(doc["checks"], reveal_hidden)]
    notes = run_notes(doc)
    if notes:
        body.append(f"<h2>{esc(w['notes'])}</h2><ul>" + "".join(f"<li>{esc(n)}</li>" for n in notes) + "</ul>")
    return page(f"{w['feedback_for']} {ident}", "\n".join(body), doc.get("lang", "en"))
