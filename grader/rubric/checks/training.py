"""``kind = "training"``: some training call was set up as the exercise asks.

Every call of fit/evaluate/predict the run made is a candidate (Keras 2's
``fit_generator`` is a ``fit``); the check passes when one satisfies every key,
and otherwise reports what the closest one lacks, with that call described
(its data source, arguments, callbacks, augmentation and first batch).

Spec keys (all optional)::

    calls = ["fit"]                       # fit | evaluate | predict
    data = ["generator", "sequence"]      # what fed it: arrays, generator, sequence, flow (any ImageDataGenerator
                                          # flow), dataset, or stream (any but arrays)
    augmentation = true                   # its batches came from an ImageDataGenerator with a random transform
                                          # ("configured": or one was set up in the student's part, used or not)
    args = { steps_per_epoch = { min = 1 } }   # constraints on the arguments as passed (validation_steps only
                                               # applies when validation data is a stream)
    callbacks = "*"                       # at least one callback that can act, or ["EarlyStopping", ...]
    batch = { fits_model = true, x_max = { max = 10 }, y_shape = [10] }   # the first batch the model received
    ran = true                            # the call got through a batch (default); false: a broken call counts
    model = "cnn"                         # the model trained passes that model check
    trained = true                        # the model was trained before this call (for evaluate)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Mapping

from grader.errors import SpecError
from grader.harvest.schema import DATA_KINDS, Harvest, TrainingFacts
from grader.i18n import Message
from grader.rubric.checks.base import Check, Evidence, Verdict
from grader.rubric.constraints import Constraint, show
from grader.rubric.describe import call as describe_call
from grader.rubric.describe import kinds, source, tensor, where
from grader.rubric.setup import augmenters, model_of, ran

CALLS = {"fit": ("fit", "fit_generator", "train_on_batch"), "evaluate": ("evaluate", "evaluate_generator", "test_on_batch"),
         "predict": ("predict", "predict_generator", "predict_on_batch")}
STREAMS = ("generator", "sequence", "flow", "flow_from_directory", "flow_from_dataframe", "dataset")
DATA_NAMES = (*DATA_KINDS, "stream")
ARG_NAMES = ("epochs", "batch_size", "steps_per_epoch", "steps", "validation_steps", "validation_split",
             "validation_batch_size", "validation_freq", "shuffle", "initial_epoch", "verbose", "validation_data",
             "class_weight", "sample_weight")
BATCH_KEYS = ("fits_model", "x_min", "x_max", "x_dtype", "y_shape")
# callbacks that wait on a monitored quantity: with "val_..." and no validation data they never act
_MONITORING = ("EarlyStopping", "ReduceLROnPlateau")


@dataclass(frozen=True)
class _Finding:
    ok: bool
    message: Message | None = None


def _accepts(kind: str, wanted: tuple[str, ...]) -> bool:
    return (kind in wanted or ("stream" in wanted and kind in STREAMS)
            or ("flow" in wanted and kind.startswith("flow")))


def validation_is_stream(training: TrainingFacts) -> bool:
    return training.validation is not None and training.validation.kind in STREAMS


def has_validation(training: TrainingFacts) -> bool:
    return training.validation is not None or bool(training.args.get("validation_split"))


def effective_callbacks(training: TrainingFacts) -> tuple[list[Any], list[Message]]:
    """The callbacks that can act in this call, and why each other one cannot."""
    acting, inert = [], []
    for callback in training.callbacks:
        monitor = callback.config.get("monitor")
        waits = callback.keras_type in _MONITORING or (callback.keras_type == "ModelCheckpoint"
                                                        and callback.config.get("save_best_only") is True)
        if waits and isinstance(monitor, str) and monitor.startswith("val_") and not has_validation(training):
            inert.append(Message.of("training.inert_callback", **where(training), name=callback.keras_type,
                                    monitor=monitor))
        else:
            acting.append(callback)
    return acting, inert


def augmented(training: TrainingFacts, harvest: Harvest) -> bool:
    """Whether the call's batches came from an ImageDataGenerator with a random transform."""
    return any((g := harvest.image_data_generator(uid)) is not None and g.augmentations
               for uid in augmenters(training))


@dataclass(frozen=True)
class TrainingCheck(Check):
    kind: ClassVar[str] = "training"
    own_keys: ClassVar[frozenset[str]] = frozenset({"calls", "data", "augmentation", "args", "callbacks", "batch",
                                                    "ran", "model", "trained", "review_unfinished"})

    calls: tuple[str, ...] = ("fit",)
    data: tuple[str, ...] = ()
    augmentation: bool | str = False  # True | "configured"
    args: Mapping[str, Constraint] = field(default_factory=dict)
    callbacks: tuple[str, ...] | None = None  # None: not checked; (): any callback that can act
    batch: Mapping[str, Any] = field(default_factory=dict)
    ran: bool = True
    model: str | None = None
    trained: bool = False
    review_unfinished: bool = False  # flag a pass in a cell that did not run to its end in the student's session

    # ------------------------------------------------------------------ evaluation

    def evaluate(self, evidence: Evidence) -> Verdict:
        methods = {m for name in self.calls for m in CALLS[name]}
        candidates = [t for t in evidence.harvest.trainings if t.method in methods]
        if not candidates:
            if self.augmentation == "configured" and not self._other_keys() and self._configured(evidence):
                return Verdict(1.0, Message.of("training.augmentation_configured"))
            return Verdict(0.0, Message.of("training.none", calls=" / ".join(f"{c}()" for c in self.calls)))
        models = None if self.model is None else {m.uid for m in evidence.models_of(self.model)}
        scored = [(self._judge(t, evidence, models), t) for t in candidates]
        findings, best = max(scored, key=lambda pair: (sum(f.ok for f in pair[0]), pair[1].index))
        details = describe_call(best, evidence.harvest)
        if all(f.ok for f in findings):
            review = (Message.of("training.unfinished_review", **where(best))
                      if self.review_unfinished and best.cell in evidence.unfinished else None)
            return Verdict(1.0, Message.of("training.ok", **where(best), source=source(best.data)), details=details,
                           review=review)
        problems = [f.message for f in findings if not f.ok and f.message is not None]
        message = problems[0] if problems else Message.of("training.closest", **where(best))
        return Verdict(0.0, message, details=(*problems[1:], *details))

    def _other_keys(self) -> bool:
        return bool(self.data or self.args or self.callbacks is not None or self.batch or self.model or self.trained)

    def _configured(self, evidence: Evidence) -> bool:
        """An ImageDataGenerator with a random transform set up in the student's own part."""
        return any(g.augmentations and evidence.in_part(g.cell) for g in evidence.harvest.image_data_generators)

    def _judge(self, training: TrainingFacts, evidence: Evidence, models: set[int] | None) -> list[_Finding]:
        harvest = evidence.harvest
        at = where(training)
        findings = []
        if self.data:
            ok = _accepts(training.data.kind, self.data)
            findings.append(_Finding(ok, None if ok else Message.of(
                "training.data", **at, found=source(training.data), expected=kinds(self.data))))
        if self.ran:
            ok = ran(training)
            findings.append(_Finding(ok, None if ok else Message.of(
                "training.not_ran", **at, error=training.error or "?")))
        if self.augmentation:
            ok = augmented(training, harvest) or (self.augmentation == "configured" and self._configured(evidence))
            findings.append(_Finding(ok, None if ok else Message.of("training.not_augmented", **at)))
        for name, constraint in self.args.items():
            if name == "validation_steps" and not validation_is_stream(training):
                continue  # only a stream's validation needs a number of steps
            found = training.args.get(name)
            ok = constraint.ok(found)
            findings.append(_Finding(ok, None if ok else Message.of(
                "training.arg", **at, arg=name, expected=constraint.describe(),
                found="—" if found is None else show(found))))
        if self.callbacks is not None:
            findings.append(self._judge_callbacks(training))
        findings.extend(self._judge_batch(training, harvest))
        if models is not None:
            ok = training.model in models
            findings.append(_Finding(ok, None if ok else Message.of(
                "training.model", **at, check=Message.literal(evidence.checks[self.model].title))))
        if self.trained:
            ok = any(t.trains and t.model == training.model and t.index < training.index and ran(t)
                     for t in harvest.trainings)
            findings.append(_Finding(ok, None if ok else Message.of("training.untrained", **at)))
        return findings

    def _judge_callbacks(self, training: TrainingFacts) -> _Finding:
        at = where(training)
        acting, inert = effective_callbacks(training)
        wanted = [c for c in acting if not self.callbacks or c.keras_type in self.callbacks]
        if wanted:
            return _Finding(True)
        if inert:
            return _Finding(False, inert[0])
        if acting:
            return _Finding(False, Message.of("training.wrong_callbacks", **at, expected=", ".join(self.callbacks or ()),
                                              found=", ".join(c.keras_type or c.class_name for c in acting)))
        return _Finding(False, Message.of("training.no_callbacks", **at))

    def _judge_batch(self, training: TrainingFacts, harvest: Harvest) -> list[_Finding]:
        if not self.batch:
            return []
        at = where(training)
        batch = training.first_batch
        if batch is None or not batch.x:
            return [_Finding(False, Message.of("training.no_batch", **at))]
        x = batch.x[0]
        findings = []
        if self.batch.get("fits_model"):
            model = model_of(training, harvest)
            expected = [s for s in (model.input_shapes if model else ())]
            ok = ran(training) and (not expected or any(_fits(x.shape, shape) for shape in expected))
            findings.append(_Finding(ok, None if ok else Message.of(
                "training.batch_shape", **at, found=tensor(x, False),
                expected=" / ".join(show(s) for s in expected) or "?")))
        for key, value in (("x_min", x.min), ("x_max", x.max)):
            constraint = self.batch.get(key)
            if constraint is not None:
                ok = constraint.ok(value)
                findings.append(_Finding(ok, None if ok else Message.of(
                    "training.batch_range", **at, found=tensor(x), expected=constraint.describe(),
                    bound=key.replace("x_", ""))))
        dtype = self.batch.get("x_dtype")
        if dtype is not None:
            ok = dtype.ok(x.dtype)
            findings.append(_Finding(ok, None if ok else Message.of(
                "training.batch_dtype", **at, found=x.dtype, expected=dtype.describe())))
        y_shape = self.batch.get("y_shape")
        if y_shape is not None:
            found = tuple(batch.y[0].shape[1:]) if batch.y else None
            ok = y_shape.ok(found)
            findings.append(_Finding(ok, None if ok else Message.of(
                "training.batch_y", **at, found="—" if found is None else show(found), expected=y_shape.describe())))
        return findings

    def references(self) -> tuple[str, ...]:
        return (self.model,) if self.model else ()

    # ------------------------------------------------------------------ spec round trip

    @classmethod
    def parse_own(cls, table: Mapping[str, Any], where: str) -> dict[str, Any]:
        calls = _names(table.get("calls", ["fit"]), tuple(CALLS), f"{where}.calls")
        data = _names(table.get("data", []), DATA_NAMES, f"{where}.data")
        augmentation = table.get("augmentation", False)
        if augmentation not in (True, False, "configured"):
            raise SpecError(f"augmentation must be true, false or \"configured\", found {augmentation!r}",
                            where=f"{where}.augmentation")
        raw_args = table.get("args", {})
        if not isinstance(raw_args, dict):
            raise SpecError("args must be a table", where=f"{where}.args", hint="args = { steps_per_epoch = { min = 1 } }")
        for name in raw_args:
            if name not in ARG_NAMES:
                raise SpecError(f"unknown argument {name!r}", where=f"{where}.args.{name}",
                                hint=f"one of {', '.join(ARG_NAMES)}")
        args = {k: Constraint.parse(v, f"{where}.args.{k}") for k, v in raw_args.items()}
        callbacks = table.get("callbacks")
        if callbacks == "*":
            callbacks = ()
        elif callbacks is not None:
            if not isinstance(callbacks, list) or not callbacks or not all(isinstance(c, str) for c in callbacks):
                raise SpecError('callbacks must be "*" or a list of Keras callback classes', where=f"{where}.callbacks",
                                hint='e.g. callbacks = ["EarlyStopping", "ModelCheckpoint"]')
            callbacks = tuple(callbacks)
        raw_batch = table.get("batch", {})
        if not isinstance(raw_batch, dict):
            raise SpecError("batch must be a table", where=f"{where}.batch")
        batch: dict[str, Any] = {}
        for key, value in raw_batch.items():
            if key not in BATCH_KEYS:
                raise SpecError(f"unknown key {key!r}", where=f"{where}.batch.{key}", hint=f"one of {', '.join(BATCH_KEYS)}")
            if key == "fits_model":
                if not isinstance(value, bool):
                    raise SpecError("fits_model must be true or false", where=f"{where}.batch.fits_model")
                batch[key] = value
            else:
                batch[key] = Constraint.parse(value, f"{where}.batch.{key}")
        flags = {}
        for key, default in (("ran", True), ("trained", False), ("review_unfinished", False)):
            flags[key] = table.get(key, default)
            if not isinstance(flags[key], bool):
                raise SpecError(f"{key} must be true or false", where=f"{where}.{key}")
        model = table.get("model")
        if model is not None and not isinstance(model, str):
            raise SpecError("model must be the id of a model check", where=f"{where}.model", hint='e.g. model = "cnn"')
        return {"calls": calls, "data": data, "augmentation": augmentation, "args": args, "callbacks": callbacks,
                "batch": batch, "model": model, **flags}

    def own_spec(self) -> dict[str, Any]:
        table: dict[str, Any] = {"calls": list(self.calls)}
        if self.data:
            table["data"] = list(self.data)
        if self.augmentation:
            table["augmentation"] = self.augmentation
        if self.args:
            table["args"] = {k: c.to_spec() for k, c in self.args.items()}
        if self.callbacks is not None:
            table["callbacks"] = list(self.callbacks) if self.callbacks else "*"
        if self.batch:
            table["batch"] = {k: v if isinstance(v, bool) else v.to_spec() for k, v in self.batch.items()}
        if not self.ran:
            table["ran"] = False
        if self.model:
            table["model"] = self.model
        if self.trained:
            table["trained"] = True
        if self.review_unfinished:
            table["review_unfinished"] = True
        return table


def _fits(found: tuple, expected: tuple) -> bool:
    """A batch's shape against a model input's (batch axis included; None is any size)."""
    return len(found) == len(expected) and all(e is None or f == e for f, e in zip(found, expected))


def _names(raw: Any, allowed: tuple[str, ...], where: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
        raise SpecError("expected a list of names", where=where, hint=f"names among {', '.join(allowed)}")
    for name in raw:
        if name not in allowed:
            raise SpecError(f"unknown name {name!r}", where=where, hint=f"one of {', '.join(allowed)}")
    return tuple(raw)
