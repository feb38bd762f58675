"""Greedy evaluation: the policy's undiscounted return over fixed, held-out episode seeds.

"Solved" (course definition): mean return ≥ 200 over 100 consecutive greedy episodes
(ε = 0) on seeds not used in training. Training seeds environments from ``config.seed``
(small integers); evaluation episodes use seeds from :data:`EVAL_SEED` upwards.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import gymnasium as gym
import numpy as np

from lunar_lab.envs import ENV_ID, SOLVED_RETURN

#: First evaluation episode seed; episode i uses EVAL_SEED + i (never a training seed).
EVAL_SEED = 1_000_000


@dataclass
class Evaluation:
    """Returns of evaluation episodes.

    Attributes:
        returns: [N] float64, undiscounted return of each episode, in seed order.
        lengths: [N] int64, steps of each episode.
        seeds: [N] int64, the reset seed of each episode.
    """

    returns: np.ndarray
    lengths: np.ndarray
    seeds: np.ndarray

    @property
    def mean(self) -> float:
        """Mean undiscounted return over the episodes."""
        return float(np.mean(self.returns))

    @property
    def std(self) -> float:
        """Standard deviation of the returns over the episodes (population, ddof = 0)."""
        return float(np.std(self.returns))

    @property
    def solved(self) -> bool:
        """Mean return ≥ 200 (meaningful as "solved" with 100 episodes)."""
        return self.mean >= SOLVED_RETURN

    def __str__(self) -> str:
        return f"mean return {self.mean:.1f} ± {self.std:.1f} over {len(self.returns)} episodes"


def evaluate(policy: Callable[[np.ndarray], np.ndarray], episodes: int = 100, seed: int = EVAL_SEED,
             num_envs: int = 10, env_id: str = ENV_ID) -> Evaluation:
    """Run ``episodes`` episodes of a deterministic policy on seeds seed, seed+1, ….

    Episodes run ``num_envs`` at a time in a gymnasium ``SyncVectorEnv`` with autoreset
    disabled; a finished sub-environment is reset with the next seed. Results do not
    depend on ``num_envs``.

    Args:
        policy: maps observations [N, obs_dim] float32 to actions [N] int (e.g.
            ``agent.greedy_actions``).
        episodes: number of episodes, ≥ 1.
        seed: reset seed of the first episode.
        num_envs: episodes run side by side.

    Raises:
        ValueError: ``episodes`` or ``num_envs`` < 1.

    Example:
        >>> result = evaluate(lambda obs: np.zeros(len(obs), int), episodes=2)
        >>> result.returns.shape, result.seeds.tolist()
        ((2,), [1000000, 1000001])
    """
    for name, value in (("episodes", episodes), ("num_envs", num_envs)):
        if isinstance(value, bool) or int(value) != value or value < 1:
            raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    n = min(int(num_envs), int(episodes))
    envs = gym.vector.SyncVectorEnv([lambda: gym.make(env_id)] * n, autoreset_mode=gym.vector.AutoresetMode.DISABLED)
    returns = np.zeros(episodes)
    lengths = np.zeros(episodes, dtype=np.int64)
    slot_episode = np.arange(n)  # episode index each sub-env is running; -1 when idle
    next_episode = n
    obs, _ = envs.reset(seed=[seed + i for i in range(n)])
    try:
        while np.any(slot_episode >= 0):
            obs, reward, terminated, truncated, _ = envs.step(np.asarray(policy(obs)))
            active = slot_episode >= 0
            returns[slot_episode[active]] += reward[active]
            lengths[slot_episode[active]] += 1
            ended = terminated | truncated  # idle sub-envs end episodes too; they are reset unseeded
            if not ended.any():
                continue
            seeds = [None] * n
            for i in np.flatnonzero(ended & active):
                slot_episode[i] = next_episode if next_episode < episodes else -1
                seeds[i] = seed + next_episode if next_episode < episodes else None
                next_episode += 1
            obs, _ = envs.reset(seed=seeds, options={"reset_mask": ended})
    finally:
        envs.close()
    return Evaluation(returns, lengths, seed + np.arange(episodes))
