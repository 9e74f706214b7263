"""Mutation operators: every module of this package that defines an ``Operator`` subclass adds its kind.

``generate(subject)`` runs them all on the reference solution. An operator for
a new kind of mistake (training without the augmentation, callbacks removed,
...) is one more file here; nothing else names it.
"""

from __future__ import annotations

import importlib
import pkgutil

from grader.author.mutants.base import Mutant, Operator, Subject

__all__ = ["Mutant", "Operator", "Subject", "generate", "operators"]


def operators() -> list[Operator]:
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
    return [cls() for _, cls in sorted(Operator.registry.items())]


def generate(subject: Subject) -> list[Mutant]:
    """Every mutant of the solution, top to bottom of the notebook; ids are unique."""
    found: dict[str, Mutant] = {}
    for operator in operators():
        for mutant in operator.mutants(subject):
            found.setdefault(mutant.id, mutant)
    return sorted(found.values(), key=lambda m: (m.position, m.id))
