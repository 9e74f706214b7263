"""Offline datasets and the training budget, inside a real kernel."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.execute.launcher import Limits
from grader.execute.outcome import CellState, Status
from grader.execute.runner import Shims, run_submission
from grader.submission.model import Cell, Submission

pytestmark = [pytest.mark.kernel, pytest.mark.tensorflow]

PASTED_EXAMPLE = """
import keras
from keras.datasets import mnist
(x_train, y_train), (x_test, y_test) = mnist.load_data()
x_train = x_train[..., None].astype("float32") / 255
y_train = keras.utils.to_categorical(y_train, 10)
model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Conv2D(2, 3), keras.layers.Flatten(),
                          keras.layers.Dense(10, activation="softmax")])
model.compile(loss="categorical_crossentropy", optimizer="adadelta")
history = model.fit(x_train, y_train, batch_size=128, epochs=50, verbose=0)
steps = history.params["steps"]
assert x_train.shape == (60000, 28, 28, 1), x_train.shape
"""


CHECK_BUDGET = """
assert steps == 1, steps
assert len(history.history['loss']) == 1, history.history
import tensorflow as tf
# the budgeted call ran eagerly, but neither the global setting nor the model keeps a trace of it
assert not tf.config.functions_run_eagerly()
assert model.run_eagerly is False, model.run_eagerly
"""


def notes(outcome):
    return [(note.key, dict(note.params)) for note in outcome.harvest.notes]


def run(tmp_path, shims):
    path = tmp_path / "homework.py"
    path.write_text(PASTED_EXAMPLE, encoding="utf-8")
    submission = Submission(path=path, fmt="py", cells=(Cell(0, "code", PASTED_EXAMPLE), Cell(1, "code", CHECK_BUDGET)))
    return run_submission(submission, limits=Limits(cell_timeout=120, total_timeout=180), shims=shims)


def test_dataset_is_served_offline_and_fit_is_capped(tmp_path):
    outcome = run(tmp_path, Shims(training_steps=1, training_epochs=1))
    assert outcome.status == Status.GRADED, outcome.message
    assert [c.state for c in outcome.cells] == [CellState.OK, CellState.OK], outcome.cells
    assert notes(outcome) == [("dataset_generated", {"name": "mnist"}),
                              ("budget_fit_epochs", {"steps": 1, "epochs": 1})]  # epochs=50 asked, 1 run
    assert outcome.harvest.models[0].compile.optimizer == "Adadelta"


BATCH_SPY = """
import numpy as np, keras
seen = []
def spy(x):
    seen.append(x.shape[0])  # concrete while a budgeted call runs eagerly, None while building
    return x
def run(model, call, *args, **kwargs):
    seen.clear()
    out = getattr(model, call)(*args, verbose=0, **kwargs)
    return [n for n in seen if n is not None], out
x, y = np.zeros((1000, 4), "float32"), np.zeros((1000, 2), "float32")
model = keras.Sequential([keras.Input((4,)), keras.layers.Lambda(spy), keras.layers.Dense(2)])
model.compile("sgd", "mse")
fit_seen, _ = run(model, "fit", x, y, 128, 5, validation_data=(x, y))
eval_seen, _ = run(model, "evaluate", x, y, batch_size=256)
predict_seen, predicted = run(model, "predict", x)
stateful = keras.Sequential([keras.Input((4,), batch_size=64), keras.layers.Lambda(spy), keras.layers.Dense(2)])
stateful.compile("sgd", "mse")
stateful_seen, _ = run(stateful, "fit", x, y, batch_size=64)
assert fit_seen == [16, 16], fit_seen  # one training batch, one validation batch
assert eval_seen == [16], eval_seen
# predict trains nothing and its rows are the student's to index: one batch of the student's size (default 32)
assert predict_seen == [32] and predicted.shape == (32, 2), (predict_seen, predicted.shape)
assert stateful_seen == [64], stateful_seen  # a fixed batch size is the model's, not the budget's
# sample weights are cut with x and y, by keyword or by position (evaluate's fifth parameter)
weighted, _ = run(model, "fit", x, y, batch_size=128, sample_weight=np.ones(1000))
seen.clear()
model.evaluate(x, y, 128, 0, np.ones(1000))
assert weighted == [16] and [n for n in seen if n is not None] == [16], (weighted, seen)
import tensorflow as tf
tensors, _ = run(model, "fit", tf.constant(x), tf.constant(y), batch_size=128)
assert tensors == [16], tensors
dataset, _ = run(model, "fit", tf.data.Dataset.from_tensor_slices((x, y)).batch(100), epochs=3)
assert dataset == [100], dataset  # a dataset's batches are its own; only their number is capped
"""


def test_training_batch_caps_the_samples_of_each_budgeted_batch(tmp_path):
    path = tmp_path / "spy.py"
    path.write_text(BATCH_SPY, encoding="utf-8")
    submission = Submission(path=path, fmt="py", cells=(Cell(0, "code", BATCH_SPY),))
    outcome = run_submission(submission, limits=Limits(cell_timeout=120, total_timeout=180),
                             shims=Shims(training_steps=1, training_epochs=1, training_batch=16))
    assert outcome.cells[0].state == CellState.OK, outcome.cells[0]
    assert notes(outcome) == [("budget_fit_batch_epochs", {"steps": 1, "batch": 16, "epochs": 1}),
                              ("budget_call_batch", {"call": "evaluate", "steps": 1, "batch": 16}),
                              ("budget_call", {"call": "predict", "steps": 1}),
                              ("budget_fit_epochs", {"steps": 1, "epochs": 1})]  # the stateful model's batch


def test_a_cached_dataset_is_preferred(tmp_path):
    import numpy as np

    work = tmp_path / "work"
    work.mkdir()
    np.savez(work / "mnist.npz", x_train=np.zeros((5, 28, 28), "uint8"), y_train=np.zeros(5, "uint8"),
             x_test=np.zeros((2, 28, 28), "uint8"), y_test=np.zeros(2, "uint8"))
    path = tmp_path / "homework.py"
    path.write_text("from tensorflow.keras.datasets import mnist\n(x, y), _ = mnist.load_data()\nassert len(x) == 5\n")
    submission = Submission(path=path, fmt="py", cells=(Cell(0, "code", path.read_text()),))
    outcome = run_submission(submission, limits=Limits(cell_timeout=60, total_timeout=120), workdir=work,
                             shims=Shims(dataset_cache="."))
    assert outcome.cells[0].state == CellState.OK, outcome.cells[0]
    assert notes(outcome) == [("dataset_cache", {"name": "mnist"})]


BUDGET_IN_A_FRESH_PROCESS = """
import warnings
import numpy as np, keras, tensorflow as tf
from grader.harvest import offline
from tensorflow.python import pywrap_tfe
switched, switch = [], getattr(pywrap_tfe, "TFE_ContextSetRunEagerOpAsFunction", None)
if switch is not None:  # an internal switch: a TensorFlow without it must leave the shim harmless
    pywrap_tfe.TFE_ContextSetRunEagerOpAsFunction = lambda handle, on: (switched.append(on), switch(handle, on))[1]
offline.install(training_steps=1, training_epochs=1)
model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
model.compile("sgd", "mse")
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    model.fit(np.zeros((64, 4)), np.zeros((64, 2)), epochs=3, validation_split=0.5, verbose=0)
print("WARNINGS", [str(w.message)[:40] for w in caught if "run_functions_eagerly" in str(w.message)])
print("EAGER", tf.config.functions_run_eagerly(), model.run_eagerly)
print("OPS AS FUNCTIONS", switched if switch is not None else "no switch")
"""


def test_budgeted_calls_run_eagerly_without_telling_the_student(tmp_path):
    """TensorFlow warns on every tf.data trace while functions run eagerly; that is ours, not the student's."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", BUDGET_IN_A_FRESH_PROCESS], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path, env={"PYTHONPATH": str(Path(__file__).parents[2]),
                                                          "TF_CPP_MIN_LOG_LEVEL": "3", "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr[-2000:]
    assert "WARNINGS []" in done.stdout and "EAGER False False" in done.stdout, done.stdout
    # ops ran one by one during the fit (its validation included), as TensorFlow has them after it; a
    # TensorFlow without the internal switch ran the same fit, untouched (the lines above)
    assert ("OPS AS FUNCTIONS [False, True]" in done.stdout or "OPS AS FUNCTIONS no switch" in done.stdout), done.stdout


def test_colabs_tensorflow_version_magic_does_not_fail_the_import_cell(tmp_path):
    source = "%tensorflow_version 2.x\nimport keras\nmodel = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])"
    path = tmp_path / "colab.ipynb"
    submission = Submission(path=path, fmt="ipynb", cells=(Cell(0, "code", source),))
    outcome = run_submission(submission, limits=Limits(cell_timeout=60, total_timeout=90), shims=Shims())
    assert [c.state for c in outcome.cells] == [CellState.OK], outcome.cells
    assert len(outcome.harvest.models) == 1
    (key, params), = notes(outcome)
    assert key == "colab_magic" and params["magic"] == "%tensorflow_version"


HELPER = "def make(units):\n    import keras\n    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(units)])\n"


def test_the_courses_helper_is_found_under_the_name_a_student_saved_it_as(tmp_path):
    helper = tmp_path / "supplied" / "net_builder.py"
    helper.parent.mkdir()
    helper.write_text(HELPER, encoding="utf-8")
    cells = (Cell(0, "code", "from course_files.net_builder import make\nfirst = make(3)"),
             Cell(1, "code", "import Day_7_net_builder\nsecond = Day_7_net_builder.make(5)"),
             Cell(2, "code", "import my_net_builder as nb  # renamed copy\nthird = nb.make(7)"),
             Cell(3, "code", "import course_files.net_builder"))  # no single name can stand for the package
    submission = Submission(path=tmp_path / "hw.ipynb", fmt="ipynb", cells=cells)
    outcome = run_submission(submission, limits=Limits(cell_timeout=60, total_timeout=90), files=[helper],
                             shims=Shims(helpers=("net_builder",)))
    assert [c.state for c in outcome.cells] == [CellState.OK] * 3 + [CellState.ERROR], outcome.cells
    assert sorted(m.total_params for m in outcome.harvest.models) == [15, 25, 35], outcome.harvest.models
    assert [params for key, params in notes(outcome) if key == "helper_renamed"] == [
        {"written": "course_files.net_builder", "helper": "net_builder"},
        {"written": "Day_7_net_builder", "helper": "net_builder"},
        {"written": "my_net_builder", "helper": "net_builder"}]


def test_figures_are_not_drawn_and_are_closed_after_each_cell_as_inline_closes_them(tmp_path):
    cells = (Cell(0, "code", "%matplotlib inline\nimport matplotlib.pyplot as plt\nfig = plt.figure()\n"
                             "plt.plot([1, 2])\nplt.show()"),
             Cell(1, "code", "import matplotlib\nassert matplotlib.get_backend().lower() == 'agg', matplotlib.get_backend()\n"
                             "assert plt.get_fignums() == [], plt.get_fignums()\nfig.savefig('kept.png')\n"
                             "import os\nassert os.path.getsize('kept.png') > 0\n"
                             "import warnings\nplt.plot([3])\nwith warnings.catch_warnings(record=True) as caught:\n"
                             "    plt.show()\nassert not caught, [str(w.message) for w in caught]"))
    submission = Submission(path=tmp_path / "plots.ipynb", fmt="ipynb", cells=cells)
    outcome = run_submission(submission, limits=Limits(cell_timeout=60, total_timeout=90), shims=Shims())
    assert [c.state for c in outcome.cells] == [CellState.OK, CellState.OK], outcome.cells
