"""The model-beside-expected table (a check's ``comparison``) in every report format.

Each reporter calls one function here with the check's JSON dict: ``renderable``
(rich: the terminal, and Gradescope's plain-text output), ``markdown`` and
``html``. They share ``table_rows``, so every format shows the same rows, the
same marks (✗ beside each value that breaks the spec) and the same arithmetic.
A hidden check has no comparison (the engine never gives it one); ``shown``
checks that once more.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from grader.i18n import normalise_lang
from grader.report.common import Doc, clean

MARK = "✗"
WORDS = {
    "en": {"title": "Your model beside the expected one: {check}", "model": "your closest model: {model}, built in cell {cell}",
           "expected": "expected", "yours": "yours", "missing": "yours: missing", "extra": "yours: not expected",
           "type": "layer", "output_shape": "output shape", "params": "parameters", "input_shape": "input shape",
           "total_params": "total parameters", "trainable_params": "trainable parameters", "model_row": "model",
           "more": "… {n} more layers not shown", "how": "Where the numbers come from:"},
    "zh-TW": {"title": "你的模型與預期的模型對照：{check}", "model": "最接近的模型：{model}（第 {cell} 格建立）",
              "expected": "預期", "yours": "你的", "missing": "你的：缺少這一層", "extra": "你的：多出的一層",
              "type": "層", "output_shape": "輸出形狀", "params": "參數量", "input_shape": "輸入形狀",
              "total_params": "總參數量", "trainable_params": "可訓練參數量", "model_row": "模型",
              "more": "……還有 {n} 層未列出", "how": "數字怎麼來的："},
}


@dataclass(frozen=True)
class Line:
    """One line of the layer table: ``#2`` and a side ("expected"/"yours"), then one (text, wrong) per column."""

    position: str
    side: str
    cells: tuple[tuple[str, bool], ...]
    wrong: bool = False  # the whole line is a difference (a missing or unexpected layer)


def _shown_cell(cell: object) -> str:
    """The JSON's 0-based cell index as a reader counts cells (from 1)."""
    return str(cell + 1) if isinstance(cell, int) and not isinstance(cell, bool) else "?"


def words(lang: str | None) -> dict[str, str]:
    return WORDS[normalise_lang(lang)]


def shown(check: Doc, reveal_hidden: bool = False) -> Mapping[str, Any] | None:
    """The check's comparison if the reader may see it."""
    if check.get("hidden") and not reveal_hidden:
        return None
    return check.get("comparison") or None


def headers(comparison: Mapping[str, Any], lang: str | None) -> list[str]:
    w = words(lang)
    return ["#", ""] + [w.get(c, c) for c in comparison["columns"]]


def model_line(comparison: Mapping[str, Any], lang: str | None) -> str:
    return words(lang)["model"].format(model=clean(comparison.get("model")), cell=_shown_cell(comparison.get("cell")))


def table_rows(comparison: Mapping[str, Any], lang: str | None) -> list[Line]:
    w = words(lang)
    columns = comparison["columns"]
    lines = []
    for i, row in enumerate(comparison["layers"], 1):
        position, expected, found = f"#{i}", row.get("expected"), row.get("found")
        differs = set(row.get("differs") or ())
        if expected is not None:
            lines.append(Line(position, w["expected"], tuple((clean(expected.get(c, "")), False) for c in columns)))
        if found is None:
            lines.append(Line("" if expected else position, w["missing"], tuple(("", False) for _ in columns), True))
            continue
        side = w["extra"] if row["status"] == "extra" else w["yours"]
        cells = tuple((clean(found.get(c, "")), c in differs and row["status"] != "extra") for c in columns)
        lines.append(Line("" if expected else position, side, cells, row["status"] == "extra"))
    return lines


def property_rows(comparison: Mapping[str, Any], lang: str | None) -> list[tuple[str, str, str, bool]]:
    """(label, expected, yours, differs) for each property of the whole model the spec names."""
    w = words(lang)
    return [(w.get(p["name"], p["name"]), clean(p["expected"]), clean(p["found"]), bool(p["differs"]))
            for p in comparison.get("properties") or ()]


def arithmetic(comparison: Mapping[str, Any]) -> list[str]:
    """Every arithmetic line, each led by the layer's position (#2) or, for the model's totals, nothing."""
    lines = [f"#{i} {clean(text)}" for i, row in enumerate(comparison["layers"], 1) for text in row.get("arithmetic") or ()]
    return lines + [clean(text) for p in comparison.get("properties") or () for text in p.get("arithmetic") or ()]


def _marked(text: str, wrong: bool) -> str:
    return f"{text} {MARK}" if wrong else text


# --------------------------------------------------------------------------- rich (terminal, Gradescope)


def renderable(comparison: Mapping[str, Any], title: str, lang: str | None) -> Any:
    from rich import box
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    w = words(lang)
    table = Table(show_header=True, header_style="bold", show_lines=False, pad_edge=False, box=box.SIMPLE_HEAD)
    for i, header in enumerate(headers(comparison, lang)):  # position, side and layer type are never folded
        table.add_column(header, overflow="fold", no_wrap=i < 3)
    for line in table_rows(comparison, lang):
        style = "red" if line.wrong else ("dim" if line.side == w["expected"] else "")
        table.add_row(line.position, Text(line.side, style=style),
                      *(Text(_marked(text, wrong), style="bold red" if wrong else style) for text, wrong in line.cells))
    if comparison.get("more_layers"):
        table.add_row("", Text(w["more"].format(n=comparison["more_layers"]), style="dim"))
    parts: list[Any] = [Text(w["title"].format(check=title), style="bold"), Text(model_line(comparison, lang), style="dim"),
                        table]
    props = property_rows(comparison, lang)
    if props:
        model = Table(show_header=True, header_style="bold", pad_edge=False, box=box.SIMPLE_HEAD)
        for header in (w["model_row"], w["expected"], w["yours"]):
            model.add_column(header, overflow="fold")
        for label, expected, found, wrong in props:
            model.add_row(label, expected, Text(_marked(found, wrong), style="bold red" if wrong else ""))
        parts.append(model)
    lines = arithmetic(comparison)
    if lines:
        parts.append(Text(w["how"], style="bold"))
        grid = Table.grid(padding=(0, 1))
        grid.add_column()
        grid.add_column(overflow="fold")
        for line in lines:
            grid.add_row("•", Text(line))
        parts.append(grid)
    return Group(*parts)


def plain(comparison: Mapping[str, Any], title: str, lang: str | None, width: int = 240) -> str:
    """The rich rendering as plain text, lines unfolded (Gradescope shows text outputs as they are)."""
    import io

    from rich.console import Console

    buffer = io.StringIO()
    Console(file=buffer, width=width, color_system=None, force_terminal=False).print(
        renderable(comparison, title, lang))
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines())


# --------------------------------------------------------------------------- Markdown


def markdown(comparison: Mapping[str, Any], title: str, lang: str | None, escape) -> list[str]:
    """Lines of Markdown: a heading, the layer table, the model's properties, the arithmetic."""
    w = words(lang)
    cols = headers(comparison, lang)
    lines = [f"### {escape(w['title'].format(check=title))}", "", escape(model_line(comparison, lang)), "",
             "| " + " | ".join(escape(h) for h in cols) + " |", "|" + "---|" * len(cols)]
    for line in table_rows(comparison, lang):
        side = f"**{escape(line.side)}**" if line.wrong else escape(line.side)
        cells = [f"**{escape(text)}** {MARK}" if wrong else escape(text) for text, wrong in line.cells]
        lines.append("| " + " | ".join([escape(line.position), side, *cells]) + " |")
    if comparison.get("more_layers"):
        lines.append("| | " + escape(w["more"].format(n=comparison["more_layers"])) + " |" + " |" * len(cols[2:]))
    props = property_rows(comparison, lang)
    if props:
        lines += ["", f"| {escape(w['model_row'])} | {escape(w['expected'])} | {escape(w['yours'])} |", "|---|---|---|"]
        lines += [f"| {escape(label)} | {escape(expected)} | " + (f"**{escape(found)}** {MARK}" if wrong else escape(found))
                  + " |" for label, expected, found, wrong in props]
    maths = arithmetic(comparison)
    if maths:
        lines += ["", f"*{escape(w['how'])}*", ""] + [f"- {escape(m)}" for m in maths]
    return lines + [""]


# --------------------------------------------------------------------------- HTML

CSS = """
table.cmp{width:auto;max-width:100%;font-size:.85rem;margin:.4rem 0}table.cmp td,table.cmp th{padding:.2rem .45rem;
white-space:nowrap}table.cmp td.side{color:#656d76}table.cmp tr.exp td{color:#656d76;border-bottom:0}
table.cmp td.diff{background:#ffebe9;color:#cf222e;font-weight:600}table.cmp tr.wrong td{color:#cf222e}
.cmpwrap{overflow-x:auto;max-width:100%}ul.maths{margin:.2rem 0 1rem 1rem;padding:0;font-size:.9rem}
"""


def html(comparison: Mapping[str, Any], title: str, lang: str | None, esc) -> str:
    """A block of HTML (``esc`` escapes every text): heading, layer table, properties, arithmetic."""
    w = words(lang)
    head = "".join(f"<th>{esc(h)}</th>" for h in headers(comparison, lang))
    rows = []
    for line in table_rows(comparison, lang):
        kind = "wrong" if line.wrong else ("exp" if line.side == w["expected"] else "")
        cells = "".join(f'<td class="diff">{esc(_marked(text, True))}</td>' if wrong else f"<td>{esc(text)}</td>"
                        for text, wrong in line.cells)
        rows.append(f'<tr class="{kind}"><td>{esc(line.position)}</td><td class="side">{esc(line.side)}</td>'
                    f"{cells}</tr>")
    if comparison.get("more_layers"):
        rows.append(f'<tr><td></td><td colspan="{len(comparison["columns"]) + 1}" class="side">'
                    f'{esc(w["more"].format(n=comparison["more_layers"]))}</td></tr>')
    parts = [f"<h3>{esc(w['title'].format(check=title))}</h3>", f'<p class="dim">{esc(model_line(comparison, lang))}</p>',
             f'<div class="cmpwrap"><table class="cmp"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}'
             "</tbody></table></div>"]
    props = property_rows(comparison, lang)
    if props:
        body = "".join(f"<tr><td>{esc(label)}</td><td>{esc(expected)}</td>"
                       + (f'<td class="diff">{esc(_marked(found, True))}</td>' if wrong else f"<td>{esc(found)}</td>")
                       + "</tr>" for label, expected, found, wrong in props)
        parts.append(f'<div class="cmpwrap"><table class="cmp"><thead><tr><th>{esc(w["model_row"])}</th>'
                     f'<th>{esc(w["expected"])}</th><th>{esc(w["yours"])}</th></tr></thead><tbody>{body}</tbody>'
                     "</table></div>")
    maths = arithmetic(comparison)
    if maths:
        parts.append(f"<p><b>{esc(w['how'])}</b></p><ul class=\"maths\">"
                     + "".join(f"<li>{esc(m)}</li>" for m in maths) + "</ul>")
    return "\n".join(parts)


def sections(checks: Sequence[Doc], reveal_hidden: bool = False) -> list[tuple[Doc, Mapping[str, Any]]]:
    """The checks that have a comparison the reader may see, each with it."""
    return [(check, comparison) for check in checks for comparison in (shown(check, reveal_hidden),) if comparison]
