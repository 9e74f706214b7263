"""Augmentation removed: every ``ImageDataGenerator(...)`` keeps its settings but its random transforms
(``ImageDataGenerator(rotation_range=20, rescale=1/255)`` becomes ``ImageDataGenerator(rescale=1/255)``), so
the training runs as before on images that are not augmented."""

from __future__ import annotations

import ast
import copy
from typing import Iterable

from grader.author.mutants.base import Mutant, Operator, Subject, said
from grader.author.mutants.training_sites import checks_judging, generator_calls, keywords_without, on_augmentation
from grader.harvest.schema import AUGMENTATIONS


class AugmentationRemoved(Operator):
    name = "augmentation-removed"

    def mutants(self, subject: Subject) -> Iterable[Mutant]:
        edits = []
        for cell, node in generator_calls(subject):
            if any(k.arg in AUGMENTATIONS for k in node.keywords):
                new = copy.deepcopy(node)
                new.keywords = keywords_without(new, AUGMENTATIONS)
                edits.append(cell.replace(node, ast.unparse(new)))
        if edits:
            yield Mutant(id="ImageDataGenerator.augmentation", operator=self.name,
                         change=said("every ImageDataGenerator without its random transforms",
                                     "所有 ImageDataGenerator 拿掉隨機轉換"),
                         edits=tuple(edits), meant=checks_judging(subject.exercise.checks, on_augmentation))
