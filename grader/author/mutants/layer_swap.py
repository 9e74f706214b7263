"""A layer of the wrong kind with the same settings: Conv2D ↔ SeparableConv2D, MaxPooling ↔ AveragePooling.

Settings the other class does not take (``depth_multiplier`` for a Conv2D,
``groups`` for a SeparableConv2D) are left out, so the mutant still builds and
only the class is wrong.
"""

from __future__ import annotations

import ast
import copy
from typing import Iterable

from grader.author.mutants.base import Mutant, Operator, Subject, checks_on_layers, said
from grader.author.mutants.sites import LayerCall, layer_calls
from grader.author.mutants.source import bound_names, keras_attribute

SWAPS = {
    **{f"Conv{d}D": f"SeparableConv{d}D" for d in (1, 2)}, **{f"SeparableConv{d}D": f"Conv{d}D" for d in (1, 2)},
    **{f"MaxPooling{d}D": f"AveragePooling{d}D" for d in (1, 2, 3)},
    **{f"AveragePooling{d}D": f"MaxPooling{d}D" for d in (1, 2, 3)},
}
# Keywords one class of a pair takes and the other does not, by the class swapped to.
_UNTAKEN = {"Conv": ("depth_multiplier", "depthwise_", "pointwise_"),
            "SeparableConv": ("groups", "kernel_initializer", "kernel_regularizer", "kernel_constraint")}
_SHARED_POSITIONS = 6  # filters, kernel_size, strides, padding, data_format, dilation_rate: the same in both


class LayerSwap(Operator):
    name = "layer-swap"

    def mutants(self, subject: Subject) -> Iterable[Mutant]:
        names = bound_names(subject.code)
        for call in layer_calls(subject):
            other = SWAPS.get(call.type)
            if other is None:
                continue
            yield Mutant(id=f"{call.id}.swap", operator=self.name,
                         change=said(f"{call.label} built as {other}", f"{call.label} 換成 {other}"),
                         edits=(call.cell.replace(call.node, _swapped(call, other, names)),),
                         meant=checks_on_layers(subject.exercise.checks, [call.type, other]))


def _swapped(call: LayerCall, other: str, names: set[str]) -> ast.Call:
    new = copy.deepcopy(call.node)
    if isinstance(new.func, ast.Attribute):
        new.func.attr = other  # layers.Conv2D -> layers.SeparableConv2D, from the same module
    else:
        new.func = ast.Name(other) if other in names else keras_attribute("layers", other)
    untaken = _UNTAKEN.get(other.rstrip("123D"), ())
    new.keywords = [k for k in new.keywords if not (k.arg and k.arg.startswith(untaken))]
    new.args = new.args[:_SHARED_POSITIONS]
    return new
