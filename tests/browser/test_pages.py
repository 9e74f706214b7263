"""report.html and a feedback page, in English and Traditional Chinese, as headless Chromium renders them.

Each page is opened 1280 pixels wide (tests/browser/cdp.py drives Chromium over
its DevTools pipe). Asserted in the rendered page: every check and every
student is there, nothing reaches past the page's width (a wide table may
scroll inside its own box), every SVG label stays inside its plot, and the
Chinese text is drawn with a CJK font (glyphs counted per font by Chromium
itself, so a missing-glyph box cannot pass). Screenshots go to
``browser-screenshots/`` (or ``$KERAS_GRADER_SCREENSHOTS``), not committed.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest
from rich.console import Console

from grader import cli
from grader.batch.commands import cmd_grade
from grader.report import html
from grader.rubric.engine import grade
from tests.batch.fakes import fake_grade
from tests.batch.test_similarity import make_class
from tests.browser.cdp import Chromium, find_chromium
from tests.unit.test_comparison import SPEC, stack
from tests.unit.factories import outcome

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]
SHOTS = Path(os.environ.get("KERAS_GRADER_SCREENSHOTS") or ROOT / "browser-screenshots")
WIDTH = 1280
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]")
CJK_FONT = re.compile(r"CJK|Noto Sans TC|Noto Serif TC|Source Han|WenQuanYi|Droid Sans Fallback|AR PL|JhengHei|PingFang")

# Everything that reaches past the page's right edge without a scrolling box of its own around it.
OVERFLOW = """(() => {
  const edge = document.documentElement.clientWidth, out = [];
  const scrolls = el => { for (let p = el.parentElement; p; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX; if (o === 'auto' || o === 'scroll' || o === 'hidden') return true; }
    return false; };
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width && r.right > edge + 0.5 && !scrolls(el)) out.push(el.tagName + ' ' + (el.textContent || '').slice(0, 40));
  }
  return {page: document.documentElement.scrollWidth, edge, out};
})()"""
# SVG labels that do not fit inside their own plot.
LABELS = """(() => [...document.querySelectorAll('svg')].flatMap(svg => {
  const box = svg.getBoundingClientRect();
  return [...svg.querySelectorAll('text')].filter(t => { const r = t.getBoundingClientRect();
    return r.left < box.left - 0.5 || r.right > box.right + 0.5 || r.top < box.top - 0.5 || r.bottom > box.bottom + 0.5;
  }).map(t => t.textContent);
}))()"""


@pytest.fixture(scope="module")
def browser():
    binary = find_chromium()
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is not installed: scripts/system-deps installs it (Debian's chromium)")
        pytest.skip("Chromium is not installed (scripts/system-deps installs it)")
    chromium = Chromium(binary, width=WIDTH)
    yield chromium
    chromium.close()


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    """report.html of a small class (a similar pair included) and a feedback page with a comparison, per language."""
    root = tmp_path_factory.mktemp("pages")
    subs = make_class(root)
    made = {}
    for lang in ("en", "zh-TW"):
        out = root / f"out-{lang}"
        args = cli.build_parser().parse_args(["grade", str(subs), "--exercise", "day096-strides", "--out", str(out),
                                              "--lang", lang])
        assert cmd_grade(args, grade_fn=fake_grade, console=Console(file=io.StringIO())) == 0
        folder = root / f"stack-{lang}" / "stack"
        folder.mkdir(parents=True)
        (folder / "exercise.toml").write_text(SPEC.replace("UNITS", "10").replace("TOTAL", "22282"), encoding="utf-8")
        from grader.rubric.spec import load_exercise

        feedback = root / f"feedback-{lang}.html"
        result = grade(load_exercise(folder), None, outcome(stack(12)), submission_name="王小明 b09123456")
        feedback.write_text(html.render(result, lang), encoding="utf-8")
        made[lang] = (out / "report.html", feedback, out)
    return made


def _look(browser, page: Path, shot: str) -> str:
    browser.open(page)
    layout = browser.evaluate(OVERFLOW)
    assert layout["page"] <= WIDTH and layout["out"] == [], layout
    assert browser.evaluate(LABELS) == []
    browser.screenshot(SHOTS / shot)
    return browser.evaluate("document.body.innerText")


@pytest.mark.parametrize("lang", ["en", "zh-TW"])
def test_class_report_in_a_browser(browser, pages, lang):
    import json

    report, _, out = pages[lang]
    text = _look(browser, report, f"report-{lang}.png")
    docs = [json.loads(p.read_text(encoding="utf-8")) for p in (out / "results").glob("*.json")]
    assert len(docs) == 11
    for doc in docs:
        assert doc["batch"]["id"] in text
        for check in doc["checks"]:
            assert check["title"] in text or check["title"][:20] in text  # the table names each, the plot cuts long ones
    assert ("Similar submissions" if lang == "en" else "內容相似的作業") in text and "s20" in text
    assert browser.evaluate("document.querySelectorAll('svg').length") == 4  # scores, pass rate, time, pairs
    if lang == "zh-TW":
        _assert_cjk_font(browser, "h1, h2, svg text")


@pytest.mark.parametrize("lang", ["en", "zh-TW"])
def test_feedback_page_in_a_browser(browser, pages, lang):
    _, feedback, _ = pages[lang]
    text = _look(browser, feedback, f"feedback-{lang}.png")
    assert "王小明 b09123456" in text
    for title in {"en": ("The stack",), "zh-TW": ("這個模型",)}[lang]:
        assert title in text
    assert "(16·2 + 1)·32 = 1,344" in text and "24,588 ✗" not in text  # differences are marked on found values
    assert "12 ✗" in text
    # the model beside the expected one is read whole at 1280 px: its box does not have to scroll
    widths = browser.evaluate("[...document.querySelectorAll('.cmpwrap')].map(b => [b.scrollWidth, b.clientWidth])")
    assert widths and all(scroll <= client for scroll, client in widths), widths
    _assert_cjk_font(browser, "h1, th, li")


def _assert_cjk_font(browser, selector: str) -> None:
    """Every CJK character in these nodes was drawn by a CJK font: the glyphs Chromium counts for CJK fonts
    are at least as many as the CJK characters (a character with no font shows as a box, counted elsewhere)."""
    # an SVG label's own text, without its <title> tooltip (not drawn)
    nodes = browser.evaluate(f"[...document.querySelectorAll({selector!r})].map(n => n.tagName === 'text' ? "
                             "[...n.childNodes].filter(c => c.nodeType === 3).map(c => c.nodeValue).join('') : "
                             "n.innerText)")
    fonts = browser.fonts_for(selector)
    checked = 0
    for text, used in zip(nodes, fonts):
        wanted = len(CJK.findall(text or ""))
        if not wanted:
            continue
        drawn = sum(f["glyphCount"] for f in used if CJK_FONT.search(f["familyName"]))
        assert drawn >= wanted, (text, used)
        checked += 1
    assert checked, "no Chinese text found to check"
