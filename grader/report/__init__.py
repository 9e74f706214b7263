"""Stage 5: render a GradeResult for people (text, Markdown, HTML) and machines (JSON, CSV, JUnit, Gradescope)."""
