# %%
weights = [[0.5] * 4 for _ in range(4)]  # a "model": something built before the hang
# %%
import time
time.sleep(10**6)
