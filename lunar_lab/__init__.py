"""lunar_lab: deep Q-learning on LunarLander-v3, taught one idea at a time.

The package holds the reusable parts of the course: environments, Q-networks, replay
buffers, TD targets, target-network updates, agents, the training loop, evaluation,
videos, plots, exercise checks and pretrained agents.

Importing it keeps TensorFlow's start-up log noise out of notebooks and the CLI and sets
TensorFlow's CPU options (threads, oneDNN; :mod:`lunar_lab._runtime`), through environment
variables: TensorFlow itself is not imported.
"""

from lunar_lab import _runtime  # noqa: F401  (must run before TensorFlow is first imported)

__version__ = "0.1.0"
