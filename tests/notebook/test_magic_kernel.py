"""``%load_ext grader`` and ``%grade`` in a real Jupyter kernel, on a saved notebook.

The kernel is a plain ipykernel started with jupyter_client, as Jupyter starts
one; the grade comes from a ``grader check`` process the magic starts (the
sandbox, a cold kernel of its own). What the student's kernel shows is read from
its iopub messages; its namespace is listed before and after, by the kernel itself.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from jupyter_client.manager import start_new_kernel

pytestmark = [pytest.mark.kernel, pytest.mark.sandbox]
ROOT = Path(__file__).resolve().parents[2]
SOLUTION = ROOT / "solutions" / "day096-strides" / "day096-strides.ipynb"

# IPython's own bookkeeping, which every executed cell changes whatever it runs.
SNAPSHOT = r'''
import json as _kg_json, re as _kg_re, sys as _kg_sys
def _kg_snapshot():
    own = _kg_re.compile(r"^(_+|_i+|_i?\d+|_ii?i?|In|Out|_oh|_ih|_dh|exit|quit|get_ipython)$")
    ns = get_ipython().user_ns
    return {"names": {k: id(v) for k, v in ns.items() if not own.match(k)}, "out": sorted(ns["Out"]),
            "heavy": sorted(m for m in ("tensorflow", "keras", "jax", "torch") if m in _kg_sys.modules)}
'''


def run(client, code: str, timeout: float = 300) -> list[dict]:
    messages: list[dict] = []
    reply = client.execute_interactive(code, output_hook=messages.append, timeout=timeout)
    assert reply["content"]["status"] == "ok", reply["content"]
    return messages


def snapshot(client) -> dict:
    out = [m for m in run(client, "print(_kg_json.dumps(_kg_snapshot()))") if m["msg_type"] == "stream"]
    return json.loads("".join(m["content"]["text"] for m in out))


def test_grade_magic_shows_the_result_and_leaves_the_kernel_as_it_was(tmp_path):
    notebook = tmp_path / "day096-strides.ipynb"
    shutil.copy(SOLUTION, notebook)
    manager, client = start_new_kernel(kernel_name="python3", cwd=str(tmp_path))
    try:
        run(client, "x = 41\ndef f(): return x + 1\n" + SNAPSHOT)
        run(client, "%load_ext grader")
        before = snapshot(client)
        messages = run(client, f"%grade {notebook} --lang en")
        after = snapshot(client)
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)

    assert not any(m["msg_type"] == "execute_result" for m in messages)  # nothing became Out[n] or _
    shown = [m["content"]["data"] for m in messages if m["msg_type"] == "display_data"]
    assert len(shown) == 1 and "text/html" in shown[0], messages
    html = shown[0]["text/html"]
    assert "Score: 7 / 7" in html and "graded by grader check" in html
    for title in ("Strided Conv2D, then SeparableConv2D with depth_multiplier=2", "The model is compiled with Adam",
                  "P1: predicted output shape", "P2: parameters of the SeparableConv2D layer"):
        assert title in html
    assert "P3" not in html and "valid" not in html.split("hidden check")[-1]  # the hidden check: only counted
    assert "1 hidden check(s) worth 1 point(s): counted in the score, not shown" in html
    assert "Your model beside the expected one" in html and "3·3·16·2 + (16·2 + 1)·32 = 1,344" in html
    assert "Score: 7 / 7" in shown[0]["text/plain"]
    # the student's kernel: the same names bound to the same objects, no new output, no TensorFlow imported
    assert after == before and after["heavy"] == []


def test_grade_magic_says_what_to_do_when_it_cannot_tell_which_notebook(tmp_path):
    manager, client = start_new_kernel(kernel_name="python3", cwd=str(tmp_path))
    try:
        run(client, "%load_ext grader")
        messages = run(client, "%grade", timeout=60)
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    html = next(m["content"]["data"]["text/html"] for m in messages if m["msg_type"] == "display_data")
    assert "cannot tell which notebook this is" in html and "%grade path/to/notebook.ipynb" in html
