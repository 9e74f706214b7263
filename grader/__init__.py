"""keras-grader: grade Keras exercises in a sandbox, from what the grader itself measured."""

__version__ = "0.1.0"
__all__ = ["__version__"]
