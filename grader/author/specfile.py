"""The ``exercise.toml`` that ``grader new`` writes: what the solution's run measured, commented for pruning.

Every model the run built becomes a model check holding its layers with the
settings exercises ask about, its shapes, its parameter count and its compile
settings; every question an answer check whose first accepted answer is the
solution's own. Text only a person can write (titles, the Traditional Chinese)
is a ``TODO`` that ``grader validate`` refuses until it is filled.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any, Sequence

from grader.author.questions import Question
from grader.harvest.schema import LayerFacts, ModelFacts
from grader.rubric.answers.matchers import numbers_in, plain
from grader.rubric.spec import RESERVED_IDS

SETTINGS = ("filters", "units", "kernel_size", "strides", "padding", "activation", "depth_multiplier", "pool_size",
            "rate")
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_ID = re.compile(r"[a-z0-9][a-z0-9_\-]*")


@dataclass(frozen=True)
class ModelEntry:
    model: ModelFacts
    name: str | None  # the variable the solution assigned it to, if one


def toml(value: Any) -> str:
    """A value as TOML: inline tables; strings with backslashes (regexes) as literal strings, unescaped."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        plain_text = not any(ord(c) < 32 or c == "\x7f" for c in value)
        if plain_text and '"' not in value and "\\" not in value:
            return f'"{value}"'
        if plain_text and "'" not in value:  # a regex: a literal string keeps its backslashes as written
            return f"'{value}'"
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_key(k)} = {toml(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"no TOML for {value!r}")


def _key(name: str) -> str:
    return name if _BARE_KEY.fullmatch(name) else json.dumps(name, ensure_ascii=False)


def spec_text(exercise_id: str, solution_name: str, heading: str | None, questions: Sequence[Question],
              models: Sequence[ModelEntry], answers: dict[int, str] | None) -> str:
    """The whole spec. ``answers``: the solution's answer to each question as the grader reads it (None: not yet)."""
    out = [f"# {exercise_id}: written by `grader new` from {solution_name}.",
           "# Delete what the exercise does not ask for, fill in every TODO, then run",
           f"#     grader validate exercises/{exercise_id}",
           "# which fails until the rubric catches every mutant of the solution (README, \"Writing an exercise\").",
           "# Every key: docs/exercise-format.md.",
           "", "[exercise]", f"id = {toml(exercise_id)}",
           "title = " + toml({"en": f"TODO: {heading or 'the exercise title'}",
                              "zh-TW": "TODO: 題目名稱（繁體中文）"}),
           'template = "template.ipynb"',
           "# File names that select this exercise (case-insensitive globs): add the name students give their copy.",
           f"match = {toml([f'{exercise_id}*.ipynb', f'{exercise_id}*.py'])}",
           "", "[execution]", "cell_timeout = 60", "total_timeout = 300",
           "# The checks read architectures, not trained weights: fit() runs one batch of 16 samples for one epoch.",
           "# Delete these three lines if a check needs real training.",
           "training_steps = 1", "training_epochs = 1", "training_batch = 16"]
    if questions:
        out += ["", "[answers]", f"questions = {len(questions)}",
                "# Each question's prompt line in template.ipynb (a regex matching that line alone).",
                "prompts = " + toml({str(q.number): q.pattern for q in questions})]
    ids: set[str] = set()
    for n, entry in enumerate(models, 1):
        out += [""] + _model_check(entry, _unique(entry.name, f"model_{n}", ids))
    for question in questions:
        text = None if answers is None else answers.get(question.number)
        out += [""] + _answer_check(question, text, _unique(None, f"q{question.number}", ids))
    return "\n".join(out) + "\n"


def _unique(name: str | None, fallback: str, taken: set[str]) -> str:
    candidate = name.lower() if name and _ID.fullmatch(name.lower()) and name.lower() not in RESERVED_IDS else fallback
    while candidate in taken:
        candidate += "_"
    taken.add(candidate)
    return candidate


def _model_check(entry: ModelEntry, check_id: str) -> list[str]:
    model = entry.model
    body = model.body()
    types = ", ".join(layer.keras_type or layer.class_name for layer in body) or "no layers"
    out = [f"# The model built in cell {'?' if model.cell is None else model.cell + 1}"
           + (f" ({entry.name})" if entry.name else "") + f": {types}.",
           "[[checks]]", f"id = {toml(check_id)}", 'kind = "model"', "points = 1",
           "title = " + toml({"en": f"TODO: Model with {types}", "zh-TW": "TODO: 評分項目名稱（繁體中文）"}),
           'match = "exact"                 # or "subsequence" (other layers allowed between), "unordered"',
           "layers = [                      # every setting measured: delete those students may choose freely"]
    out += [f"  {toml(_layer(layer))}," for layer in body]
    out.append("]")
    if model.built:
        out.append("# The model's shapes (per sample) and size, as measured.")
        for prop, shapes in (("input_shape", model.input_shapes), ("output_shape", model.output_shapes)):
            if len(shapes) == 1:
                out.append(f"{prop} = {toml(['*' if d is None else d for d in shapes[0][1:]])}")
        out.append(f"total_params = {model.total_params}")
    else:
        out.append("# The model was never built (no Input, no input_shape): its shapes and size are unknown.")
    compile_ = _compile(model)
    if compile_:
        out += ["# How the solution compiled it: keep what the exercise asks for.", f"compile = {toml(compile_)}"]
    out.append('# hint = { en = "...", zh-TW = "..." }   # shown to a student who fails this check')
    return out


def _layer(layer: LayerFacts) -> dict[str, Any]:
    """The layer's class and the settings exercises ask about (a serialized object, such as a custom
    activation, is no value a spec can hold: left out)."""
    entry: dict[str, Any] = {"type": layer.keras_type or "*"}
    for key in SETTINGS:
        value = layer.config.get(key)
        if _plain(value) or (isinstance(value, list) and value and all(_plain(v) for v in value)):
            entry[key] = value
    return entry


def _plain(value: Any) -> bool:
    return isinstance(value, (str, int)) or (isinstance(value, float) and math.isfinite(value))


def _compile(model: ModelFacts) -> dict[str, Any]:
    facts = model.compile
    if facts is None:
        return {}
    found: dict[str, Any] = {}
    if facts.optimizer and facts.optimizer.isidentifier():  # not a custom class ("custom:...")
        found["optimizer"] = facts.optimizer
    if isinstance(facts.loss, str) or (isinstance(facts.loss, list) and all(isinstance(x, str) for x in facts.loss)):
        found["loss"] = facts.loss
    if facts.metrics:
        found["metrics"] = list(facts.metrics)
    rate = facts.optimizer_config.get("learning_rate")
    if isinstance(rate, (int, float)) and not isinstance(rate, bool) and math.isfinite(rate):
        found["learning_rate"] = rate
    return found


def _answer_check(question: Question, answer: str | None, check_id: str) -> list[str]:
    prompt = " ".join(question.prompt.split())
    out = [f"# Question {question.number}: {prompt[:90]}", "[[checks]]", f"id = {toml(check_id)}",
           'kind = "answer"', "points = 1", f"question = {question.number}",
           "title = " + toml({"en": f"TODO: Q{question.number}", "zh-TW": "TODO: 評分項目名稱（繁體中文）"}),
           "# The solution's answer. Add the other ways students write it: {regex = '...'}, {number = N},",
           "# {lines = [37, 38], slack = 3}; and reject = [...] for wrong answers that contain a right one."]
    if answer is None:
        accept = {"regex": "TODO"}
    elif not answer.strip():
        accept = {"regex": f"TODO: no answer was found under question {question.number}'s prompt"}
    else:
        accept = accepted(answer)
    out += [f"accept = [{toml(accept)}]", '# hint = { en = "...", zh-TW = "..." }']
    return out


def accepted(answer: str) -> dict[str, Any]:
    """The solution's answer as a matcher: its number when that is all it says, else its words in order."""
    text = plain(answer)
    numbers = set(numbers_in(text))
    if re.search(r"\d", text) and len(numbers) == 1:
        return {"number": numbers.pop()}
    return {"regex": "(?i)" + r"\s*".join(re.escape(word) for word in text.split())}
