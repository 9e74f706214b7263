"""The training mutants on the Day 98-100 reference solutions: augmentation removed, a generator replaced by
arrays, callbacks removed; each rewrite parses, is the mistake it names, and is meant for the checks that
judge it. No kernel (the mutants' grading is grader validate's, tested end to end there)."""

from __future__ import annotations

import ast
from pathlib import Path

from grader.author.mutants import Subject, generate
from grader.harvest.schema import Harvest
from grader.rubric.spec import load_exercise
from grader.submission import load_submission

ROOT = Path(__file__).resolve().parents[2]


def subject(day: str) -> Subject:
    solution = next((ROOT / "solutions" / day).glob("*.ipynb"))
    return Subject(load_exercise(ROOT / "exercises" / day), load_submission(solution), Harvest.empty(), {})


def changed(found: Subject, mutant) -> str:
    """The rewritten cells' code, each of which must still parse."""
    cells = [c for c, old in zip(mutant.cells(found.solution), found.solution.cells) if c.source != old.source]
    for cell in cells:
        ast.parse(cell.source)
    return "\n".join(c.source for c in cells)


def test_augmentation_removed_everywhere_keeps_the_other_settings_and_is_meant_for_the_augmentation_checks():
    day99 = subject("day099")
    mutant = {m.id: m for m in generate(day99)}["ImageDataGenerator.augmentation"]
    code = changed(day99, mutant)
    assert "rotation_range" not in code and "horizontal_flip" not in code and code.count("ImageDataGenerator()") == 4  # the demo too
    assert mutant.meant == ("augmentation", "augmented_training", "comparison")
    assert mutant.change.render("zh-TW") == "所有 ImageDataGenerator 拿掉隨機轉換"


def test_a_generator_replaced_by_the_arrays_it_was_made_from():
    day98 = subject("day098")
    mutant = {m.id: m for m in generate(day98)}["fit#1.arrays"]
    code = changed(day98, mutant)
    assert "model.fit(x_train, y_train, epochs=epochs, validation_data=(x_test, y_test))" in code
    assert "training_batches(" not in code.split("history =")[1]
    assert mutant.meant == ("generator", "batches", "fit_generator", "steps")
    day100 = subject("day100")
    flow = {m.id: m for m in generate(day100)}["fit#1.arrays"]
    assert "model.fit(x_train, y_train, epochs=epochs" in changed(day100, flow)
    assert flow.meant == ("techniques",)


def test_callbacks_removed_only_where_given():
    day100 = {m.id: m for m in generate(subject("day100"))}
    assert "callbacks=" not in changed(subject("day100"), day100["fit#1.callbacks"])
    assert day100["fit#1.callbacks"].meant == ("techniques",)
    assert not any(m.endswith(".callbacks") for m in (m.id for m in generate(subject("day098"))))
