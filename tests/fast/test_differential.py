"""Differential: tiny Day 96 submissions graded cold and forked must get the same grade, field by field.

Each case is graded by the cold path and by the fast path through
``grader.pipeline.grade_path``; ``grader.tools.differential.differences``
compares score, status, every check's points and messages, every cell's state
and error, the notes and the harvested model facts. The fast results must also
say they were forked: a silent fallback to cold would make the comparison moot.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest

from grader.execute.outcome import Status
from grader.pipeline import RunOptions, grade_path
from grader.rubric.catalog import get_exercise
from grader.tools.differential import differences

pytestmark = [pytest.mark.kernel, pytest.mark.sandbox, pytest.mark.tensorflow]

EXERCISE = get_exercise("day096")
IMPORTS = "from keras.layers import Conv2D, SeparableConv2D, Input\nfrom keras.models import Model"
CONV = "i = Input((224, 224, 3))\nmodel = Model(i, Conv2D(64, (3, 3))(Conv2D(32, (3, 3))(i)))"
SEPARABLE = "i = Input((224, 224, 3))\nmodel = Model(i, SeparableConv2D(64, (3, 3))(SeparableConv2D(32, (3, 3))(i)))"
ANSWERS = "# 1. yes, lines 37-38\n# 2. Adadelta\n# 3. two\n# 4. 1,199,882"
PROSE = ["**Q1.** Is the data normalised?", "Yes: both x_train and x_test are divided by 255 before training.",
         "**Q2.** Which optimizer?", "It trains with Adadelta.",
         "**Q3.** How many Conv2D layers?", "There are two of them.",
         "**Q4.** How many parameters?", "1,199,882 parameters in total."]
TIMEOUT = 3.0

# name -> (cells, the status both paths must reach)
CASES = {
    "correct": ([IMPORTS, CONV, "model.summary()", SEPARABLE, ANSWERS], Status.GRADED),
    "wrong_filter": ([IMPORTS, CONV.replace("Conv2D(64", "Conv2D(32"), SEPARABLE], Status.GRADED),
    "failing_cell_and_reused_name": ([IMPORTS, CONV, "undefined_name", SEPARABLE, "model = 'not a model'"],
                                     Status.GRADED),
    "timeout": ([IMPORTS, CONV, "import time\ntime.sleep(60)", SEPARABLE], Status.TIMEOUT),
    "os_exit": ([IMPORTS, CONV, "import os\nos._exit(3)", SEPARABLE], Status.KERNEL_DIED),
    "prose_answers": (None, Status.GRADED),  # a notebook: answers in markdown, a model in code
}


def write(folder: Path, name: str) -> Path:
    cells, _ = CASES[name]
    if cells is None:
        path = folder / f"day096_{name}.ipynb"
        notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(IMPORTS), nbformat.v4.new_code_cell(CONV)]
                                            + [nbformat.v4.new_markdown_cell(text) for text in PROSE])
        nbformat.write(notebook, path)
        return path
    path = folder / f"day096_{name}.py"
    path.write_text("".join(f"# %%\n{cell}\n" for cell in cells), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def graded(fork_server, tmp_path_factory):
    """Every case graded both ways: {name: (cold, fast)}; the cold ones two at a time, as a batch would."""
    folder = tmp_path_factory.mktemp("differential")
    paths = {name: write(folder, name) for name in CASES}
    options = {mode: RunOptions(cell_timeout=TIMEOUT, fast=mode == "fast") for mode in ("cold", "fast")}

    def one(item: tuple[str, str]):
        mode, name = item
        return grade_path(paths[name], EXERCISE, options[mode], name=paths[name].name)

    jobs = [(mode, name) for mode in ("cold", "fast") for name in CASES]
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = dict(zip(jobs, pool.map(one, jobs)))
    return {name: (results["cold", name], results["fast", name]) for name in CASES}


@pytest.mark.parametrize("name", list(CASES))
def test_the_fast_path_grades_exactly_as_the_cold_path(graded, name):
    cold, fast = graded[name]
    assert cold.outcome.isolation.network == "bwrap"
    assert fast.outcome.isolation.network == "fork+netns", fast.outcome.isolation.notes
    assert cold.status is CASES[name][1], cold.outcome.message
    assert differences(cold, fast) == []


def test_the_cases_exercise_what_they_claim(graded):
    """Guards the sample itself: each case reaches the behaviour it is named after."""
    by_name = {name: fast for name, (_, fast) in graded.items()}
    assert by_name["correct"].full_marks
    assert not {c.id: c for c in by_name["wrong_filter"].checks}["conv_model"].passed
    assert [c.state.value for c in by_name["failing_cell_and_reused_name"].outcome.cells][2] == "error"
    assert len(by_name["failing_cell_and_reused_name"].outcome.harvest.models) == 2
    assert [c.state.value for c in by_name["timeout"].outcome.cells][2] == "timeout"
    assert "exit code 3" in by_name["os_exit"].outcome.message
    assert {c.id: c for c in by_name["prose_answers"].checks}["q2_optimizer"].passed
