"""One layer left out: ``x = Conv2D(...)(x)`` becomes ``x = x``, ``model.add(Conv2D(...))`` becomes ``pass``,
``Sequential([a, Conv2D(...), b])`` becomes ``Sequential([a, b])``. A layer built some other way (kept in a
variable and called later) is not dropped: there is no one place to take it out.
"""

from __future__ import annotations

import ast
from typing import Iterable

from grader.author.mutants.base import Mutant, Operator, Subject, checks_on_layers, said
from grader.author.mutants.sites import LayerCall, layer_calls
from grader.author.mutants.source import Edit


class LayerDrop(Operator):
    name = "layer-drop"

    def mutants(self, subject: Subject) -> Iterable[Mutant]:
        for call in layer_calls(subject):
            edit = _removal(call)
            if edit is not None:
                yield Mutant(id=f"{call.id}.drop", operator=self.name,
                             change=said(f"{call.label} left out", f"拿掉 {call.label}"), edits=(edit,),
                             meant=checks_on_layers(subject.exercise.checks, [call.type]))


def _removal(call: LayerCall) -> Edit | None:
    cell, node = call.cell, call.node
    parent = cell.parents.get(node)
    if isinstance(parent, ast.Call) and parent.func is node and len(parent.args) == 1 and not parent.keywords:
        return cell.replace(parent, cell.text(parent.args[0]))  # functional: the layer's input goes on
    if (isinstance(parent, ast.Call) and isinstance(parent.func, ast.Attribute) and parent.func.attr == "add"
            and len(parent.args) == 1 and parent.args[0] is node
            and isinstance(cell.parents.get(parent), ast.Expr)):
        return cell.replace(cell.parents[parent], "pass")
    if isinstance(parent, ast.List) and node in parent.elts:
        return cell.replace(parent, "[" + ", ".join(cell.text(e) for e in parent.elts if e is not node) + "]")
    return None
