"""Replay batches of random transitions, shaped as the training loop hands them to an agent."""

import numpy as np

from lunar_lab.envs import NUM_ACTIONS, OBS_DIM
from lunar_lab.replay import ReplayBuffer


def random_batches(num_batches: int, batch_size: int, seed: int = 0) -> dict:
    """[K, B, ...] batches from ReplayBuffer.sample of 64 random transitions (a quarter of them
    terminal, bootstrap discount 0.9)."""
    rng = np.random.default_rng(seed)
    n = 64
    buffer = ReplayBuffer(n, OBS_DIM, seed=seed)
    buffer.add_batch(rng.normal(size=(n, OBS_DIM)), rng.integers(0, NUM_ACTIONS, n), rng.normal(size=n),
                     rng.normal(size=(n, OBS_DIM)), rng.random(n) < 0.25, np.full(n, 0.9))
    return buffer.sample(batch_size, num_batches=num_batches)
