"""Checks for notebook 00, "Meet the lander"."""

from __future__ import annotations

import numpy as np

from lunar_lab.checks.core import ExerciseFailed, exercise, expect_close
from lunar_lab.envs import make_env


def check_episode_return(run_episode) -> None:
    """Check ``run_episode(env, policy, seed) -> (episode_return, steps)``.

    Runs the learner's function on LunarLander-v3 with a fixed-action policy and with a
    random policy (both seeded), and compares with the package's own episode loop.

    Raises:
        ExerciseFailed: wrong return or length, with the likely mistake.
        NotImplementedYet: the placeholder still raises NotImplementedError.
    """
    with exercise("run_episode") as call:
        for label, policy_seed in (("always 'do nothing'", None), ("random actions", 7)):
            for seed in (0, 42):
                expected_return, expected_steps = _reference(seed, policy_seed)
                env = make_env(seed=seed)
                result = call(run_episode, env, _policy(policy_seed), seed)
                env.close()
                if not (isinstance(result, tuple) and len(result) == 2):
                    raise ExerciseFailed(f"run_episode must return a tuple (episode_return, steps), got {result!r}")
                got_return, got_steps = result
                if int(got_steps) == expected_steps - 1:
                    raise ExerciseFailed(
                        f"run_episode({label}, seed={seed}): {got_steps} steps, expected {expected_steps} — "
                        "the loop stopped one step early; count the step that ends the episode too")
                if int(got_steps) != expected_steps:
                    raise ExerciseFailed(
                        f"run_episode({label}, seed={seed}): {got_steps} steps, expected {expected_steps} — "
                        "stop when terminated OR truncated is True, and reset with env.reset(seed=seed)")
                expect_close(f"run_episode({label}, seed={seed}) return", got_return, expected_return, atol=1e-3,
                             hint="add up every reward of the episode, including the last one (−100 or +100)")


def _policy(seed):
    if seed is None:
        return lambda obs: 0
    rng = np.random.default_rng(seed)
    return lambda obs: int(rng.integers(4))


def _reference(seed, policy_seed):
    env = make_env(seed=seed)
    policy = _policy(policy_seed)
    obs, _ = env.reset(seed=seed)
    total, steps, done = 0.0, 0, False
    while not done:
        obs, reward, terminated, truncated, _ = env.step(policy(obs))
        total += float(reward)
        steps += 1
        done = terminated or truncated
    env.close()
    return total, steps
