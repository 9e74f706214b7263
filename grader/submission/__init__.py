"""Stage 1: turn a file on disk into a Submission (cells of text), or say precisely why not."""

from grader.submission.model import Cell, Submission
from grader.submission.loader import load_submission

__all__ = ["Cell", "Submission", "load_submission"]
