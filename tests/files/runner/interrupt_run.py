"""Ctrl-C during a run: the runner must shut the kernel down, then let KeyboardInterrupt through.

Usage: interrupt_run.py WORKDIR. The student cell writes the kernel's pid and
sleeps; a timer then sends SIGINT to this process, as a terminal would.
Prints "kernel gone" and exits 0 when the kernel no longer exists afterwards.
"""

import os
import signal
import sys
import threading
import time
from pathlib import Path

from grader.execute.launcher import Limits
from grader.execute.runner import run_submission
from grader.submission.model import Cell, Submission

# Ctrl-C as in a terminal: a shell starts a background job (`.ci/run &`, nohup) with SIGINT ignored, and
# Python then keeps it ignored, so asyncio would never see the signal this script sends itself.
signal.signal(signal.SIGINT, signal.default_int_handler)

STUB = Path(__file__).with_name("stub_probe.py").read_text(encoding="utf-8")
work = Path(sys.argv[1]) / "work"
pid_file = work / "kernel.pid"


def press_ctrl_c():
    while not pid_file.exists():
        time.sleep(0.05)
    time.sleep(0.3)
    os.kill(os.getpid(), signal.SIGINT)


threading.Thread(target=press_ctrl_c, daemon=True).start()
code = "import os, time\nopen('kernel.pid', 'w').write(str(os.getpid()))\ntime.sleep(60)"
sub = Submission(path=work / "missing.py", fmt="py", cells=(Cell(0, "code", code),))
try:
    run_submission(sub, limits=Limits(cell_timeout=30, total_timeout=30), workdir=work, probe_source=STUB)
except KeyboardInterrupt:
    pid = int(pid_file.read_text())
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        print("kernel gone")
        sys.exit(0)
    print(f"kernel {pid} still alive")
    sys.exit(1)
print("no KeyboardInterrupt")
sys.exit(1)
