"""The comparison's arithmetic against real Keras layers: every formula must reproduce what Keras measured.

``explain`` shows a formula only when it gives the measured count and shape, so
a wrong formula shows up here as a missing explanation.
"""

from __future__ import annotations

import pytest

from grader.harvest.schema import parse_harvest
from grader.rubric.arithmetic import explain
from grader.rubric.compare import _input_shapes
from tests.kernel.test_probe import loaded_probe

pytestmark = pytest.mark.tensorflow


def _layers(keras, shape, *layers):
    with loaded_probe() as probe:
        probe.begin_cell(0)
        model = keras.Sequential([keras.Input(shape), *layers])
        facts = next(m for m in parse_harvest(probe.snapshot()).models if m.name == model.name)
    inputs = _input_shapes(facts)
    return [(layer.keras_type, [m.key for m in explain(layer, inputs[id(layer)])]) for layer in facts.body()]


def test_every_formula_reproduces_keras():
    import keras

    L = keras.layers
    assert _layers(keras, (33, 31, 3),
                   L.Conv2D(8, 3, strides=2),  # valid, strided, odd sizes
                   L.Conv2D(8, (3, 5), padding="same", strides=2, use_bias=False),
                   L.SeparableConv2D(16, 3, depth_multiplier=2, padding="same"),
                   L.SeparableConv2D(16, 3, use_bias=False, dilation_rate=2),
                   L.DepthwiseConv2D(3, depth_multiplier=3),
                   L.BatchNormalization(),
                   L.MaxPooling2D(2),
                   L.AveragePooling2D(3, strides=1, padding="same"),
                   L.Flatten(),
                   L.Dense(7),
                   L.Dense(5, use_bias=False)) == [
        ("Conv2D", ["arith.conv", "arith.dims2"]),  # height 33 and width 31 need arithmetic of their own
        ("Conv2D", ["arith.conv", "arith.dims2"]),
        ("SeparableConv2D", ["arith.separable_dm", "arith.size_kept"]),
        ("SeparableConv2D", ["arith.separable", "arith.size_valid"]),
        ("DepthwiseConv2D", ["arith.depthwise", "arith.size_valid"]),
        ("BatchNormalization", ["arith.batchnorm"]),
        ("MaxPooling2D", ["arith.no_weights", "arith.size_valid"]),
        ("AveragePooling2D", ["arith.no_weights", "arith.size_kept"]),
        ("Flatten", ["arith.no_weights", "arith.flatten"]),
        ("Dense", ["arith.dense"]),
        ("Dense", ["arith.dense"]),
    ]


def test_one_dimensional_layers():
    import keras

    L = keras.layers
    assert _layers(keras, (50, 4), L.Conv1D(6, 5, strides=3), L.MaxPooling1D(2, padding="same"),
                   L.GlobalAveragePooling1D(), L.Dense(3)) == [
        ("Conv1D", ["arith.conv", "arith.size_valid"]), ("MaxPooling1D", ["arith.no_weights", "arith.size_same"]),
        ("GlobalAveragePooling1D", ["arith.no_weights"]), ("Dense", ["arith.dense"])]
