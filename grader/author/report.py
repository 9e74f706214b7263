"""What ``grader validate`` found, for the TA (a table per exercise) and for CI (JSON), in en or zh-TW."""

from __future__ import annotations

from typing import Any, Sequence

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from grader import __version__
from grader.author.validate import ACCEPTED, CAUGHT, ERROR, HOLE, MutantVerdict, Validation
from grader.rubric.result import GradeResult

SCHEMA = "keras-grader.validate/1"

PHRASES: dict[str, dict[str, str]] = {
    "en": {
        "exercise": "{id}  ({folder})",
        "solution": "solution  {score:g} / {max:g}  {path}",
        "template": "template  {score:g} / {max:g}  {path}",
        "no_template": "template  none declared",
        "mutants": "mutants   {n} generated: {caught} caught, {accepted} accepted with a reason, {holes} uncaught"
                   "{errors}  ({seconds:.1f} s)",
        "errors": ", {n} not graded",
        "columns": "mutant|change|meant to catch it|caught by|verdict",
        CAUGHT: "caught", ACCEPTED: "accepted: {reason}", HOLE: "HOLE", ERROR: "not graded",
        "broke": " (the run broke: {what})",
        "problems": "to fix:",
        "warnings": "warnings:",
        "passed": "{id}: valid",
        "failed": "{id}: NOT valid ({n} problem(s))",
        "total": "{n} exercise(s) validated in {seconds:.1f} s: {passed} valid, {failed} not",
        "none": "-",
    },
    "zh-TW": {
        "exercise": "{id}（{folder}）",
        "solution": "參考解答  {score:g} / {max:g}  {path}",
        "template": "範本      {score:g} / {max:g}  {path}",
        "no_template": "範本      未設定",
        "mutants": "突變      共 {n} 個：{caught} 個被抓到，{accepted} 個依理由接受，{holes} 個未被抓到{errors}"
                   "（{seconds:.1f} 秒）",
        "errors": "，{n} 個無法評分",
        "columns": "突變|改了什麼|應由哪個項目抓到|被哪些項目抓到|結果",
        CAUGHT: "抓到", ACCEPTED: "接受：{reason}", HOLE: "漏洞", ERROR: "無法評分",
        "broke": "（執行中斷：{what}）",
        "problems": "需要修正：",
        "warnings": "提醒：",
        "passed": "{id}：通過",
        "failed": "{id}：未通過（{n} 個問題）",
        "total": "驗證了 {n} 個題目，用時 {seconds:.1f} 秒：{passed} 個通過，{failed} 個未通過",
        "none": "-",
    },
}
_STYLE = {CAUGHT: "", ACCEPTED: "yellow", HOLE: "bold red", ERROR: "red"}


def phrase(lang: str, key: str, **values: Any) -> str:
    return PHRASES.get(lang, PHRASES["en"])[key].format(**values)


def render(console: Console, validations: Sequence[Validation], lang: str, seconds: float) -> None:
    for found in validations:
        _render_one(console, found, lang)
        console.print()
    passed = sum(v.exit_code == 0 for v in validations)
    console.print(phrase(lang, "total", n=len(validations), seconds=seconds, passed=passed,
                         failed=len(validations) - passed))


def _render_one(console: Console, found: Validation, lang: str) -> None:
    def say(key: str, **values: Any) -> str:
        return phrase(lang, key, **values)

    exercise = found.exercise
    name = exercise.id if exercise else found.target
    console.print("[bold]" + escape(say("exercise", id=name, folder=exercise.folder) if exercise else name) + "[/]")
    if found.solution_run is not None:
        console.print("  " + escape(say("solution", score=found.solution_run.score,
                                        max=found.solution_run.max_score, path=found.solution)))
    if found.template_run is not None:
        console.print("  " + escape(say("template", score=found.template_run.score,
                                        max=found.template_run.max_score, path=exercise.template if exercise else "")))
    elif exercise is not None:
        console.print("  " + say("no_template"))
    if found.mutants:
        errors = found.count(ERROR)
        console.print("  " + say("mutants", n=len(found.mutants), caught=found.count(CAUGHT),
                                 accepted=found.count(ACCEPTED), holes=found.count(HOLE),
                                 errors=say("errors", n=errors) if errors else "",
                                 seconds=found.mutant_seconds))
        table = Table(show_lines=False, pad_edge=False)
        columns = say("columns").split("|")
        for column in columns:
            table.add_column(column, overflow="fold", no_wrap=column == columns[0])
        for verdict in found.mutants:
            table.add_row(*(escape(cell) for cell in _row(verdict, lang)), style=_STYLE[verdict.verdict])
        console.print(table)
    problems = [p for p in found.problems if p.severity]
    warnings = [p for p in found.problems if not p.severity]
    for title, items in (("problems", problems), ("warnings", warnings)):
        if items:
            console.print("  " + say(title))
            for p in items:
                where = f"{p.where}: " if p.where else ""
                console.print(f"    • {escape(where + p.message.render(lang))}")
    status = say("passed", id=name) if found.exit_code == 0 else say("failed", id=name, n=len(problems))
    console.print(f"  [{'green' if found.exit_code == 0 else 'bold red'}]{escape(status)}[/]")


def _row(verdict: MutantVerdict, lang: str) -> list[str]:
    none = phrase(lang, "none")
    text = phrase(lang, verdict.verdict, reason=_reason(verdict, lang) or "")
    if verdict.broke is not None:
        text += phrase(lang, "broke", what=verdict.broke.render(lang))
    return [verdict.mutant.id, verdict.mutant.change.render(lang), ", ".join(verdict.mutant.meant) or none,
            ", ".join(verdict.caught_by) or none, text]


def _reason(verdict: MutantVerdict, lang: str) -> str | None:
    """The spec's reason in ``lang``, else in the language it was written in."""
    if not verdict.reason:
        return None
    return verdict.reason.get(lang) or next(iter(verdict.reason.values()))


# --------------------------------------------------------------------------- JSON, for CI


def document(validations: Sequence[Validation], lang: str, seconds: float) -> dict[str, Any]:
    code = max((v.exit_code for v in validations), default=0)
    return {"schema": SCHEMA, "grader_version": __version__, "lang": lang, "ok": code == 0, "exit_code": code,
            "seconds": round(seconds, 3), "exercises": [_exercise_doc(v, lang) for v in validations]}


def _exercise_doc(found: Validation, lang: str) -> dict[str, Any]:
    exercise = found.exercise
    return {
        "exercise": exercise.id if exercise else found.target,
        "folder": str(exercise.folder) if exercise else None,
        "solution": str(found.solution) if found.solution else None,
        "ok": found.exit_code == 0, "exit_code": found.exit_code, "seconds": round(found.seconds, 3),
        "mutant_seconds": round(found.mutant_seconds, 3),
        "solution_run": _run_doc(found.solution_run),
        "template_run": None if found.template_run is None else {
            **_run_doc(found.template_run),
            "expected": {c.id: (exercise.validate.template_points.get(c.id, 0.0) if exercise else 0.0)
                         for c in found.template_run.checks}},
        "counts": {"generated": len(found.mutants), "caught": found.count(CAUGHT), "accepted": found.count(ACCEPTED),
                   "holes": found.count(HOLE), "errors": found.count(ERROR)},
        "mutants": [{"id": v.mutant.id, "operator": v.mutant.operator, "change": v.mutant.change.render(lang),
                     "meant": list(v.mutant.meant), "caught_by": list(v.caught_by), "verdict": v.verdict,
                     "reason": _reason(v, lang),
                     "status": v.status, "seconds": round(v.seconds, 3),
                     "broke": v.broke.render(lang) if v.broke else None} for v in found.mutants],
        "problems": [{"kind": p.kind, "where": p.where, "message": p.message.render(lang), "severity": p.severity}
                     for p in found.problems],
    }


def _run_doc(run: GradeResult | None) -> dict[str, Any] | None:
    if run is None:
        return None
    return {"status": run.status.value, "score": run.score, "max_score": run.max_score,
            "seconds": round(run.outcome.seconds, 3), "points": {c.id: c.points for c in run.checks}}
