"""Tiny builders of harvest documents, as the probe would emit them, for TensorFlow-free tests."""

from __future__ import annotations

from grader.execute.outcome import ExecutionOutcome, Status
from grader.harvest.schema import SCHEMA, parse_harvest


def layer(keras_type, index=0, params=0, output_shape=None, class_name=None, **config):
    return {"index": index, "name": f"{(keras_type or class_name).lower()}_{index}",
            "class_name": class_name or keras_type, "module": "keras.src.layers" if keras_type else "__main__",
            "keras_type": keras_type, "config": config, "output_shape": output_shape,
            "params": params, "trainable_params": params}


def conv(filters, kernel=(3, 3), index=1, kind="Conv2D", params=0, out=None, **extra):
    config = {"filters": filters, "kernel_size": list(kernel), "strides": [1, 1], "padding": "valid", **extra}
    return layer(kind, index=index, params=params, output_shape=out, **config)


def model(layers, uid=1, cell=0, inputs=(None, 224, 224, 3), outputs=(None, 220, 220, 64), total=None,
          keras_type="Functional", compile=None):
    body = [layer("InputLayer", 0, output_shape=list(inputs))] + list(layers)
    return {"uid": uid, "cell": cell, "name": f"model_{uid}", "class_name": keras_type or "MyModel",
            "keras_type": keras_type, "built": True, "input_shapes": [list(inputs)], "output_shapes": [list(outputs)],
            "total_params": sum(x["params"] for x in body) if total is None else total,
            "trainable_params": sum(x["params"] for x in body) if total is None else total,
            "layers": body, "compile": compile}


def harvest(*models):
    return parse_harvest({"schema": SCHEMA, "keras_version": "3.x", "backend": "tensorflow",
                          "models": list(models), "dropped_models": 0})


def conv_model(first=32, second=64, uid=1):
    return model([conv(first, index=1, params=896 if first == 32 else 0, out=[None, 222, 222, first]),
                  conv(second, index=2, params=18496 if second == 64 else 0, out=[None, 220, 220, second])],
                 uid=uid, total=19392 if (first, second) == (32, 64) else 1000)


def separable_model(uid=2):
    return model([conv(32, index=1, kind="SeparableConv2D", params=155, depth_multiplier=1),
                  conv(64, index=2, kind="SeparableConv2D", params=2400, depth_multiplier=1)], uid=uid, total=2555)


def outcome(*models, status=Status.GRADED, **kwargs):
    return ExecutionOutcome(status=status, harvest=harvest(*models), **kwargs)
