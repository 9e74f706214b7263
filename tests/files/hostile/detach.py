# %%
# Three ways to outlive the kernel; every survivor carries the token in its command line.
import os, subprocess, sys

sleeper = [sys.executable, "-c", f"import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
                                 f"signal.signal(signal.SIGHUP, signal.SIG_IGN); time.sleep(1000)  # {P['token']}"]
subprocess.Popen(sleeper, start_new_session=True)
subprocess.Popen(sleeper, env={}, start_new_session=True)  # no marker in its environment either
if os.fork() == 0:  # the classic daemon: fork, setsid, fork again, exec
    os.setsid()
    if os.fork() == 0:
        os.execv(sys.executable, sleeper)
    os._exit(0)
os.wait()
report(started=3)
# %%
print("the kernel ends normally; its children must not")
