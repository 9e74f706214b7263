# %%
for _ in range(20_000):  # 200 MB
    print("x" * 10_000)
