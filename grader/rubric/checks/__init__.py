"""Check kinds. Importing this package registers every kind in ``Check.registry``."""

from grader.rubric.checks.answer import AnswerCheck
from grader.rubric.checks.base import Check, Evidence, Verdict
from grader.rubric.checks.model import ModelCheck

__all__ = ["AnswerCheck", "Check", "Evidence", "ModelCheck", "Verdict"]
