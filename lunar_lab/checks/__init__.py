"""Exercise checks: run a learner's function on hand-computed and random cases.

Each ``check_*`` function compares the learner's implementation with the package's
reference and either prints a one-line confirmation or raises :class:`ExerciseFailed`
whose message says which case, which element, expected vs got, and the likely mistake.
In Jupyter the failure shows only that message, not a stack trace from TensorFlow.
A placeholder that raises ``NotImplementedError`` is reported as "not implemented yet".

The engine they share is small: :mod:`lunar_lab.checks.core` runs the learner's code
(eagerly, or compiled with XLA as the agent's learning step runs it) and turns its errors
into messages; :mod:`lunar_lab.checks.compare` compares with one tolerance and finds the
known mistake that explains a wrong answer. The checks of each notebook live in their own
module (``lunar_lab.checks.nb00``, ``nb01`` …): mostly their cases and their tables of
known mistakes with the messages that explain them.
"""
