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
MAX_NOTES = 40
MAX_TRAININGS = 100
MAX_GENERATORS = 50
MAX_ITEMS = 20  # callbacks of a training, tensors of a batch part, keys of a config
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


DATA_KINDS = ("arrays", "generator", "flow", "flow_from_directory", "flow_from_dataframe", "sequence", "dataset",
              "none", "other")
TRAINING_METHODS = ("fit", "fit_generator", "train_on_batch", "evaluate", "evaluate_generator", "test_on_batch",
                    "predict", "predict_generator", "predict_on_batch")
# ImageDataGenerator settings that change images at random, and the value that leaves them unchanged
AUGMENTATIONS = {"rotation_range": 0, "width_shift_range": 0, "height_shift_range": 0, "shear_range": 0,
                 "zoom_range": [1.0, 1.0], "channel_shift_range": 0, "brightness_range": None,
                 "horizontal_flip": False, "vertical_flip": False}


@dataclass(frozen=True)
class TensorFacts:
    """One tensor of a batch as the model received it; ``min``/``max`` of inputs when the step ran eagerly."""

    shape: Shape
    dtype: str
    min: float | None = None
    max: float | None = None


@dataclass(frozen=True)
class BatchFacts:
    """The first batch a training call's model received: its inputs, targets and sample weights."""

    x: tuple[TensorFacts, ...] = ()
    y: tuple[TensorFacts, ...] = ()
    sample_weight: tuple[TensorFacts, ...] = ()


@dataclass(frozen=True)
class DataSourceFacts:
    """What fed a call (``x``) or its ``validation_data``; ``kind`` is one of ``DATA_KINDS``.

    ``function`` names a Python generator's function; a flow gives its
    ``image_data_generator`` (uid), ``batch_size``, ``shuffle``; arrays and
    flows their ``samples``.
    """

    kind: str
    class_name: str
    function: str | None = None
    image_data_generator: int | None = None
    batch_size: int | None = None
    shuffle: bool | None = None
    samples: int | None = None

    @property
    def is_flow(self) -> bool:
        return self.kind.startswith("flow")


@dataclass(frozen=True)
class CallbackFacts:
    """A callback passed to the call: ``keras_type`` only for Keras' own class; ``config``: the settings it has
    of ``monitor``, ``patience``, ``factor``, ``min_lr``, ``save_best_only``, ``schedule`` (a function's name), ..."""

    class_name: str
    keras_type: str | None
    config: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class OptimizerFacts:
    """The model's optimizer when the call was made: Keras' class name (or ``custom:Name``), its learning
    rate, or the class of its learning-rate schedule."""

    name: str | None
    learning_rate: float | None = None
    schedule: str | None = None


@dataclass(frozen=True)
class Asked:
    """What a call's arguments and data ask for, before any budget: epochs and batches per epoch (None: unknown)."""

    epochs: int | None
    steps_per_epoch: int | None


@dataclass(frozen=True)
class Ran:
    """What really ran, counted by a callback during the call: epochs, and batches in all."""

    epochs: int
    steps: int


@dataclass(frozen=True)
class TrainingFacts:
    """One call of fit/evaluate/predict (or a Keras 2 ``*_generator``, a ``*_on_batch``), as the student made it.

    ``args``: the scalar arguments as passed (``epochs``, ``batch_size``,
    ``steps_per_epoch``, ``validation_steps``, ``shuffle``, ...; a non-scalar
    as ``"<type>"``) and whether ``validation_data``, ``class_weight``,
    ``sample_weight`` were given. ``asked``: per epoch; ``ran``: in total,
    counted while it ran (the training budget's cut is the difference).
    ``augmented_by``: uids of the ImageDataGenerators whose flows produced
    batches during the call, however they reached it.
    """

    index: int
    cell: int | None
    method: str
    model: int | None  # uid of the ModelFacts trained
    args: Mapping[str, Any]
    data: DataSourceFacts
    validation: DataSourceFacts | None
    asked: Asked
    ran: Ran | None  # None when no callback could be added (callbacks given as something other than a list)
    first_batch: BatchFacts | None
    callbacks: tuple[CallbackFacts, ...] = ()
    optimizer: OptimizerFacts | None = None
    augmented_by: tuple[int, ...] = ()
    error: str | None = None  # the exception that ended the call

    @property
    def trains(self) -> bool:
        return self.method in ("fit", "fit_generator", "train_on_batch")

    @property
    def completed(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class ImageDataGeneratorFacts:
    """An ImageDataGenerator constructed by the run, with its settings when last harvested."""

    uid: int
    cell: int | None
    class_name: str
    keras_type: str | None  # "ImageDataGenerator" only for Keras' own class
    config: Mapping[str, Any]

    @property
    def augmentations(self) -> tuple[str, ...]:
        """The settings that transform images at random (not rescale or normalisation alone)."""
        if self.keras_type is None:
            return ()
        found = []
        for key, unchanged in AUGMENTATIONS.items():
            value = self.config.get(key, unchanged)
            if value is not None and value != unchanged and value is not False and value != [0, 0]:
                found.append(key)
        return tuple(found)


@dataclass(frozen=True)
class Harvest:
    keras_version: str | None
    backend: str | None
    models: tuple[ModelFacts, ...]
    dropped_models: int = 0  # built but not reported because of MAX_MODELS
    notes: tuple[ShimNote, ...] = ()  # what kernel-side shims did (datasets served offline, fit capped)
    trainings: tuple[TrainingFacts, ...] = ()  # every training call, in order
    image_data_generators: tuple[ImageDataGeneratorFacts, ...] = ()
    dropped_trainings: int = 0  # calls after MAX_TRAININGS, not reported

    @classmethod
    def empty(cls) -> "Harvest":
        return cls(keras_version=None, backend=None, models=())

    def trainings_of(self, model_uid: int) -> tuple[TrainingFacts, ...]:
        return tuple(t for t in self.trainings if t.model == model_uid)

    def image_data_generator(self, uid: int | None) -> ImageDataGeneratorFacts | None:
        return next((g for g in self.image_data_generators if g.uid == uid), None)


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
        notes=_each(obj.get("notes", []), "$.notes", MAX_NOTES, _parse_note),
        trainings=_each(obj.get("trainings", []), "$.trainings", MAX_TRAININGS, _parse_training),
        image_data_generators=_each(obj.get("image_data_generators", []), "$.image_data_generators", MAX_GENERATORS,
                                    _parse_generator),
        dropped_trainings=_int(obj.get("dropped_trainings", 0), "$.dropped_trainings"),
    )


def _each(raw: Any, path: str, limit: int, parse: Any) -> tuple:
    """The well-formed items of a list of notes or training facts: a malformed one is dropped alone, not the
    harvest (they inform and describe; the models stay)."""
    items = []
    for i, item in enumerate(_expect(raw, list, path)[:limit]):
        try:
            items.append(parse(item, f"{path}[{i}]"))
        except HarvestError:
            continue
    return tuple(items)


def _parse_training(raw: Any, path: str) -> TrainingFacts:
    t = _expect(raw, dict, path)
    method = _str(t.get("method"), f"{path}.method")
    if method not in TRAINING_METHODS:
        raise HarvestError(f"unknown training method {method[:40]!r}", where=f"{path}.method")
    validation, ran, batch, optimizer = t.get("validation"), t.get("ran"), t.get("first_batch"), t.get("optimizer")
    callbacks = _expect(t.get("callbacks", []), list, f"{path}.callbacks")[:MAX_ITEMS]
    return TrainingFacts(
        index=_int(t.get("index"), f"{path}.index"),
        cell=_opt_int(t.get("cell"), f"{path}.cell"),
        method=method,
        model=_opt_int(t.get("model"), f"{path}.model"),
        args=_scalars(t.get("args", {}), f"{path}.args"),
        data=_parse_source(t.get("data"), f"{path}.data"),
        validation=None if validation is None else _parse_source(validation, f"{path}.validation"),
        asked=_parse_asked(t.get("asked"), f"{path}.asked"),
        ran=None if ran is None else _parse_ran(ran, f"{path}.ran"),
        first_batch=None if batch is None else _parse_batch(batch, f"{path}.first_batch"),
        callbacks=tuple(_parse_callback(c, f"{path}.callbacks[{i}]") for i, c in enumerate(callbacks)),
        optimizer=None if optimizer is None else _parse_optimizer(optimizer, f"{path}.optimizer"),
        augmented_by=tuple(_int(u, f"{path}.augmented_by[{i}]")
                           for i, u in enumerate(_expect(t.get("augmented_by", []), list, f"{path}.augmented_by")[:MAX_ITEMS])),
        error=_opt_str(t.get("error"), f"{path}.error"),
    )


def _parse_source(raw: Any, path: str) -> DataSourceFacts:
    d = _expect(raw, dict, path)
    kind = _str(d.get("kind"), f"{path}.kind")
    if kind not in DATA_KINDS:
        raise HarvestError(f"unknown data source kind {kind[:40]!r}", where=f"{path}.kind")
    shuffle = d.get("shuffle")
    return DataSourceFacts(
        kind=kind, class_name=_str(d.get("class_name", ""), f"{path}.class_name"),
        function=_opt_str(d.get("function"), f"{path}.function"),
        image_data_generator=_opt_int(d.get("image_data_generator"), f"{path}.image_data_generator"),
        batch_size=_opt_int(d.get("batch_size"), f"{path}.batch_size"),
        shuffle=None if shuffle is None else _bool(shuffle, f"{path}.shuffle"),
        samples=_opt_int(d.get("samples"), f"{path}.samples"),
    )


def _parse_asked(raw: Any, path: str) -> Asked:
    c = _expect(raw, dict, path)
    return Asked(epochs=_opt_int(c.get("epochs"), f"{path}.epochs"),
                 steps_per_epoch=_opt_int(c.get("steps_per_epoch"), f"{path}.steps_per_epoch"))


def _parse_ran(raw: Any, path: str) -> Ran:
    c = _expect(raw, dict, path)
    return Ran(epochs=_int(c.get("epochs"), f"{path}.epochs"), steps=_int(c.get("steps"), f"{path}.steps"))


def _parse_batch(raw: Any, path: str) -> BatchFacts:
    b = _expect(raw, dict, path)
    parts = {}
    for key in ("x", "y", "sample_weight"):
        items = _expect(b.get(key, []), list, f"{path}.{key}")[:MAX_ITEMS]
        parts[key] = tuple(_parse_tensor(item, f"{path}.{key}[{i}]") for i, item in enumerate(items))
    return BatchFacts(**parts)


def _parse_tensor(raw: Any, path: str) -> TensorFacts:
    t = _expect(raw, dict, path)
    return TensorFacts(shape=_shape(t.get("shape"), f"{path}.shape"), dtype=_str(t.get("dtype"), f"{path}.dtype"),
                       min=_opt_number(t.get("min"), f"{path}.min"), max=_opt_number(t.get("max"), f"{path}.max"))


def _parse_callback(raw: Any, path: str) -> CallbackFacts:
    c = _expect(raw, dict, path)
    return CallbackFacts(class_name=_str(c.get("class_name"), f"{path}.class_name"),
                         keras_type=_opt_str(c.get("keras_type"), f"{path}.keras_type"),
                         config=_scalars(c.get("config", {}), f"{path}.config"))


def _parse_optimizer(raw: Any, path: str) -> OptimizerFacts:
    o = _expect(raw, dict, path)
    return OptimizerFacts(name=_opt_str(o.get("name"), f"{path}.name"),
                          learning_rate=_opt_number(o.get("learning_rate"), f"{path}.learning_rate"),
                          schedule=_opt_str(o.get("schedule"), f"{path}.schedule"))


def _parse_generator(raw: Any, path: str) -> ImageDataGeneratorFacts:
    g = _expect(raw, dict, path)
    config = _expect(g.get("config", {}), dict, f"{path}.config")
    for key, value in config.items():  # scalars, or short lists of them (zoom_range, brightness_range, shifts)
        items = value if isinstance(value, list) else [value]
        if len(items) > MAX_ITEMS or not all(_is_scalar(v) for v in items):
            raise HarvestError("expected a scalar or a list of scalars", where=f"{path}.config.{str(key)[:40]}")
    return ImageDataGeneratorFacts(uid=_int(g.get("uid"), f"{path}.uid"), cell=_opt_int(g.get("cell"), f"{path}.cell"),
                                   class_name=_str(g.get("class_name"), f"{path}.class_name"),
                                   keras_type=_opt_str(g.get("keras_type"), f"{path}.keras_type"), config=config)


def _scalars(raw: Any, path: str) -> Mapping[str, Any]:
    """A flat object of JSON scalars (str, number, bool, null), at most ``MAX_ITEMS`` keys."""
    obj = _expect(raw, dict, path)
    if len(obj) > MAX_ITEMS * 2:
        raise HarvestError(f"{len(obj)} keys, more than {MAX_ITEMS * 2}", where=path)
    for key, value in obj.items():
        if not _is_scalar(value):
            raise HarvestError(f"expected a scalar, found {type(value).__name__}", where=f"{path}.{str(key)[:40]}")
    return obj


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


def _opt_int(value: Any, path: str) -> int | None:
    return None if value is None else _int(value, path)


def _opt_number(value: Any, path: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise HarvestError(f"expected a number, found {type(value).__name__}", where=path)
    return float(value)


def _scrubbed(value: Any) -> Any:
    """The document with every string made encodable (a kernel's JSON may carry lone surrogates)."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, list):
        return [_scrubbed(v) for v in value]
    if isinstance(value, dict):
        return {scrub(k) if isinstance(k, str) else k: _scrubbed(v) for k, v in value.items()}
    return value


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
