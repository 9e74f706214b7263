"""Where exercises live, and which one a submission is for.

Search path: ``$KERAS_GRADER_EXERCISES`` (folders separated by ``os.pathsep``),
then the ``exercises/`` folder of this checkout.
"""

from __future__ import annotations

import fnmatch
import os
from pathlib import Path

from grader.errors import ExerciseNotFound, SpecError, SubmissionError
from grader.rubric.spec import SPEC_FILE, Exercise, load_exercise
from grader.submission.model import Submission

_REPO_EXERCISES = Path(__file__).resolve().parents[2] / "exercises"


def search_path() -> list[Path]:
    paths = [Path(p) for p in os.environ.get("KERAS_GRADER_EXERCISES", "").split(os.pathsep) if p]
    if _REPO_EXERCISES.is_dir():
        paths.append(_REPO_EXERCISES)
    return paths


def exercise_folders() -> dict[str, Path]:
    """Exercise id -> folder; an earlier folder on the search path wins."""
    found: dict[str, Path] = {}
    for root in search_path():
        if (root / SPEC_FILE).is_file():  # an exercise folder listed itself, not the folder holding it
            found.setdefault(root.name, root)
        elif root.is_dir():
            for spec in sorted(root.glob(f"*/{SPEC_FILE}")):
                found.setdefault(spec.parent.name, spec.parent)
    return found


def get_exercise(exercise_id: str) -> Exercise:
    """An installed exercise by id, or the exercise folder ``exercise_id`` is a path to."""
    if os.sep in exercise_id and (Path(exercise_id) / SPEC_FILE).is_file():
        return load_exercise(Path(exercise_id))
    folders = exercise_folders()
    if exercise_id not in folders:
        known = ", ".join(sorted(folders)) or "none"
        raise ExerciseNotFound(f"no exercise {exercise_id!r} (installed: {known})",
                               hint="`grader exercises` lists them; set KERAS_GRADER_EXERCISES to add a folder")
    return load_exercise(folders[exercise_id])


def exercise_for_file(path: Path) -> Exercise:
    """The exercise from the file's metadata or name. An unreadable (or not yet saved) file is matched by
    its name alone, so that it still gets a full result saying why; failing that its own error is raised."""
    from grader.submission import load_submission

    try:
        return infer_exercise(load_submission(path))
    except SubmissionError as unreadable:
        try:
            return exercise_by_name(path)
        except ExerciseNotFound:
            raise unreadable from None


def infer_exercise(submission: Submission) -> Exercise:
    """Pick the exercise from notebook metadata, else from the file name."""
    meta = submission.metadata.get("keras_grader", {})
    if isinstance(meta, dict) and isinstance(meta.get("exercise"), str):
        try:
            return get_exercise(meta["exercise"])
        except ExerciseNotFound as exc:  # a notebook copied from another exercise's carries its id
            raise ExerciseNotFound(f"the notebook's metadata (keras_grader.exercise) names {meta['exercise']!r}, "
                                   f"which is not installed: {exc.message}",
                                   hint="pass --exercise ID, or delete that metadata entry") from None
    return exercise_by_name(submission.path)


def exercise_by_name(path: Path) -> Exercise:
    """The one exercise whose file-name patterns match ``path``'s name."""
    name = path.name.lower()
    matches, broken = [], []
    for exercise_id, folder in exercise_folders().items():
        try:
            exercise = load_exercise(folder)
        except SpecError:  # another TA's half-written draft must not stop every student's check
            broken.append(exercise_id)
            continue
        if any(fnmatch.fnmatch(name, pattern.lower()) for pattern in exercise.match):
            matches.append(exercise)
    if len(matches) == 1:
        return matches[0]
    detail = (f"several exercises match it ({', '.join(e.id for e in matches)})" if matches
              else "it matches no installed exercise")
    if broken:
        detail += f"; not considered, their spec has errors: {', '.join(broken)}"
    raise ExerciseNotFound(f"cannot tell which exercise {path.name!r} is for: {detail}",
                           hint="pass --exercise ID (see `grader exercises`)")
