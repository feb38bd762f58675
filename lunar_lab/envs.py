"""LunarLander-v3 environments: creation, seeding and the meaning of each number.

Source: Gymnasium's Box2D LunarLander-v3 (https://gymnasium.farama.org/environments/box2d/lunar_lander/).
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np

ENV_ID = "LunarLander-v3"

#: What each of the 8 observation numbers means (Gymnasium LunarLander docs). "Left" and
#: "right" leg are the lander's own: facing the viewer, its left leg (index 6) is the one on
#: the right of the rendered picture.
OBSERVATION_NAMES = (
    "x position",
    "y position",
    "x velocity",
    "y velocity",
    "angle",
    "angular velocity",
    "left leg contact",
    "right leg contact",
)

#: The 4 discrete actions, by index.
ACTION_NAMES = ("do nothing", "fire left engine", "fire main engine", "fire right engine")

#: The return an agent must average over 100 greedy episodes to count as "solved".
SOLVED_RETURN = 200.0

OBS_DIM = len(OBSERVATION_NAMES)
NUM_ACTIONS = len(ACTION_NAMES)


def make_env(seed: int | None = None, render_mode: str | None = None, env_id: str = ENV_ID) -> gym.Env:
    """Create one LunarLander-v3 environment, optionally seeded.

    Args:
        seed: if given, seeds the action space now; pass the same seed to the first
            ``reset(seed=...)`` to seed the physics (Gymnasium seeds an environment at reset).
        render_mode: ``None`` for training (fastest) or ``"rgb_array"`` for video frames
            ([400, 600, 3] uint8 per frame).
        env_id: a Gymnasium environment id with a discrete action space.

    Returns:
        A Gymnasium environment with the standard 1000-step time limit (``TimeLimit`` wrapper):
        reaching it sets ``truncated=True``, which is not a terminal state.

    Raises:
        ValueError: ``render_mode`` is not ``None`` or ``"rgb_array"``.

    Example:
        >>> env = make_env(seed=0)
        >>> obs, info = env.reset(seed=0)
        >>> obs.shape, obs.dtype
        ((8,), dtype('float32'))
        >>> env.action_space.n
        np.int64(4)
    """
    if render_mode not in (None, "rgb_array"):
        raise ValueError(f"render_mode must be None or 'rgb_array', got {render_mode!r}")
    env = gym.make(env_id, render_mode=render_mode)
    if seed is not None:
        env.action_space.seed(seed)
    return env


def make_vector_env(num_envs: int, seed: int | None = None, env_id: str = ENV_ID, engine: str = "gymnasium"):
    """Create ``num_envs`` LunarLander environments stepped together in this process.

    Uses Gymnasium's ``SyncVectorEnv`` in its default next-step autoreset mode: when a
    sub-environment's episode ends at step t, the observation returned at t is the real
    final observation, and the call at t + 1 resets that sub-environment (its action is
    ignored and its reward is 0). The training loop therefore skips that one transition.

    Args:
        num_envs: number of sub-environments, ≥ 1.
        seed: seeds every sub-environment's action space (seed + i); pass the same seed to
            the first ``reset(seed=seed)``, which seeds sub-environment i with seed + i.
        env_id: Gymnasium environment id.
        engine: ``"gymnasium"`` (a ``SyncVectorEnv``, the reference) or ``"envpool"`` (EnvPool's
            C++ engine, :class:`lunar_lab.engines.EnvPoolVectorEnv`: same interface, seeding and
            autoreset; see :mod:`lunar_lab.engines`).

    Raises:
        ValueError: ``num_envs`` < 1; ``engine`` unknown or not available here
            (:func:`lunar_lab.engines.check_engine`).

    Example:
        >>> envs = make_vector_env(2, seed=0)
        >>> obs, info = envs.reset(seed=0)
        >>> obs.shape
        (2, 8)
    """
    if int(num_envs) < 1:
        raise ValueError(f"num_envs must be an integer >= 1, got {num_envs!r}")
    from lunar_lab.engines import EnvPoolVectorEnv, check_engine

    check_engine(engine)
    if engine == "envpool":
        return EnvPoolVectorEnv(num_envs, seed=seed, env_id=env_id)
    envs = gym.vector.SyncVectorEnv([lambda: gym.make(env_id) for _ in range(int(num_envs))])
    if seed is not None:
        envs.action_space.seed(seed)
        for i, space in enumerate(envs.get_attr("action_space")):
            space.seed(seed + i)
    return envs


def episode_return(rewards) -> float:
    """Undiscounted return of one episode: the sum of its rewards (the score LunarLander reports).

    Args:
        rewards: [T] rewards of one episode, any float dtype.

    Example:
        >>> episode_return([1.0, -0.5, 100.0])
        100.5
    """
    return float(np.sum(np.asarray(rewards, dtype=np.float64)))
