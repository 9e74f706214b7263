"""A stand-in for grader/harvest/probe.py: the same contract, no TensorFlow.

The runner execs this text in a private namespace, calls ``install()`` once,
``begin_cell(i)`` before each cell and ``emit(nonce)`` after it. Cells "build a
model" with ``FakeModel(name)``; ``emit`` reports the ones still reachable
from the student's namespace, so a model the student overwrote disappears
from later documents, which is exactly what the runner must cope with.
"""

from itertools import count

SCHEMA = "keras-grader.harvest/1"
MIME_TYPE = "application/vnd.keras-grader.harvest+json"

_uids = count(1)
_cell = None
_shell = None


class FakeModel:
    def __init__(self, name):
        self.name = name  # a non-str name makes a document the grader must reject
        self.uid = next(_uids)
        self.cell = _cell


def install():
    global _shell
    from IPython import get_ipython

    _shell = get_ipython()
    _shell.user_ns["FakeModel"] = FakeModel


def begin_cell(index):
    global _cell
    _cell = index


def _facts(model):
    return {"uid": model.uid, "cell": model.cell, "name": model.name, "class_name": "FakeModel",
            "keras_type": None, "built": True, "input_shapes": [], "output_shapes": [],
            "total_params": 0, "trainable_params": 0, "layers": []}


def emit(nonce):
    from IPython.display import publish_display_data

    models = [_facts(v) for v in list(_shell.user_ns.values()) if isinstance(v, FakeModel)]
    doc = {"schema": SCHEMA, "keras_version": None, "backend": None, "models": models}
    publish_display_data({MIME_TYPE: {"nonce": nonce, "doc": doc}})
