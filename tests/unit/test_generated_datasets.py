"""The datasets the offline shim generates: the real shapes and dtypes, writable, the same in every run."""

from __future__ import annotations

import numpy as np
import pytest

from grader.harvest import offline


@pytest.mark.parametrize("name", sorted(offline._SHAPES))
def test_a_generated_dataset_has_the_real_shapes_dtypes_and_every_class(name):
    (train_shapes, test_shapes, dtype, classes) = offline._SHAPES[name]
    (x_train, y_train), (x_test, y_test) = offline._generated(name)
    assert (x_train.shape, y_train.shape) == train_shapes and (x_test.shape, y_test.shape) == test_shapes
    assert x_train.dtype == np.dtype(dtype) and y_train.dtype == np.uint8
    assert x_train.flags.writeable and y_train.flags.writeable  # notebooks scale and reshape in place
    assert set(np.unique(y_train)) == set(range(classes))  # len(np.unique(y)) is a common num_classes
    assert 0 < x_train[:64].std() and x_train.min() >= 0 and x_train.max() <= 255


def test_a_generated_dataset_is_the_same_in_every_run():
    first, again = offline._generated("mnist"), offline._generated("mnist")
    assert all(np.array_equal(a, b) for part_a, part_b in zip(first, again) for a, b in zip(part_a, part_b))


def test_load_data_is_replaced_in_every_datasets_module_of_ours_and_nowhere_else(monkeypatch):
    import types

    def module(name: str) -> types.ModuleType:
        made = types.ModuleType(name)
        made.load_data = lambda: "the network"
        monkeypatch.setitem(__import__("sys").modules, name, made)
        return made

    ours = [module("fakekeras.datasets.mnist"), module("fakekeras.src.datasets.fashion_mnist"),
            module("faketf.keras.datasets.cifar100")]
    others = [module("fakekeras.datasets.notmnist"), module("fakekeras.models.mnist"), module("mnist")]
    offline._install_datasets(None)
    assert all(getattr(m.load_data, "__keras_grader_offline__", False) for m in ours)
    assert [m.load_data() for m in others] == ["the network"] * 3
    assert ours[1].load_data()[0][0].shape == (60000, 28, 28)  # fashion_mnist's, not mnist's loader
