"""Stage between execution and rubric: what the kernel measured, as a validated document.

``schema`` parses the document; ``probe`` and ``offline`` are *source text* run
inside the student's kernel, so nothing here imports TensorFlow or Keras.
"""
