# %%
# A busy loop that ignores the interrupt: only killing the kernel stops it.
import signal
signal.signal(signal.SIGINT, signal.SIG_IGN)
while True:
    pass
