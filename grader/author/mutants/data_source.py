"""A generator replaced by arrays: ``model.fit_generator(batches(x_train, y_train, 128), steps_per_epoch=390)``
becomes ``model.fit(x_train, y_train, ...)``: the arrays the generator was made from, fed whole, as a student
who skipped the generator writes it. Only where the stream is a call whose first two arguments are its
images and labels (a generator function of its own, an ``ImageDataGenerator``'s ``flow``)."""

from __future__ import annotations

import ast
from typing import Iterable

from grader.author.mutants.base import Mutant, Operator, Subject, said
from grader.author.mutants.training_sites import checks_judging, fit_calls, keywords_without, on_data


class GeneratorToArrays(Operator):
    name = "generator-to-arrays"

    def mutants(self, subject: Subject) -> Iterable[Mutant]:
        for site in fit_calls(subject):
            stream = site.data
            if len(site.node.args) > 1:  # Keras 2's fit_generator(gen, 390, ...): positions differ from fit's
                continue
            if not isinstance(stream, ast.Call) or len(stream.args) < 2 or any(
                    isinstance(a, ast.Starred) for a in stream.args[:2]):
                continue
            receiver = site.node.func.value  # type: ignore[attr-defined]
            new = ast.Call(func=ast.Attribute(value=receiver, attr="fit"), args=list(stream.args[:2]),
                           keywords=keywords_without(site.node, ("x", "generator", "steps_per_epoch")))
            yield Mutant(id=f"{site.id}.arrays", operator=self.name,
                         change=said(f"{site.label}: trained on the arrays instead of the stream",
                                     f"{site.label}：不用 generator，直接用陣列訓練"),
                         edits=(site.cell.replace(site.node, ast.unparse(new)),),
                         meant=checks_judging(subject.exercise.checks, on_data))
