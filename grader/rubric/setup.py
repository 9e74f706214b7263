"""A training call's set-up as a reader names it: the properties experiments compare and feedback lists.

"batch_size 64, optimizer Adam, filters (32, 32, 64, 64)": each property is read
from the harvested facts of one training call and the model it trained. Layer
properties are the values of the model's layers of a family in order (every
convolution's ``filters``, every Dropout's ``rate``), so two models differ in
``filters`` exactly when a student changed one of them, added or removed a
convolution. Nothing here imports TensorFlow.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Iterator

from grader.harvest.schema import Harvest, LayerFacts, ModelFacts, TrainingFacts
from grader.i18n import number
from grader.rubric.constraints import show

CONV = ("Conv1D", "Conv2D", "Conv3D", "SeparableConv1D", "SeparableConv2D", "DepthwiseConv1D", "DepthwiseConv2D",
        "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose")
POOL = ("MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D", "AveragePooling2D", "AveragePooling3D")
DROPOUT = ("Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianDropout", "AlphaDropout")
NORMALISATION = ("BatchNormalization", "LayerNormalization", "GroupNormalization")
TRAINING_METHODS = ("fit", "fit_generator", "train_on_batch")
KERAS_DEFAULT_BATCH = 32  # fit(x, y) without batch_size


def layers(model: ModelFacts) -> Iterator[LayerFacts]:
    """Every layer of the model in order, nested models' layers in place of the nested model."""
    stack = list(model.body())[::-1]
    while stack:
        layer = stack.pop()
        if layer.layers:
            stack.extend(x for x in layer.layers[::-1] if x.keras_type != "InputLayer")
        else:
            yield layer


def _of(types: tuple[str, ...], key: str) -> Callable[[ModelFacts], tuple]:
    def read(model: ModelFacts) -> tuple:
        return tuple(_plain(layer.config.get(key)) for layer in layers(model) if layer.keras_type in types)
    return read


def _count(types: tuple[str, ...]) -> Callable[[ModelFacts], int]:
    return lambda model: sum(1 for layer in layers(model) if layer.keras_type in types)


def _activations(model: ModelFacts) -> tuple:
    found = []
    for layer in layers(model):
        value = layer.config.get("activation")
        if isinstance(value, str) and value != "linear":
            found.append(value)
    return tuple(found)


def _plain(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_plain(v) for v in value)
    if isinstance(value, float):
        return float(f"{value:.6g}")
    return value


#: properties of the model a call trained
MODEL_PROPERTIES: dict[str, Callable[[ModelFacts], Any]] = {
    "filters": _of(CONV, "filters"),
    "kernel_size": _of(CONV, "kernel_size"),
    "strides": _of(CONV, "strides"),
    "padding": _of(CONV, "padding"),
    "pool_size": _of(POOL, "pool_size"),
    "units": _of(("Dense",), "units"),
    "dropout": _of(DROPOUT, "rate"),
    "activation": _activations,
    "conv_layers": _count(CONV),
    "dense_layers": _count(("Dense",)),
    "normalization": _count(NORMALISATION),
    "layers": lambda model: sum(1 for _ in layers(model)),
    "params": lambda model: model.total_params,
}


def batch_size(training: TrainingFacts) -> int | None:
    """The batch size the student chose: the argument, a flow's, a generator's first batch; Keras' 32 for arrays."""
    given = training.args.get("batch_size")
    if isinstance(given, int) and not isinstance(given, bool):
        return given
    if training.data.batch_size is not None:
        return training.data.batch_size
    if training.data.kind in ("generator", "sequence", "dataset") and training.first_batch and training.first_batch.x:
        first = training.first_batch.x[0].shape
        return first[0] if first and isinstance(first[0], int) else None
    return KERAS_DEFAULT_BATCH if training.data.kind == "arrays" else None


def augmentation(training: TrainingFacts, harvest: Harvest) -> tuple:
    """The random transforms of the ImageDataGenerators whose flows fed the call, as (setting, value) pairs."""
    found: dict[str, Any] = {}
    for uid in augmenters(training):
        generator = harvest.image_data_generator(uid)
        if generator is not None:
            for key in generator.augmentations:
                found.setdefault(key, _plain(generator.config.get(key)))
    return tuple(sorted(found.items()))


def augmenters(training: TrainingFacts) -> tuple[int, ...]:
    """Uids of the ImageDataGenerators that fed the call: its flow's, and any drawn from while it ran."""
    uids = [training.data.image_data_generator] if training.data.image_data_generator is not None else []
    return tuple(dict.fromkeys([*uids, *training.augmented_by]))


def _learning_rate(training: TrainingFacts) -> float | None:
    rate = training.optimizer.learning_rate if training.optimizer else None
    return None if rate is None or not math.isfinite(rate) else float(f"{rate:.6g}")


#: properties of the call itself
CALL_PROPERTIES: dict[str, Callable[[TrainingFacts, Harvest], Any]] = {
    "batch_size": lambda t, h: batch_size(t),
    "epochs": lambda t, h: t.asked.epochs,
    "steps_per_epoch": lambda t, h: t.asked.steps_per_epoch,
    "optimizer": lambda t, h: t.optimizer.name if t.optimizer else None,
    "learning_rate": lambda t, h: _learning_rate(t),
    "augmentation": augmentation,
    "callbacks": lambda t, h: tuple(sorted(c.keras_type or c.class_name for c in t.callbacks)),
    "data": lambda t, h: t.data.kind,
    "validation": lambda t, h: t.validation is not None or bool(t.args.get("validation_split")),
}

PROPERTIES = (*CALL_PROPERTIES, *MODEL_PROPERTIES)


def setup(training: TrainingFacts, model: ModelFacts | None, harvest: Harvest, names: tuple[str, ...]) -> dict[str, Any]:
    """The named properties of one call (a model property is None when the call's model was not harvested)."""
    found: dict[str, Any] = {}
    for name in names:
        if name in CALL_PROPERTIES:
            found[name] = CALL_PROPERTIES[name](training, harvest)
        else:
            found[name] = MODEL_PROPERTIES[name](model) if model is not None else None
    return found


def model_of(training: TrainingFacts, harvest: Harvest) -> ModelFacts | None:
    return next((m for m in harvest.models if m.uid == training.model), None)


def ran(training: TrainingFacts) -> bool:
    """Whether the call got through at least one batch (its model took the data it was given)."""
    if training.ran is not None:
        return training.ran.steps > 0 or (training.error is None and training.ran.epochs > 0)
    return training.error is None


_MAX_SHOWN = 6  # values of a long tuple shown before "…" (a pasted ResNet has dozens of convolutions)


def show_value(name: str, value: Any) -> str:
    """A property's value as feedback writes it: ``(32, 32, 64, 64)``, ``Adam``, ``rotation_range 20``."""
    if value is None:
        return "?"
    if name == "augmentation":
        return ", ".join(f"{key} {show_value('', v)}" for key, v in value) if value else "—"
    if name == "callbacks":
        return ", ".join(value) if value else "—"
    if isinstance(value, tuple):
        if value and all(isinstance(v, tuple) and len(set(v)) == 1 for v in value):
            value = tuple(v[0] for v in value)  # kernel_size ((3, 3), (3, 3)) reads (3, 3) as 3
        shown = value[:_MAX_SHOWN]
        text = show(shown)
        return text[:-1] + ", …)" if len(value) > _MAX_SHOWN else text
    if isinstance(value, bool):
        return str(value)  # as Python writes it: the same in every language
    if isinstance(value, str):
        return value
    return number(value)
