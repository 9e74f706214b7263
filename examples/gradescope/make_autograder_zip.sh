#!/usr/bin/env bash
# Build autograder.zip for Gradescope from this checkout: setup.sh and run_autograder at the root,
# the repository (as committed, plus your exercises/) under keras-grader/.
#   examples/gradescope/make_autograder_zip.sh [OUTPUT.zip]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(git -C "$here" rev-parse --show-toplevel)
output=$(realpath -m "${1:-autograder.zip}")
staging=$(mktemp -d)
trap 'rm -rf "$staging"' EXIT

mkdir "$staging/keras-grader"
git -C "$repo" archive HEAD | tar -x -C "$staging/keras-grader"
cp -r "$repo/exercises/." "$staging/keras-grader/exercises/"   # uncommitted exercises too
install -m 0755 "$here/setup.sh" "$here/run_autograder" "$staging/"
rm -f "$output"
(cd "$staging" && zip -qr "$output" setup.sh run_autograder keras-grader)
echo "wrote $output"
