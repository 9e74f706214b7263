"""Spec validation: errors name the file, the line, the key and the fix; every kind round-trips."""

from __future__ import annotations

import shutil
import textwrap
import tomllib
from pathlib import Path

import pytest

from grader.errors import SpecError
from grader.rubric.answers.matchers import Matcher
from grader.rubric.checks import Check
from grader.rubric.spec import load_exercise

ROOT = Path(__file__).resolve().parents[2]

GOOD = """
[exercise]
id = "demo"
title = "Demo"

[answers]
questions = 2

[[checks]]
id = "m"
kind = "model"
points = 1
title = "model"
match = "subsequence"
layers = [{ type = "Conv2D", filters = { one_of = [16, 32] }, kernel_size = 3 }, { type = "Dense", units = { min = 1 } }]
output_shape = [10]
compile = { optimizer = "Adam" }

[[checks]]
id = "a"
kind = "answer"
points = 2
question = 2
hidden = true
accept = [{ regex = "(?i)adam" }, { number = 3, points = 1 }, { lines = [5, 6], slack = 1 }]
reject = [{ regex = "no", message = { en = "No.", zh-TW = "不。" } }]
hint = { en = "h", zh-TW = "提示" }
"""

# One check of every other kind, for the round trip (GOOD has a model and an answer check).
OTHER_KINDS = """
[[checks]]
id = "dnn"
kind = "model"
points = 1
match = "any"
layers = [{ type = "Dense" }, { type = "*", kernel_regularizer = "*" }]
without = ["Conv2D"]
own_layers = true
pretrained = true
trained = true

[[checks]]
id = "gen"
kind = "training"
points = 1
calls = ["fit"]
data = ["generator", "stream"]
augmentation = "configured"
args = { steps_per_epoch = { min = 1 }, validation_steps = "*" }
callbacks = ["EarlyStopping"]
batch = { fits_model = true, x_max = { max = 10 }, y_shape = [10] }
ran = false
model = "m"
trained = true

[[checks]]
id = "tune"
kind = "experiment"
points = 1
variants = 3
vary = ["batch_size", "filters", "augmentation"]
of = ["m", "dnn"]
baseline = [{ of = "m", batch_size = 128, filters = [32, 64] }]
fresh = true

[[checks]]
id = "why"
kind = "written"
points = 1
question = 1
min_chars = 4
topics = [{ regex = "(?i)batch" }]

[[checks]]
id = "more"
kind = "claim"
points = 1
question = 2
measure = "trainable_params"
relation = "smaller"
subjects = [{ name = "DNN", model = "dnn", says = "(?i)dnn" }, { name = "CNN", model = "m", says = "(?i)cnn" }]
otherwise = "DNN"

[[checks]]
id = "used"
kind = "techniques"
points = 2
title = "techniques"
[[checks.items]]
id = "callbacks"
kind = "training"
points = 1
title = { en = "callbacks", zh-TW = "callbacks" }
hint = "pass callbacks=[...]"
callbacks = "*"
[[checks.items]]
id = "dropout"
kind = "model"
points = 1
match = "subsequence"
layers = [{ type = "Dropout" }]
"""


def write(tmp_path: Path, text: str, name: str = "demo") -> Path:
    folder = tmp_path / name
    folder.mkdir()
    (folder / "exercise.toml").write_text(textwrap.dedent(text), encoding="utf-8")
    return folder


def test_good_spec_loads(tmp_path):
    ex = load_exercise(write(tmp_path, GOOD))
    assert [c.id for c in ex.checks] == ["m", "a"]
    assert ex.max_score == 3


@pytest.mark.parametrize("old,new,where,fragment", [
    ('points = 2', 'points = -1', "checks[1].points", "positive number"),
    ('kind = "answer"', 'kind = "essay"', "checks[1].kind", "unknown check kind"),
    ('match = "subsequence"', 'match = "fuzzy"', "checks[0].match", "match must be one of"),
    ('question = 2', 'question = 3', "checks[1].question", "beyond answers.questions"),
    ('{ regex = "(?i)adam" }', '{ regex = "(" }', "checks[1].accept[0]", "invalid regular expression"),
    ('{ number = 3, points = 1 }', '{ number = 3, colour = 1 }', "checks[1].accept[1]", "unknown key"),
    ('title = "model"', 'title = "model"\nfilterz = 3', "checks[0].filterz", "unknown key"),
    ('id = "a"', 'id = "m"', "checks[1].id", "duplicate check id"),
    ('id = "a"', 'id = "score"', "checks[1].id", "a column grades.csv already has"),
    ("questions = 2", "questions = true", "answers.questions", "whole number (0 for none)"),
    ('kind = "answer"\n', '', "checks[1].kind", "missing key kind"),
    ('{ min = 1 }', '{ min = "one" }', "checks[0].layers[1].units", "must be a number"),
    ('type = "Conv2D"', 'type = "conv2d"', "checks[0].layers[0].type", "did you mean 'Conv2D'?"),
    ('type = "Conv2D"', 'type = { one_of = ["Conv2D", "separable_conv2d"] }', "checks[0].layers[0].type",
     "'separable_conv2d' is not a Keras class name"),
    ('type = "Dense"', 'type = { min = 1 }', "checks[0].layers[1].type", "cannot be a range"),
    ('kernel_size = 3', 'Kernel_Size = 3', "checks[0].layers[0].Kernel_Size", "use the key of the layer's get_config"),
])
def test_spec_errors_say_where_and_what(tmp_path, old, new, where, fragment):
    assert old in GOOD
    folder = write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(SpecError) as info:
        load_exercise(folder)
    text = str(info.value)
    assert where in text and fragment in text
    assert "exercise.toml:" in text  # file and line


@pytest.mark.parametrize("execution,where,fragment", [
    ("training_batch = 16", "execution.training_batch", "needs training_steps"),
    ("training_epochs = 1", "execution.training_epochs", "needs training_steps"),
    ("training_steps = 1\ntraining_batch = 0", "execution.training_batch", "whole number of at least 1"),
    ("training_steps = 0.5", "execution.training_steps", "whole number of at least 1, found 0.5"),
])
def test_training_budget_keys_are_checked(tmp_path, execution, where, fragment):
    folder = write(tmp_path, GOOD.replace("[answers]", f"[execution]\n{execution}\n\n[answers]", 1))
    with pytest.raises(SpecError) as info:
        load_exercise(folder)
    assert where in str(info.value) and fragment in str(info.value)


def test_training_budget_loads(tmp_path):
    budget = "[execution]\ntraining_steps = 2\ntraining_epochs = 1\ntraining_batch = 8\n\n[answers]"
    ex = load_exercise(write(tmp_path, GOOD.replace("[answers]", budget, 1)))
    assert (ex.execution.training_steps, ex.execution.training_epochs, ex.execution.training_batch) == (2, 1, 8)


def test_toml_syntax_error_gives_the_line(tmp_path):
    folder = write(tmp_path, GOOD.replace('title = "Demo"', 'title = "Demo'))
    with pytest.raises(SpecError, match=r"not valid TOML.*line \d+"):
        load_exercise(folder)


def test_folder_and_id_must_agree(tmp_path):
    folder = write(tmp_path, GOOD, name="other")
    with pytest.raises(SpecError, match="differs from the folder name"):
        load_exercise(folder)


def test_every_check_kind_round_trips_through_its_spec(tmp_path):
    """Like Keras' serialization tests: parse -> to_spec -> parse gives the same check, for all kinds."""
    ex = load_exercise(write(tmp_path, GOOD + OTHER_KINDS))
    assert {c.kind for c in ex.checks} == set(Check.registry)
    for check in ex.checks:
        again = type(check)(id=check.id, title=check.title, points=check.points, hidden=check.hidden,
                            hint=check.hint, **type(check).parse_own(check.to_spec(), "x"))
        assert again == check


def test_every_matcher_kind_round_trips(tmp_path):
    ex = load_exercise(write(tmp_path, GOOD))
    answer = ex.checks[1]
    assert {r.matcher.kind for r in answer.accept} == set(Matcher.registry)
    for rule in answer.accept + answer.reject:
        assert Matcher.from_spec(rule.matcher.to_spec(), "x") == rule.matcher


def test_installed_exercises_load(tmp_path):
    for spec in (ROOT / "exercises").glob("*/exercise.toml"):
        ex = load_exercise(spec.parent)
        assert ex.checks and tomllib.loads(spec.read_text(encoding="utf-8"))


def test_day096_check_ids_are_the_gradebook_columns():
    ex = load_exercise(ROOT / "exercises" / "day096")
    assert [c.id for c in ex.checks] == ["conv_model", "separable_model", "q1_normalization", "q2_optimizer",
                                         "q3_conv_layers", "q4_total_params"]


def test_fingerprint_file_outside_folder_is_refused(tmp_path):
    folder = write(tmp_path, GOOD.replace("questions = 2", 'questions = 2\nfingerprints = ["../x.json"]'))
    shutil.copy(ROOT / "exercises" / "day096" / "course-template.fp.json", tmp_path / "x.json")
    with pytest.raises(SpecError, match="outside the exercise folder"):
        load_exercise(folder)


def test_a_spec_saved_by_windows_notepad_loads_or_says_how_to_save_it(tmp_path):
    folder = write(tmp_path, GOOD.replace('title = "Demo"', 'title = "示範"'))
    spec = folder / "exercise.toml"
    spec.write_bytes(b"\xef\xbb\xbf" + spec.read_bytes())  # UTF-8 with a byte-order mark
    assert load_exercise(folder).title["en"] == "示範"
    spec.write_bytes(spec.read_text(encoding="utf-8-sig").encode("cp950"))  # "ANSI" on a zh-TW Windows
    with pytest.raises(SpecError, match=r"not UTF-8 \(line 4;") as info:
        load_exercise(folder)
    assert "exercise.toml:4" in str(info.value) and "UTF-8" in info.value.hint


def test_a_broken_draft_does_not_stop_other_exercises_being_recognised(tmp_path, monkeypatch):
    from grader.rubric.catalog import infer_exercise
    from grader.submission.model import Submission

    good = write(tmp_path, GOOD.replace('title = "Demo"', 'title = "Demo"\nmatch = ["demo*.ipynb"]'))
    write(tmp_path, 'id = "draft"\n[exercise\n', name="draft")
    monkeypatch.setenv("KERAS_GRADER_EXERCISES", str(tmp_path))
    submission = Submission(path=tmp_path / "demo_hw.ipynb", fmt="ipynb", cells=())
    assert infer_exercise(submission).id == good.name
    with pytest.raises(Exception, match="not considered, their spec has errors: .*draft"):
        infer_exercise(Submission(path=tmp_path / "other.ipynb", fmt="ipynb", cells=()))


@pytest.mark.parametrize("prompts, where, fragment", [
    ("{ 1 = '^Q1' }", "answers.prompts", "no prompt for question(s) 2"),
    ("{ 1 = '^Q1', 2 = '^Q9' }", "answers.prompts.2", "prompt of question 2 matches no line of the template"),
    ("{ 1 = 'Q', 2 = '^Q2' }", "answers.prompts.2", "prompts of questions 1 and 2 both match"),
])
def test_prompts_are_checked_against_the_template(tmp_path, prompts, where, fragment):
    spec = GOOD.replace('title = "Demo"', 'title = "Demo"\ntemplate = "template.py"').replace(
        "questions = 2", f"questions = 2\nprompts = {prompts}")
    folder = write(tmp_path, spec)
    (folder / "template.py").write_text("# %% [markdown]\n# Q1. What is it?\n# Q2. How many?\n", encoding="utf-8")
    with pytest.raises(SpecError) as info:
        load_exercise(folder)
    assert where in str(info.value) and fragment in str(info.value)
    (folder / "exercise.toml").write_text(textwrap.dedent(spec.replace(prompts, "{ 1 = '^Q1', 2 = '^Q2' }")))
    assert load_exercise(folder).answers.questions == 2


def test_errors_name_the_right_line_when_headers_carry_comments(tmp_path):
    text = GOOD.replace("[[checks]]", "[[checks]]   # one check", 2).replace("points = 2", "points = 0")
    folder = write(tmp_path, text)
    with pytest.raises(SpecError) as info:
        load_exercise(folder)
    second = [i for i, ln in enumerate(text.splitlines(), 1) if ln.startswith("[[checks]]")][1]
    assert f"exercise.toml:{second} (checks[1].points)" in str(info.value)


def test_an_unreadable_template_is_the_specs_error(tmp_path):
    folder = write(tmp_path, GOOD.replace('title = "Demo"', 'title = "Demo"\ntemplate = "t.ipynb"'))
    (folder / "t.ipynb").write_text("")
    with pytest.raises(SpecError) as info:
        load_exercise(folder)
    assert "exercise.template" in str(info.value) and "the file is empty" in str(info.value)
    assert "hand it in" not in str(info.value)


def test_a_rule_message_may_be_a_plain_string(tmp_path):
    folder = write(tmp_path, GOOD.replace('message = { en = "No.", zh-TW = "不。" }', 'message = "Not quite."'))
    check = next(c for c in load_exercise(folder).checks if c.id == "a")
    assert check.reject[0].message == {"en": "Not quite."}


VALIDATE = """
[validate]
template_points = { m = 1 }

[[validate.accept]]
mutant = "*.activation"
reason = { en = "any activation", zh-TW = "activation 不限" }
"""


def test_validate_section_loads(tmp_path):
    ex = load_exercise(write(tmp_path, GOOD + VALIDATE))
    assert ex.validate.template_points == {"m": 1.0}
    assert [(a.mutant, a.reason["zh-TW"]) for a in ex.validate.accept] == [("*.activation", "activation 不限")]


def test_one_reason_may_accept_a_list_of_mutant_patterns(tmp_path):
    ex = load_exercise(write(tmp_path, GOOD + VALIDATE.replace('"*.activation"', '["Conv2D#*", "*.activation"]')))
    assert [(a.mutant, a.reason["en"]) for a in ex.validate.accept] == [
        ("Conv2D#*", "any activation"), ("*.activation", "any activation")]


def test_without_a_validate_section_nothing_is_accepted_and_the_template_earns_nothing(tmp_path):
    ex = load_exercise(write(tmp_path, GOOD))
    assert ex.validate.template_points == {} and ex.validate.accept == ()


@pytest.mark.parametrize("old,new,where,fragment", [
    ("template_points = { m = 1 }", "template_points = { z = 1 }", "validate.template_points.z", "no check 'z'"),
    ("template_points = { m = 1 }", "template_points = { m = 2 }", "validate.template_points.m",
     "between 0 and 1"),
    ('reason = { en = "any activation", zh-TW = "activation 不限" }', "", "validate.accept[0].reason",
     "needs a reason"),
    ('reason = { en = "any activation", zh-TW = "activation 不限" }', 'reason = " "', "validate.accept[0].reason",
     "the reason is empty"),
    ('mutant = "*.activation"', 'mutant = ""', "validate.accept[0].mutant", "non-empty"),
    ('mutant = "*.activation"', 'mutant = []', "validate.accept[0].mutant", "non-empty"),
    ('mutant = "*.activation"', 'mutant = ["*.activation", 3]', "validate.accept[0].mutant", "list of them"),
    ('mutant = "*.activation"', 'mutants = "*.activation"', "validate.accept[0].mutants", "unknown key"),
    ("template_points", "template_score", "validate.template_score", "unknown key"),
])
def test_validate_section_errors_say_where_and_what(tmp_path, old, new, where, fragment):
    text = GOOD + VALIDATE.replace(old, new, 1)
    folder = write(tmp_path, text)
    with pytest.raises(SpecError) as info:
        load_exercise(folder)
    assert where in str(info.value) and fragment in str(info.value)
    header = "[[validate.accept]]" if where.startswith("validate.accept") else "[validate]"
    line = next(i for i, ln in enumerate(textwrap.dedent(text).splitlines(), 1) if ln.startswith(header))
    assert f"exercise.toml:{line} ({where})" in str(info.value)
