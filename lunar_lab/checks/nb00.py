"""Checks for notebook 00, "Meet the lander".

The one exercise of notebook 00 is the episode loop every later notebook builds on::

    def run_episode(env, policy, seed) -> (episode_return, steps)

``check_episode_return`` hands the learner's function a *watched* environment and a
*watched* policy. They record every ``reset``/``step`` call and every action, so the check
can say exactly what went wrong: the environment stepped after the episode ended (the loop
ignored ``truncated``), the policy was given a stale observation, the action sent to
``env.step`` was not the policy's, the reset had no seed, the last reward was left out …
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np

from lunar_lab.checks.compare import Mistake, close, likely_mistake, on_case
from lunar_lab.checks.core import ExerciseFailed, exercise
from lunar_lab.controllers import hover_policy
from lunar_lab.envs import ENV_ID, OBS_DIM, make_env

#: Discount factors a learner might (wrongly) apply to the episode return.
_GAMMAS = (0.99, 0.9, 0.95, 0.999, 0.98)


def check_episode_return(run_episode) -> None:
    """Check ``run_episode(env, policy, seed) -> (episode_return, steps)``.

    The learner's function must reset ``env`` with ``env.reset(seed=seed)``, then call
    ``action = policy(obs)`` and ``env.step(action)`` until ``terminated`` or ``truncated``
    is True, and return the undiscounted sum of the rewards (a float) and the number of
    ``env.step`` calls (an int). ``policy`` maps one observation, a [8] float32 array, to
    an int action in {0, 1, 2, 3}.

    Three cases on LunarLander-v3, each in a watched environment:

    1. "do nothing" (action 0 always) on seed 0: the lander falls and crashes (last
       reward −100, ``terminated``).
    2. random actions on seed 42: ends in a crash too.
    3. a hovering controller (its action depends on the observation) on seed 1 in an
       environment with ``max_episode_steps=60``: the episode is cut by the time limit
       (``truncated``, not ``terminated``) while the lander is still flying.

    The expected return and length are those of the rewards the watched environment
    actually handed out, so any valid loop passes.

    Raises:
        ExerciseFailed: with the case, expected vs got, and the likely mistake (stepping
            after the episode ended, ignoring ``truncated``, a stale observation, an action
            not from the policy, a reset without the seed, the last reward left out, a
            discounted or averaged return, steps off by one, swapped outputs, wrong types).
        NotImplementedYet: the placeholder still raises NotImplementedError.

    Source: the Gymnasium API (``Env.reset``/``Env.step``,
    https://gymnasium.farama.org/api/env/); the return as the sum of an episode's rewards
    (Sutton & Barto, *Reinforcement Learning: An Introduction*, 2nd ed., 2018, §3.3).
    """
    cases = (
        ("'do nothing'", 0, lambda: _constant_policy(0), None),
        ("random actions", 42, lambda: _random_policy(7), None),
        ("hovering controller, 60-step time limit", 1, lambda: hover_policy, 60),
    )
    with exercise("run_episode", passed=f"passed ({len(cases)} cases)") as call:
        for label, seed, make_policy, max_episode_steps in cases:
            _check_case(call, run_episode, f"run_episode({label}, seed={seed})", seed, make_policy(),
                        max_episode_steps)


def _constant_policy(action):
    return lambda obs: action


def _random_policy(seed):
    rng = np.random.default_rng(seed)
    return lambda obs: int(rng.integers(4))


def _check_case(call, run_episode, case, seed, policy, max_episode_steps) -> None:
    env = gym.make(ENV_ID, max_episode_steps=max_episode_steps) if max_episode_steps else make_env()
    watch = _Watch(env, policy, case, seed)
    try:
        result = call(run_episode, watch.env, watch.policy, seed)
    finally:
        env.close()
    watch.check_finished()
    rewards = np.asarray(watch.rewards, dtype=np.float64)
    expected_return, expected_steps = float(rewards.sum()), len(rewards)
    ending = watch.ending()
    if isinstance(result, (tuple, list)) and len(result) == 2:
        first, second = (_scalar(v) for v in result)
        if (first is not None and second is not None and close(first, expected_steps)
                and close(second, expected_return) and not close(expected_return, expected_steps)):
            raise ExerciseFailed(f"{case}: got ({first:.4f}, {second:.4f}), expected "
                                 f"({expected_return:.4f}, {expected_steps}) — the two outputs are swapped: "
                                 "return (episode_return, steps)")
    got_return, got_steps = _unpack(case, result)
    if got_steps != expected_steps:
        if got_steps == expected_steps - 1:
            why = "one step too few: count every env.step call, including the one that ended the episode"
        elif got_steps == expected_steps + 1:
            why = "one step too many: count env.step calls only (reset is not a step), starting from 0"
        else:
            why = "steps is the number of env.step calls in the episode"
        raise ExerciseFailed(f"{case}: steps is {got_steps}, expected {expected_steps} ({ending}) — {why}")

    if not close(got_return, expected_return):
        found = likely_mistake(on_case(_RETURN_MISTAKES, rewards), got_return, expected_return)
        raise ExerciseFailed(f"{case}: episode_return is {got_return:.4f}, expected {expected_return:.4f} "
                             f"(the sum of the {expected_steps} rewards; {ending}) — "
                             + (found[0].message if found else "add every reward that env.step returns, from the first "
                                "step to the one that ends the episode"))


def _missing_last(rewards: np.ndarray) -> str:
    last = float(rewards[-1])
    what = {-100.0: "the −100 for the crash", 100.0: "the +100 for coming to rest"}.get(last, f"{last:+.4f}")
    return (f"the last reward ({what}) is missing: add the reward of the step that ends the episode before leaving "
            "the loop")


def _discounted(gamma: float) -> Mistake:
    return Mistake(f"this is the return discounted with γ = {gamma}: the episode return (the score) is the plain, "
                   "undiscounted sum of the rewards", lambda rewards: float(np.sum(rewards * gamma ** np.arange(len(rewards)))))


#: The usual wrong episode returns: message, the return it gives (functions of the episode's rewards [T]).
_RETURN_MISTAKES = (
    Mistake(_missing_last, lambda rewards: rewards[:-1].sum()),
    Mistake("the first reward is missing: start the sum at 0 and add every reward env.step returns",
            lambda rewards: rewards[1:].sum()),
    Mistake("this is only the last reward: add up the rewards of every step (total += reward)",
            lambda rewards: rewards[-1]),
    Mistake("this is the mean reward per step: the episode return is the sum of the rewards",
            lambda rewards: rewards.mean()),
    Mistake("the sign is flipped: the return is the sum of the rewards, not minus it", lambda rewards: -rewards.sum()),
    *(_discounted(gamma) for gamma in _GAMMAS),
    Mistake("every step added the first reward: add the reward the current env.step returned",
            lambda rewards: rewards[0] * len(rewards) if len(rewards) > 1 else None),
)


def _unpack(case: str, result) -> tuple[float, int]:
    """(episode_return as float, steps as int) from the learner's result, or ExerciseFailed."""
    if not (isinstance(result, (tuple, list)) and len(result) == 2):
        got = f"a {type(result).__name__}" if not isinstance(result, (tuple, list)) else f"{len(result)} values"
        raise ExerciseFailed(f"{case}: run_episode returned {got} ({_short(result)}); return a tuple "
                             "(episode_return, steps), e.g. `return episode_return, steps`")
    episode_return, steps = result
    value = _scalar(episode_return)
    if value is None:
        raise ExerciseFailed(f"{case}: episode_return should be one number (a float), got "
                             f"{type(episode_return).__name__} {_short(episode_return)}")
    count = _scalar(steps)
    if count is None or isinstance(steps, bool) or count != int(count):
        raise ExerciseFailed(f"{case}: steps should be a whole number (an int), got "
                             f"{type(steps).__name__} {_short(steps)}")
    return value, int(count)


def _scalar(value) -> float | None:
    if hasattr(value, "numpy"):
        value = value.numpy()
    if isinstance(value, (str, bytes)):
        return None
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return float(arr) if arr.shape == () and np.isfinite(arr) else None


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


class _Watch:
    """A watched environment and policy: records the episode and stops the learner's loop at its first misuse."""

    def __init__(self, env: gym.Env, policy, case: str, seed: int):
        self.case, self.seed = case, seed
        self.env = _WatchedEnv(env, self)
        self._policy = policy
        self.reset_seeds: list = []       # seed argument of every reset call
        self.observations: list = []      # observations handed out by reset / step, in order
        self.rewards: list = []
        self.terminated = self.truncated = False
        self.policy_calls_since_step = 0
        self.last_action = None

    # --- the policy the learner is given -------------------------------------------------------
    def policy(self, obs):
        step = len(self.rewards)
        if not self.observations:
            raise ExerciseFailed(f"{self.case}: the policy was called before env.reset(seed=seed) was called on the "
                                 "`env` passed to run_episode — reset that env (not a new one), then pass the "
                                 "observation reset returned to the policy")
        arr = np.asarray(obs.numpy() if hasattr(obs, "numpy") else obs)
        if arr.shape != (OBS_DIM,):
            raise ExerciseFailed(f"{self.case}: the policy was given an array of shape {list(arr.shape)}, "
                                 f"expected one observation of shape [{OBS_DIM}] — pass obs exactly as env.reset / "
                                 "env.step returned it (no batch axis, no extra values)")
        if not np.array_equal(arr, self.observations[-1]):
            older = [k for k, seen in enumerate(self.observations[:-1]) if np.array_equal(arr, seen)]
            if older:
                source = "env.reset" if older[-1] == 0 else f"env.step number {older[-1]}"
                raise ExerciseFailed(
                    f"{self.case}: before env.step number {step + 1} the policy was given the observation that "
                    f"{source} returned, not the latest one — assign the new observation each step: "
                    "obs, reward, terminated, truncated, info = env.step(action)")
            raise ExerciseFailed(f"{self.case}: before env.step number {step + 1} the policy was given an "
                                 "observation the environment never returned — pass obs unchanged")
        action = self._policy(obs)
        self.policy_calls_since_step += 1
        self.last_action = int(action)
        return action

    # --- called by the watched environment --------------------------------------------------------
    def on_reset(self, seed, obs) -> None:
        if self.rewards and not self.ended:
            raise ExerciseFailed(f"{self.case}: env.reset was called again in the middle of the episode, after "
                                 f"{len(self.rewards)} steps — reset once, before the loop")
        if self.rewards:  # a reset after the episode ended changes nothing we check
            return
        self.reset_seeds.append(seed)
        self.observations = [np.array(obs, copy=True)]

    def before_step(self, action) -> None:
        step = len(self.rewards) + 1
        if not self.observations:
            raise ExerciseFailed(f"{self.case}: env.step was called before env.reset — start the episode with "
                                 "obs, info = env.reset(seed=seed)")
        if self.ended:
            why = ("the time limit cut it: truncated=True, terminated=False — stop when terminated OR truncated "
                   "is True (`if terminated or truncated: break`)") if self.truncated and not self.terminated else (
                "terminated=True — leave the loop as soon as terminated or truncated is True")
            raise ExerciseFailed(f"{self.case}: env.step was called again after the episode ended at step "
                                 f"{len(self.rewards)} ({why})")
        if self.policy_calls_since_step == 0:
            raise ExerciseFailed(f"{self.case}: env.step number {step} got an action the policy did not choose "
                                 "(the policy was not called since the previous step) — call action = policy(obs) "
                                 "once every step and pass that action to env.step")
        try:
            same = int(action) == self.last_action
        except (TypeError, ValueError):
            same = False
        if not same:
            raise ExerciseFailed(f"{self.case}: env.step number {step} got action {_short(action)}, but the policy "
                                 f"returned {self.last_action} — pass policy(obs) to env.step")
        self.policy_calls_since_step = 0

    def after_step(self, obs, reward, terminated, truncated) -> None:
        self.observations.append(np.array(obs, copy=True))
        self.rewards.append(float(reward))
        self.terminated, self.truncated = bool(terminated), bool(truncated)

    @property
    def ended(self) -> bool:
        return self.terminated or self.truncated

    def ending(self) -> str:
        kind = "terminated" if self.terminated else "truncated by the time limit"
        return f"the episode {kind} at step {len(self.rewards)}, last reward {self.rewards[-1]:+.4g}"

    def check_finished(self) -> None:
        """After the learner's function returned: was the episode run to its end from a seeded reset?"""
        if not self.reset_seeds:
            raise ExerciseFailed(f"{self.case}: env.reset was never called on the env passed in — run the episode "
                                 "in the `env` argument, starting with obs, info = env.reset(seed=seed)")
        if self.reset_seeds[-1] is None:
            raise ExerciseFailed(f"{self.case}: env.reset() was called without the seed — use "
                                 f"env.reset(seed=seed) so that the same seed always gives the same episode")
        if self.reset_seeds[-1] != self.seed:
            raise ExerciseFailed(f"{self.case}: env.reset(seed={self.reset_seeds[-1]!r}) was called, but the seed "
                                 f"argument is {self.seed} — use env.reset(seed=seed)")
        if not self.ended:
            raise ExerciseFailed(f"{self.case}: run_episode returned after {len(self.rewards)} steps, before the "
                                 "episode ended (terminated and truncated were both False) — keep stepping until "
                                 "one of them is True")


class _WatchedEnv(gym.Wrapper):
    """Passes calls through to the environment and reports them to a :class:`_Watch`."""

    def __init__(self, env: gym.Env, watch: _Watch):
        super().__init__(env)
        self._watch = watch

    def reset(self, *, seed=None, options=None):
        obs, info = self.env.reset(seed=seed, options=options)
        self._watch.on_reset(seed, obs)
        return obs, info

    def step(self, action):
        self._watch.before_step(action)
        obs, reward, terminated, truncated, info = self.env.step(action)
        self._watch.after_step(obs, reward, terminated, truncated)
        return obs, reward, terminated, truncated, info
