"""The deployment examples run as shipped: Gradescope's run_autograder and the Slurm array script."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"


def _stub(path: Path, body: str) -> Path:
    path.write_text("#!/usr/bin/env bash\n" + body)
    path.chmod(0o755)
    return path


def run_autograder(root: Path, grader: Path) -> tuple[subprocess.CompletedProcess, dict]:
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "GRADER": str(grader), "EXERCISE": "day096"}
    proc = subprocess.run(["bash", str(EXAMPLES / "gradescope" / "run_autograder")], env=env,
                          capture_output=True, text=True, timeout=60)
    return proc, json.loads((root / "results" / "results.json").read_text())


def test_run_autograder_explains_missing_or_extra_files(tmp_path):
    (tmp_path / "submission").mkdir()
    grader = _stub(tmp_path / "grader", "exit 99\n")
    proc, results = run_autograder(tmp_path, grader)
    assert proc.returncode == 0 and results["score"] == 0.0 and "No notebook" in results["output"]
    (tmp_path / "submission" / "a.ipynb").write_text("{}")
    (tmp_path / "submission" / "b.py").write_text("")
    proc, results = run_autograder(tmp_path, grader)
    assert "exactly one" in results["output"] and "a.ipynb, b.py" in results["output"]


def test_run_autograder_passes_the_submission_to_grader_check(tmp_path):
    (tmp_path / "submission" / "sub").mkdir(parents=True)
    (tmp_path / "submission" / "sub" / "hw.ipynb").write_text("{}")
    grader = _stub(tmp_path / "grader", 'echo "$@" > "$(dirname "$0")/args"\n'
                                        'while [ "$1" != --output ]; do shift; done\n'
                                        'echo \'{"score": 5.0, "tests": []}\' > "$2"\nexit 1\n')
    proc, results = run_autograder(tmp_path, grader)
    assert proc.returncode == 0 and results == {"score": 5.0, "tests": []}
    args = (tmp_path / "args").read_text().split()
    assert args[:2] == ["check", str(tmp_path / "submission" / "sub" / "hw.ipynb")]
    assert args[2:8] == ["--exercise", "day096", "--lang", "en", "--format", "gradescope"]
    crashed = _stub(tmp_path / "crash", "exit 3\n")
    (tmp_path / "results" / "results.json").unlink()
    proc, results = run_autograder(tmp_path, crashed)
    assert results["score"] == 0.0 and "exit code 3" in results["output"] and "Tell your TA" in results["output"]


def test_run_autograder_with_the_real_cli_on_an_unusable_notebook(tmp_path):
    (tmp_path / "submission").mkdir()
    (tmp_path / "submission" / "hw.ipynb").write_text("")  # empty: rejected before any kernel starts
    grader = _stub(tmp_path / "grader", f'cd {REPO} && exec {sys.executable} -m grader "$@"\n')
    proc, results = run_autograder(tmp_path, grader)
    assert proc.returncode == 0, proc.stderr
    assert results["extra_data"]["status"] == "invalid-submission" and results["score"] == 0.0
    assert len(results["tests"]) == 6 and all(t["status"] == "failed" for t in results["tests"])


def test_slurm_script_numbers_shards_from_the_array(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _stub(bin_dir / "srun", 'exec "$@"\n')
    _stub(bin_dir / "grader", f'echo "$@" > {tmp_path}/args\nexit 2\n')
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "SLURM_ARRAY_TASK_MIN": "0",
           "SLURM_ARRAY_TASK_MAX": "7", "SLURM_ARRAY_TASK_ID": "2", "SLURM_CPUS_PER_TASK": "4"}
    proc = subprocess.run(["bash", str(EXAMPLES / "slurm" / "grade.sbatch"), "subs.zip", "day096", "/out"],
                          env=env, capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr  # exit 2 (refused input, reported) still completes the shard
    assert (tmp_path / "args").read_text().split() == [
        "grade", "subs.zip", "--exercise", "day096", "--out", "/out/shard-3", "--shard", "3/8", "--jobs", "4"]


def test_kubernetes_job_is_indexed_and_maps_the_completion_index():
    text = (EXAMPLES / "k8s" / "indexed-job.yaml").read_text()
    assert "completionMode: Indexed" in text and "I=$((JOB_COMPLETION_INDEX + 1))" in text
    assert '--shard "$I/$SHARDS"' in text and "completions: 8" in text and 'value: "8"' in text
