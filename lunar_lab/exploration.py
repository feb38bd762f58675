"""ε-greedy action selection, the exploration rule of the DQN-family agents.

One small pure NumPy function: the agents call it on every vector env step with the
Q-values of the acting network, so it stays free of Keras and TensorFlow. The value of ε at
each step comes from :mod:`lunar_lab.schedules` (``Config.epsilon_schedule``).

Sources: Sutton & Barto (2018), §2.2 (ε-greedy action selection); Mnih et al. (2015),
Methods (ε-greedy behaviour policy, ε annealed linearly from 1 to 0.1).
"""

from __future__ import annotations

import numpy as np


def epsilon_greedy(q_values: np.ndarray, epsilon: float, rng: np.random.Generator) -> np.ndarray:
    """ε-greedy actions, one per sub-environment: a uniformly random action with probability ε, else argmax_a Q(s, a).

    The random action is drawn from all A actions, the greedy one included, so each
    sub-environment acts greedily with probability 1 − ε + ε/A. Each sub-environment tosses
    its own coin.

    Args:
        q_values: [N, A] float array, Q(s, ·) of the N sub-environments' observations.
        epsilon: ε, the probability of a random action, in [0, 1].
        rng: the generator every random number is drawn from, in this order:
            ``rng.random(N)`` (the N coins), then ``rng.integers(0, A, size=N)`` (the N random
            actions; drawn whatever ε is, so a run's stream of random numbers does not depend on ε).

    Returns:
        actions: [N] int64, in 0 … A − 1 (``np.argmax`` breaks ties by the lowest action).

    Raises:
        ValueError: ``q_values`` is not 2-D [N, A] with A ≥ 1, or ``epsilon`` is not in [0, 1].
        TypeError: ``rng`` is not a ``numpy.random.Generator``.

    Example:
        >>> q_values = np.array([[1.0, 3.0, 2.0], [0.5, -1.0, 0.0]], np.float32)
        >>> epsilon_greedy(q_values, 0.0, np.random.default_rng(0))
        array([1, 0])
        >>> epsilon_greedy(q_values, 1.0, np.random.default_rng(0)).dtype
        dtype('int64')
    """
    q_values = np.asarray(q_values)
    if q_values.ndim != 2 or q_values.shape[1] < 1:
        raise ValueError(f"q_values must be [N, A] (one row of A ≥ 1 Q-values per sub-environment), "
                         f"got shape {list(q_values.shape)}")
    if not 0.0 <= epsilon <= 1.0:
        raise ValueError(f"epsilon must be in [0, 1], got {epsilon!r}")
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator (np.random.default_rng(seed)), got {type(rng).__name__}")
    num_envs, num_actions = q_values.shape
    greedy = np.argmax(q_values, axis=-1)
    explore = rng.random(num_envs) < epsilon
    return np.where(explore, rng.integers(0, num_actions, size=num_envs), greedy)
