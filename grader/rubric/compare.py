"""A model check's closest model beside the spec: layer by layer, with the arithmetic of each number.

"Conv2D #2: filters expected 64, found 32" says what is wrong, not where the
network went its own way or why its parameter count differs. A ``Comparison``
is that model as a table (type, filters/units, kernel size, strides, padding,
output shape, parameters), the spec's expectation on each row, the cells that
break the spec marked, and under each layer the arithmetic of its numbers
(``grader.rubric.arithmetic``). It is data, like a ``Message``: the reports
render it in their reader's language (``to_dict``), and a hidden check carries
none (the engine drops it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from grader.harvest.schema import LayerFacts, ModelFacts
from grader.i18n import Message, number
from grader.rubric.arithmetic import explain, total
from grader.rubric.constraints import show

if TYPE_CHECKING:  # the check builds comparisons; this module only reads its spec's rows
    from grader.rubric.checks.model import LayerSpec
    from grader.rubric.constraints import Constraint

#: the columns a layer row may have, in this order; a spec's other settings follow them
BASE_COLUMNS = ("type", "filters", "units", "kernel_size", "pool_size", "strides", "padding", "depth_multiplier")
MEASURED = ("output_shape", "params")
MAX_ROWS = 40  # a pasted ResNet has hundreds of layers: the first rows are where a homework model differs
OK, DIFFERS, MISSING, EXTRA, OTHER = "ok", "differs", "missing", "extra", "other"


def layer_value(layer: LayerFacts, attr: str) -> Any:
    """What a spec's layer attribute is compared with: a config key, or the measured shape / count."""
    if attr == "output_shape":
        shape = layer.output_shape
        return tuple(shape[1:]) if isinstance(shape, tuple) and shape and not isinstance(shape[0], tuple) else shape
    if attr == "params":
        return layer.params
    return layer.config.get(attr)


def describe_type(layer: LayerFacts) -> str:
    return layer.keras_type or f"{layer.class_name} (not Keras)"


@dataclass(frozen=True)
class LayerRow:
    """One layer: what the spec expects (None: nothing expected here) beside what was built (None: missing)."""

    status: str  # ok | differs | missing | extra (not allowed here) | other (allowed, not asked for)
    expected: Mapping[str, str | Message] | None
    found: Mapping[str, str] | None
    differs: tuple[str, ...] = ()
    arithmetic: tuple[Message, ...] = ()


@dataclass(frozen=True)
class PropertyRow:
    """A property of the whole model (input/output shape, total parameters, a compile setting)."""

    name: str
    expected: str | Message
    found: str
    differs: bool
    arithmetic: tuple[Message, ...] = ()


@dataclass(frozen=True)
class Measured:
    """A model property or compile setting as the check judged it: the expectation, the value, the verdict."""

    name: str
    constraint: "Constraint"
    found: Any
    ok: bool


@dataclass(frozen=True)
class Comparison:
    cell: int | None  # 0-based index of the executed cell that built the model
    model: str
    columns: tuple[str, ...]
    layers: tuple[LayerRow, ...]
    properties: tuple[PropertyRow, ...] = ()
    more_layers: int = 0  # rows left out beyond MAX_ROWS

    def to_dict(self, lang: str) -> dict[str, Any]:
        """The JSON result's ``comparison``: every text in ``lang``, values as the reports print them."""
        def text(value: str | Message) -> str:
            return value.render(lang) if isinstance(value, Message) else value

        def side(cells: Mapping[str, str | Message] | None) -> dict[str, str] | None:
            return None if cells is None else {k: text(v) for k, v in cells.items()}

        return {
            "cell": self.cell,  # 0-based, as cells[].index, models[].cell and evidence.cell
            "model": self.model,
            "columns": list(self.columns),
            "layers": [{"status": r.status, "expected": side(r.expected), "found": side(r.found),
                        "differs": list(r.differs), "arithmetic": [m.render(lang) for m in r.arithmetic]}
                       for r in self.layers],
            "more_layers": self.more_layers,
            "properties": [{"name": p.name, "expected": text(p.expected), "found": p.found, "differs": p.differs,
                            "arithmetic": [m.render(lang) for m in p.arithmetic]} for p in self.properties],
        }


def compare(model: ModelFacts, pairs: Sequence[tuple["LayerSpec | None", LayerFacts | None]],
            measured: Sequence[Measured], extras_allowed: bool) -> Comparison:
    """The table for ``model``: ``pairs`` in reading order, as the check aligned them, unpaired layers included."""
    inputs = _input_shapes(model)
    specs = [spec for spec, _ in pairs if spec is not None]
    extra_columns = [a for spec in specs for a in spec.attrs if a not in BASE_COLUMNS + MEASURED]
    present = {c for spec in specs for c in spec.attrs} | {"type"}
    present |= {c for _, layer in pairs if layer is not None for c in BASE_COLUMNS if c in layer.config}
    columns = tuple(c for c in BASE_COLUMNS if c in present) + tuple(dict.fromkeys(extra_columns)) + MEASURED
    rows = [_row(spec, layer, columns, inputs, extras_allowed) for spec, layer in pairs[:MAX_ROWS]]
    properties = tuple(_property(m, model) for m in measured)
    return Comparison(cell=model.cell, model=model.name, columns=columns, layers=tuple(rows), properties=properties,
                      more_layers=max(len(pairs) - MAX_ROWS, 0))


def _row(spec: "LayerSpec | None", layer: LayerFacts | None, columns: Sequence[str], inputs: Mapping[int, Any],
         extras_allowed: bool) -> LayerRow:
    expected = None if spec is None else {"type": spec.type_name(), **{a: c.describe() for a, c in spec.attrs.items()}}
    if layer is None:
        return LayerRow(MISSING, expected, None, ("type",))
    found = {c: _found(layer, c) for c in columns}
    arithmetic = explain(layer, inputs.get(id(layer)))
    if spec is None:
        return LayerRow(OTHER if extras_allowed else EXTRA, None, found, () if extras_allowed else ("type",), arithmetic)
    if not spec.type.ok(layer.keras_type):
        return LayerRow(DIFFERS, expected, found, ("type", *spec.attrs), arithmetic)
    differs = tuple(a for a, c in spec.attrs.items() if not c.ok(layer_value(layer, a)))
    return LayerRow(DIFFERS if differs else OK, expected, found, differs, arithmetic)


def _found(layer: LayerFacts, column: str) -> str:
    if column == "type":
        return describe_type(layer)
    if column == "params":
        return number(layer.params)
    value = layer_value(layer, column)
    return "" if value is None else show(value)


def _property(m: Measured, model: ModelFacts) -> PropertyRow:
    arithmetic = ()
    if m.name in ("total_params", "trainable_params"):
        counts = [layer.params if m.name == "total_params" else layer.trainable_params for layer in model.layers]
        found_sum = total(counts, m.found) if isinstance(m.found, int) else None
        arithmetic = (found_sum,) if found_sum else ()
    return PropertyRow(m.name, m.constraint.describe(), "" if m.found is None else show(m.found), not m.ok,
                       arithmetic)


def _input_shapes(model: ModelFacts) -> dict[int, Any]:
    """The shape reaching each layer, as far as reading order tells (id of the layer -> shape with batch axis).

    Exact for a stack of layers; for a branching model it may be wrong, which is
    why ``explain`` shows only arithmetic that reproduces what was measured.
    """
    previous = model.input_shapes[0] if len(model.input_shapes) == 1 else None
    shapes = {}
    for layer in model.layers:
        if layer.keras_type != "InputLayer":
            shapes[id(layer)] = previous
        previous = layer.output_shape
    return shapes
