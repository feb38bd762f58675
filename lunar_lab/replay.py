"""Experience replay: a preallocated NumPy ring buffer with uniform sampling.

Source: Lin (1992), "Self-improving reactive agents based on reinforcement learning,
planning and teaching"; Mnih et al. (2015), DQN. Storage is five fixed NumPy arrays,
written in place: no per-transition Python objects, so memory per transition is known
exactly (:meth:`ReplayBuffer.bytes_per_transition`).
"""

from __future__ import annotations

import numpy as np

FIELDS = ("obs", "action", "reward", "next_obs", "terminated", "discount")


class ReplayBuffer:
    """Fixed-capacity ring buffer of transitions (s, a, r, s′, terminated, γᵏ).

    When full, each new transition overwrites the oldest one. Sampling is uniform with
    replacement over the stored transitions and never changes the buffer.

    Args:
        capacity: maximum number of transitions kept, ≥ 1.
        obs_dim: length of an observation vector.
        seed: seed of the sampling generator (NumPy ``default_rng``).

    Stored arrays (N = capacity):
        obs, next_obs: [N, obs_dim] float32; action: [N] int32; reward: [N] float32;
        terminated: [N] float32 (1.0 where s′ is terminal); discount: [N] float32, the
        bootstrap discount of the transition (γ for one step, γᵏ for a k-step transition).

    Raises:
        ValueError: ``capacity`` or ``obs_dim`` not a positive integer.

    Example:
        >>> buf = ReplayBuffer(capacity=3, obs_dim=2, seed=0)
        >>> for t in range(5):
        ...     buf.add(np.full(2, t), t % 4, float(t), np.full(2, t + 1), False)
        >>> len(buf), sorted(buf.reward.tolist())   # 0 and 1 were overwritten
        (3, [2.0, 3.0, 4.0])
    """

    def __init__(self, capacity: int, obs_dim: int, seed: int | None = None):
        for pname, value in (("capacity", capacity), ("obs_dim", obs_dim)):
            if isinstance(value, bool) or int(value) != value or value < 1:
                raise ValueError(f"{pname} must be a positive integer, got {value!r}")
        self.capacity = int(capacity)
        self.obs_dim = int(obs_dim)
        self.obs = np.zeros((self.capacity, self.obs_dim), np.float32)
        self.next_obs = np.zeros((self.capacity, self.obs_dim), np.float32)
        self.action = np.zeros(self.capacity, np.int32)
        self.reward = np.zeros(self.capacity, np.float32)
        self.terminated = np.zeros(self.capacity, np.float32)
        self.discount = np.ones(self.capacity, np.float32)
        self.position = 0  # index the next transition is written to
        self.size = 0
        self.rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        return self.size

    def bytes_per_transition(self) -> int:
        """Bytes one stored transition occupies (2·obs_dim·4 + 4·4 for LunarLander: 80)."""
        return sum(getattr(self, f).itemsize * int(np.prod(getattr(self, f).shape[1:])) for f in FIELDS)

    def add(self, obs, action, reward, next_obs, terminated, discount: float = 1.0) -> None:
        """Store one transition, overwriting the oldest when full.

        Args:
            obs, next_obs: [obs_dim] observation before and after the action. For a
                transition cut by the time limit, ``next_obs`` is the real final observation.
            action: int action index; reward: float; terminated: bool, True only when s′
                is a true terminal state (never for a time-limit truncation).
            discount: bootstrap discount of this transition (γ, or γᵏ for k steps).
        """
        self.add_batch(
            np.asarray(obs)[None], np.asarray([action]), np.asarray([reward]),
            np.asarray(next_obs)[None], np.asarray([terminated]), np.asarray([discount]),
        )

    def add_batch(self, obs, action, reward, next_obs, terminated, discount=None) -> None:
        """Store K transitions at once (arrays with a leading axis K), in order.

        Args:
            obs, next_obs: [K, obs_dim]; action: [K] int; reward: [K] float;
            terminated: [K] bool or float; discount: [K] float or None (all 1.0).

        Raises:
            ValueError: the arrays' leading lengths or observation widths disagree.
        """
        obs = np.asarray(obs, np.float32)
        k = obs.shape[0]
        if obs.shape != (k, self.obs_dim) or np.shape(next_obs) != (k, self.obs_dim):
            raise ValueError(
                f"obs and next_obs must have shape [K, {self.obs_dim}], got {obs.shape} and {np.shape(next_obs)}"
            )
        for pname, arr in (("action", action), ("reward", reward), ("terminated", terminated)):
            if np.shape(arr) != (k,):
                raise ValueError(f"{pname} must have shape [{k}] to match obs, got {np.shape(arr)}")
        if k > self.capacity:  # only the newest `capacity` survive
            sl = slice(k - self.capacity, k)
            obs, action, reward, next_obs, terminated = (np.asarray(a)[sl] for a in (obs, action, reward, next_obs, terminated))
            discount = None if discount is None else np.asarray(discount)[sl]
            k = self.capacity
        idx = (self.position + np.arange(k)) % self.capacity
        self.obs[idx] = obs
        self.action[idx] = action
        self.reward[idx] = reward
        self.next_obs[idx] = next_obs
        self.terminated[idx] = terminated
        self.discount[idx] = 1.0 if discount is None else discount
        self.position = int((self.position + k) % self.capacity)
        self.size = min(self.size + k, self.capacity)

    def sample(self, batch_size: int, num_batches: int | None = None) -> dict[str, np.ndarray]:
        """Sample transitions uniformly with replacement.

        Args:
            batch_size: B, transitions per batch, ≥ 1 (drawn with replacement).
            num_batches: None for one batch ([B, ...] arrays) or K for K independent
                batches stacked as [K, B, ...] (one call feeds K gradient steps).

        Returns:
            dict with keys ``obs``, ``action``, ``reward``, ``next_obs``, ``terminated``,
            ``discount``, dtypes as stored.

        Raises:
            ValueError: the buffer is empty, or ``batch_size`` < 1.
        """
        if self.size == 0:
            raise ValueError("cannot sample from an empty replay buffer: add transitions first")
        if isinstance(batch_size, bool) or int(batch_size) != batch_size or batch_size < 1:
            raise ValueError(f"batch_size must be an integer >= 1, got {batch_size!r}")
        shape = (int(batch_size),) if num_batches is None else (int(num_batches), int(batch_size))
        idx = self.rng.integers(0, self.size, size=shape)
        return {f: getattr(self, f)[idx] for f in FIELDS}
