"""Keras 2 notebooks in a real kernel: the compatibility layer runs them, the harvest sees how they trained.

The notebooks are tiny, written here in the Keras 2 style of 2019-2021 course
notebooks (standalone ``keras`` 2.2-2.4 names); each cell must run as its
author meant, every adaptation must be said in the notes, and the training
facts are asserted field by field.
"""

from __future__ import annotations

import pytest

from grader.execute.launcher import Limits
from grader.execute.outcome import CellState, Status
from grader.execute.runner import Shims, run_submission
from grader.submission.model import Cell, Submission

pytestmark = [pytest.mark.kernel, pytest.mark.tensorflow]

BUDGET = Shims(training_steps=1, training_epochs=1, training_batch=16)

IMPORTS = """
import numpy as np
import keras
from keras.preprocessing.image import ImageDataGenerator
from keras.utils.np_utils import to_categorical
from keras.layers.core import Dense, Flatten, Dropout
from keras.layers.convolutional import Conv2D
from keras.models import Sequential, Model
from keras.optimizers import Adam, rmsprop
from keras.callbacks import EarlyStopping, ModelCheckpoint, ReduceLROnPlateau
from keras import backend as K
import tensorflow as tf
K.set_image_dim_ordering('tf')
assert K.image_dim_ordering() == 'tf'
session = tf.Session(config=tf.ConfigProto())
K.set_session(session)
x = np.random.rand(96, 8, 8, 3).astype('float32')
y = to_categorical(np.arange(96) % 3, 3)
"""

GENERATOR = """
model = Sequential()
model.add(Conv2D(4, (3, 3), input_shape=(8, 8, 3), activation='relu'))
model.add(Flatten())
model.add(Dense(3, activation='softmax'))
model.compile(optimizer=Adam(lr=0.01), loss='categorical_crossentropy', metrics=['accuracy'])
def my_batches(x, y, size):
    while True:
        for i in range(0, len(x), size):
            yield x[i:i + size], y[i:i + size]
history = model.fit_generator(my_batches(x, y, 32), 3, 7, validation_data=(x, y), workers=4,
                              callbacks=[EarlyStopping(monitor='val_acc', patience=2),
                                         ModelCheckpoint('best.hdf5', monitor='val_acc', save_best_only=True)])
assert len(history.history['acc']) == 1 and 'val_acc' in history.history
assert abs(float(K.eval(model.optimizer.lr)) - 0.01) < 1e-6
"""

FLOW = """
augment = ImageDataGenerator(rotation_range=15, width_shift_range=0.1, horizontal_flip=True, zoom_range=0.2)
plain = ImageDataGenerator(rescale=1. / 255)
again = Model(input=model.input, output=model.output)
again.compile(optimizer=rmsprop(lr=0.001, decay=1e-6), loss='categorical_crossentropy', metrics=['acc'])
again.fit_generator(augment.flow(x, y, batch_size=32), steps_per_epoch=len(x) / 32, nb_epoch=4,
                    validation_data=augment.flow(x, y, batch_size=32), validation_steps=2,
                    callbacks=[ReduceLROnPlateau(monitor='val_loss', factor=0.5, patience=3)])
labels = again.predict_classes(x[:5])
assert labels.shape == (5,) and labels.dtype.kind == 'i'
again.save_weights('weights.h5')
again.load_weights('weights.h5')
loss, accuracy = again.evaluate_generator(augment.flow(x, y, batch_size=32), 2)
"""

OTHERS = """
from keras.layers import Sequential as Stack  # Keras 2 names found where students looked for them
from keras.models import Input
assert Stack is keras.Sequential
from keras.callbacks import TensorBoard
inputs = Input(shape=(8, 8, 3))
assert inputs.get_shape()[-1] == 3
hidden = Conv2D(2, 3, name='block1/conv')(inputs)
named = Model(inputs=inputs, outputs=Dense(3, activation='softmax')(Flatten()(hidden)))
named.compile('sgd', 'categorical_crossentropy')
named.fit(x, y, batch_size=32, epochs=2, callbacks=[TensorBoard(log_dir='logs', write_grads=True)])
"""


def run(tmp_path, cells, shims=BUDGET, cell_timeout=60.0):
    path = tmp_path / "homework.ipynb"
    submission = Submission(path=path, fmt="ipynb", cells=tuple(Cell(i, "code", c) for i, c in enumerate(cells)))
    return run_submission(submission, limits=Limits(cell_timeout=cell_timeout, total_timeout=240), shims=shims,
                          workdir=tmp_path / "work")


def adapted(outcome):
    return {dict(n.params).get("old") for n in outcome.harvest.notes if n.key in ("keras2", "keras2_ignored")}


@pytest.fixture(scope="module")
def keras2_run(tmp_path_factory):
    return run(tmp_path_factory.mktemp("keras2"), [IMPORTS, GENERATOR, FLOW, OTHERS])


def test_a_keras2_notebook_runs_and_says_what_was_adapted(keras2_run):
    outcome = keras2_run
    assert outcome.status == Status.GRADED, outcome.message
    assert [c.state for c in outcome.cells] == [CellState.OK] * 4, [(c.error_name, c.error_value)
                                                                    for c in outcome.cells]
    assert {"keras.preprocessing.image.ImageDataGenerator", "keras.utils.np_utils", "keras.layers.core",
            "keras.layers.convolutional", "keras.optimizers.rmsprop", "keras.backend.set_image_dim_ordering",
            "tf.Session", "tf.ConfigProto", "keras.backend.set_session", "lr=", "decay=", "fit_generator",
            "workers", "'acc'", "monitor='val_acc'", "ModelCheckpoint('best.hdf5')", "Sequential.input",
            "Model(input=...)", "nb_epoch", "steps_per_epoch=3.0", "predict_classes", "save_weights('weights.h5')",
            "evaluate_generator", "keras.backend.eval", "optimizer.lr", "tensor.get_shape()", "'/' in a layer's name",
            "TensorBoard(write_grads=...)", "keras.layers.Sequential", "keras.models.Input"} <= adapted(outcome)
    models = outcome.harvest.models
    assert [m.keras_type for m in models] == ["Sequential", "Functional", "Functional"]  # genuine Keras 3 objects
    assert models[1].compile.optimizer == "RMSprop"


def test_training_facts_field_by_field(keras2_run):
    harvest = keras2_run.harvest
    assert [(t.method, t.cell, t.model) for t in harvest.trainings] == [
        ("fit_generator", 1, 1), ("fit_generator", 2, 2), ("predict", 2, 2), ("evaluate_generator", 2, 2),
        ("fit", 3, 3)]
    first, flow, predict, evaluate, logged = harvest.trainings

    assert first.args["steps_per_epoch"] == 3 and first.args["epochs"] == 7  # positional, as Keras 2 took them
    assert first.args["validation_data"] is True and first.args["class_weight"] is False
    assert (first.data.kind, first.data.function) == ("generator", "my_batches")
    assert (first.validation.kind, first.validation.samples) == ("arrays", 96)
    assert (first.asked.epochs, first.asked.steps_per_epoch) == (7, 3)
    assert (first.ran.epochs, first.ran.steps) == (1, 1)  # the budget's cut
    x, = first.first_batch.x
    assert x.shape[1:] == (8, 8, 3) and x.dtype == "float32" and 0 <= x.min <= x.max <= 1
    assert first.first_batch.y[0].shape[1:] == (3,)
    assert [(c.class_name, c.keras_type, c.config["monitor"]) for c in first.callbacks] == [
        ("EarlyStopping", "EarlyStopping", "val_acc"), ("ModelCheckpoint", "ModelCheckpoint", "val_acc")]
    assert first.callbacks[0].config["patience"] == 2 and first.callbacks[1].config["save_best_only"] is True
    assert (first.optimizer.name, first.optimizer.learning_rate, first.optimizer.schedule) == ("Adam", 0.01, None)
    assert first.augmented_by == () and first.error is None

    augment, plain = harvest.image_data_generators
    assert augment.keras_type == "ImageDataGenerator" and augment.cell == 2
    assert augment.config["rotation_range"] == 15 and augment.config["zoom_range"] == [0.8, 1.2]
    assert augment.augmentations == ("rotation_range", "width_shift_range", "zoom_range", "horizontal_flip")
    assert plain.augmentations == () and plain.config["rescale"] == pytest.approx(1 / 255)
    assert (flow.data.kind, flow.data.image_data_generator, flow.data.batch_size, flow.data.samples) == (
        "flow", augment.uid, 32, 96)
    assert flow.validation.kind == "flow" and flow.args["validation_steps"] == 2
    assert (flow.asked.epochs, flow.asked.steps_per_epoch) == (4, 3)  # nb_epoch, len(x) / 32
    assert flow.augmented_by == (augment.uid,)
    assert (flow.optimizer.name, flow.optimizer.learning_rate, flow.optimizer.schedule) == (
        "RMSprop", 0.001, "InverseTimeDecay")  # Keras 2's decay
    reduce, = flow.callbacks
    assert reduce.config["factor"] == 0.5 and reduce.config["patience"] == 3
    assert flow.first_batch.x[0].shape == (16, 8, 8, 3)  # the budget's batch, cut from the flow's 32

    assert predict.data.kind == "arrays" and predict.ran.steps == 1  # predict_classes predicts
    assert evaluate.args["steps"] == 2 and evaluate.data.kind == "flow" and evaluate.ran.steps == 1
    board, = logged.callbacks
    assert (board.keras_type, board.config["log_dir"]) == ("TensorBoard", "logs")
    assert (logged.args["batch_size"], logged.asked.epochs, logged.asked.steps_per_epoch) == (32, 2, 3)


FAKE = """
import numpy as np
import keras
from keras.layers import Dense
class ImageDataGenerator:
    '''A student's own class of Keras' name: batches, no augmentation by Keras.'''
    def __init__(self, rotation_range=0):
        self.rotation_range = rotation_range
    def flow(self, x, y, batch_size=32):
        while True:
            for i in range(0, len(x), batch_size):
                yield x[i:i + batch_size], y[i:i + batch_size]
x, y = np.zeros((64, 4), 'float32'), np.zeros((64, 2), 'float32')
model = keras.Sequential([keras.Input((4,)), Dense(2)])
model.compile('sgd', 'mse')
model.fit(ImageDataGenerator(rotation_range=40).flow(x, y), steps_per_epoch=2, epochs=3)
"""


def test_a_fake_image_data_generator_earns_no_training_facts(tmp_path):
    outcome = run(tmp_path, [FAKE])
    assert outcome.cells[0].state == CellState.OK, outcome.cells[0]
    training, = outcome.harvest.trainings
    assert (training.data.kind, training.data.function) == ("generator", "ImageDataGenerator.flow")
    assert training.data.image_data_generator is None and training.augmented_by == ()
    assert outcome.harvest.image_data_generators == ()


SILENT = """
import numpy as np, keras
def stuck():
    while True:
        pass
    yield np.zeros((2, 4)), np.zeros((2, 2))
model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
model.compile('sgd', 'mse')
model.fit_generator(stuck(), steps_per_epoch=10)
"""


def test_a_generator_that_never_yields_meets_the_cell_limit_and_is_named(tmp_path):
    outcome = run(tmp_path, [SILENT, "after = 1"], cell_timeout=8.0)
    assert outcome.cells[0].state == CellState.TIMEOUT and outcome.cells[1].state == CellState.OK
    notes = [(n.key, dict(n.params)) for n in outcome.harvest.notes]
    assert ("budget_generator_silent", {"function": "stuck", "call": "fit"}) in notes
    training, = outcome.harvest.trainings
    assert training.error == "KeyboardInterrupt" and training.first_batch is None


INFINITE = """
import numpy as np, keras
def forever():
    while True:
        yield np.ones((64, 4), 'float32'), np.ones((64, 2), 'float32')
model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
model.compile('sgd', 'mse')
model.fit(forever(), steps_per_epoch=1000, epochs=100, verbose=0)
"""


def test_an_infinite_generator_is_capped_by_batches(tmp_path):
    outcome = run(tmp_path, [INFINITE])
    assert outcome.cells[0].state == CellState.OK, outcome.cells[0]
    training, = outcome.harvest.trainings
    assert (training.asked.epochs, training.asked.steps_per_epoch) == (100, 1000)
    assert (training.ran.epochs, training.ran.steps) == (1, 1)
    assert training.first_batch.x[0].shape == (16, 4)  # cut from the generator's 64


MODERN = """
import numpy as np, keras
model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation='softmax')])
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.1), loss='categorical_crossentropy',
              metrics=['accuracy'])
history = model.fit(np.zeros((40, 4)), np.eye(2)[np.arange(40) % 2], batch_size=8, epochs=2, verbose=0)
assert sorted(history.history) == ['accuracy', 'loss']
"""


def test_a_keras3_notebook_needs_no_adaptation_and_keras2_fails_without_the_layer(tmp_path):
    modern = run(tmp_path / "modern", [MODERN])
    assert modern.cells[0].state == CellState.OK, modern.cells[0]
    assert adapted(modern) == set()
    training, = modern.harvest.trainings
    assert (training.method, training.args["batch_size"], training.asked.steps_per_epoch) == ("fit", 8, 5)

    without = run(tmp_path / "without", [IMPORTS], shims=Shims(training_steps=1, keras2=False))
    assert without.cells[0].error_name in ("ImportError", "ModuleNotFoundError"), without.cells[0]


STREAM_OF_STREAMS = """
import numpy as np, keras
from keras.preprocessing.image import ImageDataGenerator
x, y = np.zeros((64, 4, 4, 3), 'float32'), np.zeros((64, 2), 'float32')
def wrapper():
    while True:
        yield ImageDataGenerator().flow(x), y  # the iterator itself, not a batch of it
model = keras.Sequential([keras.Input((4, 4, 3)), keras.layers.Flatten(), keras.layers.Dense(2)])
model.compile('sgd', 'mse')
model.fit_generator(wrapper(), steps_per_epoch=2)
"""


def test_a_generator_yielding_a_stream_fails_at_once_as_in_keras2(tmp_path):
    """Keras 3 would turn the endless flow into an array until the cell's limit; Keras 2 failed at .shape."""
    outcome = run(tmp_path, [STREAM_OF_STREAMS], cell_timeout=40.0)
    cell, = outcome.cells
    assert (cell.state, cell.error_name) == (CellState.ERROR, "TypeError") and cell.seconds < 30, cell
    assert "yielded a NumpyArrayIterator" in cell.error_value
    training, = outcome.harvest.trainings
    assert training.error == "TypeError" and training.data.function == "wrapper"


SCHEDULED = """
import numpy as np, keras
from keras import optimizers
from keras.callbacks import LearningRateScheduler
model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation='softmax')])
model.compile(optimizer=optimizers.RMSprop(lr=0.01, decay=0.5), loss='categorical_crossentropy')
model.fit(np.zeros((40, 4)), np.eye(2)[np.arange(40) % 2], batch_size=8, epochs=3, verbose=0,
          callbacks=[LearningRateScheduler(lambda epoch: 0.1)])
# Keras 2: the rate the callback set, still decayed by the steps taken: 0.1 / (1 + 0.5 * steps)
steps = int(model.optimizer.iterations.numpy())
assert steps >= 1 and abs(float(model.optimizer.learning_rate) - 0.1 / (1 + 0.5 * steps)) < 1e-6
"""


def test_a_learning_rate_callback_sets_the_rate_of_an_optimizer_with_keras2_decay(tmp_path):
    outcome = run(tmp_path, [SCHEDULED])
    assert outcome.cells[0].state == CellState.OK, (outcome.cells[0].error_name, outcome.cells[0].error_value)
    assert {"lr=", "decay="} <= adapted(outcome)
