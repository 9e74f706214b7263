"""``kind = "model"``: some Keras model built during the run has the expected layers and properties.

Every model the run built is a candidate (students reuse the name ``model``,
so the one the namespace holds at the end is often not the one we want).
The check passes when one candidate satisfies everything; otherwise it reports
the differences of the closest candidate, e.g. "Conv2D #2: filters expected
64, found 32".

Spec keys (all optional except ``layers`` or a property)::

    match = "exact"            # exact | subsequence | unordered | any (one of the layers is enough)
    layers = [ {type = "Conv2D", filters = 32, kernel_size = [3, 3]}, ... ]
    without = ["Conv2D"]            # layer types the model must not have (nested models included)
    own_layers = true               # judge only the layers the student added to a base (transfer learning)
    pretrained = true               # built on a base whose pretrained weights the run asked for
    trained = true                  # a training call of the model got through a batch
    input_shape = [224, 224, 3]     # per-sample shapes: no batch dimension
    output_shape = [220, 220, 64]
    total_params = 19392            # or any constraint: {min = .., max = ..}
    trainable_params = 19392
    compile = {optimizer = "Adadelta", loss = "categorical_crossentropy"}
    partial = false                 # true: points in proportion to what is satisfied
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, ClassVar, Mapping

from grader.errors import SpecError
from grader.harvest.schema import Harvest, LayerFacts, ModelFacts
from grader.i18n import Message
from grader.rubric.bases import has_base, own_layers, pretrained_asked
from grader.rubric.checks.base import Check, Evidence, Verdict
from grader.rubric.compare import Measured, compare, describe_type, layer_value
from grader.rubric.constraints import Constraint, show
from grader.rubric.setup import ran

MATCH_MODES = ("exact", "subsequence", "unordered", "any")
_PROPERTIES = ("input_shape", "output_shape", "total_params", "trainable_params")
_COMPILE_KEYS = ("optimizer", "loss", "metrics", "learning_rate")
# Keras' usual layer classes, to point a TA who wrote "conv2d" at "Conv2D" (the engine imports no Keras,
# so any CamelCase name is accepted: this list only serves suggestions).
_COMMON_LAYERS = ("Conv1D", "Conv2D", "Conv3D", "SeparableConv1D", "SeparableConv2D", "DepthwiseConv2D",
                  "Conv2DTranspose", "Dense", "Flatten", "Dropout", "Activation", "BatchNormalization",
                  "MaxPooling2D", "AveragePooling2D", "GlobalMaxPooling2D", "GlobalAveragePooling2D", "Reshape",
                  "InputLayer", "Embedding", "LSTM", "GRU", "SimpleRNN", "Add", "Concatenate", "ZeroPadding2D")
_CLASS_NAME = re.compile(r"[A-Z][A-Za-z0-9_]*")
_CONFIG_KEY = re.compile(r"[a-z_][a-z0-9_]*")


@dataclass(frozen=True)
class LayerSpec:
    type: Constraint
    attrs: Mapping[str, Constraint]

    def type_name(self) -> str:
        if self.type.kind == "exact":
            return str(self.type.value)
        if self.type.kind == "one_of":
            return "/".join(map(str, self.type.value))
        return "layer"

    def to_spec(self) -> dict[str, Any]:
        return {"type": self.type.to_spec(), **{k: c.to_spec() for k, c in self.attrs.items()}}


@dataclass(frozen=True)
class _Finding:
    ok: bool
    message: Message | None = None


_NAMED = 16  # layers named in a message; a pasted ResNet's hundreds are counted instead


def _describe_layers(layers: tuple[LayerFacts, ...]) -> str:
    names = [describe_type(layer) for layer in layers[:_NAMED]]
    if len(layers) > _NAMED:
        names.append(f"… (+{len(layers) - _NAMED})")
    return ", ".join(names) or "no layers"


@dataclass(frozen=True)
class ModelCheck(Check):
    kind: ClassVar[str] = "model"
    own_keys: ClassVar[frozenset[str]] = frozenset({"match", "layers", "compile", "partial", "without", "own_layers",
                                                    "pretrained", "trained", *_PROPERTIES})

    match: str = "exact"
    layers: tuple[LayerSpec, ...] = ()
    properties: Mapping[str, Constraint] = field(default_factory=dict)
    compile: Mapping[str, Constraint] = field(default_factory=dict)
    partial: bool = False
    without: tuple[str, ...] = ()
    own_layers: bool = False
    pretrained: bool = False
    trained: bool = False

    # ------------------------------------------------------------------ evaluation

    def evaluate(self, evidence: Evidence) -> Verdict:
        models = evidence.harvest.models
        if not models:
            return Verdict(0.0, Message.of("model.none"))
        wanted_types = {spec.type_name() for spec in self.layers if spec.type.kind != "any"}
        harvest = evidence.harvest
        scored = [(self._judge(m, harvest), m) for m in models]
        # Most constraints satisfied wins; among equals, the model built last.
        findings, best = max(scored, key=lambda pair: (sum(f.ok for f in pair[0]), pair[1].uid))
        total = len(findings)
        satisfied = sum(f.ok for f in findings)
        comparison = compare(best, self.rows(self._body(best, harvest)), self._measured(best),
                             extras_allowed=self.match != "exact")
        if satisfied == total:
            return Verdict(1.0, Message.of("model.ok", cell=_cell_label(best), layers=_describe_layers(best.body()),
                                           params=best.total_params), comparison=comparison)
        relevant = [m for m in models if any(layer.keras_type in wanted_types for layer in self._body(m, harvest))]
        if wanted_types and not relevant:
            return Verdict(0.0, Message.of("model.no_type", types=", ".join(sorted(wanted_types))),
                           comparison=comparison)
        problems = tuple(f.message for f in findings if not f.ok and f.message is not None)
        fraction = satisfied / total if self.partial and total else 0.0
        closest = Message.of("model.closest", cell=_cell_label(best), layers=_describe_layers(best.body()))
        return Verdict(fraction, problems[0] if problems else closest, details=problems[1:] + (closest,),
                       comparison=comparison)

    def _measured(self, model: ModelFacts) -> list[Measured]:
        """The model's properties and compile settings the spec names, each with its verdict."""
        measured = [Measured(prop, constraint, found, constraint.ok(found)) for prop, constraint, found in
                    ((p, c, _model_property(model, p)) for p, c in self.properties.items())]
        if self.compile and model.compile is not None:
            measured += [Measured(f"compile {key}", constraint, found, _compile_ok(constraint, key, found))
                         for key, constraint in self.compile.items() for found in (_compile_value(model, key),)]
        return measured

    def satisfied_by(self, harvest: Harvest) -> tuple[ModelFacts, ...]:
        """The harvested models that satisfy every constraint of this check (other checks name them)."""
        return tuple(m for m in harvest.models if all(f.ok for f in self._judge(m, harvest)))

    def _body(self, model: ModelFacts, harvest: Harvest) -> tuple[LayerFacts, ...]:
        return own_layers(model, harvest) if self.own_layers else model.body()

    def _judge(self, model: ModelFacts, harvest: Harvest) -> list[_Finding]:
        findings = self._judge_layers(self._body(model, harvest))
        found = sorted({layer.keras_type for layer in all_layers(model) if layer.keras_type in self.without})
        if self.without:
            findings.append(_Finding(not found, Message.of("model.unwanted", types=", ".join(found)) if found else None))
        if self.pretrained:
            ok = pretrained_asked(harvest) and has_base(model, harvest)
            findings.append(_Finding(ok, None if ok else Message.of("model.not_pretrained")))
        if self.trained:
            ok = any(t.trains and ran(t) for t in harvest.trainings_of(model.uid))
            findings.append(_Finding(ok, None if ok else Message.of("model.not_trained", cell=_cell_label(model))))
        measured = self._measured(model)
        # "found None" and "found 0" would not tell the student why: an unbuilt model says it once, with the fix
        unknown = [m.name for m in measured if not m.ok and not model.built and m.name in _NEED_BUILD]
        for m in measured:
            if m.ok:
                findings.append(_Finding(True))
            elif m.name in unknown:
                findings.append(_Finding(False, None if m.name != unknown[0] else Message.of(
                    "model.unbuilt", props=", ".join(p.replace("_", " ") for p in unknown))))
            else:
                findings.append(_Finding(False, Message.of("model.prop", prop=_prop_label(m.name),
                                                           expected=m.constraint.describe(), found=show(m.found))))
        if self.compile and model.compile is None:
            findings.append(_Finding(False, Message.of("model.not_compiled")))
        return findings

    def _judge_layers(self, body: tuple[LayerFacts, ...]) -> list[_Finding]:
        if not self.layers:
            return []
        if self.match == "any":
            ok = any(_satisfies(spec, layer) for spec in self.layers for layer in body)
            return [_Finding(ok, None if ok else Message.of(
                "model.none_of", expected=", ".join(s.type_name() for s in self.layers), found=_describe_layers(body)))]
        findings: list[_Finding] = []
        if self.match == "exact":
            ok = len(body) == len(self.layers)
            findings.append(_Finding(ok, None if ok else Message.of(
                "model.layer_count", expected=len(self.layers),
                expected_types=", ".join(s.type_name() for s in self.layers),
                found=len(body), found_types=_describe_layers(body))))
        pairs = self._pairs(body)
        ordinals: dict[str, int] = {}
        for position, (spec, layer) in enumerate(pairs, 1):
            name = spec.type_name()
            ordinals[name] = ordinals.get(name, 0) + 1
            label = f"{name} #{ordinals[name]}"
            findings.extend(self._judge_layer(spec, layer, label, body.index(layer) + 1 if layer else position))
        return findings

    def _pairs(self, body: tuple[LayerFacts, ...]) -> list[tuple[LayerSpec, LayerFacts | None]]:
        """Each expected layer with the found one it is judged against (None: not found)."""
        if self.match == "any":  # the first layer that satisfies one of the specs, or none
            found = next(((spec, layer) for layer in body for spec in self.layers if _satisfies(spec, layer)), None)
            return [found] if found else []
        if self.match == "exact" and len(body) == len(self.layers):
            return list(zip(self.layers, body))
        # Otherwise "exact" has failed on the count already; pairing in order (as "subsequence") keeps one extra
        # or missing layer from turning every later layer into a mismatch.
        return self._align(body, ordered=self.match != "unordered")

    def rows(self, body: tuple[LayerFacts, ...]) -> list[tuple[LayerSpec | None, LayerFacts | None]]:
        """The pairs as a student reads their model: every found layer once, in order, the missing ones where
        they belong (after the layer paired before them); for ``unordered``, the layers no spec took at the end."""
        pairs = self._pairs(body)
        if self.match == "unordered":
            taken = {id(layer) for _, layer in pairs if layer is not None}
            return [*pairs, *((None, layer) for layer in body if id(layer) not in taken)]
        if self.match == "any":
            paired = dict((id(layer), spec) for spec, layer in pairs if layer is not None)
            return [(paired.get(id(layer)), layer) for layer in body]
        rows: list[tuple[LayerSpec | None, LayerFacts | None]] = []
        position = {id(layer): i for i, layer in enumerate(body)}
        done = 0
        for spec, layer in pairs:
            if layer is not None:
                at = position[id(layer)]
                rows += [(None, extra) for extra in body[done:at]]
                done = at + 1
            rows.append((spec, layer))
        return rows + [(None, extra) for extra in body[done:]]

    def _align(self, body: tuple[LayerFacts, ...], *, ordered: bool) -> list[tuple[LayerSpec, LayerFacts | None]]:
        """Pair each expected layer with a found one: in order (``ordered``) or anywhere."""
        if ordered:
            return self._align_in_order(body)
        used: set[int] = set()
        pairs: list[tuple[LayerSpec, LayerFacts | None]] = []
        for spec in self.layers:
            candidates = [i for i in range(len(body)) if i not in used and spec.type.ok(body[i].keras_type)]
            if not candidates:
                pairs.append((spec, None))
                continue
            best = max(candidates, key=lambda i: (_agreement(spec, body[i]), -i))
            used.add(best)
            pairs.append((spec, body[best]))
        return pairs

    def _align_in_order(self, body: tuple[LayerFacts, ...]) -> list[tuple[LayerSpec, LayerFacts | None]]:
        """The in-order pairing that satisfies the most settings (an alignment, not a greedy scan).

        Greedy, the first expected Conv2D took a student's only Conv2D even when
        its settings were those of the second, which was then "not found".
        """
        specs, n, m = self.layers, len(self.layers), len(body)
        gain = {(i, j): 1 + _agreement(specs[i], body[j])
                for i in range(n) for j in range(m) if specs[i].type.ok(body[j].keras_type)}
        best = [[0] * (m + 1) for _ in range(n + 1)]  # best[i][j]: specs[i:] against body[j:]
        for i in range(n - 1, -1, -1):
            for j in range(m - 1, -1, -1):
                paired = gain[i, j] + best[i + 1][j + 1] if (i, j) in gain else 0
                best[i][j] = max(best[i + 1][j], best[i][j + 1], paired)
        pairs: list[tuple[LayerSpec, LayerFacts | None]] = []
        i = j = 0
        while i < n:  # earliest pairing first, as students read their model
            if j < m and (i, j) in gain and best[i][j] == gain[i, j] + best[i + 1][j + 1]:
                pairs.append((specs[i], body[j]))
                i, j = i + 1, j + 1
            elif j < m and best[i][j] == best[i][j + 1]:
                j += 1
            else:
                pairs.append((specs[i], None))
                i += 1
        return pairs

    def _judge_layer(self, spec: LayerSpec, layer: LayerFacts | None, label: str, position: int) -> list[_Finding]:
        if layer is None:
            return [_Finding(False, Message.of("model.layer_missing", label=label))] + [_Finding(False)] * len(spec.attrs)
        if not spec.type.ok(layer.keras_type):
            if layer.keras_type is None and spec.type.ok(layer.class_name):
                message = Message.of("model.fake_class", position=position, name=layer.class_name)
            else:
                message = Message.of("model.layer_type", position=position, expected=spec.type_name(),
                                     found=layer.keras_type or f"{layer.class_name} (not Keras)")
            return [_Finding(False, message)] + [_Finding(False)] * len(spec.attrs)
        findings = [_Finding(True)]
        for attr, constraint in spec.attrs.items():
            found = layer_value(layer, attr)
            ok = constraint.ok(found)
            if not ok and layer.config and attr not in layer.config and attr not in ("output_shape", "params"):
                # The spec names a setting this layer does not have ("unit" for "units"): say so, to the TA
                # grading the reference solution, instead of "found None" to every student.
                message = Message.of("model.no_setting", label=label, attr=attr,
                                     settings=", ".join(sorted(layer.config)[:12]))
            else:
                message = None if ok else Message.of("model.attr", label=label, attr=attr,
                                                     expected=constraint.describe(), found=show(found))
            findings.append(_Finding(ok, message))
        return findings

    # ------------------------------------------------------------------ spec round trip

    @classmethod
    def parse_own(cls, table: Mapping[str, Any], where: str) -> dict[str, Any]:
        match = table.get("match", "exact")
        if match not in MATCH_MODES:
            raise SpecError(f"match must be one of {MATCH_MODES}, found {match!r}", where=f"{where}.match")
        raw_layers = table.get("layers", [])
        if not isinstance(raw_layers, list):
            raise SpecError("layers must be a list of tables", where=f"{where}.layers",
                            hint='layers = [{type = "Conv2D", filters = 32}]')
        layers = []
        for i, raw in enumerate(raw_layers):
            at = f"{where}.layers[{i}]"
            if not isinstance(raw, dict) or "type" not in raw:
                raise SpecError("each layer needs a type", where=at, hint='e.g. {type = "Conv2D", filters = 32}')
            if raw["type"] == "InputLayer":  # layers are matched after the input, as the README says
                continue
            for key in raw:
                if key != "type" and not _CONFIG_KEY.fullmatch(key):
                    raise SpecError(f"{key!r} is not a layer setting", where=f"{at}.{key}",
                                    hint=f"use the key of the layer's get_config(), e.g. {key.lower()!r}, "
                                         "filters, kernel_size, strides, padding")
            attrs = {k: Constraint.parse(v, f"{at}.{k}") for k, v in raw.items() if k != "type"}
            layers.append(LayerSpec(_layer_type(raw["type"], f"{at}.type"), attrs))
        properties = {p: Constraint.parse(table[p], f"{where}.{p}") for p in _PROPERTIES if p in table}
        for shape in ("input_shape", "output_shape"):
            if shape in properties and properties[shape].kind == "range":
                raise SpecError(f"{shape} is a list of dimensions, not a number", where=f"{where}.{shape}",
                                hint='e.g. [220, 220, 64], with "*" for a dimension of any size: ["*", "*", 3]')
        raw_compile = table.get("compile", {})
        if not isinstance(raw_compile, dict) or set(raw_compile) - set(_COMPILE_KEYS):
            raise SpecError(f"compile must be a table with keys among {_COMPILE_KEYS}", where=f"{where}.compile")
        compile_ = {k: Constraint.parse(v, f"{where}.compile.{k}") for k, v in raw_compile.items()}
        without = table.get("without", [])
        if not isinstance(without, list) or not all(isinstance(t, str) for t in without):
            raise SpecError("without must be a list of layer types", where=f"{where}.without",
                            hint='e.g. without = ["Conv2D", "SeparableConv2D"]')
        without = tuple(_layer_type(t, f"{where}.without").value for t in without)
        flags = {}
        for key in ("partial", "own_layers", "pretrained", "trained"):
            flags[key] = table.get(key, False)
            if not isinstance(flags[key], bool):
                raise SpecError(f"{key} must be true or false", where=f"{where}.{key}")
        if not layers and not properties and not compile_ and not without and not flags["pretrained"] \
                and not flags["trained"]:
            raise SpecError("a model check needs layers, a property or compile settings to check",
                            where=where, hint="add e.g. layers = [...] or output_shape = [...]")
        if match == "any" and not layers:
            raise SpecError('match = "any" needs the layers of which one is enough', where=f"{where}.layers",
                            hint='e.g. layers = [{type = "Dropout"}, {type = "BatchNormalization"}]')
        return {"match": match, "layers": tuple(layers), "properties": properties, "compile": compile_, "without": without,
                **flags}

    def own_spec(self) -> dict[str, Any]:
        table: dict[str, Any] = {"match": self.match, "layers": [s.to_spec() for s in self.layers]}
        table.update({k: c.to_spec() for k, c in self.properties.items()})
        if self.compile:
            table["compile"] = {k: c.to_spec() for k, c in self.compile.items()}
        if self.without:
            table["without"] = list(self.without)
        for key in ("partial", "own_layers", "pretrained", "trained"):
            if getattr(self, key):
                table[key] = True
        return table


def _layer_type(raw: Any, where: str) -> Constraint:
    """A layer's ``type``: Keras class names as Keras spells them ("conv2d" would silently match nothing)."""
    constraint = Constraint.parse(raw, where)
    if constraint.kind == "range":
        raise SpecError("a layer type cannot be a range", where=where, hint='use "Conv2D" or {one_of = [...]}')
    names = () if constraint.kind == "any" else (
        constraint.value if constraint.kind == "one_of" else (constraint.value,))
    for name in names:
        if isinstance(name, str) and keras_class_name(name) != name:  # the harvest names a class by its own name
            return _layer_type({"one_of": [keras_class_name(n) for n in names]} if constraint.kind == "one_of"
                               else keras_class_name(name), where)
        if not (isinstance(name, str) and _CLASS_NAME.fullmatch(name)):
            known = [k for k in _COMMON_LAYERS if isinstance(name, str) and k.lower() == name.lower()]
            raise SpecError(f"layer type {name!r} is not a Keras class name", where=where,
                            hint=f"did you mean {known[0]!r}?" if known else
                            'write the class as Keras spells it, e.g. "Conv2D", "SeparableConv2D", "Dense"')
    return constraint


def keras_class_name(name: str) -> str:
    """Keras' own class name for one of its aliases: MaxPool2D is MaxPooling2D, Convolution2D is Conv2D."""
    for short, full in (("GlobalMaxPool", "GlobalMaxPooling"), ("GlobalAvgPool", "GlobalAveragePooling"),
                        ("MaxPool", "MaxPooling"), ("AvgPool", "AveragePooling"), ("Convolution", "Conv")):
        if name.startswith(short) and re.fullmatch(r"[123]D(?:Transpose)?", name[len(short):]):
            return full + name[len(short):]
    if name in ("SeparableConvolution1D", "SeparableConvolution2D"):
        return name.replace("Convolution", "Conv")
    return name


_NEED_BUILD = ("input_shape", "output_shape", "total_params", "trainable_params")  # unknown until a model is built


def all_layers(model: ModelFacts) -> list[LayerFacts]:
    """Every layer, nested models' layers included."""
    found, stack = [], list(model.body())
    while stack:
        layer = stack.pop()
        found.append(layer)
        stack.extend(layer.layers)
    return found


def _satisfies(spec: LayerSpec, layer: LayerFacts) -> bool:
    return spec.type.ok(layer.keras_type) and all(c.ok(layer_value(layer, a)) for a, c in spec.attrs.items())


def _agreement(spec: LayerSpec, layer: LayerFacts) -> int:
    """How many of the spec's settings ``layer`` satisfies."""
    return sum(c.ok(layer_value(layer, a)) for a, c in spec.attrs.items())


def _prop_label(name: str) -> str:
    """"total params" for a property; a compile setting keeps its Keras spelling ("compile learning_rate")."""
    return name if name.startswith("compile ") else name.replace("_", " ")


def _cell_label(model: ModelFacts) -> str:
    return "?" if model.cell is None else str(model.cell + 1)


def _model_property(model: ModelFacts, prop: str) -> Any:
    if prop in ("input_shape", "output_shape"):
        shapes = model.input_shapes if prop == "input_shape" else model.output_shapes
        if len(shapes) != 1:
            return tuple(tuple(s[1:]) for s in shapes) or None
        return tuple(shapes[0][1:])
    return getattr(model, prop)


# Names Keras takes for the same loss or metric: "mse" is mean_squared_error is MeanSquaredError.
_SHORT_NAMES = {"mse": "meansquarederror", "mae": "meanabsoluteerror", "mape": "meanabsolutepercentageerror",
                "msle": "meansquaredlogarithmicerror", "acc": "accuracy", "kld": "kldivergence",
                "kullbackleiblerdivergence": "kldivergence"}


def _canonical(value: Any) -> Any:
    """A loss or metric as one spelling (a list of metrics in any order), for comparing."""
    if isinstance(value, (list, tuple)):
        return tuple(sorted(map(str, map(_canonical, value))))
    if isinstance(value, str):
        key = value.lower().replace("_", "")
        return _SHORT_NAMES.get(key, key)
    return value


def _compile_ok(constraint: Constraint, key: str, found: Any) -> bool:
    if constraint.ok(found):
        return True
    if key not in ("loss", "metrics") or found is None or constraint.kind not in ("exact", "one_of"):
        return False
    wanted = (constraint.value,) if constraint.kind == "exact" else constraint.value
    return any(_canonical(w) == _canonical(found) for w in wanted)


def _compile_value(model: ModelFacts, key: str) -> Any:
    facts = model.compile
    assert facts is not None
    if key == "optimizer":
        return facts.optimizer
    if key == "learning_rate":
        return facts.optimizer_config.get("learning_rate")
    if key == "metrics":
        return tuple(facts.metrics)
    return facts.loss
