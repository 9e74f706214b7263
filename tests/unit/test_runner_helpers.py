"""The runner's kernel-side code as the kernel receives it, without a kernel."""

from __future__ import annotations

import marshal

from grader.execute.runner import PROBE_FILENAME, _bytecode


def test_staged_code_runs_as_the_kernel_would_compile_it_not_with_the_graders_future_imports():
    source = "def scale(x: int) -> int:\n    return 2 * x\n"
    namespace: dict = {}
    exec(marshal.loads(_bytecode(source, PROBE_FILENAME)), namespace)
    assert namespace["scale"](21) == 42
    # runner.py has `from __future__ import annotations`; inherited, these would be the strings 'int'
    assert namespace["scale"].__annotations__ == {"x": int, "return": int}
    assert namespace["scale"].__code__.co_filename == PROBE_FILENAME  # how tracebacks from the probe read
