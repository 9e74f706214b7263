# %%
# Delete the test's file, drop a new one next to it, read what the grader hides.
import os

found = {}
for what, action in [
    ("delete", lambda: os.remove(P["victim"])),
    ("overwrite", lambda: open(P["victim"], "w").write("gone")),
    ("create", lambda: open(os.path.join(P["outside"], "new.txt"), "w").write("planted")),
    ("hidden", lambda: os.listdir(P["hidden"])),
    ("home", lambda: os.listdir(P["home"])),
    ("grader", lambda: open(f"/proc/{P['grader_pid']}/environ", "rb").read().decode(errors="replace")),
]:
    try:
        found[what] = repr(action())
    except OSError as exc:
        found[what] = f"{type(exc).__name__}: {exc}"
with open("inside.txt", "w") as fh:  # writing the scratch folder still works
    fh.write("ok")
report(**found)
