"""Check kinds. Importing this package registers every kind in ``Check.registry``."""

from grader.rubric.checks.answer import AnswerCheck
from grader.rubric.checks.base import Check, Evidence, Verdict
from grader.rubric.checks.claim import ClaimCheck
from grader.rubric.checks.experiment import ExperimentCheck
from grader.rubric.checks.model import ModelCheck
from grader.rubric.checks.techniques import TechniquesCheck
from grader.rubric.checks.training import TrainingCheck
from grader.rubric.checks.written import WrittenCheck

__all__ = ["AnswerCheck", "Check", "ClaimCheck", "Evidence", "ExperimentCheck", "ModelCheck", "TechniquesCheck",
           "TrainingCheck", "Verdict", "WrittenCheck"]
