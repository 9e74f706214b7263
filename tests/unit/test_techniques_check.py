"""kind = "techniques": points per technique the run shows, capped at the check's points; items in every report."""

from __future__ import annotations

import json

from grader.report.json_report import dumps
from grader.rubric.engine import grade
from grader.rubric.spec import load_exercise
from grader.submission.model import Cell, Submission
from tests.unit.factories import layer
from tests.unit.training_factories import callback, cnn, evaluate, fit, flow, idg, network, run
from tests.unit.test_spec import write

SPEC = """
[exercise]
id = "demo"

[[checks]]
id = "used"
kind = "techniques"
points = 2
title = { en = "Techniques", zh-TW = "技巧" }

[[checks.items]]
id = "augmentation"
kind = "training"
points = 1
title = { en = "augmentation", zh-TW = "資料增強" }
hint = { en = "Train on an ImageDataGenerator flow.", zh-TW = "用 ImageDataGenerator 的 flow 訓練。" }
augmentation = true

[[checks.items]]
id = "callbacks"
kind = "training"
points = 1
title = "callbacks"
callbacks = "*"

[[checks.items]]
id = "regularisation"
kind = "model"
points = 1
title = "regularisation"
match = "any"
own_layers = true
layers = [{ type = "Dropout" }, { type = "*", kernel_regularizer = "*" }]

[[checks.items]]
id = "test_accuracy"
kind = "training"
points = 1
title = "a test accuracy"
calls = ["evaluate"]
trained = true
"""


def graded(tmp_path, outcome):
    folder = tmp_path / "demo"
    exercise = load_exercise(folder if folder.exists() else write(tmp_path, SPEC))
    return grade(exercise, None, outcome, submission_name="x")


def test_each_technique_earns_its_points_up_to_the_checks(tmp_path):
    plain = network(1, [layer("Conv2D", filters=8, kernel_size=[3, 3]), layer("Flatten"), layer("Dense", units=10)])
    one = graded(tmp_path, run([plain], [fit(1), evaluate(1)])).checks[0]
    assert (one.points, one.max_points) == (1.0, 2.0)
    assert one.message.render("en") == "1 of 4 techniques shown: a test accuracy"
    assert [i.id for i in one.items if i.passed] == ["test_accuracy"]
    shown = [d.render("en") for d in one.details]
    assert shown[0] == ("✗ augmentation: the batches of fit in cell 6 came from no ImageDataGenerator with a random "
                        "transform (rotation, shift, flip, zoom, shear...; rescale alone is none). "
                        "Train on an ImageDataGenerator flow.")
    assert shown[3] == "✓ a test accuracy: evaluate in cell 10 on arrays of 50,000 samples"
    three = graded(tmp_path, run([cnn(1)], [fit(1, flow(1), callbacks=[callback("ModelCheckpoint")]), evaluate(1)],
                                 [idg(1, horizontal_flip=True)])).checks[0]
    assert (three.points, len([i for i in three.items if i.passed])) == (2.0, 4)  # capped at the check's 2 points


def test_items_reach_the_json_result_in_the_readers_language(tmp_path):
    result = graded(tmp_path, run([cnn(1)], [fit(1)]))
    doc = json.loads(dumps(result, "zh-TW"))
    items = doc["checks"][0]["items"]
    assert [(i["id"], i["title"], i["passed"]) for i in items] == [
        ("augmentation", "資料增強", False), ("callbacks", "callbacks", False), ("regularisation", "regularisation", True),
        ("test_accuracy", "a test accuracy", False)]
    assert items[1]["message"] == "第 6 格的 fit 沒有傳入 callbacks（callbacks=[...]）"
    assert items[2]["points"] == items[2]["max_points"] == 1.0


def test_an_items_review_flag_is_the_checklists(tmp_path):
    asked = 'calls = ["evaluate"]\ntrained = true'
    flagged = SPEC.replace(asked, asked + "\nreview_unfinished = true")
    assert flagged != SPEC
    exercise = load_exercise(write(tmp_path, flagged))
    outcome = run([cnn(1)], [fit(1), evaluate(1)])
    unrun = Submission(path=tmp_path / "x.ipynb", fmt="ipynb",
                       cells=tuple(Cell(i, "code", "pass", finished=i != 9) for i in range(11)))
    check = grade(exercise, unrun, outcome, submission_name="x").checks[0]
    assert check.review.render("en") == ("a test accuracy: evaluate in cell 10 ran here, but your saved notebook shows "
                                         "that cell did not run to its end in your own session (not run, interrupted "
                                         "or stopped by an error): a TA will confirm the result you report")
    items = {i.id: i for i in check.items}
    assert items["test_accuracy"].review is not None and items["augmentation"].review is None  # the item's own
    doc = json.loads(dumps(grade(exercise, unrun, outcome, submission_name="x"), "zh-TW"))["checks"][0]
    assert doc["review"] is True
    assert [(i["id"], i["review"]) for i in doc["items"]] == [("augmentation", False), ("callbacks", False),
                                                             ("regularisation", False), ("test_accuracy", True)]
    assert "沒有執行完" in doc["items"][3]["review_reason"]
    from grader.tools.agreement import verdict

    result = grade(exercise, unrun, outcome, submission_name="x")
    assert verdict(result, "used.test_accuracy")[2] is not None  # the TA's column of that item is the flagged one
    assert verdict(result, "used.augmentation")[2] is None
    ran = Submission(path=tmp_path / "x.ipynb", fmt="ipynb", cells=tuple(Cell(i, "code", "pass", finished=True)
                                                                        for i in range(11)))
    again = grade(exercise, ran, outcome, submission_name="x").checks[0]
    assert again.review is None and again.points == check.points  # the flag never changes the score
