"""Where a layer's parameter count and output size come from, in the student's own numbers.

"Conv2D 3×3, 3 → 32 channels: (3·3·3 + 1)·32 = 896" tells a student why the
count differs from the expected one better than the two totals do. Each
explanation is computed from the layer's settings and the shape that reached
it, and shown **only when it reproduces what the probe measured** (the count
from the weights' shapes, the output shape from Keras): a branch of a
functional model, whose input is not the layer listed before it, or a layer
kind this module does not know, gets no arithmetic rather than wrong
arithmetic. Messages, not text: the reports say them in the reader's language.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

from grader.harvest.schema import LayerFacts
from grader.i18n import Message, number

_CONV = ("Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose")
_SEPARABLE = ("SeparableConv1D", "SeparableConv2D")
_DEPTHWISE = ("DepthwiseConv1D", "DepthwiseConv2D")
_POOLING = tuple(f"{kind}Pooling{n}D" for kind in ("Max", "Average") for n in (1, 2, 3))
_SLIDING = ("Conv1D", "Conv2D", "Conv3D") + _SEPARABLE + _DEPTHWISE + _POOLING  # output size by the sliding rule
_DIMS = {1: ("dim.length",), 2: ("dim.height", "dim.width"), 3: ("dim.depth", "dim.height", "dim.width")}
DOT, TIMES, MINUS = "·", "×", "−"


def explain(layer: LayerFacts, input_shape: Any) -> tuple[Message, ...]:
    """The arithmetic of ``layer``'s parameters and output size, given the shape that reached it (batch first)."""
    shape = _plain_shape(input_shape)
    found = [m for m in (_params(layer, shape), _output_size(layer, shape)) if m is not None]
    return tuple(found)


def total(params: Sequence[int], measured: int) -> Message | None:
    """"896 + 18,496 = 19,392": a model's count as the sum of its layers', when it is that sum."""
    terms = [p for p in params if p]
    if not terms or sum(terms) != measured or len(terms) == 1:
        return None
    shown = [number(p) for p in terms] if len(terms) <= 12 else [number(p) for p in terms[:11]] + ["…"]
    return Message.of("arith.total", terms=" + ".join(shown), total=number(measured))


# --------------------------------------------------------------------------- parameters


def _params(layer: LayerFacts, shape: tuple | None) -> Message | None:
    kind, config = layer.keras_type, layer.config
    if kind is None or layer.layers:
        return None
    if kind in _CONV + _SEPARABLE + _DEPTHWISE + ("Dense", "BatchNormalization"):
        channels = _channels(shape, config)
        if channels is None:
            return None
        for build in (_conv, _separable, _depthwise, _dense, _batchnorm):
            message = build(layer, kind, channels)
            if message is not None:
                return message
        return None
    if layer.params == 0:
        return Message.of("arith.no_weights", layer=kind)
    return None


def _conv(layer: LayerFacts, kind: str, cin: int) -> Message | None:
    kernel, filters = _ints(layer.config.get("kernel_size")), layer.config.get("filters")
    if kind not in _CONV or not kernel or not _int(filters) or layer.config.get("groups", 1) != 1:
        return None
    bias = bool(layer.config.get("use_bias", True))
    window = DOT.join(map(str, kernel))
    if math.prod(kernel) * cin * filters + bias * filters != layer.params:
        return None
    formula = f"({window}{DOT}{cin} + 1){DOT}{filters}" if bias else f"{window}{DOT}{cin}{DOT}{filters}"
    return Message.of("arith.conv", layer=kind, kernel=TIMES.join(map(str, kernel)), cin=number(cin),
                      filters=number(filters), formula=formula, params=number(layer.params))


def _separable(layer: LayerFacts, kind: str, cin: int) -> Message | None:
    kernel, filters = _ints(layer.config.get("kernel_size")), layer.config.get("filters")
    multiplier = layer.config.get("depth_multiplier", 1)
    if kind not in _SEPARABLE or not kernel or not _int(filters) or not _int(multiplier):
        return None
    bias = bool(layer.config.get("use_bias", True))
    if math.prod(kernel) * cin * multiplier + (cin * multiplier + bias) * filters != layer.params:
        return None
    window = DOT.join(map(str, kernel))
    inner = f"{cin}{DOT}{multiplier}" if multiplier != 1 else f"{cin}"
    depthwise = f"{window}{DOT}{inner}"
    pointwise = f"({inner} + 1){DOT}{filters}" if bias else f"{inner}{DOT}{filters}"
    key = "arith.separable" if multiplier == 1 else "arith.separable_dm"
    return Message.of(key, layer=kind, kernel=TIMES.join(map(str, kernel)), cin=number(cin), filters=number(filters),
                      dm=multiplier, formula=f"{depthwise} + {pointwise}", params=number(layer.params))


def _depthwise(layer: LayerFacts, kind: str, cin: int) -> Message | None:
    kernel, multiplier = _ints(layer.config.get("kernel_size")), layer.config.get("depth_multiplier", 1)
    if kind not in _DEPTHWISE or not kernel or not _int(multiplier):
        return None
    bias = bool(layer.config.get("use_bias", True))
    if (math.prod(kernel) + bias) * cin * multiplier != layer.params:
        return None
    window = DOT.join(map(str, kernel))
    formula = f"({window} + 1){DOT}{cin}{DOT}{multiplier}" if bias else f"{window}{DOT}{cin}{DOT}{multiplier}"
    return Message.of("arith.depthwise", layer=kind, kernel=TIMES.join(map(str, kernel)), cin=number(cin),
                      dm=multiplier, formula=formula, params=number(layer.params))


def _dense(layer: LayerFacts, kind: str, cin: int) -> Message | None:
    units = layer.config.get("units")
    if kind != "Dense" or not _int(units):
        return None
    bias = bool(layer.config.get("use_bias", True))
    if (cin + bias) * units != layer.params:
        return None
    formula = f"({number(cin)} + 1){DOT}{number(units)}" if bias else f"{number(cin)}{DOT}{number(units)}"
    return Message.of("arith.dense", layer=kind, cin=number(cin), units=number(units), formula=formula,
                      params=number(layer.params))


def _batchnorm(layer: LayerFacts, kind: str, channels: int) -> Message | None:
    if kind != "BatchNormalization":
        return None
    per_channel = 2 + bool(layer.config.get("center", True)) + bool(layer.config.get("scale", True))
    if per_channel * channels != layer.params:
        return None
    return Message.of("arith.batchnorm", layer=kind, channels=number(channels),
                      formula=f"{per_channel}{DOT}{number(channels)}", params=number(layer.params))


# --------------------------------------------------------------------------- output size


def _output_size(layer: LayerFacts, shape: tuple | None) -> Message | None:
    out = _plain_shape(layer.output_shape)
    if shape is None or out is None or layer.keras_type is None:
        return None
    if layer.keras_type == "Flatten":
        return _flatten(shape, out)
    if layer.keras_type not in _SLIDING:
        return None
    first = layer.config.get("data_format") == "channels_first"
    spatial_in, spatial_out = (shape[2:], out[2:]) if first else (shape[1:-1], out[1:-1])
    rank = len(spatial_in)
    if rank not in _DIMS or len(spatial_out) != rank or None in spatial_in or None in spatial_out:
        return None
    window = _ints(layer.config.get("pool_size") if layer.keras_type in _POOLING else layer.config.get("kernel_size"))
    strides = _ints(layer.config.get("strides")) or window
    dilation = _ints(layer.config.get("dilation_rate", 1)) or (1,)
    padding = str(layer.config.get("padding", "valid")).lower()
    if not window or padding not in ("valid", "same"):
        return None
    window, strides, dilation = _spread(window, rank), _spread(strides, rank), _spread(dilation, rank)
    if window is None or strides is None or dilation is None:
        return None
    per_dim = []
    for n, k, s, d, size in zip(spatial_in, window, strides, dilation, spatial_out):
        reach = d * (k - 1) + 1
        computed = (n - reach) // s + 1 if padding == "valid" else -(-n // s)
        if computed != size or computed < 1:
            return None
        per_dim.append(_size_message(n, reach, s, padding, size))
    if all(m == per_dim[0] for m in per_dim):
        return per_dim[0]
    parts = {f"d{i}": Message.of("arith.dim", dim=Message.of(name), text=m)
             for i, (name, m) in enumerate(zip(_DIMS[rank], per_dim))}
    return Message.of(f"arith.dims{rank}", **parts)  # dimensions that differ, each with its own arithmetic


def _size_message(n: int, reach: int, stride: int, padding: str, size: int) -> Message:
    if padding == "same" and stride == 1:
        return Message.of("arith.size_kept", size=number(size))
    if padding == "same":
        return Message.of("arith.size_same", formula=f"⌈{n} / {stride}⌉", size=number(size))
    formula = f"{n} {MINUS} {reach} + 1" if stride == 1 else f"⌊({n} {MINUS} {reach}) / {stride}⌋ + 1"
    return Message.of("arith.size_valid", formula=formula, size=number(size))


def _flatten(shape: tuple, out: tuple) -> Message | None:
    dims = shape[1:]
    if not dims or None in dims or len(out) != 2 or out[1] != math.prod(dims) or len(dims) == 1:
        return None
    return Message.of("arith.flatten", formula=DOT.join(map(str, dims)), size=number(out[1]))


# --------------------------------------------------------------------------- shapes


def _plain_shape(shape: Any) -> tuple | None:
    """A single shape with its batch axis, or None for a multi-output layer or an unknown one."""
    if not isinstance(shape, tuple) or not shape or any(isinstance(d, tuple) for d in shape):
        return None
    return shape


def _channels(shape: tuple | None, config: dict) -> int | None:
    if shape is None or len(shape) < 2:
        return None
    axis = config.get("axis", -1) if "axis" in config else (1 if config.get("data_format") == "channels_first" else -1)
    if isinstance(axis, (list, tuple)):
        axis = axis[0] if len(axis) == 1 else None
    if not isinstance(axis, int) or not -len(shape) <= axis < len(shape):
        return None
    value = shape[axis]
    return value if _int(value) else None


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _ints(value: Any) -> tuple[int, ...]:
    if _int(value):
        return (value,)
    if isinstance(value, (list, tuple)) and value and all(_int(v) for v in value):
        return tuple(value)
    return ()


def _spread(values: tuple[int, ...], rank: int) -> tuple[int, ...] | None:
    if len(values) == rank:
        return values
    return values * rank if len(values) == 1 else None
