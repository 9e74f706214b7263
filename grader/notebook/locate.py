"""Which notebook is this kernel running? Asked of the front end that started it, never guessed.

In order: a path the student gave; VS Code's ``__vsc_ipynb_file__`` (read, not
written); Colab's own request for the open notebook (its content, unsaved edits
included: Colab notebooks are not files); the Jupyter Server whose session
holds this kernel (its REST API on loopback, with the token from the server's
runtime file). Nothing here needs the network.
"""

from __future__ import annotations

import glob
import json
import os
import re
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.errors import UsageError

RUNTIME_FILES = ("jpserver-*.json", "nbserver-*.json")  # Jupyter Server; the classic notebook server before 7


@dataclass(frozen=True)
class Located:
    path: Path
    source: str  # "argument", "vscode", "colab", "jupyter"
    live: bool = False  # the front end's content (no file on disk that could be older than the notebook)


def locate(ipython: Any, given: str | os.PathLike | None = None) -> Located:
    if given:
        path = Path(given).expanduser()
        if not path.is_file():
            raise UsageError("no such notebook", where=str(path), hint="give the path of the saved .ipynb")
        return Located(path, "argument")
    namespace = getattr(ipython, "user_ns", None) or {}
    vscode = namespace.get("__vsc_ipynb_file__")
    if isinstance(vscode, str) and Path(vscode).is_file():
        return Located(Path(vscode), "vscode")
    colab = colab_notebook()
    if colab is not None:
        return Located(colab, "colab", live=True)
    kernel = kernel_id()
    path = jupyter_notebook(kernel) if kernel else None
    if path is not None:
        return Located(path, "jupyter")
    raise UsageError("cannot tell which notebook this is", hint="give its path: %grade path/to/notebook.ipynb "
                     "(or grader.check('path/to/notebook.ipynb'))")


def kernel_id() -> str | None:
    """This kernel's id, from its connection file's name (``kernel-<id>.json``)."""
    try:
        from ipykernel import get_connection_file

        name = os.path.basename(get_connection_file())
    except Exception:  # not an ipykernel (a plain IPython shell), or no connection file
        return None
    found = re.fullmatch(r"kernel-(.+)\.json", name)
    return found.group(1) if found else None


def jupyter_notebook(kernel: str, runtime_dir: str | None = None, timeout: float = 2.0) -> Path | None:
    """The notebook of the Jupyter Server session whose kernel is ``kernel``, if a local server has one."""
    folder = runtime_dir or _runtime_dir()
    if folder is None:
        return None
    no_proxy = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback, never through a proxy
    for info_file in sorted(p for pattern in RUNTIME_FILES for p in glob.glob(os.path.join(folder, pattern))):
        try:
            info = json.loads(Path(info_file).read_text(encoding="utf-8"))
            request = urllib.request.Request(info["url"].rstrip("/") + "/api/sessions",
                                             headers={"Authorization": f"token {info.get('token', '')}"})
            with no_proxy.open(request, timeout=timeout) as reply:
                sessions = json.loads(reply.read().decode("utf-8"))
        except (OSError, ValueError, KeyError, TypeError):
            continue  # a server that has gone away, or not ours to read
        root = info.get("root_dir") or info.get("notebook_dir") or ""
        for session in sessions if isinstance(sessions, list) else ():
            if (session.get("kernel") or {}).get("id") == kernel:
                relative = session.get("path") or (session.get("notebook") or {}).get("path")
                path = Path(root, relative) if relative else None
                if path is not None and path.is_file():
                    return path
    return None


def _runtime_dir() -> str | None:
    try:
        from jupyter_core.paths import jupyter_runtime_dir

        return jupyter_runtime_dir()
    except ImportError:
        return None


def colab_notebook(timeout: float = 30.0) -> Path | None:
    """On Colab: the open notebook as Colab's front end has it, written to a private temporary file."""
    try:
        from google.colab import _message  # type: ignore[import-not-found]
    except ImportError:
        return None
    reply = _message.blocking_request("get_ipynb", request="", timeout_sec=timeout)
    notebook = reply.get("ipynb") if isinstance(reply, dict) else None
    if not isinstance(notebook, dict):
        return None
    name = ((notebook.get("metadata") or {}).get("colab") or {}).get("name") or "notebook.ipynb"
    name = re.sub(r"[^\w.\-]+", "_", os.path.basename(str(name))) or "notebook.ipynb"  # named as the student named it
    folder = Path(tempfile.mkdtemp(prefix="keras-grader-colab-"))
    path = folder / (name if name.endswith(".ipynb") else name + ".ipynb")
    path.write_text(json.dumps(notebook, ensure_ascii=False), encoding="utf-8")
    return path
