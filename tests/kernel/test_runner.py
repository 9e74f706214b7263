"""The runner against real kernels: every way a notebook run can end.

Most tests use the TensorFlow-free stub probe (tests/files/runner/stub_probe.py)
so each costs one kernel start (~1 s); the Keras test uses the real probe.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from grader.execute import runner
from grader.execute.launcher import Limits
from grader.execute.local import LocalLauncher
from grader.execute.outcome import Status
from grader.execute.runner import run_submission
from grader.harvest.schema import MIME_TYPE
from grader.submission.model import Cell, Submission

pytestmark = pytest.mark.kernel

FILES = Path(__file__).resolve().parents[1] / "files" / "runner"
STUB = (FILES / "stub_probe.py").read_text(encoding="utf-8")
REPO = Path(__file__).resolve().parents[2]


def submission(tmp_path: Path, *sources: str) -> Submission:
    """A notebook with a markdown title, then one code cell per source (code cell i has index i + 1)."""
    path = tmp_path / "homework.ipynb"
    path.write_text("{}", encoding="utf-8")
    cells = (Cell(0, "markdown", "# Homework"),) + tuple(Cell(i + 1, "code", s) for i, s in enumerate(sources))
    return Submission(path=path, fmt="ipynb", cells=cells)


def run(sub: Submission, *, probe: str = STUB, **limits: float):
    limits.setdefault("cell_timeout", 20)
    limits.setdefault("total_timeout", 60)
    return run_submission(sub, limits=Limits(**limits), probe_source=probe)


def states(outcome) -> list[str]:
    return [c.state.value for c in outcome.cells]


def names(outcome) -> list[str]:
    return [m.name for m in outcome.harvest.models]


def test_normal_run_harvests_models_in_a_scrubbed_ipc_kernel(tmp_path, monkeypatch):
    monkeypatch.setenv("GRADER_TEST_SECRET", "hunter2")
    data = tmp_path / "data.csv"
    data.write_text("x,y\n1,2\n", encoding="utf-8")
    sub = submission(
        tmp_path,
        "net = FakeModel('net')",
        "import os, json, ipykernel.connect\n"
        "assert 'GRADER_TEST_SECRET' not in os.environ, 'host secret leaked'\n"
        "assert os.environ['HOME'] == os.getcwd()\n"
        "assert open('data.csv').read().startswith('x,y') and os.path.exists('homework.ipynb')\n"
        "assert json.load(open(ipykernel.connect.get_connection_file()))['transport'] == 'ipc'\n"
        "print('hello')",
    )
    outcome = run_submission(sub, limits=Limits(cell_timeout=20, total_timeout=60), files=[data],
                             probe_source=STUB)
    assert outcome.status is Status.GRADED, outcome
    assert [c.index for c in outcome.cells] == [1, 2]
    assert states(outcome) == ["ok", "ok"], outcome.cells
    assert names(outcome) == ["net"] and outcome.harvest.models[0].cell == 1
    assert outcome.isolation.network == "none" and outcome.isolation.notes
    assert outcome.output_truncated_bytes == 0 and outcome.message is None


def test_failing_cells_are_recorded_and_later_cells_still_run(tmp_path):
    sub = submission(
        tmp_path,
        "def divide():\n    return 1 / 0\ndivide()",
        "Here I explain my model, typed into a code cell.",
        "from keras_contrib.layers import CRF  # a package this machine lacks",
        "late = FakeModel('late')",
    )
    outcome = run(sub)
    assert outcome.status is Status.GRADED
    assert states(outcome) == ["error", "error", "error", "ok"]
    zero, syntax, imp, _ = outcome.cells
    assert zero.error_name == "ZeroDivisionError" and "division by zero" in zero.error_value
    assert "divide()" in zero.traceback and "\x1b[" not in zero.traceback
    assert len(zero.traceback.splitlines()) <= runner.TRACEBACK_LINES
    assert syntax.error_name == "SyntaxError"
    assert imp.error_name in ("ModuleNotFoundError", "ImportError")
    assert names(outcome) == ["late"]


def test_a_cell_that_succeeds_is_harvested_by_its_own_request_and_one_that_fails_by_another(tmp_path, monkeypatch):
    """A round trip costs a forked kernel ~8 ms: the harvest rides on a successful cell's request."""
    sent = []
    request = runner._Kernel.request

    async def counted(self, code, seconds, **kwargs):
        sent.append("cell" if not kwargs.get("own") else "probe")
        return await request(self, code, seconds, **kwargs)

    monkeypatch.setattr(runner._Kernel, "request", counted)
    sub = submission(tmp_path, "a = FakeModel('a')", "b = FakeModel('b')\n1 / 0", "c = FakeModel('c')", "d = 1")
    outcome = run(sub)
    assert states(outcome) == ["ok", "error", "ok", "ok"]
    assert [(m.name, m.cell) for m in outcome.harvest.models] == [("a", 1), ("b", 2), ("c", 3)]
    assert sent == ["probe", "cell", "cell", "probe", "cell", "cell"]  # setup; the failed cell's harvest


def test_the_kernel_is_killed_after_the_last_harvest_so_exit_handlers_never_run(tmp_path):
    """No polite shutdown: it cost ~35 ms per run, and nothing a submission does after its cells counts."""
    marker = tmp_path / "atexit-ran"
    sub = submission(tmp_path, f"import atexit, pathlib\natexit.register(pathlib.Path({str(marker)!r}).touch)",
                     "kept = FakeModel('kept')")
    outcome = run(sub)
    assert outcome.status is Status.GRADED and names(outcome) == ["kept"]
    assert not marker.exists()


def test_an_error_records_the_line_of_this_cells_own_code(tmp_path):
    sub = submission(tmp_path, "def broken():\n    return 1 / 0", "x = 1\n\nbroken()\n", "y = 1\nz = w")
    outcome = run(sub)
    assert states(outcome) == ["ok", "error", "error"]
    assert outcome.cells[1].error_line == 3  # the call in this cell, not the line of cell 1 that divided
    assert outcome.cells[2].error_line == 2


def test_a_cell_past_its_timeout_is_interrupted_and_the_next_cell_runs(tmp_path):
    sub = submission(tmp_path, "import time\ntime.sleep(30)", "after = FakeModel('after')")
    start = time.monotonic()
    outcome = run(sub, cell_timeout=1.5)
    assert time.monotonic() - start < 15
    assert outcome.status is Status.TIMEOUT  # the run says a cell timed out, though it went on
    assert outcome.message.startswith("cell 2 ran past its 1.5 s limit and was interrupted")
    assert states(outcome) == ["timeout", "ok"]
    assert "KeyboardInterrupt" in outcome.cells[0].traceback  # shows where the cell was stuck
    assert names(outcome) == ["after"]


def test_a_cell_that_ignores_the_interrupt_stops_the_run(tmp_path, monkeypatch):
    monkeypatch.setattr(runner, "INTERRUPT_GRACE", 1.5)
    sub = submission(tmp_path, "import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\ntime.sleep(60)",
                     "x = 1")
    outcome = run(sub, cell_timeout=1)
    assert outcome.status is Status.TIMEOUT
    assert states(outcome) == ["timeout", "not-run"]
    assert "did not stop" in outcome.message


def test_total_timeout_stops_the_run_and_keeps_models_built_so_far(tmp_path):
    sub = submission(tmp_path, "early = FakeModel('early')",
                     "slow = FakeModel('slow')\nimport time\ntime.sleep(30)", "never = FakeModel('never')")
    outcome = run(sub, total_timeout=4)
    assert outcome.status is Status.TIMEOUT
    assert states(outcome) == ["ok", "timeout", "not-run"]
    assert "total time limit" in outcome.message and "cell 3" in outcome.message
    assert names(outcome) == ["early", "slow"]  # harvested once the slow cell was interrupted


def test_kernel_death_keeps_the_models_built_before_it(tmp_path):
    sub = submission(tmp_path, "before = FakeModel('before')", "import os\nos._exit(1)", "after = 1")
    outcome = run(sub)
    assert outcome.status is Status.KERNEL_DIED
    assert states(outcome) == ["ok", "error", "not-run"]
    assert "cell 3" in outcome.message and "exit code 1" in outcome.message
    assert names(outcome) == ["before"]


def test_input_fails_at_once(tmp_path):
    outcome = run(submission(tmp_path, "name = input('Your name? ')", "ok = FakeModel('ok')"), cell_timeout=10)
    assert states(outcome) == ["error", "ok"]
    assert outcome.cells[0].error_name == "StdinNotImplementedError"
    assert outcome.cells[0].seconds < 5


def test_a_forged_harvest_printed_by_the_student_is_ignored(tmp_path):
    forged = {"schema": "keras-grader.harvest/1", "keras_version": "3", "backend": "tensorflow",
              "models": [{"uid": 999, "cell": 1, "name": "forged", "class_name": "Sequential",
                          "keras_type": "Sequential", "built": True, "total_params": 1,
                          "trainable_params": 1, "layers": []}]}
    sub = submission(
        tmp_path,
        "from IPython.display import publish_display_data\n"
        f"publish_display_data({{{MIME_TYPE!r}: {{'nonce': 'guess', 'doc': {forged!r}}}}})\n"
        f"print({MIME_TYPE!r})",
        "real = FakeModel('real')",
    )
    outcome = run(sub)
    assert outcome.status is Status.GRADED
    assert names(outcome) == ["real"]
    assert any("did not answer" in n for n in outcome.notes)


def test_an_output_flood_stops_the_run_and_counts_what_was_cut(tmp_path):
    sub = submission(tmp_path, "pre = FakeModel('pre')", "while True:\n    print('x' * 1000)", "after = 1")
    outcome = run(sub, output_bytes=100_000)
    assert outcome.status is Status.OUTPUT_LIMIT
    assert states(outcome) == ["ok", "error", "not-run"]
    assert outcome.cells[1].error_name == "OutputLimit"
    assert outcome.output_truncated_bytes > 0
    assert names(outcome) == ["pre"]


def test_one_big_output_stops_the_run_after_its_cell(tmp_path):
    sub = submission(tmp_path, "big = FakeModel('big')\nfrom IPython.display import publish_display_data\n"
                               "publish_display_data({'text/plain': 'y' * 150_000})", "after = 1")
    outcome = run(sub, output_bytes=100_000)
    assert outcome.status is Status.OUTPUT_LIMIT and "cell 2" in outcome.message, outcome.message
    assert states(outcome)[1:] == ["not-run"]  # cell 1 itself: ok, or cut if the reply came late
    assert outcome.output_truncated_bytes == 50_000
    assert names(outcome) == ["big"]


def test_a_reused_name_keeps_both_models_and_a_bad_document_keeps_the_last_good_one(tmp_path):
    sub = submission(tmp_path, "model = FakeModel('model')", "model = FakeModel('model')",
                     "broken = FakeModel(None)")
    outcome = run(sub)
    assert [(m.name, m.cell) for m in outcome.harvest.models] == [("model", 1), ("model", 2)]
    assert any("rejected" in n for n in outcome.notes)


def test_exit_ends_the_run_at_that_cell(tmp_path):
    outcome = run(submission(tmp_path, "kept = FakeModel('kept')", "exit()", "x = 1"))
    assert outcome.status is Status.KERNEL_DIED
    assert states(outcome) == ["ok", "ok", "not-run"]
    assert "cell 3 called exit()" in outcome.message
    assert names(outcome) == ["kept"]


def test_the_local_launcher_kills_processes_the_submission_detached(tmp_path):
    pid_file = tmp_path / "sleeper.pid"
    code = (f"import subprocess\np = subprocess.Popen(['sleep', '300'], start_new_session=True)\n"
            f"open({str(pid_file)!r}, 'w').write(str(p.pid))")
    assert run(submission(tmp_path, code)).status is Status.GRADED
    stat = Path(f"/proc/{pid_file.read_text()}/stat")
    assert not stat.exists() or stat.read_text().rsplit(")", 1)[1].split()[0] == "Z"  # gone, or dead unreaped


class _ExplodingLauncher(LocalLauncher):
    cleaned = False

    def wrap(self, argv):
        raise RuntimeError("no way to start a kernel")

    def cleanup(self):
        self.cleaned = True
        super().cleanup()


def test_a_grader_side_failure_becomes_internal_error_and_still_cleans_up(tmp_path):
    launcher = _ExplodingLauncher()
    outcome = run_submission(submission(tmp_path, "x = 1"), limits=Limits(), launcher=launcher,
                             probe_source=STUB)
    assert outcome.status is Status.INTERNAL_ERROR
    assert "no way to start a kernel" in outcome.message
    assert states(outcome) == ["not-run"] and launcher.cleaned


class _BrokenKernelLauncher(LocalLauncher):
    def wrap(self, argv):
        return [sys.executable, "-c", "import sys; sys.exit('no kernel today')"]


def test_a_kernel_that_never_starts_is_an_internal_error_with_its_log(tmp_path):
    outcome = run_submission(submission(tmp_path, "x = 1"), limits=Limits(), launcher=_BrokenKernelLauncher(),
                             probe_source=STUB)
    assert outcome.status is Status.INTERNAL_ERROR
    assert "did not start" in outcome.message and "no kernel today" in outcome.message
    assert states(outcome) == ["not-run"]


def test_ctrl_c_shuts_the_kernel_down_before_propagating(tmp_path):
    script = FILES / "interrupt_run.py"
    proc = subprocess.run([sys.executable, str(script), str(tmp_path)], capture_output=True, text=True,
                          timeout=60, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "kernel gone" in proc.stdout


class _NoNetworkLauncher(LocalLauncher):
    """A kernel in its own network namespace (no usable interface): only ipc can reach it."""

    def wrap(self, argv):
        return ["unshare", "--user", "--map-root-user", "--net", *argv]


@pytest.mark.sandbox
def test_ipc_reaches_a_kernel_without_network(tmp_path):
    try:
        subprocess.run(["unshare", "--user", "--map-root-user", "--net", "true"], check=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        pytest.skip("unprivileged network namespaces are not available")
    sub = submission(tmp_path, "import socket\ntry:\n    socket.create_connection(('1.1.1.1', 53), 2)\n"
                               "except OSError:\n    net = FakeModel('offline')",
                     "import time\ntime.sleep(30)", "after = 1")
    outcome = run_submission(sub, limits=Limits(cell_timeout=1.5, total_timeout=60),
                             launcher=_NoNetworkLauncher(), probe_source=STUB)
    assert outcome.status is Status.TIMEOUT and outcome.message.startswith("cell 3 ran past its 1.5 s limit")
    assert states(outcome) == ["ok", "timeout", "ok"]  # the interrupt works through the wrapper too
    assert names(outcome) == ["offline"]


@pytest.mark.tensorflow
def test_keras_models_are_harvested_by_the_real_probe(tmp_path):
    try:
        probe = runner.default_probe_source()
    except FileNotFoundError:
        pytest.skip("grader/harvest/probe.py does not exist yet")
    sub = submission(
        tmp_path,
        "import keras\nfrom keras import layers",
        "model = keras.Sequential([keras.Input((8,)), layers.Dense(4, activation='relu'), layers.Dense(1)])",
        "model = keras.Sequential([keras.Input((8,)), layers.Dense(2)])\nmodel.compile(optimizer='adam', loss='mse')",
        "model.fit(undefined_data)",
        # the probe imported Keras with the collector off, froze what the import made (as a forked kernel's
        # is), and switched it back on
        "import gc\nraise RuntimeError(f'{gc.isenabled()} {gc.get_freeze_count() > 100_000}')",
    )
    outcome = run(sub, probe=probe, cell_timeout=60, total_timeout=120)
    assert outcome.status is Status.GRADED, outcome.notes
    assert states(outcome) == ["ok", "ok", "ok", "error", "error"]
    assert outcome.cells[4].error_value == "True True"
    built = {m.cell: m for m in outcome.harvest.models}
    assert sorted(built) == [2, 3], outcome.harvest  # both `model`s, though the first was overwritten
    assert built[2].total_params == 8 * 4 + 4 + 4 + 1
    assert built[3].compiled and not built[2].compiled
    assert outcome.harvest.keras_version
    assert outcome.cells[3].error_name == "NameError"
