"""N-step transitions assembled from a stream of one-step experience.

An n-step transition from time t stores G = Σ_{k=0}^{m−1} γᵏ r_{t+k+1}, the observation
s_{t+m} reached after m ≤ n steps, whether that state is terminal, and the bootstrap
discount γᵐ. Normally m = n; when the episode ends inside the window, the windows still
open are flushed with m < n: a terminated episode stops bootstrapping, a truncated one
bootstraps from its real final observation with γᵐ. With n = 1 this is exactly the
one-step transition (Sutton & Barto 2018, §7.1, eq. 7.1; Hessel et al. 2018, Rainbow).
"""

from __future__ import annotations

from collections import deque

import numpy as np


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
        if isinstance(n_step, bool) or int(n_step) != n_step or n_step < 1:
            raise ValueError(f"n_step must be an integer >= 1, got {n_step!r}")
        if not 0.0 <= gamma < 1.0:
            raise ValueError(f"gamma must be in [0, 1), got {gamma!r}")
        self.n_step, self.gamma = int(n_step), float(gamma)
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
