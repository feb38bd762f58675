"""The check of notebook 00: a correct episode loop passes; each usual mistake is named."""

import numpy as np
import pytest

from lunar_lab.checks.core import NotImplementedYet
from lunar_lab.checks.nb00 import check_episode_return
from lunar_lab.controllers import hover_policy
from lunar_lab.envs import make_env
from exercise_asserts import diagnosed


def reference(env, policy, seed):
    obs, info = env.reset(seed=seed)
    episode_return, steps = 0.0, 0
    while True:
        obs, reward, terminated, truncated, info = env.step(policy(obs))
        episode_return += float(reward)
        steps += 1
        if terminated or truncated:
            return episode_return, steps


def test_reference_passes(capsys):
    check_episode_return(reference)
    assert capsys.readouterr().out.strip() == "✅ run_episode: passed (3 cases)"


def test_while_not_done_style_passes(capsys):
    def while_loop(env, policy, seed):
        obs, _ = env.reset(seed=seed)
        done, total, steps = False, 0, 0
        while not done:
            action = policy(obs)
            obs, reward, terminated, truncated, _ = env.step(action)
            done = terminated or truncated
            total += reward
            steps += 1
        return np.float32(total), np.int64(steps)   # NumPy scalars are fine

    check_episode_return(while_loop)
    assert "passed" in capsys.readouterr().out


def test_placeholder_is_not_implemented_yet():
    def placeholder(env, policy, seed):
        raise NotImplementedError("exercise: run_episode")

    with pytest.raises(NotImplementedYet, match="not implemented yet"):
        check_episode_return(placeholder)


def fails_with(fn, *fragments):
    return diagnosed(check_episode_return, fn, *fragments)


def test_ignoring_truncated_is_caught_at_the_time_limit():
    def only_terminated(env, policy, seed):
        obs, _ = env.reset(seed=seed)
        total, steps, terminated = 0.0, 0, False
        while not terminated:
            obs, reward, terminated, truncated, _ = env.step(policy(obs))
            total += reward
            steps += 1
        return total, steps

    fails_with(only_terminated, "hovering controller", "after the episode ended at step 60",
               "truncated=True, terminated=False", "terminated OR truncated")


def test_fixed_length_loop_is_caught():
    def no_break(env, policy, seed):
        obs, _ = env.reset(seed=seed)
        total = 0.0
        for _ in range(1000):
            obs, reward, terminated, truncated, _ = env.step(policy(obs))
            total += reward
        return total, 1000

    fails_with(no_break, "'do nothing'", "called again after the episode ended", "terminated=True")


def test_stale_observation_is_caught():
    def stale(env, policy, seed):
        first_obs, _ = env.reset(seed=seed)
        total, steps = 0.0, 0
        while True:
            obs, reward, terminated, truncated, _ = env.step(policy(first_obs))
            total += reward
            steps += 1
            if terminated or truncated:
                return total, steps

    fails_with(stale, "before env.step number 2", "observation that env.reset returned", "obs, reward")


def test_action_not_from_the_policy_is_caught():
    def sample(env, policy, seed):
        obs, _ = env.reset(seed=seed)
        total, steps = 0.0, 0
        while True:
            obs, reward, terminated, truncated, _ = env.step(env.action_space.sample())
            total += reward
            steps += 1
            if terminated or truncated:
                return total, steps

    fails_with(sample, "the policy did not choose", "action = policy(obs)")


def test_action_other_than_the_policy_returned_is_caught():
    def always_main(env, policy, seed):
        obs, _ = env.reset(seed=seed)
        total, steps = 0.0, 0
        while True:
            policy(obs)
            obs, reward, terminated, truncated, _ = env.step(2)
            total += reward
            steps += 1
            if terminated or truncated:
                return total, steps

    fails_with(always_main, "got action 2, but the policy returned 0")


def test_reset_without_seed_is_caught():
    def unseeded(env, policy, seed):
        env.reset()
        return reference(env, policy, None)

    fails_with(unseeded, "without the seed", "env.reset(seed=seed)")


def test_reset_with_the_wrong_seed_is_caught():
    def wrong_seed(env, policy, seed):
        return reference(env, policy, 123)

    fails_with(wrong_seed, "env.reset(seed=123)", "the seed argument is 0")


def test_reset_in_the_middle_is_caught():
    def reset_twice(env, policy, seed):
        obs, _ = env.reset(seed=seed)
        env.step(policy(obs))
        return reference(env, policy, seed)

    fails_with(reset_twice, "in the middle of the episode")


def test_own_environment_is_caught():
    def own_env(env, policy, seed):
        return reference(make_env(), policy, seed)

    fails_with(own_env, "the `env` passed to run_episode", "not a new one")


def test_missing_last_reward_is_caught():
    def skip_last(env, policy, seed):
        obs, _ = env.reset(seed=seed)
        total, steps = 0.0, 0
        while True:
            obs, reward, terminated, truncated, _ = env.step(policy(obs))
            steps += 1
            if terminated or truncated:
                return total, steps
            total += reward

    fails_with(skip_last, "'do nothing'", "the last reward (the −100 for the crash) is missing")


def test_discounted_return_is_caught():
    def discounted(env, policy, seed):
        obs, _ = env.reset(seed=seed)
        total, steps = 0.0, 0
        while True:
            obs, reward, terminated, truncated, _ = env.step(policy(obs))
            total += 0.99 ** steps * reward
            steps += 1
            if terminated or truncated:
                return total, steps

    fails_with(discounted, "discounted with γ = 0.99", "undiscounted")


def test_mean_reward_is_caught():
    def mean(env, policy, seed):
        total, steps = reference(env, policy, seed)
        return total / steps, steps

    fails_with(mean, "mean reward per step")


def test_last_reward_only_is_caught():
    def last_only(env, policy, seed):
        obs, _ = env.reset(seed=seed)
        steps = 0
        while True:
            obs, reward, terminated, truncated, _ = env.step(policy(obs))
            steps += 1
            if terminated or truncated:
                return reward, steps

    fails_with(last_only, "only the last reward")


@pytest.mark.parametrize("shift, diagnosis", [(1, "one step too many"), (-1, "one step too few")])
def test_steps_off_by_one_is_caught(shift, diagnosis):
    def off_by_one(env, policy, seed):
        total, steps = reference(env, policy, seed)
        return total, steps + shift

    fails_with(off_by_one, "steps is", diagnosis)


def test_swapped_outputs_are_caught():
    def swapped(env, policy, seed):
        total, steps = reference(env, policy, seed)
        return steps, total

    fails_with(swapped, "swapped")


def test_wrong_return_types_are_caught():
    fails_with(lambda env, policy, seed: reference(env, policy, seed)[0], "returned a float", "return a tuple")
    fails_with(lambda env, policy, seed: (*reference(env, policy, seed), {}), "3 values")
    fails_with(lambda env, policy, seed: ([reference(env, policy, seed)[0]], 3), "episode_return should be one number")
    fails_with(lambda env, policy, seed: (reference(env, policy, seed)[0], 2.5), "steps should be a whole number")


def test_batched_observation_is_caught():
    def batched(env, policy, seed):
        obs, _ = env.reset(seed=seed)
        total, steps = 0.0, 0
        while True:
            obs, reward, terminated, truncated, _ = env.step(policy(obs[None]))
            total += reward
            steps += 1
            if terminated or truncated:
                return total, steps

    fails_with(batched, "shape [1, 8]", "no batch axis")


def test_returning_early_is_caught():
    def early(env, policy, seed):
        obs, _ = env.reset(seed=seed)
        total = 0.0
        for _ in range(10):
            obs, reward, terminated, truncated, _ = env.step(policy(obs))
            total += reward
        return total, 10

    fails_with(early, "returned after 10 steps, before the episode ended")


def test_unused_environment_is_caught():
    fails_with(lambda env, policy, seed: (0.0, 0), "env.reset was never called on the env passed in")


def test_crash_in_learner_code_is_reported_without_traceback():
    def crashes(env, policy, seed):
        obs, _ = env.reset(seed=seed)
        return obs["reward"], 0

    fails_with(crashes, "your code raised IndexError")


def test_hover_policy_reaches_the_time_limit():
    env = make_env()
    episode_return, steps = reference(env, hover_policy, seed=0)
    env.close()
    assert steps == 1000   # truncated by the TimeLimit wrapper, never crashed or landed
