"""The learning rate ten times the solution's, with the same optimizer.

An optimizer built in the call (``Adam(learning_rate=...)``, Keras 2's
``lr=``) has its rate changed there; one named by a string or a variable is
replaced by its class built with the new rate. The rate and the class are the
measured ones, so a rate left at its default can be changed too.
"""

from __future__ import annotations

import ast
from typing import Iterable

from grader.author.mutants.base import Mutant, Operator, Subject, checks_on_compile, said
from grader.author.mutants.sites import compile_calls, compiled
from grader.author.mutants.source import UNKNOWN, argument, keras_attribute, literal, with_argument


class LearningRateChange(Operator):
    name = "learning-rate"

    def mutants(self, subject: Subject) -> Iterable[Mutant]:
        facts = compiled(subject.harvest)
        for site in compile_calls(subject):
            node = site.optimizer
            written = literal(argument(node, "learning_rate", 0)) if isinstance(node, ast.Call) else UNKNOWN
            if written is UNKNOWN and isinstance(node, ast.Call):
                written = literal(argument(node, "lr", None))
            rate = written if isinstance(written, (int, float)) and not isinstance(written, bool) else (
                facts.optimizer_config.get("learning_rate") if facts is not None else None)
            if not isinstance(rate, (int, float)) or isinstance(rate, bool) or rate <= 0:
                continue
            new = float(f"{rate * 10:.6g}")
            if isinstance(node, ast.Call):
                replacement = with_argument(node, "learning_rate", 0, new, aliases=("lr",))
            elif facts is not None and facts.optimizer and facts.optimizer.isidentifier():  # not "custom:..."
                replacement = ast.Call(func=keras_attribute("optimizers", facts.optimizer), args=[],
                                       keywords=[ast.keyword(arg="learning_rate", value=ast.Constant(new))])
            else:
                continue
            yield Mutant(id=f"{site.id}.learning_rate", operator=self.name,
                         change=said(f"{site.label}: learning rate {rate:g} → {new:g}",
                                     f"{site.label}：learning rate 由 {rate:g} 改為 {new:g}"),
                         edits=(site.with_optimizer(replacement),),
                         meant=checks_on_compile(subject.exercise.checks, "learning_rate"))
