"""Command-line tools for exercise authors and maintainers (``python -m grader.tools.NAME``)."""
