"""One setting of one layer changed: 48 filters where the solution has 64, ``padding="same"`` for "valid".

The settings are those an exercise on layers asks for (filters, units,
kernel_size, strides, padding, activation, depth_multiplier, pool_size,
rate); each is changed the way a student gets it wrong, to a value that still
builds. A setting the call leaves at its default is added as a keyword.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

from grader.author.mutants.base import Mutant, Operator, Subject, checks_on_layers, said
from grader.author.mutants.sites import LayerCall, config_keys, layer_calls, measured
from grader.author.mutants.source import UNKNOWN, argument, literal, with_argument
from grader.rubric.constraints import show

# Positional parameters of Keras' layer classes, up to the last one mutated here (None: not mutated).
_CONV = ("filters", "kernel_size", "strides", "padding", None, None, None, "activation")
_SEPARABLE = ("filters", "kernel_size", "strides", "padding", None, None, "depth_multiplier", "activation")
_DEPTHWISE = ("kernel_size", "strides", "padding", "depth_multiplier", None, None, "activation")
_POOL = ("pool_size", "strides", "padding")
POSITIONS: dict[str, tuple[str | None, ...]] = {
    **{f"Conv{d}D": _CONV for d in (1, 2, 3)}, **{f"Conv{d}DTranspose": _CONV for d in (1, 2, 3)},
    **{f"SeparableConv{d}D": _SEPARABLE for d in (1, 2)}, **{f"DepthwiseConv{d}D": _DEPTHWISE for d in (1, 2)},
    **{f"{kind}Pooling{d}D": _POOL for kind in ("Max", "Average") for d in (1, 2, 3)},
    "Dense": ("units", "activation"), "LSTM": ("units", "activation"), "GRU": ("units", "activation"),
    "SimpleRNN": ("units", "activation"), "Dropout": ("rate",), "Activation": ("activation",),
    **{f"SpatialDropout{d}D": ("rate",) for d in (1, 2, 3)},
}


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _each(value: Any, change: Callable[[int], int]) -> Any:
    """``change`` applied to an int, or to each int of a tuple or list (keeping its form)."""
    if _is_int(value):
        return change(value)
    if isinstance(value, (tuple, list)) and value and all(_is_int(v) for v in value):
        return type(value)(change(v) for v in value)
    return None


def _fewer(n: Any) -> Any:
    """48 for 64, 24 for 32: a plausible slip, not a typo."""
    if not _is_int(n) or n < 1:
        return None
    smaller = n * 3 // 4
    return smaller if 1 <= smaller < n else n + 1


def _strides(value: Any) -> Any:
    ones = value == 1 or (isinstance(value, (tuple, list)) and all(v == 1 for v in value))
    return _each(value, lambda s: 2 if ones else 1)


def _padding(value: Any) -> Any:
    return ("same" if value.lower() == "valid" else "valid") if isinstance(value, str) else None


def _activation(value: Any) -> Any:
    return "tanh" if isinstance(value, str) and value.lower() == "relu" else "relu"


def _rate(value: Any) -> Any:
    return (0.25 if value == 0.5 else 0.5) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


CHANGES: dict[str, Callable[[Any], Any]] = {
    "filters": _fewer,
    "units": _fewer,
    "kernel_size": lambda v: _each(v, lambda k: k + 2),
    "strides": _strides,
    "padding": _padding,
    "activation": _activation,
    "depth_multiplier": lambda v: v + 1 if _is_int(v) else None,
    "pool_size": lambda v: _each(v, lambda k: k + 1),
    "rate": _rate,
}


class LayerSetting(Operator):
    name = "layer-setting"

    def mutants(self, subject: Subject) -> Iterable[Mutant]:
        for call in layer_calls(subject):
            keys = config_keys(subject, call.type)
            for setting in CHANGES:
                if setting in keys:
                    mutant = self._mutant(subject, call, setting)
                    if mutant is not None:
                        yield mutant

    def _mutant(self, subject: Subject, call: LayerCall, setting: str) -> Mutant | None:
        positions = POSITIONS.get(call.type, ())
        position = positions.index(setting) if setting in positions else None
        current = literal(argument(call.node, setting, position))
        if current is UNKNOWN:  # not written as a constant, or not written: what the layer was built with
            current = measured(call, setting)
            if current is None and setting != "activation":
                return None
        new = CHANGES[setting](current)
        if new is None or new == current:
            return None
        edit = call.cell.replace(call.node, with_argument(call.node, setting, position, new))
        return Mutant(id=f"{call.id}.{setting}", operator=self.name,
                      change=said(f"{call.label}: {setting} {show(current)} → {show(new)}",
                                  f"{call.label}：{setting} 由 {show(current)} 改為 {show(new)}"),
                      edits=(edit,), meant=checks_on_layers(subject.exercise.checks, [call.type]))
