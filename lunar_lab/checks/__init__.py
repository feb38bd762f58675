"""Exercise checks: run a learner's function on hand-computed and random cases.

Each ``check_*`` function compares the learner's implementation with the package's
reference and either prints a one-line confirmation or raises :class:`ExerciseFailed`
whose message says which case, which element, expected vs got, and the likely mistake.
In Jupyter the failure shows only that message, not a stack trace from TensorFlow.
A placeholder that raises ``NotImplementedError`` is reported as "not implemented yet".

The checks of each notebook live in their own module (``lunar_lab.checks.nb00`` …) and
are re-exported here.
"""

from lunar_lab.checks.core import ExerciseFailed, NotImplementedYet, exercise
from lunar_lab.checks.nb00 import check_episode_return

__all__ = ["ExerciseFailed", "NotImplementedYet", "exercise", "check_episode_return"]
