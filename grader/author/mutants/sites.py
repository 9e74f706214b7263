"""Where the solution builds layers and compiles models: the call sites the model mutants rewrite.

A layer call is a call whose name is the class of a layer the solution's run
built (``Conv2D(...)``, ``layers.Conv2D(...)``, an alias such as ``MaxPool2D``),
numbered per class in reading order: ``Conv2D#2`` is the second Conv2D call of
the notebook, an id that survives edits elsewhere. Where each call built
exactly one layer, it is paired with that layer's measured settings, so that a
setting left at its default can be changed too.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

from grader.author.mutants.base import Subject
from grader.author.mutants.source import CodeCell, Edit, argument, callee, calls, with_argument
from grader.harvest.schema import CompileFacts, Harvest, LayerFacts
from grader.rubric.checks.model import keras_class_name

_NOT_LAYERS = {"InputLayer", "Input"}


@dataclass(frozen=True)
class LayerCall:
    cell: CodeCell
    node: ast.Call
    type: str  # the Keras class, as the harvest names it
    ordinal: int
    facts: LayerFacts | None  # the layer it built, when that is unambiguous

    @property
    def id(self) -> str:
        return f"{self.type}#{self.ordinal}"

    @property
    def label(self) -> str:
        return f"{self.type} #{self.ordinal}"


@dataclass(frozen=True)
class CompileCall:
    cell: CodeCell
    node: ast.Call
    ordinal: int

    @property
    def id(self) -> str:
        return f"compile#{self.ordinal}"

    @property
    def label(self) -> str:
        return f"compile #{self.ordinal}"

    @property
    def optimizer(self) -> ast.expr | None:
        return argument(self.node, "optimizer", 0)

    def with_optimizer(self, new: ast.expr) -> Edit:
        """The edit giving compile ``new`` as its optimizer, in place of the one given, or added."""
        if self.optimizer is not None:
            return self.cell.replace(self.optimizer, new)
        return self.cell.replace(self.node, with_argument(self.node, "optimizer", 0, new))


def layer_calls(subject: Subject) -> list[LayerCall]:
    built = _built_layers(subject.harvest)
    found: list[tuple[CodeCell, ast.Call, str]] = []
    for cell, node in calls(subject.code):
        name = callee(node)
        kind = keras_class_name(name) if name else None
        if kind in built and kind not in _NOT_LAYERS:
            found.append((cell, node, kind))
    result, counts = [], {}
    for cell, node, kind in found:
        counts[kind] = counts.get(kind, 0) + 1
        same = [f for f in found if f[2] == kind]
        facts = built[kind][counts[kind] - 1] if len(built[kind]) == len(same) else None
        result.append(LayerCall(cell, node, kind, counts[kind], facts))
    return result


def _built_layers(harvest: Harvest) -> dict[str, list[LayerFacts]]:
    """Every Keras layer the run built, by class, each once (a layer shared by two models is one layer)."""
    by_type: dict[str, list[LayerFacts]] = {}
    seen: set[str] = set()

    def visit(layers: tuple[LayerFacts, ...]) -> None:
        for layer in layers:
            if layer.keras_type and layer.name not in seen:
                seen.add(layer.name)
                by_type.setdefault(layer.keras_type, []).append(layer)
            visit(layer.layers)

    for model in harvest.models:
        visit(model.layers)
    return by_type


def config_keys(subject: Subject, kind: str) -> set[str]:
    """The settings a layer class has, as its measured configs show them."""
    return {key for layer in _built_layers(subject.harvest).get(kind, []) for key in layer.config}


def compile_calls(subject: Subject) -> list[CompileCall]:
    sites = [(cell, node) for cell, node in calls(subject.code)
             if isinstance(node.func, ast.Attribute) and node.func.attr == "compile"]
    return [CompileCall(cell, node, i) for i, (cell, node) in enumerate(sites, 1)]


def compiled(harvest: Harvest) -> CompileFacts | None:
    """The compile settings the run measured, when every compiled model agrees on them (else None)."""
    facts = {(m.compile.optimizer, m.compile.optimizer_config.get("learning_rate")): m.compile
             for m in harvest.models if m.compile is not None}
    return next(iter(facts.values())) if len(facts) == 1 else None


def measured(call: LayerCall, key: str) -> Any:
    """The setting the call's layer was measured with, as a spec would write it (lists as tuples)."""
    if call.facts is None or key not in call.facts.config:
        return None
    value = call.facts.config[key]
    return tuple(value) if isinstance(value, list) else value
