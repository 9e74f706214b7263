# %%
blocks = []
while True:
    blocks.append(b"\x01" * 2**27)  # 128 MiB a step, every page touched
