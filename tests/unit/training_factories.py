"""Tiny builders of harvests with training facts, as the probe would emit them, for TensorFlow-free tests.

A scenario is written as a student's run reads: ``cnn(1)`` built, ``fit(1, data=generator("gen"))``
trained it. Every builder returns the probe's JSON (dicts), parsed at the end by ``run``.
"""

from __future__ import annotations

from typing import Any

from grader.execute.outcome import ExecutionOutcome, Status
from grader.harvest.schema import SCHEMA, parse_harvest
from tests.unit.factories import layer

CIFAR = (None, 32, 32, 3)


def conv2d(filters: int, kernel=(3, 3), padding="same", index=0) -> dict:
    return layer("Conv2D", index=index, filters=filters, kernel_size=list(kernel), strides=[1, 1], padding=padding,
                 activation="relu")


def dense(units: int, activation="relu", index=0) -> dict:
    return layer("Dense", index=index, units=units, activation=activation)


def dropout(rate: float, index=0) -> dict:
    return layer("Dropout", index=index, rate=rate)


def pool(size=2, index=0) -> dict:
    return layer("MaxPooling2D", index=index, pool_size=[size, size])


def network(uid: int, layers: list[dict], cell=2, inputs=CIFAR, params=1000, loss="categorical_crossentropy",
            name: str | None = None) -> dict:
    body = [layer("InputLayer", output_shape=list(inputs))]
    for i, item in enumerate(layers, 1):
        body.append({**item, "index": i, "name": f"{item['name'].rsplit('_', 1)[0]}_{uid}_{i}"})
    return {"uid": uid, "cell": cell, "name": name or f"model_{uid}", "class_name": "Sequential",
            "keras_type": "Sequential", "built": True, "input_shapes": [list(inputs)], "output_shapes": [[None, 10]],
            "total_params": params, "trainable_params": params, "layers": body,
            "compile": {"optimizer": "RMSprop", "optimizer_config": {"learning_rate": 0.001}, "loss": loss,
                        "metrics": ["accuracy"]}}


def cnn(uid: int, filters=(32, 32, 64, 64), dense_units=512, rate=0.25, cell=2, params=1_250_858) -> dict:
    layers = [conv2d(filters[0]), conv2d(filters[1], padding="valid"), pool(), dropout(rate),
              conv2d(filters[2]), conv2d(filters[3], padding="valid"), pool(), dropout(rate),
              layer("Flatten"), dense(dense_units), dropout(0.5), dense(10, "softmax")]
    return network(uid, layers, cell=cell, params=params)


def dnn(uid: int, units=(512, 512), cell=1, params=1_841_162) -> dict:
    layers = [dense(units[0]), dropout(0.2), dense(units[1]), dropout(0.2), dense(10, "softmax")]
    return network(uid, layers, cell=cell, inputs=(None, 3072), params=params)


def arrays(samples=50_000) -> dict:
    return {"kind": "arrays", "class_name": "ndarray", "samples": samples}


def generator(function="batches") -> dict:
    return {"kind": "generator", "class_name": "generator", "function": function}


def sequence(name="Batches") -> dict:
    return {"kind": "sequence", "class_name": name}


def flow(idg: int, batch=32, samples=50_000) -> dict:
    return {"kind": "flow", "class_name": "NumpyArrayIterator", "image_data_generator": idg, "batch_size": batch,
            "shuffle": True, "samples": samples}


def idg(uid: int, cell=3, keras=True, **settings: Any) -> dict:
    return {"uid": uid, "cell": cell, "class_name": "ImageDataGenerator",
            "keras_type": "ImageDataGenerator" if keras else None, "config": settings}


def callback(keras_type: str, **config: Any) -> dict:
    return {"class_name": keras_type, "keras_type": keras_type, "config": config}


def fit(model: int, data: dict | None = None, cell=5, method="fit", epochs=10, batch=128, x_max=1.0, x_shape=None,
        y_shape=(128, 10), steps=1, error=None, callbacks=(), validation=None, optimizer="RMSprop", lr=0.001,
        augmented_by=(), start_weights=None, x_dtype="float32", **args: Any) -> dict:
    """One training call as the probe records it; ``steps=0`` with an ``error``: it broke before a batch."""
    data = data or arrays()
    given = dict(args)
    if batch is not None and data["kind"] == "arrays":
        given.setdefault("batch_size", batch)
    if method.startswith("fit") or method == "train_on_batch":
        given.setdefault("epochs", epochs)
    given["validation_data"] = validation is not None
    rows = batch if batch is not None else 32
    x_shape = x_shape or (rows, 32, 32, 3)
    asked = given.get("steps_per_epoch")
    asked = -(-int(asked) // 1) if isinstance(asked, (int, float)) and not isinstance(asked, bool) else None
    return {"index": 0, "cell": cell, "method": method, "model": model, "args": given, "data": data,
            "validation": validation, "asked": {"epochs": epochs, "steps_per_epoch": asked},
            "ran": {"epochs": 1 if steps else 0, "steps": steps},
            "first_batch": None if not steps else {
                "x": [{"shape": list(x_shape), "dtype": x_dtype, "min": 0.0, "max": x_max}],
                "y": [{"shape": list(y_shape), "dtype": "float32", "min": None, "max": None}]},
            "callbacks": list(callbacks), "optimizer": {"name": optimizer, "learning_rate": lr, "schedule": None},
            "augmented_by": list(augmented_by), "error": error, "start_weights": start_weights}


def evaluate(model: int, cell=9) -> dict:
    return {**fit(model, cell=cell, method="evaluate", epochs=1), "args": {"verbose": 0}}


def run(models=(), trainings=(), generators=(), notes=(), status=Status.GRADED) -> ExecutionOutcome:
    """The outcome of a run that built ``models``, made these training calls (in order) and ImageDataGenerators."""
    calls = [{**t, "index": i} for i, t in enumerate(trainings)]
    doc = {"schema": SCHEMA, "keras_version": "3.x", "backend": "tensorflow", "models": list(models),
           "dropped_models": 0, "trainings": calls, "image_data_generators": list(generators),
           "notes": [{"key": key, "params": params} for key, params in notes]}
    harvest = parse_harvest(doc)
    assert len(harvest.trainings) == len(calls), "a factory built a training the schema drops"
    return ExecutionOutcome(status=status, harvest=harvest)
