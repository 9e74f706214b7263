"""Kernel-side shims that make real notebooks finish in seconds without a network.

Executed inside the student's kernel from its source text (like ``probe.py``),
so it imports nothing from ``grader``. Two independent shims:

* **Datasets offline.** ``keras.datasets.<name>.load_data`` returns the real
  dataset from a local cache file when one exists (``<cache>/<name>.npz``),
  otherwise generated arrays of the real shapes and dtypes. A notebook that
  pastes ``mnist_cnn.py`` builds the same model either way.
* **Training budget.** ``Model.fit`` runs at most ``steps`` batches per epoch
  (and per validation), ``evaluate``/``predict`` at most ``steps`` batches: the
  exercise's checks read architectures, not trained weights.

Every use is recorded in ``EVENTS`` so the feedback can say what happened.
"""

import functools
import os
import sys

EVENTS = []

# name -> ((x_train shape, y_train shape), (x_test shape, y_test shape), x dtype, classes)
_SHAPES = {
    "mnist": (((60000, 28, 28), (60000,)), ((10000, 28, 28), (10000,)), "uint8", 10),
    "fashion_mnist": (((60000, 28, 28), (60000,)), ((10000, 28, 28), (10000,)), "uint8", 10),
    "cifar10": (((50000, 32, 32, 3), (50000, 1)), ((10000, 32, 32, 3), (10000, 1)), "uint8", 10),
    "cifar100": (((50000, 32, 32, 3), (50000, 1)), ((10000, 32, 32, 3), (10000, 1)), "uint8", 100),
}


def _note(text):
    if text not in EVENTS:
        EVENTS.append(text)


def _generated(name):
    import numpy as np

    (xtr, ytr), (xte, yte), dtype, classes = _SHAPES[name]
    rng = np.random.default_rng(0)
    return ((rng.integers(0, 256, xtr, dtype=dtype), rng.integers(0, classes, ytr, dtype="uint8")),
            (rng.integers(0, 256, xte, dtype=dtype), rng.integers(0, classes, yte, dtype="uint8")))


def _offline_loader(name, cache_dir):
    def load_data(*args, **kwargs):
        path = os.path.join(cache_dir, name + ".npz") if cache_dir else None
        if path and os.path.isfile(path):
            import numpy as np

            with np.load(path, allow_pickle=False) as f:
                _note(f"dataset {name} served offline from a local cache")
                return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])
        _note(f"dataset {name} served offline as generated arrays of the real shapes (no network here)")
        return _generated(name)

    load_data.__keras_grader_offline__ = True
    return load_data


def _install_datasets(cache_dir):
    """Replace ``load_data`` in every module that exposes one of our datasets (keras.*, tf.keras.*)."""
    for module_name, module in list(sys.modules.items()):
        tail = module_name.rsplit(".", 1)[-1]
        if tail in _SHAPES and ".datasets" in module_name and hasattr(module, "load_data"):
            if not getattr(module.load_data, "__keras_grader_offline__", False):
                module.load_data = _offline_loader(tail, cache_dir)


def _capped(method, name, steps):
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        if name == "fit":
            given = kwargs.get("steps_per_epoch")
            kwargs["steps_per_epoch"] = steps if given is None else min(given, steps)
            if kwargs.get("validation_data") is not None or kwargs.get("validation_split"):
                given = kwargs.get("validation_steps")
                kwargs["validation_steps"] = steps if given is None else min(given, steps)
        else:
            given = kwargs.get("steps")
            kwargs["steps"] = steps if given is None else min(given, steps)
        _note(f"{name}() was limited to {steps} batches per epoch (the checks do not depend on training)")
        return method(self, *args, **kwargs)

    wrapper.__keras_grader_capped__ = True
    return wrapper


def _install_budget(steps):
    import keras

    trainer = keras.Model
    for name in ("fit", "evaluate", "predict"):
        method = getattr(trainer, name)
        if not getattr(method, "__keras_grader_capped__", False):
            setattr(trainer, name, _capped(method, name, steps))


def install(training_steps=None, cache_dir=None, datasets=True):
    """Install the shims. Needs Keras imported already (the probe's ``install`` does that)."""
    import keras.datasets  # noqa: F401  (loads every dataset module so their load_data can be replaced)
    for name in _SHAPES:
        __import__(f"keras.datasets.{name}")
    try:
        import tensorflow as tf

        for name in _SHAPES:
            getattr(tf.keras.datasets, name)  # tf.keras resolves lazily: touch each module
    except Exception:
        pass
    if datasets:
        _install_datasets(cache_dir)
    if training_steps:
        _install_budget(int(training_steps))
