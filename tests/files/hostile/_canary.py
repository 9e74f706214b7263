# Prepended to every hostile submission by tests/sandbox/test_hostile.py.
# Tries to leave a file named after the run's token everywhere outside the scratch folder,
# and defines P (the test's parameters) and report() (results the test reads back).
import json, os

P = json.load(open("hostile.json"))
for folder in P["write_targets"]:
    try:
        with open(os.path.join(folder, P["token"]), "w") as fh:
            fh.write("escaped")
    except OSError:
        pass


def report(**found):
    old = json.load(open("result.json")) if os.path.exists("result.json") else {}
    with open("result.json", "w") as fh:
        json.dump({**old, **found}, fh)
