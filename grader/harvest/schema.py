"""The harvest document: the only thing that crosses from the sandbox to the grader.

The probe (``grader/harvest/probe.py``) runs inside the student's kernel and
emits JSON; this module checks that JSON field by field and turns it into
frozen dataclasses the rubric can trust to be well-formed. It imports neither
TensorFlow nor Keras, so the rubric and its tests stay fast.

Shapes are lists with ``None`` for unknown dimensions, e.g. ``[None, 220, 220, 64]``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from grader.errors import HarvestError
from grader.submission.loader import scrub

SCHEMA = "keras-grader.harvest/1"
MIME_TYPE = "application/vnd.keras-grader.harvest+json"

Shape = tuple  # tuple[int | None, ...]

# Bounds that keep a hostile or runaway submission from flooding the grader.
MAX_MODELS = 200
MAX_LAYERS = 2000
MAX_DEPTH = 4
MAX_NOTES = 20
MAX_NOTE_PARAMS = 8
MAX_NOTE_INT = 10**9
_NOTE_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")


@dataclass(frozen=True)
class CompileFacts:
    optimizer: str | None
    optimizer_config: Mapping[str, Any] = field(default_factory=dict)
    loss: Any = None
    metrics: tuple[str, ...] = ()


@dataclass(frozen=True)
class LayerFacts:
    """One layer as measured by the probe.

    ``keras_type`` is the public Keras class name (``"Conv2D"``) only when the
    layer's class *is* that Keras class; a student's own class called ``Conv2D``
    has ``keras_type=None`` and earns nothing.
    """

    index: int
    name: str
    class_name: str
    module: str
    keras_type: str | None
    config: Mapping[str, Any]
    output_shape: Any  # Shape, list of Shapes for multi-output layers, or None
    params: int
    trainable_params: int
    layers: tuple["LayerFacts", ...] = ()  # for a model used as a layer

    @property
    def is_keras(self) -> bool:
        return self.keras_type is not None


@dataclass(frozen=True)
class ModelFacts:
    uid: int
    cell: int | None  # index of the executed cell in which the model was created
    name: str
    class_name: str
    keras_type: str | None  # "Sequential", "Functional", or None for a subclass
    built: bool
    input_shapes: tuple[Shape, ...]
    output_shapes: tuple[Shape, ...]
    total_params: int
    trainable_params: int
    layers: tuple[LayerFacts, ...]
    compile: CompileFacts | None = None

    @property
    def compiled(self) -> bool:
        return self.compile is not None

    def body(self) -> tuple[LayerFacts, ...]:
        """The layers a student thinks of as "the model": everything but InputLayer."""
        return tuple(layer for layer in self.layers if layer.keras_type != "InputLayer")


@dataclass(frozen=True)
class ShimNote:
    """Something a kernel-side shim did, as a message key (``budget_fit``) and its parameters.

    Sent as data, not text, so that reports say it in the reader's language;
    untrusted like the rest of the harvest: shown only if the key is known.
    """

    key: str
    params: tuple[tuple[str, int | str], ...] = ()


@dataclass(frozen=True)
class Harvest:
    keras_version: str | None
    backend: str | None
    models: tuple[ModelFacts, ...]
    dropped_models: int = 0  # built but not reported because of MAX_MODELS
    notes: tuple[ShimNote, ...] = ()  # what kernel-side shims did (datasets served offline, fit capped)

    @classmethod
    def empty(cls) -> "Harvest":
        return cls(keras_version=None, backend=None, models=())


# --------------------------------------------------------------------------- parsing


def parse_harvest(doc: Any) -> Harvest:
    """Validate a harvest JSON document and return it as dataclasses.

    Raises HarvestError naming the offending path (``models[2].layers[0].params``).
    """
    try:
        doc = _scrubbed(doc)
    except RecursionError:
        raise HarvestError("the document is nested too deeply", where="$") from None
    obj = _expect(doc, dict, "$")
    if obj.get("schema") != SCHEMA:
        raise HarvestError(f"unknown harvest schema {obj.get('schema')!r}", where="$.schema",
                           hint=f"the probe and the grader disagree; expected {SCHEMA!r}")
    models_raw = _expect(obj.get("models"), list, "$.models")
    if len(models_raw) > MAX_MODELS:
        raise HarvestError(f"{len(models_raw)} models, more than {MAX_MODELS}", where="$.models")
    models = tuple(_parse_model(m, f"$.models[{i}]") for i, m in enumerate(models_raw))
    return Harvest(
        keras_version=_opt_str(obj.get("keras_version"), "$.keras_version"),
        backend=_opt_str(obj.get("backend"), "$.backend"),
        models=models,
        dropped_models=_int(obj.get("dropped_models", 0), "$.dropped_models"),
        notes=_parse_notes(_expect(obj.get("notes", []), list, "$.notes")[:MAX_NOTES]),
    )


def _scrubbed(value: Any) -> Any:
    """The document with every string made encodable (a kernel's JSON may carry lone surrogates)."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, list):
        return [_scrubbed(v) for v in value]
    if isinstance(value, dict):
        return {scrub(k) if isinstance(k, str) else k: _scrubbed(v) for k, v in value.items()}
    return value


def _parse_notes(raws: list) -> tuple[ShimNote, ...]:
    """The well-formed notes; a malformed one is dropped, not the harvest: notes only inform."""
    notes = []
    for i, raw in enumerate(raws):
        try:
            notes.append(_parse_note(raw, f"$.notes[{i}]"))
        except HarvestError:
            continue
    return tuple(notes)


def _parse_note(raw: Any, path: str) -> ShimNote:
    note = _expect(raw, dict, path)
    key = _str(note.get("key"), f"{path}.key")
    if not _NOTE_NAME.fullmatch(key):
        raise HarvestError(f"note key {key[:40]!r} is not a lower-case name", where=f"{path}.key")
    params = _expect(note.get("params", {}), dict, f"{path}.params")
    if len(params) > MAX_NOTE_PARAMS:
        raise HarvestError(f"{len(params)} note parameters, more than {MAX_NOTE_PARAMS}", where=f"{path}.params")
    pairs = []
    for name, value in params.items():
        where = f"{path}.params.{str(name)[:20]}"
        if not _NOTE_NAME.fullmatch(name):
            raise HarvestError("parameter name is not a lower-case name", where=where)
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise HarvestError(f"expected int or str, found {type(value).__name__}", where=where)
        if isinstance(value, int) and not 0 <= value <= MAX_NOTE_INT:
            raise HarvestError(f"{str(value)[:20]} is outside 0..{MAX_NOTE_INT}", where=where)
        pairs.append((name, value if isinstance(value, int) else value[:80]))
    return ShimNote(key=key, params=tuple(pairs))


def _parse_model(raw: Any, path: str) -> ModelFacts:
    m = _expect(raw, dict, path)
    layers_raw = _expect(m.get("layers"), list, f"{path}.layers")
    if len(layers_raw) > MAX_LAYERS:
        raise HarvestError(f"{len(layers_raw)} layers, more than {MAX_LAYERS}", where=f"{path}.layers")
    compile_raw = m.get("compile")
    return ModelFacts(
        uid=_int(m.get("uid"), f"{path}.uid"),
        cell=None if m.get("cell") is None else _int(m.get("cell"), f"{path}.cell"),
        name=_str(m.get("name"), f"{path}.name"),
        class_name=_str(m.get("class_name"), f"{path}.class_name"),
        keras_type=_opt_str(m.get("keras_type"), f"{path}.keras_type"),
        built=_bool(m.get("built"), f"{path}.built"),
        input_shapes=tuple(_shape(s, f"{path}.input_shapes[{i}]")
                           for i, s in enumerate(_expect(m.get("input_shapes", []), list, f"{path}.input_shapes"))),
        output_shapes=tuple(_shape(s, f"{path}.output_shapes[{i}]")
                            for i, s in enumerate(_expect(m.get("output_shapes", []), list, f"{path}.output_shapes"))),
        total_params=_int(m.get("total_params"), f"{path}.total_params"),
        trainable_params=_int(m.get("trainable_params"), f"{path}.trainable_params"),
        layers=tuple(_parse_layer(layer, f"{path}.layers[{i}]", 0) for i, layer in enumerate(layers_raw)),
        compile=None if compile_raw is None else _parse_compile(compile_raw, f"{path}.compile"),
    )


def _parse_layer(raw: Any, path: str, depth: int) -> LayerFacts:
    d = _expect(raw, dict, path)
    if depth > MAX_DEPTH:
        raise HarvestError(f"layers nested deeper than {MAX_DEPTH}", where=path)
    sub = _expect(d.get("layers", []), list, f"{path}.layers")
    config = _expect(d.get("config", {}), dict, f"{path}.config")
    out = d.get("output_shape")
    if out is not None:
        out = _shape_or_shapes(out, f"{path}.output_shape")
    return LayerFacts(
        index=_int(d.get("index"), f"{path}.index"),
        name=_str(d.get("name"), f"{path}.name"),
        class_name=_str(d.get("class_name"), f"{path}.class_name"),
        module=_str(d.get("module", ""), f"{path}.module"),
        keras_type=_opt_str(d.get("keras_type"), f"{path}.keras_type"),
        config=config,
        output_shape=out,
        params=_int(d.get("params"), f"{path}.params"),
        trainable_params=_int(d.get("trainable_params", 0), f"{path}.trainable_params"),
        layers=tuple(_parse_layer(s, f"{path}.layers[{i}]", depth + 1) for i, s in enumerate(sub)),
    )


def _parse_compile(raw: Any, path: str) -> CompileFacts:
    c = _expect(raw, dict, path)
    metrics = _expect(c.get("metrics", []), list, f"{path}.metrics")
    return CompileFacts(
        optimizer=_opt_str(c.get("optimizer"), f"{path}.optimizer"),
        optimizer_config=_expect(c.get("optimizer_config", {}), dict, f"{path}.optimizer_config"),
        loss=c.get("loss"),
        metrics=tuple(str(x) for x in metrics),
    )


def _expect(value: Any, kind: type, path: str) -> Any:
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise HarvestError(f"expected {kind.__name__}, found {type(value).__name__}", where=path)
    return value


def _int(value: Any, path: str) -> int:
    return _expect(value, int, path)


def _bool(value: Any, path: str) -> bool:
    return _expect(value, bool, path)


def _str(value: Any, path: str) -> str:
    return _expect(value, str, path)


def _opt_str(value: Any, path: str) -> str | None:
    return None if value is None else _str(value, path)


def _shape(value: Any, path: str) -> Shape:
    dims = _expect(value, list, path)
    for i, dim in enumerate(dims):
        if dim is not None:
            _int(dim, f"{path}[{i}]")
    return tuple(dims)


def _shape_or_shapes(value: Any, path: str) -> Any:
    items = _expect(value, list, path)
    if items and all(isinstance(x, list) for x in items):
        return tuple(_shape(x, f"{path}[{i}]") for i, x in enumerate(items))
    return _shape(value, path)
