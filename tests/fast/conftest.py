"""The fork server the fast-path tests share: the process-wide one, started once and stopped at the end."""

from __future__ import annotations

import pytest

from grader.execute import pool
from grader.execute.sandbox import detect_host


@pytest.fixture(scope="session")
def fork_server():
    """The shared fork server; skipped where the fast path cannot exist, failed where it should and does not."""
    host = detect_host()
    if host.system != "Linux" or not host.bwrap:  # root or not: a non-root server has a user namespace
        pytest.skip("the fork server needs Linux and a working bubblewrap (see `grader doctor`)")
    server = pool.shared_server()
    if server is None:
        pytest.fail(f"the fork server did not start: {pool.shared_failure()} (see `grader doctor`)")
    yield server
    pool.stop_shared_server()
