"""The notebook front end without a kernel: finding the notebook, the save-first warning, the display, the watch."""

from __future__ import annotations

import http.server
import json
import re
import sys
import threading
import time
import types
from pathlib import Path

import pytest

import grader
from grader.notebook import locate, selfcheck
from grader.notebook.display import SelfCheckReport
from grader.report.json_report import result_to_dict
from grader.rubric.engine import grade
from grader.rubric.spec import load_exercise
from grader.submission import load_submission
from grader.watch import Latest, ask, serve
from tests.unit.factories import conv_model, outcome, separable_model

ROOT = Path(__file__).resolve().parents[2]


def notebook(path: Path, *codes: str, metadata: dict | None = None) -> Path:
    cells = [{"cell_type": "code", "source": code, "metadata": {}, "outputs": [], "execution_count": None}
             for code in codes]
    path.write_text(json.dumps({"cells": cells, "metadata": metadata or {}, "nbformat": 4, "nbformat_minor": 5}),
                    encoding="utf-8")
    return path


class Sessions(http.server.BaseHTTPRequestHandler):
    """Jupyter Server's /api/sessions, as much of it as the locator reads; only with the right token."""

    sessions: list = []

    def do_GET(self):  # noqa: N802 (http.server's name)
        ok = self.path == "/api/sessions" and self.headers.get("Authorization") == "token s3cret"
        body = json.dumps(self.sessions if ok else {"message": "Forbidden"}).encode()
        self.send_response(200 if ok else 403)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def jupyter_server(tmp_path):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Sessions)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    runtime = tmp_path / "runtime"
    runtime.mkdir()
    (runtime / "jpserver-1.json").write_text(json.dumps({
        "url": f"http://127.0.0.1:{server.server_port}/", "token": "s3cret", "root_dir": str(tmp_path)}))
    (runtime / "jpserver-2.json").write_text(json.dumps({"url": "http://127.0.0.1:9/", "token": "x"}))  # gone
    yield runtime
    server.shutdown()
    server.server_close()


def test_the_jupyter_session_of_this_kernel_names_the_notebook(tmp_path, jupyter_server):
    (tmp_path / "hw").mkdir()
    target = notebook(tmp_path / "hw" / "Day_096.ipynb", "x = 1")
    Sessions.sessions = [{"path": "other.ipynb", "kernel": {"id": "k-other"}},
                         {"path": "hw/Day_096.ipynb", "kernel": {"id": "k-mine"}}]
    assert locate.jupyter_notebook("k-mine", str(jupyter_server)) == target
    assert locate.jupyter_notebook("k-unknown", str(jupyter_server)) is None


def test_vscode_and_colab_are_asked_before_jupyter(tmp_path, monkeypatch):
    saved = notebook(tmp_path / "vs.ipynb", "x = 1")
    shell = types.SimpleNamespace(user_ns={"__vsc_ipynb_file__": str(saved)})
    assert locate.locate(shell) == locate.Located(saved, "vscode")
    requests = []

    def blocking_request(kind, request="", timeout_sec=None):
        requests.append(kind)
        return {"ipynb": {"cells": [], "metadata": {"colab": {"name": "Day_096_HW.ipynb"}}, "nbformat": 4}}

    colab = types.ModuleType("google.colab")
    colab._message = types.SimpleNamespace(blocking_request=blocking_request)
    monkeypatch.setitem(sys.modules, "google", types.ModuleType("google"))
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    found = locate.locate(types.SimpleNamespace(user_ns={}))
    assert requests == ["get_ipynb"] and found.source == "colab" and found.live
    assert found.path.name == "Day_096_HW.ipynb" and json.loads(found.path.read_text())["nbformat"] == 4


def test_a_path_that_is_not_there_is_refused_with_what_to_do(tmp_path):
    report = selfcheck.check(None, tmp_path / "nope.ipynb")
    assert report.doc is None and "no such notebook" in report._repr_html_()


def test_save_first_warning_only_for_code_the_saved_file_lacks(tmp_path):
    path = notebook(tmp_path / "hw.ipynb", "x = 1\n", "model = build()")
    clock = selfcheck.CellClock()
    later = path.stat().st_mtime + 5
    clock.runs = [(later, "x = 1"), (later, "%grade"), (later - 60, "y = 2")]
    assert selfcheck.stale_warning(path, clock, "en") == []  # ran after the save, but what ran is saved
    clock.runs.append((later, "model = build(filters=64)"))
    [warning] = selfcheck.stale_warning(path, clock, "zh-TW")
    assert "請先存檔" in warning and "%grade" in warning


def test_language_from_the_option_then_the_notebook_then_the_environment(tmp_path, monkeypatch):
    path = notebook(tmp_path / "hw.ipynb", "x = 1", metadata={"keras_grader": {"lang": "zh-TW"}})
    assert selfcheck.choose_lang("en", path) == "en"
    assert selfcheck.choose_lang(None, path) == "zh-TW"
    monkeypatch.setenv(selfcheck.LANG_ENV, "zh_TW")
    assert selfcheck.choose_lang(None, notebook(tmp_path / "plain.ipynb", "x = 1")) == "zh-TW"


def _doc(lang="en"):
    exercise = load_exercise(ROOT / "exercises" / "day096")
    return result_to_dict(grade(exercise, None, outcome(conv_model(second=32), separable_model())), lang)


def test_the_display_shows_visible_checks_and_only_counts_hidden_ones():
    doc = _doc("zh-TW")
    doc["checks"][2]["hidden"] = True  # Q1 as a hidden check
    html = SelfCheckReport(doc, path=Path("hw.ipynb"))._repr_html_()
    assert "總分: 2 / 8" in html
    assert "兩層 Conv2D 的模型" in html and "filters 應為 64，實際為 32" in html and "提示" in html
    assert "Q1" not in html and "1 個隱藏的評分項目（共 1 分）" in html
    assert "你的模型與預期的模型對照" in html and "(3·3·3 + 1)·32 = 896" in html
    assert "<script" not in html


def test_the_display_quotes_where_each_answer_was_read(tmp_path):
    path = tmp_path / "day096.ipynb"
    path.write_text(json.dumps({"cells": [{"cell_type": "markdown", "metadata": {}, "source": "Q2: Adadelta\n\nQ3: 5 層"}],
                                "metadata": {}, "nbformat": 4, "nbformat_minor": 5}), encoding="utf-8")
    exercise = load_exercise(ROOT / "exercises" / "day096")
    doc = result_to_dict(grade(exercise, load_submission(path), outcome()), "en")
    html = SelfCheckReport(doc, path=path)._repr_html_()
    assert re.search(r"read in cell 1.{0,40}Adadelta", html) and re.search(r"read in cell 1.{0,40}5 層", html)


def test_importing_grader_and_loading_the_extension_imports_no_tensorflow():
    import subprocess

    code = ("import sys, grader; from IPython.testing.globalipapp import start_ipython; ip = start_ipython();"
            "ip.run_line_magic('load_ext', 'grader');"
            "print(sorted(m for m in ('tensorflow', 'keras', 'grader.execute.runner') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert out.stdout.strip().splitlines()[-1] == "[]", out.stderr
    assert callable(grader.check) and callable(grader.load_ipython_extension)


def test_a_running_watch_answers_with_the_result_of_the_file_as_saved(tmp_path):
    path = notebook(tmp_path / "day096.ipynb", "x = 1")
    exercise = load_exercise(ROOT / "exercises" / "day096")
    result = grade(exercise, None, outcome(conv_model()))
    latest = Latest()
    answering = serve(path, latest, wait=1)
    try:
        stamp = (path.stat().st_mtime_ns, path.stat().st_size)
        threading.Timer(0.3, latest.publish, (stamp, result)).start()  # the watch's run finishes a little later
        began = time.monotonic()
        doc = ask(path, "zh-TW", timeout=10)
        assert doc is not None and doc["lang"] == "zh-TW" and doc["checks"][0]["passed"]
        assert time.monotonic() - began >= 0.25  # it waited for the run of this save
        path.write_text(path.read_text() + " ", encoding="utf-8")  # saved again: the old result is not it
        assert ask(path, "en", timeout=10) is None
    finally:
        answering.close()
    assert ask(path, "en") is None and not answering.where.exists()
