"""N-step transitions assembled from a stream of one-step experience.

An n-step transition from time t stores G = Σ_{k=0}^{m−1} γᵏ r_{t+k+1}, the observation
s_{t+m} reached after m ≤ n steps, whether that state is terminal, and the bootstrap
discount γᵐ. Normally m = n; when the episode ends inside the window, the windows still
open are flushed with m < n: a terminated episode stops bootstrapping, a truncated one
bootstraps from its real final observation with γᵐ. With n = 1 this is exactly the
one-step transition (Sutton & Barto 2018, §7.1, eq. 7.1; Hessel et al. 2018, Rainbow).

:func:`n_step_windows_reference` computes the same windows for a whole recorded trajectory
at once (the reference of notebook 05's exercise).
"""

from __future__ import annotations

from collections import deque

import numpy as np


def n_step_windows_reference(rewards, terminated, truncated, gamma: float, n_step: int):
    r"""The n-step window of every step of one trajectory (reference solution of notebook 05).

    For each step t, the window holds the m ≤ n steps t, t+1, …, e = t+m−1. It stops early at
    the first step that ends an episode (terminated or truncated: the next step belongs to a
    new episode) and at the end of the array. Then

        reward_sums[t]     = Σ_{k=0}^{m−1} γᵏ · rewards[t+k]
        discounts[t]       = 0 if terminated[e] else γᵐ
        bootstrap_index[t] = e

    so that the n-step target is y_t = reward_sums[t] + discounts[t] · max_a Q′(next_obs[e], a).
    A truncated (time-limit) step is not terminal: its window bootstraps, with γᵐ, from the real
    final observation next_obs[e]. A step that is both terminated and truncated is terminal.
    At the end of the array the episode goes on beyond the data, so a window cut there
    bootstraps too, like a truncation (γᵐ from next_obs[T−1]).

    Args:
        rewards: [T] float, rewards[t] = r_{t+1}, received for the action of step t.
        terminated: [T] bool, True where step t ends its episode in a terminal state.
        truncated: [T] bool, True where step t ends its episode by the time limit.
        gamma: discount γ in [0, 1].
        n_step: horizon n ≥ 1.

    Returns:
        (reward_sums [T] float32, discounts [T] float32, bootstrap_index [T] int64).

    Raises:
        ValueError: the arrays are not all 1-D of the same length, or n_step < 1.

    Source: Sutton & Barto (2018), *Reinforcement Learning: An Introduction*, 2nd ed., §7.1,
    eq. (7.1); Hessel et al. (2018), Rainbow (n-step targets from a replay buffer, with
    γⁿ on the bootstrap).

    Example:
        >>> sums, discounts, index = n_step_windows_reference(
        ...     [1.0, 1.0, 1.0], [False, True, False], [False] * 3, gamma=0.5, n_step=2)
        >>> sums.tolist(), discounts.tolist(), index.tolist()
        ([1.5, 1.0, 1.0], [0.0, 0.0, 0.5], [1, 1, 2])
    """
    rewards = np.asarray(rewards, np.float64)
    terminated = np.asarray(terminated, bool)
    truncated = np.asarray(truncated, bool)
    T = rewards.shape[0] if rewards.ndim == 1 else -1
    if any(a.shape != (T,) for a in (rewards, terminated, truncated)):
        raise ValueError("rewards, terminated and truncated must all have shape [T], got "
                         f"{[list(np.shape(a)) for a in (rewards, terminated, truncated)]}")
    if isinstance(n_step, bool) or int(n_step) != n_step or n_step < 1:
        raise ValueError(f"n_step must be an integer >= 1, got {n_step!r}")
    sums, discounts, index = np.zeros(T), np.zeros(T), np.zeros(T, np.int64)
    for t in range(T):
        e = t
        while not (terminated[e] or truncated[e] or e - t + 1 == n_step or e == T - 1):
            e += 1
        m = e - t + 1
        sums[t] = np.sum(gamma ** np.arange(m) * rewards[t:e + 1])
        discounts[t] = 0.0 if terminated[e] else gamma**m
        index[t] = e
    return sums.astype(np.float32), discounts.astype(np.float32), index


class NStepAccumulator:
    """Turns one sub-environment's steps into n-step transitions.

    Args:
        n_step: horizon n, ≥ 1.
        gamma: discount γ in [0, 1).

    Raises:
        ValueError: ``n_step`` < 1 or ``gamma`` outside [0, 1).

    Example:
        >>> acc = NStepAccumulator(n_step=2, gamma=0.5)
        >>> acc.step([0.0], 1, 1.0, [1.0], terminated=False, truncated=False)
        []
        >>> [t[2] for t in acc.step([1.0], 0, 2.0, [2.0], terminated=False, truncated=False)]
        [2.0]
        >>> [(t[2], t[4], t[5]) for t in acc.step([2.0], 0, 4.0, [3.0], terminated=True, truncated=False)]
        [(4.0, True, 0.25), (4.0, True, 0.5)]
    """

    def __init__(self, n_step: int, gamma: float):
        self.n_step, self.gamma = _checked(n_step, gamma)
        self.window: deque = deque()

    def step(self, obs, action, reward, next_obs, terminated: bool, truncated: bool) -> list[tuple]:
        """Add one step; return the n-step transitions it completes.

        Returns:
            list of (obs, action, reward_sum, next_obs, terminated, discount) tuples,
            oldest first: one per full window, and on episode end one per open window.
        """
        self.window.append((obs, action, float(reward)))
        out = []
        if len(self.window) == self.n_step:
            out.append(self._emit(next_obs, terminated))
            self.window.popleft()
        if terminated or truncated:
            while self.window:
                out.append(self._emit(next_obs, terminated))
                self.window.popleft()
        return out

    def _emit(self, next_obs, terminated: bool) -> tuple:
        m = len(self.window)
        rewards = np.array([r for _, _, r in self.window])
        reward_sum = float(np.sum(rewards * self.gamma ** np.arange(m)))
        obs, action, _ = self.window[0]
        return obs, action, reward_sum, next_obs, bool(terminated), self.gamma**m


class EpisodeNStepAccumulator:
    """Turns one sub-environment's steps into n-step transitions with a function that works
    on a stretch of an episode, such as a learner's ``n_step_windows`` (notebook 05).

    Steps wait until their episode ends (terminated or truncated) or until ``block`` + n − 1
    of them are waiting; then ``n_step_fn`` computes the windows of the waiting steps. When the
    episode has ended, every window is emitted; while it goes on, only the windows that hold
    all n steps are, and the last n − 1 steps wait for more. The transitions are those of
    :class:`NStepAccumulator`, emitted in blocks, except that a window ending in a terminal
    state carries the function's discount (0) where the streaming accumulator keeps γᵐ: the
    TD target multiplies the discount by (1 − terminated), so both give the same target.

    Args:
        n_step_fn: ``(rewards [T] float32, terminated [T] bool, truncated [T] bool, gamma, n_step)
            → (reward_sums [T], discounts [T], bootstrap_index [T] int)``; window t bootstraps from
            ``next_obs[bootstrap_index[t]]`` (:func:`n_step_windows_reference`).
        n_step: horizon n, ≥ 1.
        gamma: discount γ in [0, 1).
        block: steps of a running episode collected before its complete windows are emitted, ≥ 1.

    Raises:
        ValueError: ``n_step`` < 1, ``gamma`` outside [0, 1) or ``block`` < 1; from :meth:`step`,
            ``n_step_fn`` returned something other than three arrays of shape [T] with
            bootstrap indices in [t, T).

    Source: the n-step return of Sutton & Barto (2018), §7.1, eq. (7.1), as for
    :class:`NStepAccumulator`.

    Example:
        >>> acc = EpisodeNStepAccumulator(n_step_windows_reference, n_step=2, gamma=0.5)
        >>> acc.step([0.0], 1, 1.0, [1.0], terminated=False, truncated=False)
        []
        >>> [(t[2], t[3], t[4], t[5]) for t in acc.step([1.0], 0, 2.0, [2.0], terminated=True, truncated=False)]
        [(2.0, [2.0], True, 0.0), (2.0, [2.0], True, 0.0)]
    """

    def __init__(self, n_step_fn, n_step: int, gamma: float, block: int = 64):
        self.n_step, self.gamma = _checked(n_step, gamma)
        if isinstance(block, bool) or int(block) != block or block < 1:
            raise ValueError(f"block must be an integer >= 1, got {block!r}")
        self.n_step_fn, self.block = n_step_fn, int(block)
        self.steps: list[tuple] = []  # (obs, action, reward, next_obs) of the waiting steps

    def step(self, obs, action, reward, next_obs, terminated: bool, truncated: bool) -> list[tuple]:
        """Add one step; return the n-step transitions it makes ready.

        Returns:
            list of (obs, action, reward_sum, next_obs, terminated, discount) tuples, oldest first.
        """
        self.steps.append((obs, action, float(reward), next_obs))
        ended = bool(terminated or truncated)
        if not ended and len(self.steps) < self.block + self.n_step - 1:
            return []
        T = len(self.steps)
        term, trunc = np.zeros(T, bool), np.zeros(T, bool)
        term[-1], trunc[-1] = bool(terminated), bool(truncated)
        sums, discounts, index = self._windows(term, trunc)
        keep = T if ended else T - self.n_step + 1
        out = [(self.steps[t][0], self.steps[t][1], float(sums[t]), self.steps[index[t]][3], bool(term[index[t]]),
                float(discounts[t])) for t in range(keep)]
        del self.steps[:keep]
        return out

    def _windows(self, term, trunc):
        T = len(term)
        rewards = np.array([r for _, _, r, _ in self.steps], np.float32)
        result = self.n_step_fn(rewards, term, trunc, self.gamma, self.n_step)
        try:
            sums, discounts, index = (np.asarray(x.numpy() if hasattr(x, "numpy") else x) for x in result)
        except (TypeError, ValueError):
            raise ValueError("n_step_fn must return (reward_sums, discounts, bootstrap_index), got "
                             f"{type(result).__name__}") from None
        if any(x.shape != (T,) for x in (sums, discounts, index)):
            raise ValueError(f"n_step_fn must return three arrays of shape [T] = [{T}], got shapes "
                             f"{[list(x.shape) for x in (sums, discounts, index)]}")
        if not np.issubdtype(index.dtype, np.integer) or np.any(index < np.arange(T)) or np.any(index >= T):
            raise ValueError(f"n_step_fn's bootstrap_index must be integers with t <= bootstrap_index[t] < T = {T}, "
                             f"got {index.tolist()}")
        return sums, discounts, index


def _checked(n_step, gamma) -> tuple[int, float]:
    """(n_step, gamma) as int and float, or ValueError naming the bad one."""
    if isinstance(n_step, bool) or int(n_step) != n_step or n_step < 1:
        raise ValueError(f"n_step must be an integer >= 1, got {n_step!r}")
    if not 0.0 <= gamma < 1.0:
        raise ValueError(f"gamma must be in [0, 1), got {gamma!r}")
    return int(n_step), float(gamma)
