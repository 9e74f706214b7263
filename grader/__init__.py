"""keras-grader: grade Keras exercises in a sandbox, from what the grader itself measured.

In a notebook: ``%load_ext grader`` then ``%grade``, or ``grader.check()``. Both
import only the small front end (``grader.notebook``), never TensorFlow.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["__version__", "check", "load_ipython_extension"]


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext grader``: registers ``%grade``."""
    from grader.notebook.magic import load

    load(ipython)


def check(notebook: str | None = None, *, lang: str | None = None, exercise: str | None = None,
          timeout: float | None = None) -> Any:
    """Grade the notebook this runs in (or ``notebook``) as ``grader check`` would, in another process.

    Returns the report: as a cell's last expression Jupyter shows it (``_repr_html_``);
    ``.score`` and ``.doc`` (the JSON result) are there for code.
    """
    from grader.notebook.magic import clock_for
    from grader.notebook.selfcheck import check as run

    try:
        from IPython import get_ipython

        ipython = get_ipython()
    except ImportError:
        ipython = None
    return run(ipython, notebook, lang=lang, exercise=exercise, timeout=timeout,
               clock=clock_for(ipython) if ipython is not None else None)
