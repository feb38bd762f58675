"""Environment engines for training: gymnasium's Python vector env or EnvPool's C++ batched engine.

Training steps many LunarLander-v3 sub-environments together. Two engines do it with the same
contract (the one :func:`lunar_lab.envs.make_vector_env` documents): ``reset(seed=...)``
seeds sub-environment i with ``seed + i`` (or with the i-th of a list of seeds), ``step``
returns ``(obs [N, 8] float32, reward [N] float64, terminated [N] bool, truncated [N] bool,
info)``, the 1000-step time limit sets ``truncated``, and an ended episode is reset by the
*next* step (next-step autoreset: that step's action is ignored, its reward is 0).

- ``"gymnasium"``: ``gymnasium.vector.SyncVectorEnv`` of Box2D LunarLander-v3, the reference
  environment (evaluation, videos and the notebooks' lessons always use it).
- ``"envpool"``: EnvPool (Weng et al. 2022, "EnvPool: A Highly Parallel Reinforcement Learning
  Environment Execution Engine"), a C++ port of the same Box2D LunarLander-v3 stepped in one
  call for all sub-environments. Its terrain and the initial push are drawn from its own
  random generator, so a seed gives another episode than gymnasium's; the distributions agree
  (tests/test_engines.py, benchmarks/results/engines.md). Wheels exist for Linux x86_64 with
  Python ≥ 3.11 (the install-time marker in pyproject.toml and environment.yml); elsewhere
  asking for it is a clear error, never a silent fallback.

``Config.env_engine`` chooses the engine of a run (by default :func:`default_engine`: EnvPool
where it is installed, gymnasium elsewhere) and records it in the run's config.json.

This module imports neither TensorFlow nor EnvPool (EnvPool is imported when used).
"""

from __future__ import annotations

import importlib.util
import platform
import sys

import gymnasium as gym
import numpy as np

ENGINES = ("gymnasium", "envpool")
#: EnvPool takes seeds in [0, 2**31 − 2]; larger ones are reduced modulo this number.
ENVPOOL_SEED_MODULUS = 2**31 - 1
ENVPOOL_INSTALL = "pip install envpool  (or reinstall lunar_lab, which depends on it on Linux x86_64, Python >= 3.11)"


def envpool_supported(system: str | None = None, machine: str | None = None,
                      python: tuple[int, int] | None = None) -> bool:
    """Whether EnvPool ships for this platform: Linux, x86_64, Python ≥ 3.11 (the install marker).

    Args:
        system, machine, python: the platform to ask about; default this one
            (``platform.system()``, ``platform.machine()``, ``sys.version_info[:2]``).

    Example:
        >>> envpool_supported("Linux", "x86_64", (3, 11)), envpool_supported("Darwin", "arm64", (3, 12))
        (True, False)
        >>> envpool_supported("Linux", "x86_64", (3, 10))
        False
    """
    system = platform.system() if system is None else system
    machine = platform.machine() if machine is None else machine
    python = tuple(sys.version_info[:2]) if python is None else tuple(python)
    return system == "Linux" and machine.lower() in ("x86_64", "amd64") and python >= (3, 11)


def engine_problem(engine: str, supported: bool, installed: bool, where: str = "this platform") -> str | None:
    """Why ``engine`` cannot run on a platform, or None if it can (the message of :func:`check_engine`).

    Args:
        engine: the requested engine.
        supported: whether EnvPool ships for the platform (:func:`envpool_supported`).
        installed: whether the ``envpool`` package can be imported there.
        where: how to name the platform in the message.

    Example:
        >>> engine_problem("gymnasium", supported=False, installed=False) is None
        True
        >>> engine_problem("envpool", supported=False, installed=False, where="Darwin arm64, Python 3.12")
        "env_engine='envpool' is not available on Darwin arm64, Python 3.12: EnvPool ships for Linux x86_64 with Python >= 3.11; use env_engine='gymnasium'"
    """
    if engine not in ENGINES:
        return f"env_engine must be one of {', '.join(map(repr, ENGINES))}; got {engine!r}"
    if engine != "envpool":
        return None
    if not supported:
        return (f"env_engine='envpool' is not available on {where}: EnvPool ships for Linux x86_64 with "
                "Python >= 3.11; use env_engine='gymnasium'")
    if not installed:
        return f"env_engine='envpool' needs the envpool package, which is not installed: {ENVPOOL_INSTALL}"
    return None


def check_engine(engine: str) -> None:
    """Raise unless ``engine`` can run here (called before anything is written to disk).

    Raises:
        ValueError: ``engine`` is not one of :data:`ENGINES`; or it is ``"envpool"`` and this
            platform has no EnvPool (the message names the platform and says to use
            ``env_engine="gymnasium"``), or EnvPool is not installed (the message says how to
            install it). There is no silent fallback to gymnasium (:func:`engine_problem`).

    Example:
        >>> check_engine("gymnasium")
        >>> check_engine("pybullet")
        Traceback (most recent call last):
        ...
        ValueError: env_engine must be one of 'gymnasium', 'envpool'; got 'pybullet'
    """
    where = f"this platform ({platform.system()} {platform.machine()}, Python {sys.version_info[0]}.{sys.version_info[1]})"
    problem = engine_problem(engine, envpool_supported(), engine == "envpool" and
                             importlib.util.find_spec("envpool") is not None, where)
    if problem is not None:
        raise ValueError(problem)


def default_engine() -> str:
    """The engine a run uses unless its Config says otherwise: ``"envpool"`` where EnvPool ships
    for this platform and is installed (the install marker puts it there), else ``"gymnasium"``.

    Only the default falls back; a run that asks for ``"envpool"`` where it cannot run is an
    error (:func:`check_engine`).

    Example:
        >>> default_engine() in ENGINES
        True
    """
    return "envpool" if envpool_supported() and importlib.util.find_spec("envpool") is not None else "gymnasium"


def envpool_seeds(seeds) -> list[int]:
    """Seeds as EnvPool takes them: each reduced modulo :data:`ENVPOOL_SEED_MODULUS` (int32).

    Example:
        >>> envpool_seeds([0, 1, 2**31 - 1, 2**32 - 1])
        [0, 1, 0, 1]
    """
    return [int(s) % ENVPOOL_SEED_MODULUS for s in seeds]


class EnvPoolVectorEnv(gym.vector.VectorEnv):
    """``num_envs`` LunarLander-v3 sub-environments stepped by EnvPool's C++ engine, as a
    gymnasium ``VectorEnv`` (so gymnasium's vector wrappers apply) with next-step autoreset.

    EnvPool fixes its seeds when a pool is made and ignores ``reset(seed=...)``; this class
    makes a new pool (about 2 ms for 16 sub-environments) at every seeded reset, so seeding
    follows gymnasium's contract: ``reset(seed=s)`` seeds sub-environment i with s + i,
    ``reset(seed=[s0, s1, …])`` with s_i (both reduced by :func:`envpool_seeds`), and
    ``reset()`` continues with fresh seeds from the operating system. One engine thread
    (``num_threads=1``): the machine's other core is the learner's.

    Args:
        num_envs: N, sub-environments, ≥ 1.
        seed: seeds the action spaces (seed + i), as :func:`lunar_lab.envs.make_vector_env` does.
        env_id: ``"LunarLander-v3"`` (EnvPool registers that id and ``LunarLanderContinuous-v3``).
        max_episode_steps: the time limit, 1000 as gymnasium's.

    Raises:
        ValueError: ``num_envs`` < 1, or EnvPool cannot run here (:func:`check_engine`).

    Example:
        >>> envs = EnvPoolVectorEnv(2, seed=0)  # doctest: +SKIP
        >>> obs, info = envs.reset(seed=0)      # doctest: +SKIP
        >>> obs.shape, obs.dtype                # doctest: +SKIP
        ((2, 8), dtype('float32'))
    """

    metadata = {"autoreset_mode": gym.vector.AutoresetMode.NEXT_STEP}

    def __init__(self, num_envs: int, seed: int | None = None, env_id: str = "LunarLander-v3",
                 max_episode_steps: int = 1000):
        if int(num_envs) < 1:
            raise ValueError(f"num_envs must be an integer >= 1, got {num_envs!r}")
        check_engine("envpool")
        self.num_envs, self.env_id, self.max_episode_steps = int(num_envs), env_id, int(max_episode_steps)
        reference = gym.make(env_id)  # the spaces are gymnasium's (EnvPool's observation bounds are not)
        self.single_observation_space, self.single_action_space = reference.observation_space, reference.action_space
        reference.close()
        self.observation_space = gym.vector.utils.batch_space(self.single_observation_space, self.num_envs)
        self.action_space = gym.vector.utils.batch_space(self.single_action_space, self.num_envs)
        if seed is not None:
            self.action_space.seed(seed)
        self._pool = None
        self._seeds: list[int] | None = None

    def reset(self, seed: int | list[int] | None = None, options=None):
        """Reset every sub-environment; returns ``(obs [N, 8] float32, info)``.

        Raises:
            ValueError: a list of seeds whose length is not ``num_envs``.
        """
        if seed is None:
            seeds = [int(s) for s in np.random.SeedSequence().generate_state(self.num_envs)]
        elif isinstance(seed, (int, np.integer)):
            seeds = [int(seed) + i for i in range(self.num_envs)]
        else:
            seeds = [int(s) for s in seed]
            if len(seeds) != self.num_envs:
                raise ValueError(f"seed must be an int or {self.num_envs} ints, got {len(seeds)} seeds")
        import envpool

        if self._pool is not None:
            self._pool.close()
        self._seeds = envpool_seeds(seeds)
        self._pool = envpool.make(self.env_id, env_type="gymnasium", num_envs=self.num_envs, num_threads=1,
                                  env_seed=self._seeds, max_episode_steps=self.max_episode_steps)
        self.closed = False  # a pool again: close() releases it
        obs, info = self._pool.reset()
        return obs, info

    def step(self, actions):
        """Step every sub-environment with ``actions`` [N] int; returns gymnasium's 5-tuple
        (rewards as float64, as gymnasium's vector env gives them).

        Raises:
            RuntimeError: ``step`` before the first ``reset``.
        """
        if self._pool is None:
            raise RuntimeError("call reset() before step()")
        obs, reward, terminated, truncated, info = self._pool.step(np.asarray(actions, dtype=np.int32))
        return obs, reward.astype(np.float64), terminated, truncated, info

    def close_extras(self, **kwargs) -> None:
        """Release the pool (``close()`` calls this once)."""
        if self._pool is not None:
            self._pool.close()
            self._pool = None
