"""The harvester probe, run in-process the way the runner runs it in the kernel.

The probe's source is exec'd into a fresh namespace per test (as the runner
does), installed before any "student" code, and every document it produces is
validated with ``parse_harvest``, so the probe and the schema cannot drift
apart. TensorFlow and Keras are imported only inside fixtures and tests.
"""

from __future__ import annotations

import ast
import collections.abc
import contextlib
import gc
import sys
import time
import types
import weakref
from pathlib import Path

import pytest

from grader.harvest.schema import MIME_TYPE, SCHEMA, parse_harvest

pytestmark = [
    pytest.mark.tensorflow,
    # Keras' own advice to students; the tests build such models on purpose.
    pytest.mark.filterwarnings("ignore:Do not pass an `input_shape`/`input_dim` argument:UserWarning"),
]

SOURCE = (Path(__file__).resolve().parents[2] / "grader" / "harvest" / "probe.py").read_text(encoding="utf-8")


@contextlib.contextmanager
def loaded_probe():
    """The probe exec'd from its source into a private namespace, installed, uninstalled afterwards."""
    ns: dict = {"__name__": "_keras_grader_probe_under_test"}
    exec(compile(SOURCE, "<keras-grader-probe>", "exec"), ns)
    ns["install"]()
    try:
        yield types.SimpleNamespace(**{name: ns[name] for name in ("begin_cell", "snapshot", "emit")})
    finally:
        ns["uninstall"]()


@pytest.fixture(scope="module")
def keras():
    import keras

    return keras


@pytest.fixture
def probe(keras):
    with loaded_probe() as p:
        p.begin_cell(1)
        yield p


def harvest(probe):
    return parse_harvest(probe.snapshot())


def only(models, **where):
    """The single model whose attributes match ``where``."""
    found = [m for m in models if all(getattr(m, k) == v for k, v in where.items())]
    assert len(found) == 1, (where, [(m.uid, m.name, m.class_name) for m in models])
    return found[0]


def conv_stack(keras, layer_cls, shape=(224, 224, 3)):
    """The homework: two 3x3 convolutions, 32 then 64 filters, functional API."""
    inputs = keras.Input(shape)
    x = layer_cls(32, (3, 3), activation="relu")(inputs)
    outputs = layer_cls(64, (3, 3), activation="relu")(x)
    return keras.Model(inputs=inputs, outputs=outputs)


def small_sequential(keras, filters=2):
    return keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(filters, 3), keras.layers.Flatten(),
                             keras.layers.Dense(2)])


# --------------------------------------------------------------------------- what is measured


def test_functional_homework_conv2d(keras, probe):
    probe.begin_cell(4)
    model = conv_stack(keras, keras.layers.Conv2D)
    doc = probe.snapshot()
    assert "probe_errors" not in doc and "probe_errors" not in doc["models"][0]
    facts = only(parse_harvest(doc).models, name=model.name)
    assert (facts.uid, facts.cell, facts.keras_type, facts.built) == (1, 4, "Functional", True)
    assert facts.input_shapes == ((None, 224, 224, 3),)
    assert facts.output_shapes == ((None, 220, 220, 64),)
    assert (facts.total_params, facts.trainable_params) == (19392, 19392)
    assert facts.layers[0].keras_type == "InputLayer" and facts.layers[0].output_shape == (None, 224, 224, 3)
    first, second = facts.body()
    assert [layer.keras_type for layer in facts.body()] == ["Conv2D", "Conv2D"]
    assert (first.params, second.params) == (896, 18496)
    assert (first.output_shape, second.output_shape) == ((None, 222, 222, 32), (None, 220, 220, 64))
    assert {k: second.config[k] for k in ("filters", "kernel_size", "strides", "padding", "activation", "use_bias",
                                          "data_format", "dilation_rate")} == {
        "filters": 64, "kernel_size": [3, 3], "strides": [1, 1], "padding": "valid", "activation": "relu",
        "use_bias": True, "data_format": "channels_last", "dilation_rate": [1, 1]}
    assert second.config["kernel_initializer"] == "GlorotUniform" and second.module.startswith("keras.")


def test_functional_homework_separable(keras, probe):
    model = conv_stack(keras, keras.layers.SeparableConv2D)
    facts = only(harvest(probe).models, name=model.name)
    assert (facts.total_params, facts.output_shapes) == (2555, ((None, 220, 220, 64),))
    assert [(layer.keras_type, layer.params, layer.config["depth_multiplier"]) for layer in facts.body()] == [
        ("SeparableConv2D", 155, 1), ("SeparableConv2D", 2400, 1)]


def test_depthwise_and_dense_configs(keras, probe):
    inputs = keras.Input((8, 8, 3))
    x = keras.layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same")(inputs)
    outputs = keras.layers.Dense(4, activation="softmax")(keras.layers.Flatten()(x))
    model = keras.Model(inputs, outputs)
    depthwise, _, dense = only(harvest(probe).models, name=model.name).body()
    assert (depthwise.config["depth_multiplier"], depthwise.config["padding"], depthwise.params) == (2, "same", 60)
    assert (dense.config["units"], dense.config["activation"]) == (4, "softmax")


def test_sequential_every_way_and_no_internal_functional(keras, probe):
    added = keras.Sequential(name="added")
    added.add(keras.Input((8, 8, 3)))
    added.add(keras.layers.Conv2D(2, 3))
    added.add(keras.layers.Conv2D(4, 3, padding="same"))
    legacy = keras.Sequential([keras.layers.Conv2D(2, 3, input_shape=(8, 8, 3))], name="legacy")
    unbuilt = keras.Sequential([keras.layers.Dense(2)], name="unbuilt")
    models = harvest(probe).models
    assert sorted(m.name for m in models) == ["added", "legacy", "unbuilt"]  # Sequential.build's Functional is not
    facts = only(models, name="added")
    assert (facts.keras_type, facts.output_shapes, facts.total_params) == ("Sequential", ((None, 6, 6, 4),), 132)
    assert [(layer.index, layer.keras_type, layer.output_shape) for layer in facts.layers] == [
        (0, "InputLayer", (None, 8, 8, 3)), (1, "Conv2D", (None, 6, 6, 2)), (2, "Conv2D", (None, 6, 6, 4))]
    legacy_facts = only(models, name="legacy")
    assert legacy_facts.input_shapes == ((None, 8, 8, 3),) and legacy_facts.body()[0].output_shape == (None, 6, 6, 2)
    unbuilt_facts = only(models, name="unbuilt")
    assert (unbuilt_facts.built, unbuilt_facts.input_shapes, unbuilt_facts.total_params) == (False, (), 0)
    assert unbuilt_facts.layers[0].output_shape is None and unbuilt_facts.layers[0].config["units"] == 2
    assert unbuilt.built is False and legacy is not None


def test_subclassed_and_functional_subclass(keras, probe):
    import numpy as np

    class Net(keras.Model):
        def __init__(self):
            super().__init__(name="net")
            self.hidden = keras.layers.Dense(3, activation="relu")
            self.out = keras.layers.Dense(2)

        def call(self, x):
            return self.out(self.hidden(x))

    class Wrapped(keras.Model):  # a subclass that passes inputs/outputs: becomes a Functional subclass
        def __init__(self):
            inputs = keras.Input((4,))
            super().__init__(inputs, keras.layers.Dense(1)(inputs), name="wrapped")

    net = Net()
    net(np.zeros((1, 4), dtype="float32"))
    Wrapped()
    models = harvest(probe).models
    assert [m.name for m in models] == ["net", "wrapped"]  # each recorded exactly once
    facts = only(models, name="net")
    assert (facts.class_name, facts.keras_type, facts.built) == ("Net", None, True)
    assert (facts.total_params, [layer.params for layer in facts.layers]) == (23, [15, 8])
    assert facts.layers[0].config["activation"] == "relu"
    wrapped = only(models, name="wrapped")
    assert (wrapped.keras_type, wrapped.output_shapes, wrapped.total_params) == (None, ((None, 1),), 5)


def test_nested_sequential_inside_functional(keras, probe):
    block = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(2, 3), keras.layers.Conv2D(3, 3)],
                             name="block")
    inputs = keras.Input((8, 8, 3))
    x = keras.layers.GlobalAveragePooling2D()(block(inputs))
    outputs = keras.layers.Dense(2)(keras.layers.BatchNormalization()(x))
    model = keras.Model(inputs, outputs, name="outer")
    block.trainable = False  # frozen backbone: its weights, and BatchNorm's statistics, are not trainable
    models = harvest(probe).models
    assert [(m.uid, m.name) for m in models] == [(1, "block"), (2, "outer")]
    outer = only(models, name="outer")
    nested = outer.body()[0]
    assert (nested.keras_type, nested.output_shape, nested.params, nested.trainable_params) == (
        "Sequential", (None, 4, 4, 3), 113, 0)
    assert [layer.keras_type for layer in nested.layers] == ["InputLayer", "Conv2D", "Conv2D"]
    trainable = sum(int(keras.ops.size(w)) for w in model.trainable_weights)
    assert (outer.total_params, outer.trainable_params) == (model.count_params(), trainable) == (113 + 12 + 8, 14)


def test_model_name_reused_all_models_reported(keras, probe):
    model = small_sequential(keras, 2)
    first = weakref.ref(model)
    assert probe.emit("n1")["nonce"] == "n1"
    probe.begin_cell(2)
    model = small_sequential(keras, 3)  # the first model is gone for good after this
    gc.collect()
    assert first() is None
    probe.begin_cell(3)
    model = small_sequential(keras, 4)
    model = small_sequential(keras, 4)  # same cell: the third model is still reported
    del model
    gc.collect()
    facts = parse_harvest(probe.emit("n2")["doc"]).models
    assert [(m.uid, m.cell, m.body()[0].config["filters"]) for m in facts] == [(1, 1, 2), (2, 2, 3), (3, 3, 4),
                                                                                (4, 3, 4)]
    gc.collect()
    assert [m.uid for m in harvest(probe).models] == [1, 2, 3, 4]  # dead models keep their last snapshot


def test_tf_keras_is_keras_3(keras, probe):
    import tensorflow as tf
    from tensorflow.keras.layers import Conv2D

    assert tf.keras.layers.Conv2D is keras.layers.Conv2D is Conv2D and tf.keras.Model is keras.Model
    model = tf.keras.Sequential([tf.keras.Input((8, 8, 3)), Conv2D(2, 3), tf.keras.layers.MaxPooling2D()])
    facts = only(harvest(probe).models, name=model.name)
    assert [layer.keras_type for layer in facts.layers] == ["InputLayer", "Conv2D", "MaxPooling2D"]
    assert facts.keras_type == "Sequential" and facts.total_params == 56


# --------------------------------------------------------------------------- what cannot be faked


def test_fake_classes_get_no_keras_type(keras, probe, monkeypatch):
    genuine = keras.layers.Conv2D

    class Conv2D(keras.layers.Layer):  # a student's own class with the right name
        def call(self, x):
            return x

    class Tweaked(genuine):
        pass

    Tweaked.__name__ = "Conv2D"
    monkeypatch.setattr(keras.layers, "Conv2D", Conv2D)  # after install: the probe's map is already taken
    inputs = keras.Input((8, 8, 3))
    model = keras.Model(inputs, genuine(2, 3)(Tweaked(2, 3)(Conv2D()(inputs))))
    fake, tweaked, real = only(harvest(probe).models, name=model.name).body()
    assert [layer.class_name for layer in (fake, tweaked, real)] == ["Conv2D", "Conv2D", "Conv2D"]
    assert [layer.keras_type for layer in (fake, tweaked, real)] == [None, None, "Conv2D"]


def test_monkeypatching_after_install_changes_nothing(keras, probe, monkeypatch):
    import json
    import math

    model = conv_stack(keras, keras.layers.Conv2D, shape=(8, 8, 3))
    model.compile(optimizer="adam", loss="mse")
    before = probe.snapshot()

    def fake_relu(x):
        return x

    fake_relu.__name__ = "relu"
    monkeypatch.setattr(keras.layers.Conv2D, "count_params", lambda self: 10**6)
    monkeypatch.setattr(keras.layers.Conv2D, "get_config", lambda self: {"filters": 1000})
    monkeypatch.setattr(keras.layers.Conv2D, "compute_output_shape", lambda self, s: (1, 2, 3))
    monkeypatch.setattr(keras.Model, "summary", lambda self, *a, **k: print("19392 params"))
    monkeypatch.setattr(keras.Model, "count_params", lambda self: 19392)
    monkeypatch.setattr(keras.Layer, "trainable_weights", property(lambda self: []))
    monkeypatch.setattr(keras.Variable, "shape", property(lambda self: (1000,)))
    monkeypatch.setattr(json, "dumps", lambda *a, **k: "{}")
    monkeypatch.setattr(math, "prod", lambda *a, **k: 7)
    assert probe.snapshot() == before
    assert parse_harvest(probe.emit("n")["doc"]) == parse_harvest(before)

    inputs = keras.Input((8, 8, 3))  # an activation that only claims to be relu is not relu
    faked = keras.Model(inputs, keras.layers.Dense(2, activation=fake_relu)(inputs))
    assert only(harvest(probe).models, name=faked.name).body()[0].config["activation"] == "custom:relu"


def test_compile_facts(keras, probe):
    plain = small_sequential(keras)
    plain.compile(optimizer=keras.optimizers.Adadelta(learning_rate=0.5), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    objects = small_sequential(keras)

    def my_loss(y_true, y_pred):
        return y_true - y_pred

    objects.compile(optimizer="sgd", loss=[keras.losses.CategoricalCrossentropy()],
                    metrics=[keras.metrics.categorical_accuracy, keras.metrics.AUC(), my_loss])
    bare = small_sequential(keras)
    bare.compile(loss=my_loss)
    uncompiled = small_sequential(keras)
    models = harvest(probe).models
    facts = only(models, name=plain.name).compile
    assert (facts.optimizer, facts.loss, facts.metrics) == ("Adadelta", "categorical_crossentropy", ("accuracy",))
    assert facts.optimizer_config["learning_rate"] == 0.5 and facts.optimizer_config["rho"] == 0.95
    facts = only(models, name=objects.name).compile
    assert (facts.optimizer, facts.loss) == ("SGD", ["categorical_crossentropy"])
    assert facts.metrics == ("categorical_accuracy", "auc", "custom:my_loss")
    assert facts.optimizer_config["learning_rate"] == 0.01  # the float32 variable, read back as typed
    facts = only(models, name=bare.name).compile
    assert (facts.optimizer, facts.loss, facts.metrics) == ("RMSprop", "custom:my_loss", ())
    assert only(models, name=uncompiled.name).compile is None


def fingerprint(keras, model):
    """Everything a snapshot could disturb: instance dicts (by identity), list lengths, weight values."""
    objects, seen = [model], set()
    optimizer = vars(model).get("optimizer")
    if optimizer is not None:
        objects += [optimizer, *optimizer.variables]
    states = {}
    while objects:
        obj = objects.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        state = {}
        for key, value in vars(obj).items():
            sized = isinstance(value, collections.abc.Sized) and not isinstance(value, (str, bytes))
            state[key] = (id(value), len(value) if sized else None)
            if isinstance(value, keras.Layer):
                objects.append(value)
            elif isinstance(value, (list, tuple)):
                objects.extend(x for x in value if isinstance(x, keras.Layer))
        states[id(obj)] = state
    weights = [w.numpy().tolist() for w in model.weights]
    return (states, weights, model.built, getattr(model, "compiled", None), list(model.layers),
            len(optimizer.variables) if optimizer is not None else None)


def test_snapshot_and_emit_leave_models_unchanged(keras, probe):
    import numpy as np

    trained = small_sequential(keras)
    trained.compile(optimizer="adadelta", loss="mse", metrics=["mae"])
    trained.fit(np.zeros((4, 8, 8, 3)), np.zeros((4, 2)), epochs=1, verbose=0)
    compiled = small_sequential(keras)
    compiled.compile(optimizer="adam", loss="mse", metrics=["accuracy"])
    unbuilt = keras.Sequential([keras.layers.Dense(2)])
    unbuilt.compile(optimizer="sgd", loss="mse")

    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(2)

        def call(self, x):
            return self.dense(x)

    models = [trained, compiled, unbuilt, Net(), conv_stack(keras, keras.layers.Conv2D, shape=(8, 8, 3))]
    before = [fingerprint(keras, m) for m in models]
    for _ in range(2):
        parse_harvest(probe.snapshot())
    parse_harvest(probe.emit("n")["doc"])
    assert [fingerprint(keras, m) for m in models] == before
    assert [m.built for m in models] == [True, True, False, False, True]


def test_more_than_200_models_are_counted(keras, probe):
    models = [keras.Sequential(name=f"m{i}") for i in range(205)]
    doc = probe.snapshot()
    facts = parse_harvest(doc)
    assert (len(facts.models), facts.dropped_models) == (200, 5)
    assert [m.uid for m in facts.models] == list(range(1, 201)) and facts.models[-1].name == "m199"
    assert len(models) == 205


def test_failures_are_recorded_not_raised(keras, probe):
    class Own(keras.layers.Layer):
        def call(self, x):
            return x

        def get_config(self):  # never called: the probe uses the nearest genuine get_config
            raise RuntimeError("no config")

    inputs = keras.Input((4,))
    model = keras.Model(inputs, keras.layers.Dense(2)(Own(name="own")(inputs)), name="broken")
    _, own, dense = model.layers
    vars(own)["_inbound_nodes"] = 5  # state the probe cannot iterate
    del vars(dense)["units"]  # state the genuine get_config needs
    with pytest.raises(ValueError):
        keras.Model(inputs, "not a tensor")  # a failed construction is not a model
    doc = probe.snapshot()
    [facts] = parse_harvest(doc).models
    assert [layer.class_name for layer in facts.layers] == ["InputLayer", "Own", "Dense"]
    assert facts.layers[1].config["name"] == "own" and facts.layers[1].output_shape is None
    assert facts.layers[2].config == {} and facts.layers[2].output_shape == (None, 2) and facts.total_params == 10
    assert [e.split(":")[0] for e in doc["models"][0]["probe_errors"]] == ["layer 1 output_shape", "layer 2 config"]


# --------------------------------------------------------------------------- the kernel contract


def test_emit_publishes_display_data(keras, monkeypatch):
    published = []
    shell = types.SimpleNamespace(display_pub=types.SimpleNamespace(
        publish=lambda data, metadata=None, **kw: published.append((data, metadata))))
    monkeypatch.setitem(sys.modules, "IPython", types.SimpleNamespace(get_ipython=lambda: shell))
    with loaded_probe() as p:
        p.begin_cell(7)
        small_sequential(keras)
        assert p.emit("abc") is None  # nothing for IPython to echo as the cell's result
    [(data, metadata)] = published
    assert list(data) == [MIME_TYPE] and data[MIME_TYPE]["nonce"] == "abc" and metadata == {}
    doc = data[MIME_TYPE]["doc"]
    assert doc["schema"] == SCHEMA and doc["backend"] == "tensorflow" and doc["keras_version"] == keras.__version__
    assert [(m.uid, m.cell) for m in parse_harvest(doc).models] == [(1, 7)]


def test_snapshot_is_fast(keras, probe):
    models = [small_sequential(keras) for _ in range(10)]
    timings = []
    for _ in range(3):
        start = time.perf_counter()
        probe.snapshot()
        timings.append(time.perf_counter() - start)
    assert min(timings) < 0.05, timings
    assert len(parse_harvest(probe.snapshot()).models) == len(models)


def test_not_installed_and_installed_twice(keras):
    ns: dict = {}
    exec(compile(SOURCE, "<keras-grader-probe>", "exec"), ns)
    assert parse_harvest(ns["snapshot"]()).models == ()
    ns["install"]()
    try:
        ns["install"]()  # idempotent: one hook, one record per model
        small_sequential(keras)
        assert [m.uid for m in parse_harvest(ns["snapshot"]()).models] == [1]
    finally:
        ns["uninstall"]()
    for cls in (keras.Model, keras.Sequential, type(conv_stack(keras, keras.layers.Conv2D, (6, 6, 1)))):
        assert cls.__dict__["__init__"].__code__.co_filename != "<keras-grader-probe>"


@pytest.mark.parametrize("collecting", [True, False])
def test_install_leaves_the_garbage_collector_as_it_found_it(keras, collecting):
    """install() imports Keras with the collector off (a cold kernel's import is ~0.6 s faster), then puts it
    back: on for a student's kernel, and off where someone had switched it off."""
    import gc

    ns: dict = {}
    exec(compile(SOURCE, "<keras-grader-probe>", "exec"), ns)
    was = gc.isenabled()
    (gc.enable if collecting else gc.disable)()
    try:
        ns["install"]()
        assert gc.isenabled() is collecting
    finally:
        ns["uninstall"]()
        (gc.enable if was else gc.disable)()


def test_source_imports_only_the_standard_library():
    tree = ast.parse(SOURCE)
    top = {alias.name.split(".")[0] for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))
           for alias in (node.names if isinstance(node, ast.Import) else [types.SimpleNamespace(name=node.module)])}
    assert top <= set(sys.stdlib_module_names), top
    assert "grader" not in {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
