"""A training call in the student's own terms, for feedback: where, what fed it, what it asked for.

"fit_generator in cell 12 on the generator my_generator(); epochs=10,
steps_per_epoch=390; first batch: x (128, 32, 32, 3) float32 in [0, 1], y
(128, 10)". Words come from the catalogue (the reader's language); values are
written as code, the same in every language.
"""

from __future__ import annotations

from grader.harvest.schema import DataSourceFacts, Harvest, TensorFacts, TrainingFacts
from grader.i18n import Message, number
from grader.rubric.constraints import show
from grader.rubric.setup import augmentation, show_value

#: the arguments worth naming when a call is described, in this order
_SHOWN_ARGS = ("epochs", "batch_size", "steps_per_epoch", "steps", "validation_steps", "validation_split")


def cell_label(cell: int | None) -> str:
    return "?" if cell is None else str(cell + 1)


def where(training: TrainingFacts) -> dict[str, str]:
    """The parameters every message about a call starts with: ``method``, ``cell``."""
    return {"method": training.method, "cell": cell_label(training.cell)}


def source(data: DataSourceFacts) -> Message:
    """What fed a call, in the words of the reports' training lines: "Python generator my_generator"."""
    if data.kind == "generator":
        return Message.of("training.source.generator", function=data.function or "?")
    if data.is_flow:
        return Message.of("training.source.flow", generator=_unknown(data.image_data_generator), kind=data.kind,
                          batch=_unknown(data.batch_size))
    if data.kind == "arrays":
        return Message.of("training.source.arrays", samples=_unknown(data.samples))
    if data.kind == "sequence":
        return Message.of("training.source.sequence", name=data.class_name or "?")
    if data.kind in ("dataset", "none"):
        return Message.of(f"training.source.{data.kind}")
    return Message.of("training.source.other", name=data.class_name or "?")


def _unknown(value: int | None) -> str:
    return "?" if value is None else number(value)


def kinds(names: tuple[str, ...]) -> Message:
    """Expected kinds of data source, in words: "a Python generator or a keras.utils.Sequence"."""
    words = [Message.of(f"kind.{name}") for name in names]
    message = words[-1]
    for word in reversed(words[:-1]):
        message = Message.of("kind.either", first=word, rest=message)
    return message


def tensor(t: TensorFacts, with_range: bool = True) -> str:
    text = f"{show(t.shape)} {t.dtype}"
    if with_range and t.min is not None and t.max is not None:
        text += f" [{number(round(t.min, 4))}, {number(round(t.max, 4))}]"
    return text


def call(training: TrainingFacts, harvest: Harvest) -> tuple[Message, ...]:
    """The call as details: its source and arguments, its callbacks, its augmentation, its first batch."""
    args = ", ".join(f"{key}={_arg(training.args[key])}" for key in _SHOWN_ARGS if key in training.args)
    lines = [Message.of("describe.call", **where(training), source=source(training.data),
                        args=args or "—")]
    if training.callbacks:
        lines.append(Message.of("describe.callbacks", callbacks=", ".join(_callback(c) for c in training.callbacks)))
    settings = augmentation(training, harvest)
    if settings:
        lines.append(Message.of("describe.augmentation", settings=show_value("augmentation", settings)))
    if training.first_batch and training.first_batch.x:
        batch = training.first_batch
        y = ", ".join(tensor(t, False) for t in batch.y) or "—"
        lines.append(Message.of("describe.batch", x=", ".join(tensor(t) for t in batch.x), y=y))
    return tuple(lines)


def _arg(value: object) -> str:
    if isinstance(value, str):
        return value if value.startswith("<") else repr(value)
    return show_value("", value)


def _callback(callback: object) -> str:
    name = getattr(callback, "keras_type", None) or getattr(callback, "class_name", "?")
    config = getattr(callback, "config", {}) or {}
    shown = [f"{key}={_arg(config[key])}" for key in ("monitor", "patience", "factor", "save_best_only", "schedule")
             if config.get(key) is not None]
    return f"{name}({', '.join(shown)})"
