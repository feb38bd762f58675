"""Experience replay: a preallocated NumPy ring buffer with uniform sampling.

Source: Lin (1992), "Self-improving reactive agents based on reinforcement learning,
planning and teaching"; Mnih et al. (2015), DQN. Storage is five fixed NumPy arrays,
written in place: no per-transition Python objects, so memory per transition is known
exactly (:meth:`ReplayBuffer.bytes_per_transition`). :meth:`ReplayBuffer.state_dict` and
:meth:`ReplayBuffer.load_state_dict` save and restore it exactly (contents, ring position
and sampling generator) for resumable training.
"""

from __future__ import annotations

import json
import numbers
from collections.abc import Mapping

import numpy as np

FIELDS = ("obs", "action", "reward", "next_obs", "terminated", "discount")
#: The integer entries of :meth:`ReplayBuffer.state_dict`, besides the arrays and ``rng_state``.
COUNTERS = ("position", "size", "capacity", "obs_dim")
_INT32_LIMIT = int(np.iinfo(np.int32).max) + 1  # actions are stored as int32


def _positive_int(name: str, value, allowed: str = "a positive integer") -> int:
    """``value`` as an int; ValueError naming ``name`` unless it is a whole number ≥ 1 (not a bool)."""
    whole = isinstance(value, numbers.Integral) or (isinstance(value, numbers.Real) and float(value).is_integer())
    if not whole or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be {allowed}, got {value!r}")
    return int(value)


def _refuse(name: str, values: np.ndarray, bad: np.ndarray, allowed: str) -> None:
    """ValueError naming ``name``, what is allowed and (up to five of) the distinct bad values."""
    if bad.any():
        shown = np.unique(values[bad])
        got = ", ".join(repr(v) for v in shown[:5].tolist()) + (", …" if len(shown) > 5 else "")
        raise ValueError(f"{name} must be {allowed}, got {got}")


def _check_interval(name: str, values: np.ndarray, low, high, allowed: str, *, high_open: bool = False) -> None:
    """Refuse values outside [low, high] ([low, high) if ``high_open``) or NaN; fast when all are in."""
    if values.size == 0:
        return
    top = values.max()
    if values.min() >= low and (top < high if high_open else top <= high):  # False for NaN
        return
    _refuse(name, values, ~((values >= low) & ((values < high) if high_open else (values <= high))), allowed)


class ReplayBuffer:
    """Fixed-capacity ring buffer of transitions (s, a, r, s′, terminated, γᵏ).

    When full, each new transition overwrites the oldest one. Sampling is uniform with
    replacement over the stored transitions and never changes the buffer.

    Args:
        capacity: maximum number of transitions kept, ≥ 1.
        obs_dim: length of an observation vector.
        seed: seed of the sampling generator (NumPy ``default_rng``).
        num_actions: A, the size of the action set (keyword only). When given, every
            stored action must be an integer in [0, A); when None, any integer in
            [0, 2³¹) (the int32 storage) is accepted.

    Stored arrays (N = capacity):
        obs, next_obs: [N, obs_dim] float32; action: [N] int32; reward: [N] float32;
        terminated: [N] float32 (1.0 where s′ is terminal); discount: [N] float32, the
        bootstrap discount of the transition (γ for one step, γᵏ for a k-step transition).
        Rows [0, size) hold transitions; ``position`` is the row written next.

    Raises:
        ValueError: ``capacity``, ``obs_dim`` or ``num_actions`` not a positive integer.

    Example:
        >>> buf = ReplayBuffer(capacity=3, obs_dim=2, seed=0, num_actions=4)
        >>> for t in range(5):
        ...     buf.add(np.full(2, t), t % 4, float(t), np.full(2, t + 1), False)
        >>> len(buf), sorted(buf.reward.tolist())   # 0 and 1 were overwritten
        (3, [2.0, 3.0, 4.0])
        >>> buf.add(np.zeros(2), 4, 0.0, np.zeros(2), False)
        Traceback (most recent call last):
        ...
        ValueError: action must be integers in [0, 4) (num_actions = 4), got 4
    """

    def __init__(self, capacity: int, obs_dim: int, seed: int | None = None, *, num_actions: int | None = None):
        self.capacity = _positive_int("capacity", capacity)
        self.obs_dim = _positive_int("obs_dim", obs_dim)
        self.num_actions = None if num_actions is None else _positive_int(
            "num_actions", num_actions, "None or a positive integer")
        self._action_limit = ((_INT32_LIMIT, "integers in [0, 2**31) (int32; pass num_actions to bound them by A)")
                              if self.num_actions is None else
                              (self.num_actions, f"integers in [0, {self.num_actions}) (num_actions = {self.num_actions})"))
        for field, array in self._empty_arrays().items():
            setattr(self, field, array)
        self.position = 0  # index the next transition is written to
        self.size = 0
        self.rng = np.random.default_rng(seed)

    def _empty_arrays(self) -> dict[str, np.ndarray]:
        n, d = self.capacity, self.obs_dim
        return {"obs": np.zeros((n, d), np.float32), "action": np.zeros(n, np.int32),
                "reward": np.zeros(n, np.float32), "next_obs": np.zeros((n, d), np.float32),
                "terminated": np.zeros(n, np.float32), "discount": np.ones(n, np.float32)}

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
            action: int action index (see ``num_actions``); reward: float; terminated: bool,
                True only when s′ is a true terminal state (never for a time-limit truncation).
            discount: bootstrap discount of this transition in [0, 1] (γ, or γᵏ for k steps).

        Raises:
            ValueError: as :meth:`add_batch`.
        """
        self.add_batch(
            np.asarray(obs)[None], np.asarray([action]), np.asarray([reward]),
            np.asarray(next_obs)[None], np.asarray([terminated]), np.asarray([discount]),
        )

    def add_batch(self, obs, action, reward, next_obs, terminated, discount=None) -> None:
        """Store K transitions at once (arrays with a leading axis K), in order.

        Nothing is written unless every argument is valid. The result is that of K calls
        to :meth:`add` (when K > capacity only the newest ``capacity`` survive, in the slots
        those calls would leave them in).

        Args:
            obs, next_obs: [K, obs_dim] float; action: [K] integers (int dtype, or floats
            with whole values), in [0, num_actions) when ``num_actions`` is set, else in
            [0, 2³¹); reward: [K] float; terminated: [K] bool, or 0/1 numbers;
            discount: [K] float in [0, 1], or None (all 1.0).

        Raises:
            ValueError: a leading length or the observation width is wrong (the message
                gives the shape given and the shape needed), an action is not an allowed
                integer, ``terminated`` is not 0/1, or a discount is outside [0, 1]; the
                message names the argument, the bad values and what is allowed.
        """
        columns = self._checked(obs, action, reward, next_obs, terminated, discount)
        k = len(columns["obs"])
        skipped = max(k - self.capacity, 0)  # overwritten within this batch: only the newest `capacity` survive
        idx = (self.position + np.arange(skipped, k)) % self.capacity
        for f, column in columns.items():
            getattr(self, f)[idx] = column[skipped:]
        self.position = int((self.position + k) % self.capacity)
        self.size = min(self.size + k, self.capacity)

    def _checked(self, obs, action, reward, next_obs, terminated, discount) -> dict[str, np.ndarray]:
        """The K transitions as arrays of the stored dtypes, after every shape and value check."""
        obs, next_obs = np.asarray(obs, np.float32), np.asarray(next_obs, np.float32)
        k = obs.shape[0] if obs.ndim else 0
        if obs.shape != (k, self.obs_dim) or next_obs.shape != obs.shape:
            raise ValueError(
                f"obs and next_obs must have shape [K, {self.obs_dim}], got {obs.shape} and {next_obs.shape}"
            )
        given = {"action": action, "reward": reward, "terminated": terminated}
        if discount is not None:
            given["discount"] = discount
        for pname, arr in given.items():
            if np.shape(arr) != (k,):
                raise ValueError(f"{pname} must have shape [K] = [{k}] to match obs, got {np.shape(arr)}")
        action, terminated = np.asarray(action), np.asarray(terminated)
        discount = np.ones(k, np.float32) if discount is None else np.asarray(discount, np.float32)
        self._check_actions(action)
        if terminated.dtype != bool:
            terminated = np.asarray(terminated, np.float32)
            _refuse("terminated", terminated, (terminated != 0) & (terminated != 1),
                    "0 or 1 (1 where s′ is a true terminal state)")
        _check_interval("discount", discount, 0, 1, "in [0, 1] (γ, or γᵏ for k steps)")
        return {"obs": obs, "action": action.astype(np.int32), "reward": np.asarray(reward, np.float32),
                "next_obs": next_obs, "terminated": terminated.astype(np.float32), "discount": discount}

    def _check_actions(self, action: np.ndarray) -> None:
        high, allowed = self._action_limit
        if action.dtype.kind in "iu":
            _check_interval("action", action, 0, high, allowed, high_open=True)
        elif action.dtype.kind == "f":
            _refuse("action", action, ~((action >= 0) & (action < high) & (np.floor(action) == action)), allowed)
        else:
            raise ValueError(f"action must be {allowed}, got dtype {action.dtype}")

    def sample(self, batch_size: int, num_batches: int | None = None) -> dict[str, np.ndarray]:
        """Sample transitions uniformly with replacement.

        Args:
            batch_size: B, transitions per batch, ≥ 1 (drawn with replacement).
            num_batches: None for one batch ([B, ...] arrays) or K ≥ 1 for K independent
                batches stacked as [K, B, ...] (one call feeds K gradient steps).

        Returns:
            dict with keys ``obs``, ``action``, ``reward``, ``next_obs``, ``terminated``,
            ``discount``, dtypes as stored (new arrays, not views of the buffer).

        Raises:
            ValueError: the buffer is empty, ``batch_size`` is not a positive integer, or
                ``num_batches`` is neither None nor a positive integer.
        """
        if self.size == 0:
            raise ValueError("cannot sample from an empty replay buffer: add transitions first")
        shape = (_positive_int("batch_size", batch_size),)
        if num_batches is not None:
            shape = (_positive_int("num_batches", num_batches, "None (one batch) or a positive integer"), *shape)
        idx = self.rng.integers(0, self.size, size=shape)
        return {f: getattr(self, f)[idx] for f in FIELDS}

    def state_dict(self) -> dict[str, np.ndarray]:
        """Everything needed to restore this buffer exactly, as NumPy arrays.

        Returns:
            dict of new arrays (later calls to :meth:`add` leave it alone): the six stored
            fields (:data:`FIELDS`), only their first ``size`` rows (all rows when full), with
            the stored dtypes and shapes ([size, obs_dim] or [size]); ``position``, ``size``,
            ``capacity``, ``obs_dim`` (:data:`COUNTERS`) as 0-d int64 arrays; ``rng_state``,
            the sampling generator's state as JSON text in a 0-d unicode array. It saves
            with ``np.savez(path, **state)`` and loads with ``np.load(path, allow_pickle=False)``.

        Example:
            >>> import io
            >>> buf = ReplayBuffer(capacity=4, obs_dim=1, seed=0)
            >>> buf.add_batch(np.zeros((3, 1)), [0, 1, 2], [0.0, 1.0, 2.0], np.ones((3, 1)), [False] * 3)
            >>> file = io.BytesIO()
            >>> np.savez(file, **buf.state_dict())
            >>> _ = file.seek(0)
            >>> restored = ReplayBuffer(capacity=4, obs_dim=1)
            >>> restored.load_state_dict(np.load(file, allow_pickle=False))
            >>> restored.sample(5)["reward"].tolist() == buf.sample(5)["reward"].tolist()
            True
        """
        state = {f: getattr(self, f)[: self.size].copy() for f in FIELDS}
        state.update({name: np.array(getattr(self, name), np.int64) for name in COUNTERS})
        state["rng_state"] = np.array(json.dumps(self.rng.bit_generator.state))
        return state

    def load_state_dict(self, state: Mapping[str, np.ndarray]) -> None:
        """Restore a :meth:`state_dict` exactly: contents, position, size and the generator.

        Afterwards every :meth:`sample` and :meth:`add` gives what it would have given on
        the buffer that was saved. Nothing changes unless the whole state is valid. Keys
        other than those of :meth:`state_dict` are ignored.

        Args:
            state: a mapping with the keys of :meth:`state_dict` (a dict, or the
                ``np.load`` of an ``.npz`` file).

        Raises:
            ValueError: a key is missing; ``capacity`` or ``obs_dim`` differ from this
                buffer's (the message gives both); ``position`` / ``size`` are impossible
                for the capacity; an array has the wrong shape or holds values
                :meth:`add_batch` refuses (e.g. an action ≥ ``num_actions``); or
                ``rng_state`` is not a state of this buffer's generator.
        """
        missing = [key for key in (*FIELDS, *COUNTERS, "rng_state") if key not in state]
        if missing:
            raise ValueError(f"state is missing the key(s) {missing}; load_state_dict needs those of state_dict()")
        counters = {}
        for name in COUNTERS:
            value = np.asarray(state[name])
            if value.shape != () or value.dtype.kind not in "iu":
                raise ValueError(f"state[{name!r}] must be a 0-d integer array, got {value!r}")
            counters[name] = int(value)
        for name in ("capacity", "obs_dim"):
            if counters[name] != getattr(self, name):
                raise ValueError(f"state has {name} = {counters[name]}, this buffer has {name} = "
                                 f"{getattr(self, name)}; restore it into ReplayBuffer({name}={counters[name]}, ...)")
        position, size = counters["position"], counters["size"]
        if not (0 <= size <= self.capacity and 0 <= position < self.capacity
                and (size == self.capacity or position == size)):
            raise ValueError(f"state has position = {position} and size = {size}, impossible for capacity "
                             f"{self.capacity} (size in [0, capacity]; position = size unless full)")
        try:
            columns = self._checked(*(state[f] for f in FIELDS))
        except ValueError as err:
            raise ValueError(f"state does not hold valid transitions: {err}") from None
        if len(columns["obs"]) != size:
            raise ValueError(f"state holds {len(columns['obs'])} transitions but size = {size}")
        bit_generator = type(self.rng.bit_generator)()
        try:
            bit_generator.state = json.loads(str(np.asarray(state["rng_state"])))
        except (TypeError, ValueError, KeyError) as err:
            raise ValueError(f"state['rng_state'] is not a {type(bit_generator).__name__} state "
                             f"from state_dict(): {err!r}") from None
        arrays = self._empty_arrays()
        for f, column in columns.items():
            arrays[f][:size] = column
            setattr(self, f, arrays[f])
        self.position, self.size = position, size
        self.rng = np.random.Generator(bit_generator)
