"""Exercise checks: run a learner's function on hand-computed and random cases.

Each ``check_*`` function compares the learner's implementation with the package's
reference and either prints a one-line confirmation or raises :class:`ExerciseFailed`
whose message says which case, which element, expected vs got, and the likely mistake.
In Jupyter the failure shows only that message, not a stack trace from TensorFlow.
A placeholder that raises ``NotImplementedError`` is reported as "not implemented yet".

The shared machinery is in :mod:`lunar_lab.checks.core`; the checks of each notebook live
in their own module (``lunar_lab.checks.nb00``, ``nb01`` …), imported from there.
"""
