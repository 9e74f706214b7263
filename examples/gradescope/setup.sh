#!/usr/bin/env bash
# Gradescope runs this once, when it builds the autograder image. Pick the "Ubuntu 24.04" base image:
# keras-grader needs Python 3.11 or newer (tomllib).
#
# The autograder zip holds, at its root: setup.sh, run_autograder, and keras-grader/ (a copy of this
# repository, with your exercises in keras-grader/exercises/). make_autograder_zip.sh builds it.
set -euo pipefail

apt-get update -qq
# bubblewrap gives the kernel its own mount, pid and network namespaces where the image allows it;
# without it the grader still runs, with the containment `grader doctor` reports.
apt-get install -y -qq python3 python3-venv python3-pip bubblewrap >/dev/null

python3 -m venv /opt/keras-grader
/opt/keras-grader/bin/pip install -q --upgrade pip
/opt/keras-grader/bin/pip install -q /autograder/source/keras-grader

# Fail the build now, not on the first student, if the image cannot grade.
/opt/keras-grader/bin/grader doctor
/opt/keras-grader/bin/grader exercises
