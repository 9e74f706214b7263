"""A named answer changed to its closest neighbour: "Adagrad" for "Adadelta", "sigmoid" for "softmax".

Each Keras name in the answer (an optimizer, an activation, a layer class, a
loss) becomes the other name of its family that shares the longest beginning
with it: the answer a rubric accepting ``(?i)ada`` would wrongly credit.
Ordinary words ("same", "linear") are left alone: changing them changes no
answer.
"""

from __future__ import annotations

import os
import re
from typing import Iterable

from grader.author.mutants.answer_sites import answer_spans, label, questions
from grader.author.mutants.base import Mutant, Operator, Subject, checks_on_question, said

FAMILIES = (
    ("SGD", "RMSprop", "Adam", "AdamW", "Adadelta", "Adagrad", "Adamax", "Nadam", "Ftrl"),
    ("relu", "sigmoid", "softmax", "softplus", "tanh", "elu", "selu", "gelu", "leaky_relu"),
    ("Conv2D", "SeparableConv2D", "DepthwiseConv2D", "Conv2DTranspose", "Dense", "MaxPooling2D",
     "AveragePooling2D", "GlobalAveragePooling2D", "Flatten", "Dropout", "BatchNormalization"),
    ("categorical_crossentropy", "sparse_categorical_crossentropy", "binary_crossentropy",
     "mean_squared_error", "mean_absolute_error"),
)
_NEIGHBOUR = {}
for family in FAMILIES:
    for name in family:
        others = [o for o in family if o != name]
        _NEIGHBOUR[name.lower()] = max(others, key=lambda o: len(os.path.commonprefix([o.lower(), name.lower()])))
_NAME = re.compile(r"(?<![A-Za-z0-9_])(" + "|".join(sorted(map(re.escape, _NEIGHBOUR), key=len, reverse=True))
                   + r")(?![A-Za-z0-9_])", re.IGNORECASE)


class AnswerWord(Operator):
    name = "answer-word"

    def mutants(self, subject: Subject) -> Iterable[Mutant]:
        for question in questions(subject):
            spans = answer_spans(subject, question)
            found = [m.group(1) for s in spans for m in _NAME.finditer(s.text)]
            if not found:
                continue
            new = [_NAME.sub(lambda m: _NEIGHBOUR[m.group(1).lower()], s.text) for s in spans]
            was, now = found[0], _NEIGHBOUR[found[0].lower()]
            yield Mutant(id=f"{label(question)}.word", operator=self.name,
                         change=said(f"{label(question)}: {was} → {now}", f"{label(question)}：{was} 改為 {now}"),
                         edits=tuple(s.becomes(t) for s, t in zip(spans, new)),
                         meant=checks_on_question(subject.exercise.checks, question))
