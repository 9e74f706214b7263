"""Another optimizer at compile: ``optimizer="sgd"`` where the solution trains with Adam (Adam where it uses SGD)."""

from __future__ import annotations

import ast
from typing import Iterable

from grader.author.mutants.base import Mutant, Operator, Subject, checks_on_compile, said
from grader.author.mutants.sites import compile_calls, compiled
from grader.author.mutants.source import callee, constant


class OptimizerChange(Operator):
    name = "optimizer"

    def mutants(self, subject: Subject) -> Iterable[Mutant]:
        facts = compiled(subject.harvest)
        for site in compile_calls(subject):
            node = site.optimizer
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                current = node.value
            elif isinstance(node, ast.Call):
                current = callee(node)
            elif node is None:
                current = "rmsprop"  # Keras' default
            else:
                current = facts.optimizer if facts is not None else None
            new = "adam" if (current or "").lower() == "sgd" else "sgd"
            yield Mutant(id=f"{site.id}.optimizer", operator=self.name,
                         change=said(f"{site.label}: optimizer {current or '?'} → {new}",
                                     f"{site.label}：optimizer 由 {current or '?'} 改為 {new}"),
                         edits=(site.with_optimizer(constant(new)),),
                         meant=checks_on_compile(subject.exercise.checks, "optimizer"))
