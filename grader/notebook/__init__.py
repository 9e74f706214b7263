"""Grade a notebook from inside it: ``%load_ext grader``, then ``%grade`` (or ``grader.check()``).

A thin front end: it finds the notebook (``locate``), has it graded in another
process exactly as ``grader check`` grades it (``selfcheck``) and shows the
result (``display``). Loading it imports no TensorFlow, runs nothing in the
student's namespace and defines nothing in it.
"""
