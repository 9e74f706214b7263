"""matplotlib's font list, built once per Python environment by a process of ours, copied into each kernel's
config folder.

``import keras`` imports ``matplotlib.pyplot``, and matplotlib scans the
system's fonts (0.3-0.4 s here) whenever its config folder holds no font list:
every cold kernel and every fork server started with an empty one. The list is
built by the grader's own interpreter, in the background on first need, and
never taken from a kernel (a kernel's copy is its own to spoil). It is kept
per Python environment and matplotlib version, in ``$KERAS_GRADER_CACHE`` or
``~/.cache/keras-grader``; a list matplotlib finds stale it rebuilds, as before.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from importlib import metadata
from pathlib import Path

__all__ = ["CACHE_ENV", "cache_folder", "cache_root", "font_lists", "seed"]

CACHE_ENV = "KERAS_GRADER_CACHE"
FONT_LISTS = "fontlist-*.json"
# Run by our interpreter with an empty, private MPLCONFIGDIR; each list is renamed into place whole, and the
# staging folder removed by the builder itself (the grader may have exited: `grader check` does not wait).
_BUILD = """
import os, shutil, sys
import matplotlib.font_manager
staging, target = os.environ["MPLCONFIGDIR"], sys.argv[1]
for name in os.listdir(staging):
    if name.startswith("fontlist-") and name.endswith(".json"):
        os.replace(os.path.join(staging, name), os.path.join(target, name))
shutil.rmtree(staging, ignore_errors=True)
"""
BUILD_TIMEOUT = 120.0

_lock = threading.Lock()
_builder: threading.Thread | None = None


@functools.lru_cache(maxsize=1)
def _matplotlib_version() -> str | None:
    """Once per process: reading the installed packages' metadata took 7 ms, for every kernel."""
    try:
        return metadata.version("matplotlib")
    except metadata.PackageNotFoundError:
        return None


def cache_root() -> Path:
    """The grader's per-user cache: ``$KERAS_GRADER_CACHE``, else ``~/.cache/keras-grader``."""
    return Path(os.environ.get(CACHE_ENV) or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "keras-grader"))


def cache_folder() -> Path | None:
    """Where this interpreter's font lists live; None without matplotlib (nothing to build)."""
    version = _matplotlib_version()
    if version is None:
        return None
    root = cache_root()
    # Per environment, not per interpreter: two virtualenvs share one python, not one matplotlib (the list
    # names the font files in its mpl-data folder).
    key = hashlib.sha256(f"{os.path.realpath(sys.prefix)}\0{version}".encode()).hexdigest()[:12]
    return Path(root) / f"matplotlib-{key}"


def font_lists(*, wait: bool = False) -> list[Path]:
    """The font lists to copy into a kernel's config folder; until they exist, [] and a build started.

    ``wait`` blocks until that build has ended (tests).
    """
    global _builder
    folder = cache_folder()
    if folder is None:
        return []
    found = sorted(folder.glob(FONT_LISTS))
    if found:
        return found
    with _lock:
        if _builder is None:  # once per process: a failed build is not retried on every submission
            _builder = threading.Thread(target=_build, args=(folder,), name="keras-grader-fontcache", daemon=True)
            _builder.start()
        builder = _builder
    if wait:
        builder.join()
        return sorted(folder.glob(FONT_LISTS))
    return []


def seed(config_folder: Path) -> None:
    """Create a kernel's matplotlib config folder, holding the font lists if they exist yet."""
    config_folder.mkdir(parents=True, exist_ok=True)
    for path in font_lists():
        try:
            shutil.copyfile(path, config_folder / path.name)
        except OSError:  # a list replaced while we copied: the kernel scans the fonts itself, as before
            pass


def _build(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".build-", dir=folder))  # same filesystem: os.replace moves
    except OSError:
        return  # no writable cache: every kernel scans the fonts, as before
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(staging), "MPLCONFIGDIR": str(staging),
           "MPLBACKEND": "Agg", "LANG": "C.UTF-8"}
    try:
        subprocess.run([sys.executable, "-I", "-c", _BUILD, str(folder)], env=env, stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=BUILD_TIMEOUT, check=False)
    except (OSError, subprocess.SubprocessError):
        pass
    finally:
        shutil.rmtree(staging, ignore_errors=True)
