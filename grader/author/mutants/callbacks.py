"""Callbacks removed: ``model.fit(..., callbacks=[EarlyStopping(...)])`` loses its ``callbacks=``."""

from __future__ import annotations

import ast
import copy
from typing import Iterable

from grader.author.mutants.base import Mutant, Operator, Subject, said
from grader.author.mutants.source import argument
from grader.author.mutants.training_sites import checks_judging, fit_calls, keywords_without, on_callbacks


class CallbacksRemoved(Operator):
    name = "callbacks-removed"

    def mutants(self, subject: Subject) -> Iterable[Mutant]:
        for site in fit_calls(subject):
            if argument(site.node, "callbacks", None) is None:
                continue
            new = copy.deepcopy(site.node)
            new.keywords = keywords_without(new, ("callbacks",))
            yield Mutant(id=f"{site.id}.callbacks", operator=self.name,
                         change=said(f"{site.label}: callbacks removed", f"{site.label}：拿掉 callbacks"),
                         edits=(site.cell.replace(site.node, ast.unparse(new)),),
                         meant=checks_judging(subject.exercise.checks, on_callbacks))
