"""``kind = "experiment"``: the student trained several set-ups that differ in the properties asked about.

"Tune the hyperparameters", "compare augmentation settings": the run must hold
at least ``variants`` training set-ups of one model family that differ in a
property of ``vary`` (batch size, epochs, optimizer, learning rate, filters,
units, padding, pool size, dropout, augmentation, ...; see
``grader.rubric.setup``). Set-ups are compared by what was measured, however the
code made them (a loop, a function, copied cells). Each is listed in the
feedback with the properties that set it apart.

Spec keys::

    variants = 2                   # at least this many different set-ups
    vary = ["batch_size", "optimizer", "filters"]
    of = ["dnn", "cnn"]            # model checks: set-ups are compared within each (default: every training)
    baseline = [{ of = "cnn", batch_size = 128, optimizer = "RMSprop" }]
                                   # set-ups that count without being run (the template's): a run differs from
                                   # one when a property it names differs
    fresh = true                   # a set-up counts only when it trained a model from untrained weights: a
                                   # new model, or the same initial weights reloaded (going on training
                                   # a model another set-up trained confounds the comparison)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Mapping

from grader.errors import SpecError
from grader.harvest.schema import TrainingFacts
from grader.i18n import Message
from grader.rubric.checks.base import Check, Evidence, Verdict
from grader.rubric.constraints import same
from grader.rubric.describe import cell_label
from grader.rubric.setup import PROPERTIES, model_of, ran, setup, show_value


@dataclass(frozen=True)
class Baseline:
    family: str  # "" for every family
    values: Mapping[str, Any]

    def to_spec(self) -> dict[str, Any]:
        return {**({"of": self.family} if self.family else {}), **{k: _unfreeze(v) for k, v in self.values.items()}}


@dataclass
class _Variant:
    values: dict[str, Any]
    baseline: bool = False
    trainings: list[TrainingFacts] = field(default_factory=list)
    fresh: bool = False


def _key(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return tuple(_key(v) for v in value)
    return value.lower() if isinstance(value, str) else value


@dataclass(frozen=True)
class ExperimentCheck(Check):
    kind: ClassVar[str] = "experiment"
    own_keys: ClassVar[frozenset[str]] = frozenset({"variants", "vary", "of", "baseline", "fresh"})

    variants: int = 2
    vary: tuple[str, ...] = ()
    of: tuple[str, ...] = ()
    baseline: tuple[Baseline, ...] = ()
    fresh: bool = False

    def evaluate(self, evidence: Evidence) -> Verdict:
        results = [(family, self._variants(family, evidence)) for family in (self.of or ("",))]
        family, found = max(results, key=lambda pair: (self._count(pair[1]), len(pair[1])))
        label = Message.literal(evidence.checks[family].title) if family else Message.of("experiment.any_model")
        counted = [v for v in found if v.fresh or not self.fresh]
        details = tuple(self._describe(i, v, found) for i, v in enumerate(found, 1))
        runs = sum(len(v.trainings) for v in found)
        if len(counted) >= self.variants:
            return Verdict(1.0, Message.of("experiment.ok", n=len(counted), family=label, differ=self._differences(found)),
                           details=details)
        if runs == 0:
            return Verdict(0.0, Message.of("experiment.none", family=label), details=details)
        if self.fresh and len(found) > len(counted):
            return Verdict(0.0, Message.of("experiment.reused", family=label, n=len(counted), expected=self.variants),
                           details=details)
        return Verdict(0.0, Message.of("experiment.few", n=len(counted), family=label, expected=self.variants,
                                       props=", ".join(self.vary), runs=runs), details=details)

    def _count(self, variants: list[_Variant]) -> int:
        return sum(1 for v in variants if v.fresh or not self.fresh)

    def _variants(self, family: str, evidence: Evidence) -> list[_Variant]:
        harvest = evidence.harvest
        models = None if not family else {m.uid for m in evidence.models_of(family)}
        variants = [_Variant(dict(b.values), baseline=True, fresh=True) for b in self.baseline
                    if b.family in ("", family)]
        trained: set[int | None] = set()
        fresh_weights: set[str] = set()  # digests of weights some call started from untrained
        for training in harvest.trainings:
            if not training.trains or not ran(training) or (models is not None and training.model not in models):
                continue
            values = setup(training, model_of(training, harvest), harvest, self.vary)
            variant = next((v for v in variants if self._same(v, values)), None)
            if variant is None:
                variant = _Variant(values)
                variants.append(variant)
            variant.trainings.append(training)
            # Fresh: the model's first training, or a start from weights another one started from (reloaded)
            fresh = training.model not in trained or training.start_weights in fresh_weights
            trained.add(training.model)
            if fresh:
                variant.fresh = True
                if training.start_weights is not None:
                    fresh_weights.add(training.start_weights)
        return variants

    def _same(self, variant: _Variant, values: Mapping[str, Any]) -> bool:
        if variant.baseline:  # the properties the baseline names
            return all(same(expected, values.get(name)) for name, expected in variant.values.items())
        return all(_key(variant.values.get(name)) == _key(values.get(name)) for name in self.vary)

    def _differences(self, variants: list[_Variant]) -> str:
        """"batch_size 128/64; optimizer RMSprop/Adam; filters": the properties whose values differ, a single
        value's each value once, a layer property's by name (its tuples are in the details)."""
        parts = []
        for name in self.vary:
            values: list[Any] = []
            for variant in variants:
                if name in variant.values and _key(variant.values[name]) not in [_key(v) for v in values]:
                    values.append(variant.values[name])
            if len(values) > 1:
                if any(isinstance(v, tuple) and name != "augmentation" for v in values):
                    parts.append(name)
                else:
                    parts.append(f"{name} " + "/".join(show_value(name, v) for v in values))
        return "; ".join(parts) or "—"

    def _describe(self, number: int, variant: _Variant, variants: list[_Variant]) -> Message:
        """The first set-up with the values that set the set-ups apart; each other one with what it changed."""
        first = variants[0]
        if variant is first:
            names = [name for name in self.vary if name in variant.values and (len(variants) == 1 or len(
                {repr(_key(v.values.get(name))) for v in variants if name in v.values}) > 1)]
        else:
            names = [name for name in self.vary if name in variant.values and name in first.values
                     and _key(variant.values[name]) != _key(first.values[name])]
        values = "; ".join(f"{name} {show_value(name, variant.values.get(name))}" for name in names) or "—"
        if variant.baseline and not variant.trainings:
            return Message.of("experiment.baseline", n=number, values=values)
        cells = ", ".join(dict.fromkeys(cell_label(t.cell) for t in variant.trainings))
        key = "experiment.variant" if variant.fresh or not self.fresh else "experiment.variant_reused"
        if variant is not first:
            key += "_change"
        return Message.of(key, n=number, cells=cells, runs=len(variant.trainings), values=values)

    def references(self) -> tuple[str, ...]:
        return self.of

    # ------------------------------------------------------------------ spec round trip

    @classmethod
    def parse_own(cls, table: Mapping[str, Any], where: str) -> dict[str, Any]:
        variants = table.get("variants", 2)
        if not isinstance(variants, int) or isinstance(variants, bool) or variants < 1:
            raise SpecError(f"variants must be a whole number of at least 1, found {variants!r}", where=f"{where}.variants")
        vary = table.get("vary")
        if not isinstance(vary, list) or not vary or not all(isinstance(v, str) for v in vary):
            raise SpecError("vary must list the properties that make set-ups different", where=f"{where}.vary",
                            hint=f"names among {', '.join(PROPERTIES)}")
        for name in vary:
            if name not in PROPERTIES:
                raise SpecError(f"unknown property {name!r}", where=f"{where}.vary", hint=f"one of {', '.join(PROPERTIES)}")
        of = table.get("of", [])
        if isinstance(of, str):
            of = [of]
        if not isinstance(of, list) or not all(isinstance(v, str) for v in of):
            raise SpecError("of must list model check ids", where=f"{where}.of", hint='e.g. of = ["dnn", "cnn"]')
        baselines = []
        for i, raw in enumerate(table.get("baseline", [])):
            at = f"{where}.baseline[{i}]"
            if not isinstance(raw, dict):
                raise SpecError("each baseline is a table of property values", where=at)
            raw = dict(raw)
            family = raw.pop("of", "")
            if family and family not in of:
                raise SpecError(f"baseline of {family!r}, which is not in of", where=f"{at}.of")
            for name in raw:
                if name not in vary:
                    raise SpecError(f"{name!r} is not one of the properties in vary", where=f"{at}.{name}")
            baselines.append(Baseline(family, {k: _freeze(v) for k, v in raw.items()}))
        fresh = table.get("fresh", False)
        if not isinstance(fresh, bool):
            raise SpecError("fresh must be true or false", where=f"{where}.fresh")
        return {"variants": variants, "vary": tuple(vary), "of": tuple(of), "baseline": tuple(baselines), "fresh": fresh}

    def own_spec(self) -> dict[str, Any]:
        table: dict[str, Any] = {"variants": self.variants, "vary": list(self.vary)}
        if self.of:
            table["of"] = list(self.of)
        if self.baseline:
            table["baseline"] = [b.to_spec() for b in self.baseline]
        if self.fresh:
            table["fresh"] = True
        return table


def _freeze(value: Any) -> Any:
    return tuple(_freeze(v) for v in value) if isinstance(value, list) else value


def _unfreeze(value: Any) -> Any:
    return [_unfreeze(v) for v in value] if isinstance(value, tuple) else value

