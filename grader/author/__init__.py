"""Tools for exercise authors: ``grader new`` writes an exercise from a reference solution, ``grader validate``
proves it (the solution scores full marks, the template what it should, every mutant of the solution is caught).
"""
