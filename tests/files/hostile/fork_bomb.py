# %%
# A linear bomb first, to count how many processes the cap lets through.
import os, signal, time
children = []
try:
    while len(children) < 10_000:
        pid = os.fork()
        if pid == 0:
            time.sleep(1000)
            os._exit(0)
        children.append(pid)
    report(forked=len(children), error=None)
except OSError as exc:
    report(forked=len(children), error=f"{type(exc).__name__}: {exc}")
for pid in children:
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
# %%
# Then the classic, left running in the background for cleanup to deal with.
import subprocess
subprocess.Popen(["sh", "-c", "bomb() { bomb | bomb & }; bomb"])
time.sleep(1)
