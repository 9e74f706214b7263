"""The Day 98 and Day 99 rubrics on tiny notebooks run in real kernels: the same work written two ways grades
the same, different work does not."""

from __future__ import annotations

import nbformat
import pytest

from grader.pipeline import RunOptions, grade_path
from grader.rubric.catalog import get_exercise

pytestmark = [pytest.mark.kernel, pytest.mark.tensorflow]

DATA = """
import numpy as np
import keras
from keras.preprocessing.image import ImageDataGenerator
x = np.random.rand(64, 32, 32, 3).astype("float32")
y = keras.utils.to_categorical(np.random.randint(0, 10, 64), 10)

def build():
    model = keras.Sequential([keras.Input((32, 32, 3)), keras.layers.Conv2D(4, 3), keras.layers.Flatten(),
                              keras.layers.Dense(10, activation="softmax")])
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model
"""

GENERATOR = """
def batches(x, y, size):
    while True:
        for i in range(0, len(x), size):
            yield x[i:i + size], y[i:i + size]

model = build()
model.fit_generator(batches(x, y, 16), steps_per_epoch=4, epochs=3)
"""

SEQUENCE = """
class Batches(keras.utils.Sequence):
    def __init__(self, x, y, size):
        super().__init__()
        self.x, self.y, self.size = x, y, size

    def __len__(self):
        return len(self.x) // self.size

    def __getitem__(self, i):
        return self.x[i * self.size:(i + 1) * self.size], self.y[i * self.size:(i + 1) * self.size]

model = build()
model.fit(Batches(x, y, 16), steps_per_epoch=4, epochs=3)
"""

ARRAYS = """
model = build()
model.fit(x, y, batch_size=16, epochs=3)
"""

COMPARE = """
model = build()
start = model.get_weights()
for settings in ({"rotation_range": 10}, {"horizontal_flip": True, "zoom_range": 0.2}):
    model.fit(ImageDataGenerator(**settings).flow(x, y, batch_size=16), steps_per_epoch=2, epochs=2)
    {reset}
"""


def graded(tmp_path, day: str, *cells: str) -> dict[str, bool]:
    path = tmp_path / f"{day}.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells]), path)
    result = grade_path(path, get_exercise(day), RunOptions(sandbox=False))
    assert result.status.value == "graded", result.outcome.message
    assert all(c.state.value == "ok" for c in result.outcome.cells), result.outcome.cells
    return {c.id: c.passed for c in result.checks}


def test_a_generator_function_with_fit_generator_and_a_sequence_class_with_fit_grade_the_same(tmp_path):
    written_as_function = graded(tmp_path, "day098", DATA, GENERATOR)
    assert all(written_as_function.values()), written_as_function
    assert graded(tmp_path, "day098", DATA, SEQUENCE) == written_as_function
    on_arrays = graded(tmp_path, "day098", DATA, ARRAYS)
    assert on_arrays == {"model": True, "generator": False, "batches": False, "fit_generator": False, "steps": False}


@pytest.mark.parametrize("reset, compared", [("model.set_weights(start)", True), ("pass", False)])
def test_settings_compared_from_the_same_initial_weights_but_not_on_a_model_that_goes_on(tmp_path, reset, compared):
    verdicts = graded(tmp_path, "day099", DATA, COMPARE.replace("{reset}", reset))
    assert verdicts["augmented_training"] and verdicts["augmentation"]
    assert verdicts["comparison"] is compared


RESNET = """
import numpy as np
import keras
{import_line}
x = np.random.rand(32, 32, 32, 3).astype("float32")
y = keras.utils.to_categorical(np.random.randint(0, 10, 32), 10)
model = resnet(input_shape=(32, 32, 3), depth=11)
model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
model.fit(x, y, batch_size=16, epochs=1)
print(model.evaluate(x, y))
"""


def test_the_courses_helper_saved_under_a_students_own_name_grades_as_the_helper(tmp_path):
    as_supplied = graded(tmp_path, "day100", RESNET.format(import_line="from resnet_builder import resnet"))
    assert as_supplied["model"], as_supplied
    for renamed in ("from Day_100_resnet_builder import resnet", "from tutorial.resnet_builder import resnet",
                    "import my_resnet_builder as rb\nresnet = rb.resnet"):
        assert graded(tmp_path, "day100", RESNET.format(import_line=renamed)) == as_supplied, renamed
