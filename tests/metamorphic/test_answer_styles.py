"""Metamorphic tests of the answer finder: where and how an answer is written must not change its verdict.

For the reference solutions and for answer sets written here in the styles students use (right,
wrong and mixed, in Chinese, English and code), every ``KEEP`` rewrite must give every answer
check the verdict the baseline gets (the notebook as handed in, or the answers under each prompt),
and say where it read it; every ``NO_CREDIT`` rewrite must earn nothing. A property test composes
rewrites from independent choices (layout, label form, marker, order, digits), and Hypothesis
shrinks a failing one to the smallest.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import nbformat
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grader.execute.outcome import ExecutionOutcome, Status
from grader.rubric.engine import grade
from grader.rubric.spec import load_exercise
from grader.submission import load_submission
from tests.metamorphic.answer_styles import KEEP, LABELS, MARKERS, NO_CREDIT, Choice, Homework, under_each_prompt

ROOT = Path(__file__).resolve().parents[2]


def _exercise(name: str):
    folder = ROOT / "exercises" / name
    prompts = tomllib.loads((folder / "exercise.toml").read_text(encoding="utf-8"))["answers"]["prompts"]
    return load_exercise(folder), folder / "template.ipynb", {int(q): p for q, p in prompts.items()}


DAY096, DAY096_TEMPLATE, DAY096_PROMPTS = _exercise("day096")
STRIDES, STRIDES_TEMPLATE, STRIDES_PROMPTS = _exercise("day096-strides")

# Code each question is about, for the styles that answer in comments of pasted code (our own code).
DAY096_CODE = {
    1: "x_train = x_train.astype('float32')\nx_test = x_test.astype('float32')\nx_train /= 255\nx_test /= 255",
    2: "model.compile(loss='categorical_crossentropy',\n              optimizer=keras.optimizers.Adadelta(),\n"
       "              metrics=['accuracy'])",
    3: "model = Sequential()\nmodel.add(Conv2D(32, (3, 3), activation='relu', input_shape=(28, 28, 1)))\n"
       "model.add(Conv2D(64, (3, 3), activation='relu'))",
    4: "model.summary()",
}
STRIDES_CODE = {
    1: "print(model.output_shape)",
    2: "model.summary()",
    3: "narrow = Conv2D(16, 3, strides=2, padding='valid')(inputs)",
}

HOMEWORKS: dict[str, tuple[object, Homework, dict[str, bool] | None]] = {
    # the reference solutions, as handed in: the baseline is their own grade
    "day096_solution": (DAY096, Homework.from_notebook(ROOT / "solutions" / "day096" / "Day_096_Keras_CNN_layers.ipynb",
                                                       DAY096_TEMPLATE, DAY096_PROMPTS, DAY096_CODE), None),
    "strides_solution": (STRIDES, Homework.from_notebook(ROOT / "solutions" / "day096-strides" / "day096-strides.ipynb",
                                                         STRIDES_TEMPLATE, STRIDES_PROMPTS, STRIDES_CODE), None),
}
_BLANK096 = Homework.from_notebook(DAY096_TEMPLATE, DAY096_TEMPLATE, DAY096_PROMPTS, DAY096_CODE)
_BLANK_STRIDES = Homework.from_notebook(STRIDES_TEMPLATE, STRIDES_TEMPLATE, STRIDES_PROMPTS, STRIDES_CODE)
Q096 = ("q1_normalization", "q2_optimizer", "q3_conv_layers", "q4_total_params")
QSTRIDES = ("p1_output_shape", "p2_separable_params", "p3_valid_width")
# Answer sets in the ways students answer, with the verdict each must get (our own words).
ANSWER_SETS = {
    "day096_terse": (DAY096, _BLANK096, ["有，37、38 行", "Adadelta", "2", "1,199,882"], Q096, [1, 1, 1, 1]),
    "day096_code_like": (DAY096, _BLANK096, [["是，第 37~38 行", "x_train /= 255 與 x_test /= 255"],
                                             "keras.optimizers.Adadelta(),", "兩層 Conv2D", "Total params: 1,199,882"],
                         Q096, [1, 1, 1, 1]),
    "day096_english": (DAY096, _BLANK096, ["Yes, lines 37-38", "the optimizer is AdaDelta", "two convolution layers",
                                           "1199882 parameters"], Q096, [1, 1, 1, 1]),
    "day096_wrong": (DAY096, _BLANK096, ["沒有", "Adam", "3 層", "1,200,458"], Q096, [0, 0, 0, 0]),
    "day096_mixed": (DAY096, _BLANK096, ["第 26~45 行", "Adadelta()", "4 layers: 2 Conv2D and 2 Dense", "119萬9882 個"],
                     Q096, [0, 1, 0, 1]),
    "day096_partly_blank": (DAY096, _BLANK096, ["", "Adadelta", "2 層", ""], Q096, [0, 1, 1, 0]),
    "strides_right": (STRIDES, _BLANK_STRIDES, ["16 x 16 x 32", "1344 個參數", "寬度 15"], QSTRIDES, [1, 1, 1]),
    "strides_wrong": (STRIDES, _BLANK_STRIDES, ["(32, 32, 32)", "1,792", "16"], QSTRIDES, [0, 0, 0]),
}
for _name, (_exercise_of, _blank, _answers, _ids, _expected) in ANSWER_SETS.items():
    HOMEWORKS[_name] = (_exercise_of, _blank.with_answers(dict(enumerate(_answers, 1))),
                        dict(zip(_ids, map(bool, _expected))))

# Position is the only signal of an unnumbered list: a blank answer moves the ones after it.
POSITIONAL = {"unnumbered_lines_in_order", "unnumbered_cells_in_order", "joined_by_br"}


def _answer_checks(exercise):
    return [c.id for c in exercise.checks if c.kind == "answer"]


def _grade(exercise, notebook, folder: Path, name: str):
    path = folder / f"{name}.ipynb"
    nbformat.write(notebook, path)
    result = grade(exercise, load_submission(path), ExecutionOutcome(status=Status.GRADED))
    return {c.id: c for c in result.checks if c.id in _answer_checks(exercise)}, notebook


def _baseline(name: str, folder: Path):
    exercise, hw, expected = HOMEWORKS[name]
    if expected is None:  # a solution: as handed in
        source = ROOT / "solutions" / exercise.id
        notebook = nbformat.read(next(source.glob("*.ipynb")), as_version=4)
        return _grade(exercise, notebook, folder, "baseline")[0]
    return _grade(exercise, hw.notebook(under_each_prompt(hw)), folder, "baseline")[0]


def _blank(hw: Homework) -> bool:
    return any(not hw.answer(q) for q in hw.questions)


CASES = [(h, s) for h in HOMEWORKS for s in KEEP if not (s in POSITIONAL and _blank(HOMEWORKS[h][1]))]


@pytest.mark.parametrize("homework", sorted(HOMEWORKS))
def test_baselines_are_the_verdicts_we_mean(homework, tmp_path):
    """The answer sets get the verdicts written next to them; the solutions pass every check."""
    exercise, _, expected = HOMEWORKS[homework]
    verdicts = _baseline(homework, tmp_path)
    wanted = expected or {c: True for c in _answer_checks(exercise)}
    assert {c: v.passed for c, v in verdicts.items()} == wanted


def _assert_evidence_points_at_the_answer(verdicts, notebook):
    for check in verdicts.values():
        if check.evidence is None:
            assert check.evidence_missing is not None, f"{check.id}: neither evidence nor the reason there is none"
            continue
        cell = notebook.cells[check.evidence.cell].source
        line = cell.splitlines()[check.evidence.line - 1]
        head = check.evidence.excerpt.split(" / ")[0][:4]
        assert head in line, f"{check.id}: evidence {check.evidence} is not in cell line {line!r}"


@pytest.mark.parametrize("homework,style", CASES)
def test_rewriting_where_and_how_answers_are_written_keeps_every_verdict(homework, style, tmp_path):
    exercise, hw, _ = HOMEWORKS[homework]
    baseline = _baseline(homework, tmp_path)
    verdicts, notebook = _grade(exercise, hw.notebook(KEEP[style](hw)), tmp_path, style)
    assert {c: (v.passed, v.points) for c, v in verdicts.items()} == \
        {c: (v.passed, v.points) for c, v in baseline.items()}, {c: v.message.render("en") for c, v in verdicts.items()}
    _assert_evidence_points_at_the_answer(verdicts, notebook)


@pytest.mark.parametrize("homework,variant", [(h, v) for h in HOMEWORKS for v in NO_CREDIT])
def test_text_in_the_wrong_place_earns_nothing(homework, variant, tmp_path):
    exercise, hw, expected = HOMEWORKS[homework]
    verdicts, notebook = _grade(exercise, hw.notebook(NO_CREDIT[variant](hw)), tmp_path, variant)
    earned = {c: v.points for c, v in verdicts.items() if v.points}
    assert earned == {}, {c: v.message.render("en") for c, v in verdicts.items()}
    _assert_evidence_points_at_the_answer(verdicts, notebook)


def test_a_copied_question_with_no_answer_says_where_the_question_was(tmp_path):
    _, hw, _ = HOMEWORKS["day096_solution"]
    verdicts, _ = _grade(DAY096, hw.notebook(NO_CREDIT["prompts_copied_without_answers"](hw)), tmp_path, "copied")
    assert verdicts["q3_conv_layers"].evidence is None
    assert verdicts["q3_conv_layers"].evidence_missing.render("en").startswith("question 3 was found in cell")


def test_a_comment_answer_is_completed_by_the_code_it_sits_above(tmp_path):
    """"答：有" above the two lines that divide by 255 names them; "答：Adam" above compile(Adadelta) stays Adam."""
    hw = _BLANK096.with_answers({1: "有", 2: "Adam", 3: "2 層", 4: "1,199,882"})
    verdicts, _ = _grade(DAY096, hw.notebook(KEEP["comments_in_code_shuffled"](hw)), tmp_path, "pointing")
    assert verdicts["q1_normalization"].passed and not verdicts["q2_optimizer"].passed
    under_prompts, _ = _grade(DAY096, hw.notebook(under_each_prompt(hw)), tmp_path, "not_pointing")
    assert not under_prompts["q1_normalization"].passed  # "有" alone names no line


FORMS = sorted(LABELS)
PLACES = ["markdown", "raw", "plain", "comments", "docstring"]


@st.composite
def choices(draw, questions: int):
    order = draw(st.permutations(range(1, questions + 1)))
    one_line = draw(st.booleans())
    if one_line:  # on one line, a number needs a marker after it, or must continue the line's list
        label = draw(st.sampled_from(FORMS))
        labels = (label,) * questions
        markers = (draw(st.sampled_from(MARKERS[:3])),) * questions
        order = sorted(order) if draw(st.booleans()) else order
    else:
        labels = tuple(draw(st.sampled_from(FORMS)) for _ in range(questions))
        markers = tuple(draw(st.sampled_from(("",) + MARKERS)) for _ in range(questions))
    return Choice(where=draw(st.sampled_from(PLACES)), labels=labels, markers=markers, order=tuple(order),
                  one_line=one_line, digits_full_width=draw(st.booleans()))


@pytest.mark.parametrize("homework", ["day096_solution", "day096_code_like", "day096_mixed", "strides_solution"])
def test_any_combination_of_numbering_marker_order_and_place_keeps_every_verdict(homework, tmp_path_factory):
    exercise, hw, _ = HOMEWORKS[homework]
    folder = tmp_path_factory.mktemp(homework)
    baseline = {c: v.passed for c, v in _baseline(homework, folder).items()}

    @settings(max_examples=40, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(choice=choices(len(hw.questions)))
    def keeps(choice):
        verdicts, _ = _grade(exercise, hw.notebook(choice.cells(hw)), folder, "composed")
        assert {c: v.passed for c, v in verdicts.items()} == baseline, (choice, verdicts)

    keeps()
