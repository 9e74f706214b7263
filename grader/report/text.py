"""The terminal report: what a student reads after ``grader check``.

Built as rich renderables from the result (data in, renderable out), so the
same code prints to a terminal, to a file, or to a string in tests.
"""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from grader.execute.outcome import Status
from grader.i18n import normalise_lang
from grader.report import comparison
from grader.report.common import as_doc, clean, read_and_review, run_notes, shown, training_lines
from grader.rubric.result import GradeResult

_HEAD = {
    "en": {"check": "Check", "points": "Points", "feedback": "Feedback", "hint": "hint", "score": "Score",
           "status": "status", "notes": "About the run", "hidden": "hidden check: counted, not shown",
           "training": "How the models were trained"},
    "zh-TW": {"check": "評分項目", "points": "分數", "feedback": "回饋", "hint": "提示", "score": "總分",
              "status": "狀態", "notes": "執行狀況", "hidden": "隱藏的評分項目：計分但不顯示",
              "training": "模型的訓練方式"},
}


def _hanging(rows: list[tuple[str, str]], style: str = "") -> Table:
    """Labelled lines ("•", "hint:") as a grid, each text folding in its own column under itself.

    Not one Text: a line of Chinese has no space to break at, so a long one moved to the line after
    its label and left the label alone. Text cells, not markup: a student's error may hold "[/]".
    """
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style=style)
    grid.add_column(overflow="fold", style=style)
    for label, text in rows:
        grid.add_row(Text(label), Text(text))
    return grid


_STYLE = {"read": "dim", "review": "yellow"}


def render(result: GradeResult, lang: str = "en", reveal_hidden: bool = False) -> RenderableType:
    lang = normalise_lang(lang)
    words = _HEAD[lang]
    ok = result.full_marks
    colour = "green" if ok else ("yellow" if result.status == Status.GRADED else "red")
    header = Text.assemble(
        (f"{words['score']}: {shown(result.score)} / {shown(result.max_score)}", f"bold {colour}"),
        f"   {words['status']}: {result.status.value}   ", (result.submission, "dim"))
    table = Table(show_header=True, header_style="bold", expand=True, show_lines=False)
    table.add_column("", width=2, no_wrap=True)
    # fold, not the default ellipsis: Chinese has no spaces to wrap at, so a long title or a verdict
    # at the end of a quoted answer ("...不正確") was cut off
    table.add_column(words["check"], ratio=2, overflow="fold")
    table.add_column(words["points"], justify="right", no_wrap=True)
    table.add_column(words["feedback"], ratio=5, overflow="fold")
    doc = as_doc(result, lang)
    for check, entry in zip(result.checks, doc["checks"]):
        mark = Text("✓", style="green") if check.passed else Text("✗", style="red")
        title = Text(check.title.get(lang) or check.title.get("en") or check.id)
        if check.hidden and not reveal_hidden:
            feedback = Text(words["hidden"], style="dim")
        else:
            lines: list[RenderableType] = [Text(check.message.render(lang))]
            if check.details:
                lines.append(_hanging([("•", detail.render(lang)) for detail in check.details], "dim"))
            lines.extend(Text(text, style=_STYLE[kind]) for kind, text in read_and_review(entry, doc, reveal_hidden))
            if check.hint:
                lines.append(_hanging([(f"{words['hint']}:", check.hint.get(lang) or check.hint.get("en", ""))], "cyan"))
            feedback = Group(*lines)
        table.add_row(mark, title, f"{shown(check.points)}/{shown(check.max_points)}", feedback)
    parts: list[RenderableType] = [header, table]
    parts += [comparison.renderable(shown_model, check["title"], lang)
              for check, shown_model in comparison.sections(doc["checks"], reveal_hidden)]
    trainings = training_lines(doc, lang)
    if trainings:
        parts.append(Panel(_hanging([("•", line) for line in trainings], "dim"), title=words["training"],
                           border_style="dim", title_align="left"))
    notes = run_notes(doc)  # the same notes, in the same order, as every other report
    if notes:
        parts.append(Panel(_hanging([("•", clean(note)) for note in notes]), title=words["notes"],
                           border_style=colour, title_align="left"))
    return Group(*parts)
