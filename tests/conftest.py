"""Settings every test shares."""

from __future__ import annotations

import pytest

from grader.execute.fontcache import CACHE_ENV


@pytest.fixture(scope="session", autouse=True)
def private_cache(tmp_path_factory):
    """The grader's per-machine cache (matplotlib's font list) in a folder of the run's, not the user's home."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(CACHE_ENV, str(tmp_path_factory.mktemp("keras-grader-cache")))
        yield
