"""Checks for notebook 02, "Replay buffers": the learner's ring-buffer replay memory.

The learner completes ``add_batch`` and ``sample`` of a class whose ``__init__`` is given
(preallocated NumPy arrays ``obs``, ``action``, ``reward``, ``next_obs``, ``terminated``,
``discount`` of length ``capacity``; the write index ``position``; the count ``size``; the
generator ``rng``). :func:`check_replay_buffer` runs it next to the package's reference
:class:`lunar_lab.replay.ReplayBuffer` and names the likely mistake when they disagree.

Every stored test transition is recognisable from any of its fields (transition ``t``
has reward ``10 + t``, observation ``t + 0.01·[0, 1, …]``, next observation that plus 0.5),
so a check can tell which transition landed in which slot, and which one a sampled row
came from.

Source: Lin (1992), experience replay; Mnih et al. (2015), DQN, a replay memory of the
last N transitions sampled uniformly.
"""

from __future__ import annotations

import numpy as np

from lunar_lab.checks.compare import close, mismatches
from lunar_lab.checks.core import ExerciseFailed, NotImplementedYet, exercise
from lunar_lab.replay import FIELDS, ReplayBuffer

NAME = "RingReplayBuffer"
#: dtype of each stored array and of each sampled array.
DTYPES = {"obs": np.float32, "action": np.int32, "reward": np.float32, "next_obs": np.float32,
          "terminated": np.float32, "discount": np.float32}

# Hand-made add schedules: (description, capacity, obs_dim, [("add_batch", K) or ("add", 1), ...]).
_STORAGE_CASES = (
    ("one transition into an empty buffer", 5, 3, [("add_batch", 1)]),
    ("filling up to capacity in two batches", 5, 3, [("add_batch", 2), ("add_batch", 3)]),
    ("a batch that crosses the end of the arrays", 5, 3, [("add_batch", 2), ("add_batch", 2), ("add_batch", 3)]),
    ("single add() calls, round and round the ring", 5, 2, [("add", 1)] * 13),
    ("capacity 1", 1, 2, [("add_batch", 1), ("add", 1), ("add_batch", 1)]),
    ("four transitions per call, as train() with 4 envs calls it", 10, 8, [("add_batch", 4)] * 8),
)
_RANDOM_STORAGE_CASES = 20
_SAMPLE_CASES = 8  # shapes/dtypes, rows (not consecutive), empty slots, uniform, independent, with replacement,
#                    reproducible, batches that survive later add/sample calls
NUM_CASES = len(_STORAGE_CASES) + _RANDOM_STORAGE_CASES + _SAMPLE_CASES


def check_replay_buffer(buffer_class) -> None:
    """Check a ring-buffer replay memory class against :class:`lunar_lab.replay.ReplayBuffer`.

    ``buffer_class(capacity, obs_dim, seed=...)`` must build an empty buffer with the
    attributes of the notebook's skeleton, ``add_batch(obs [K, obs_dim], action [K],
    reward [K], next_obs [K, obs_dim], terminated [K], discount [K])`` must write K ≤
    capacity transitions in place, and ``sample(batch_size=B, num_batches=K)`` must return
    a dict of the six fields, each [K, B, ...] with the stored dtypes (float32; action int32).

    Cases: hand-made and random add schedules compared slot by slot with the reference
    (wrap-around, position, size); then sampling: shapes and dtypes, rows kept together,
    never an empty slot, with replacement, uniform over the stored transitions, independent
    batches and calls, reproducible from the seed, never changing the buffer, and returning
    new arrays that later ``sample`` and ``add_batch`` calls leave alone (``train`` keeps
    sampling and adding while its learner thread still uses the previous batch).

    Raises:
        ExerciseFailed: a case failed; the message names the case, what differs and the
            likely mistake (e.g. "overwrites slot 0 forever", "sampled from empty slots",
            "off by one", "a view into the buffer", "not reproducible").
        NotImplementedYet: ``add_batch`` or ``sample`` still raises NotImplementedError.
    """
    with exercise(NAME, passed=f"passed ({NUM_CASES} cases)") as call:
        for description, capacity, obs_dim, schedule in _STORAGE_CASES:
            _check_storage(call, buffer_class, description, capacity, obs_dim, schedule)
        rng = np.random.default_rng(2024)
        for i in range(_RANDOM_STORAGE_CASES):
            capacity = int(rng.integers(1, 13))
            schedule = [("add", 1) if rng.random() < 0.25 else ("add_batch", int(rng.integers(1, capacity + 1)))
                        for _ in range(int(rng.integers(2, 12)))]
            _check_storage(call, buffer_class, f"random case {i + 1}", capacity, int(rng.integers(1, 9)), schedule)
        _check_sample(call, buffer_class)


# ----------------------------------------------------------------------------------------
# Test transitions


def transitions(t0: int, k: int, obs_dim: int) -> dict[str, np.ndarray]:
    """K recognisable transitions t0 … t0+K−1, typed as the training loop passes them.

    Returns:
        dict: obs, next_obs [K, obs_dim] float32; action [K] int64; reward [K] float64;
        terminated [K] bool; discount [K] float32.

    Example:
        >>> transitions(7, 1, 2)["reward"].tolist(), transitions(7, 1, 2)["obs"].tolist()
        ([17.0], [[7.0, 7.010000228881836]])
    """
    t = np.arange(t0, t0 + k)
    obs = (t[:, None] + 0.01 * np.arange(obs_dim)[None, :]).astype(np.float32)
    return {"obs": obs, "action": (t % 4).astype(np.int64), "reward": (10.0 + t).astype(np.float64),
            "next_obs": obs + np.float32(0.5), "terminated": t % 3 == 2,
            "discount": (0.99 ** (1 + t % 3)).astype(np.float32)}


def _expected_row(t: int, obs_dim: int) -> dict[str, np.ndarray]:
    row = transitions(t, 1, obs_dim)
    return {f: np.asarray(row[f][0], DTYPES[f]) for f in FIELDS}


# ----------------------------------------------------------------------------------------
# add / add_batch


def _describe(done: list[tuple[str, int]]) -> str:
    if not done:
        return "an empty buffer"
    n = sum(k for _, k in done)
    calls = ", ".join(f"add_batch(K={k})" if kind == "add_batch" else "add()" for kind, k in done)
    if len(calls) > 90:
        calls = f"{len(done)} calls"
    return f"{_span(0, n)} added by {calls}"


def _span(t0: int, k: int) -> str:
    return f"transition {t0}" if k == 1 else f"transitions {t0}–{t0 + k - 1}"


def _build(call, buffer_class, capacity, obs_dim, seed=0):
    buf = call(buffer_class, capacity, obs_dim, seed=seed)
    missing = [a for a in (*FIELDS, "position", "size", "capacity", "rng") if not hasattr(buf, a)]
    if missing:
        raise ExerciseFailed(
            f"{NAME}({capacity}, {obs_dim}): the buffer has no attribute(s) {', '.join(missing)} — keep the "
            "__init__ that the exercise gives (the check reads the arrays, position and size)")
    return buf


def _state(buf) -> dict:
    state = {f: np.array(getattr(buf, f), copy=True) for f in FIELDS}
    state["position"], state["size"] = buf.position, buf.size
    return state


def _check_storage(call, buffer_class, description, capacity, obs_dim, schedule) -> None:
    buf = _build(call, buffer_class, capacity, obs_dim)
    ref = ReplayBuffer(capacity, obs_dim)
    done: list[tuple[str, int]] = []
    t0 = 0
    for kind, k in schedule:
        data = transitions(t0, k, obs_dim)
        before = _state(buf)
        where = (f"{NAME} [{description}]: capacity {capacity}, {_describe(done)}; then "
                 f"{'add_batch' if kind == 'add_batch' else 'add'} of {_span(t0, k)} at position {ref.position}")
        try:
            if kind == "add_batch":
                call(buf.add_batch, *(data[f] for f in FIELDS))
            else:
                call(buf.add, *(data[f][0] for f in FIELDS))
        except NotImplementedYet:
            raise
        except ExerciseFailed as err:
            raise ExerciseFailed(f"{where}: {_strip_name(err)}{_add_error_hint(str(err), ref.position, k, capacity)}") from None
        ref.add_batch(*(data[f] for f in FIELDS))
        done.append((kind, k))
        t0 += k
        _compare_storage(buf, ref, before, where, capacity, obs_dim, k, t0)


def _strip_name(err: Exception) -> str:
    text = str(err)
    return text[len(NAME) + 2:] if text.startswith(NAME + ": ") else text


def _add_error_hint(message: str, position: int, k: int, capacity: int) -> str:
    crosses = position + k > capacity
    if "IndexError" in message or "out of bounds" in message:
        return (" — index out of range: the write indices ran past the end of the arrays. Wrap them around: "
                "idx = (self.position + np.arange(K)) % self.capacity")
    if "broadcast" in message and crosses:
        slots = ((position + np.arange(k)) % capacity).tolist()
        return (f" — this batch crosses the end of the arrays: it goes to slots {slots}, the last slot(s) and then "
                "round to the start. A slice self.obs[position:position + K] is cut short at the end; use wrapped "
                "indices idx = (self.position + np.arange(K)) % self.capacity")
    return ""


def _compare_storage(buf, ref, before, where, capacity, obs_dim, k, n_added) -> None:
    for f in FIELDS:
        arr = getattr(buf, f)
        want = getattr(ref, f)
        if not isinstance(arr, np.ndarray):
            raise ExerciseFailed(f"{where}: self.{f} is a {type(arr).__name__}, no longer the preallocated NumPy "
                                 f"array — write into it in place: self.{f}[idx] = ...")
        if arr.shape[0] > capacity:
            raise ExerciseFailed(
                f"{where}: self.{f} now has {arr.shape[0]} rows, but capacity is {capacity} — the buffer grows past "
                f"capacity. Write into the preallocated arrays in place (self.{f}[idx] = {f}), never append or "
                "concatenate")
        if arr.shape != want.shape:
            raise ExerciseFailed(f"{where}: self.{f} has shape {list(arr.shape)}, expected {list(want.shape)} — write "
                                 f"into the preallocated array in place (self.{f}[idx] = {f})")
        if arr.dtype != want.dtype:
            raise ExerciseFailed(f"{where}: self.{f} has dtype {arr.dtype}, expected {want.dtype} — the array was "
                                 f"replaced by a new one; assign into it in place (self.{f}[idx] = {f}), which keeps "
                                 "its dtype")
    size = _as_int(buf.size, f"{where}: self.size")
    if size > capacity or len(buf) > capacity:
        raise ExerciseFailed(
            f"{where}: size is {size} (len {len(buf)}) with capacity {capacity} — grows past capacity. The size "
            "saturates: self.size = min(self.size + K, self.capacity)")
    if size != ref.size:
        if n_added >= capacity and size == ref.position:
            hint = ("size fell back after the wrap-around: it counts the stored transitions and stays at capacity "
                    "once the buffer is full; it is not the write position")
        else:
            hint = "size counts the stored transitions: self.size = min(self.size + K, self.capacity)"
        raise ExerciseFailed(f"{where}: size is {size}, expected {ref.size} — {hint}")

    wrote = np.flatnonzero(np.any(np.stack([_rows_differ(before[f], getattr(buf, f)) for f in FIELDS]), axis=0))
    ref_slots = np.sort((ref.position - k + np.arange(k)) % capacity)
    if not np.array_equal(np.sort(wrote), ref_slots):
        _raise_wrong_slots(where, wrote, ref_slots, capacity, k, n_added)
    for slot in ref_slots:
        _compare_row(buf, ref, int(slot), where, obs_dim)
    for f in FIELDS:  # anything else (e.g. an untouched slot changed) – should not happen after the checks above
        if not np.array_equal(getattr(buf, f), getattr(ref, f)):
            slot = int(np.flatnonzero(_rows_differ(getattr(buf, f), getattr(ref, f)))[0])
            raise ExerciseFailed(f"{where}: slot {slot} of self.{f} is {getattr(buf, f)[slot]}, expected "
                                 f"{getattr(ref, f)[slot]}")
    position = _as_int(buf.position, f"{where}: self.position")
    if position != ref.position:
        if position >= capacity:
            hint = ("it is outside [0, capacity): keep it wrapped, self.position = (self.position + K) % "
                    "self.capacity")
        elif position == size % capacity and n_added >= capacity:
            hint = ("the position was computed from size: once the buffer is full, size % capacity is 0 for ever, so "
                    "every later write would land at slot 0 (it overwrites slot 0 forever). The write position "
                    "advances on its own: self.position = (self.position + K) % self.capacity")
        elif position == capacity - 1 and n_added >= capacity:
            hint = ("it is stuck at the last slot, clamped with min(…, capacity − 1) instead of wrapped round to 0: "
                    "self.position = (self.position + K) % self.capacity")
        else:
            hint = ("the next write goes to slot (position + K) % capacity: "
                    "self.position = (self.position + K) % self.capacity")
        raise ExerciseFailed(f"{where}: position is {position}, expected {ref.position} — {hint}")


def _raise_wrong_slots(where, wrote, ref_slots, capacity, k, n_added) -> None:
    wrote_list, want_list = [int(s) for s in wrote], [int(s) for s in ref_slots]
    msg = f"{where}: the call wrote slot(s) {wrote_list}, expected {want_list}"
    full_before = n_added - k >= capacity
    if full_before and wrote_list and wrote_list == list(range(len(wrote_list))) and want_list != wrote_list:
        raise ExerciseFailed(
            f"{msg} — once the buffer is full, every write lands at slot 0 again: it overwrites slot 0 forever. "
            "The write position must keep going round the ring, independent of size: "
            "self.position = (self.position + K) % self.capacity")
    if full_before and wrote_list and wrote_list[-1] == capacity - 1 and capacity - 1 not in want_list:
        raise ExerciseFailed(
            f"{msg} — once the buffer is full, every write lands at the last slot: the position is clamped "
            "(min(…, capacity − 1)) instead of wrapped round to 0 with % capacity")
    if not wrote_list:
        raise ExerciseFailed(f"{msg} — nothing was stored: write each field into the preallocated arrays at the "
                             "write indices, self.obs[idx] = obs and so on")
    raise ExerciseFailed(f"{msg} — K transitions go to the K slots starting at the write position, wrapping round: "
                         "idx = (self.position + np.arange(K)) % self.capacity")


def _compare_row(buf, ref, slot, where, obs_dim) -> None:
    t = int(round(float(ref.reward[slot]) - 10.0))
    want = _expected_row(t, obs_dim)
    got_t = {f: _identify(f, np.asarray(getattr(buf, f)[slot]), obs_dim) for f in ("reward", "obs", "next_obs")}
    for f in ("reward", "obs", "next_obs"):
        if not close(getattr(buf, f)[slot], want[f]):
            if got_t["reward"] == t and got_t[f] is not None and got_t[f] != t:
                raise ExerciseFailed(
                    f"{where}: slot {slot} holds the reward of transition {t} but the {f} of transition {got_t[f]} — "
                    "rows mixed up: write all six fields at the same indices")
            if got_t[f] is not None and got_t[f] != t:
                raise ExerciseFailed(
                    f"{where}: slot {slot} holds transition {got_t[f]} (by its {f}), expected transition {t} — the K "
                    "transitions of a batch go, in order, to slots (position + 0, 1, …, K−1) % capacity")
            raise ExerciseFailed(f"{where}: slot {slot}: {f} is {getattr(buf, f)[slot]}, expected {want[f]} "
                                 f"(transition {t})")
    for f, hint in (("action", "the action taken"), ("terminated", "1.0 where the episode terminated"),
                    ("discount", "the discount passed in")):
        got = getattr(buf, f)[slot]
        if not close(got, want[f]):
            extra = ""
            if f == "discount" and close(got, 1.0):
                extra = " — the discount argument was not stored (the slot still holds 1.0)"
            elif f in ("terminated", "discount"):
                other = "discount" if f == "terminated" else "terminated"
                if close(got, want[other]):
                    extra = f" — it holds the {other}: terminated and discount swapped"
            raise ExerciseFailed(f"{where}: slot {slot}: {f} is {got:.6g}, expected {want[f]:.6g} ({hint}, transition "
                                 f"{t}){extra}")


def _identify(field: str, value: np.ndarray, obs_dim: int) -> int | None:
    """Which test transition a stored or sampled field value belongs to (None if none)."""
    value = np.asarray(value, np.float64).reshape(-1)
    if value.size == 0:
        return None
    if field == "reward":
        t = value[0] - 10.0
    elif field == "obs":
        t = value[0]
    elif field == "next_obs":
        t = value[0] - 0.5
    else:
        return None
    if not np.isfinite(t) or abs(t - round(t)) > 1e-3 or t < 0:
        return None
    t = int(round(t))
    return t if close(value, np.reshape(_expected_row(t, obs_dim)[field], -1)) else None


def _rows_differ(a, b) -> np.ndarray:
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        return np.ones(max(len(a), len(b)), bool)[: len(b)]
    diff = a != b
    return diff.reshape(len(a), -1).any(axis=1) if diff.ndim > 1 else diff


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _as_int(value, what: str) -> int:
    if not _is_int(value):
        if isinstance(value, (float, np.floating)) and float(value).is_integer():
            return int(value)
        raise ExerciseFailed(f"{what} is {value!r} ({type(value).__name__}), expected an integer")
    return int(value)


# ----------------------------------------------------------------------------------------
# sample


def _filled(call, buffer_class, capacity, obs_dim, n, seed=0):
    """A learner buffer holding transitions 0 … n−1 (added 3 at a time), already checked to store right."""
    buf = _build(call, buffer_class, capacity, obs_dim, seed=seed)
    t0 = 0
    while t0 < n:
        k = min(3, n - t0, capacity)
        data = transitions(t0, k, obs_dim)
        call(buf.add_batch, *(data[f] for f in FIELDS))
        t0 += k
    return buf


def _sample(call, buf, batch_size, num_batches, case) -> dict:
    before = _state(buf)
    where = (f"{NAME}.sample(batch_size={batch_size}, num_batches={num_batches}) [{case}; capacity {buf.capacity}, "
             f"size {before['size']}, position {before['position']}]")
    try:
        batch = call(buf.sample, batch_size=batch_size, num_batches=num_batches)
    except NotImplementedYet:
        raise
    except ExerciseFailed as err:
        msg = str(err)
        hint = ""
        if "larger sample than population" in msg or "replace" in msg:
            hint = (" — sampled without replacement: a batch may hold the same transition twice, and may be larger "
                    "than the buffer. Draw indices with replacement: self.rng.integers(0, self.size, size=(K, B))")
        elif "high <= 0" in msg or "low >= high" in msg or "high - low" in msg:
            hint = (" — the range the indices were drawn from is empty: draw from [0, size), where size is the "
                    "number of stored transitions (position is 0 right after a wrap-around)")
        elif "IndexError" in msg or "out of bounds" in msg:
            hint = (" — an index ran past the stored transitions, off by one? Draw from [0, size) with "
                    "self.rng.integers(0, self.size, ...), whose high end is already excluded (random.randint "
                    "includes its high end)")
        raise ExerciseFailed(f"{where}: {_strip_name(err)}{hint}") from None
    after = _state(buf)
    for key in ("position", "size"):
        if after[key] != before[key]:
            raise ExerciseFailed(f"{where}: sampling changed self.{key} from {before[key]} to {after[key]} — the "
                                 "buffer must not change while sampling (sample only reads)")
    for f in FIELDS:
        if not np.array_equal(after[f], before[f]):
            slot = int(np.flatnonzero(_rows_differ(before[f], after[f]))[0])
            raise ExerciseFailed(
                f"{where}: sampling changed self.{f} (slot {slot} first) — the buffer must not change while sampling: "
                "no in-place shuffle, no removal; index the arrays with the sampled indices, which makes copies")
    _check_batch_layout(batch, where, buf, batch_size, num_batches)
    for f in FIELDS:
        if np.shares_memory(batch[f], getattr(buf, f)):
            raise ExerciseFailed(
                f"{where}: batch['{f}'] is a view into self.{f} (it shares memory with the buffer) — the next add "
                f"would change a batch the learner is still using. Index with an integer array (self.{f}[idx]), "
                "which copies")
    return batch


def _check_batch_layout(batch, where, buf, batch_size, num_batches) -> None:
    if not isinstance(batch, dict):
        raise ExerciseFailed(f"{where}: returned a {type(batch).__name__}, expected a dict with keys "
                             f"{', '.join(FIELDS)}")
    missing = [f for f in FIELDS if f not in batch]
    if missing:
        raise ExerciseFailed(f"{where}: the dict has no key(s) {', '.join(map(repr, missing))}; expected keys "
                             f"{', '.join(FIELDS)}")
    obs_dim = buf.obs.shape[1]
    for f in FIELDS:
        arr = batch[f]
        if not isinstance(arr, np.ndarray):
            raise ExerciseFailed(f"{where}: batch['{f}'] is a {type(arr).__name__}, expected a NumPy array")
        want = (num_batches, batch_size) + ((obs_dim,) if f in ("obs", "next_obs") else ())
        if arr.shape != want:
            got = list(arr.shape)
            tail = want[2:]
            if arr.shape == (batch_size,) + tail:
                hint = "num_batches was ignored: draw indices of shape (num_batches, batch_size)"
            elif arr.shape == (num_batches * batch_size,) + tail:
                hint = "the K batches are flattened into one: draw indices of shape (num_batches, batch_size)"
            elif arr.shape[:1] == (num_batches,) and len(arr.shape) == len(want) and arr.shape[1] == buf.size < batch_size:
                hint = (f"only {buf.size} rows, as many as are stored: sampled without replacement. A batch may be "
                        "larger than the buffer: draw with replacement, self.rng.integers(0, self.size, size=(K, B))")
            elif arr.shape == (batch_size, num_batches) + tail:
                hint = "axes swapped: the shape is [num_batches K, batch_size B, ...]"
            else:
                hint = "draw indices of shape (num_batches, batch_size) and index each stored array with them"
            raise ExerciseFailed(f"{where}: batch['{f}'] has shape {got}, expected {list(want)} — {hint}")
        if arr.dtype != DTYPES[f]:
            raise ExerciseFailed(
                f"{where}: batch['{f}'] has dtype {arr.dtype}, expected {np.dtype(DTYPES[f])} as stored — index the "
                f"preallocated array (self.{f}[idx]), which keeps its dtype; building new arrays from Python lists "
                "gives float64 / int64")


def _sampled_transitions(batch, where, obs_dim, stored: tuple[int, int]) -> np.ndarray:
    """[K, B] transition numbers of the rows (by their reward), checking all six fields agree.

    ``stored`` = (first, last + 1) transition numbers the buffer holds; rows with a sentinel
    reward (≤ −1000, an empty slot) are left to the caller.
    """
    ts = np.rint(batch["reward"].astype(np.float64) - 10.0).astype(np.int64)
    valid = batch["reward"] > -1000.0
    outside = valid & ((ts < stored[0]) | (ts >= stored[1]))
    if outside.any():
        k, b = (int(i) for i in np.argwhere(outside)[0])
        raise ExerciseFailed(
            f"{where}: batch {k}, row {b} has reward {batch['reward'][k, b]:.6g}, which is none of the stored "
            f"transitions {stored[0]}–{stored[1] - 1} (an empty slot?) — draw indices from [0, size)")
    t = np.where(valid, ts, stored[0])
    flat = t.reshape(-1)
    obs = (flat[:, None] + 0.01 * np.arange(obs_dim)[None, :]).astype(np.float32)
    want = {"obs": obs, "action": flat % 4, "reward": 10.0 + flat, "next_obs": obs + np.float32(0.5),
            "terminated": (flat % 3 == 2).astype(np.float32), "discount": (0.99 ** (1 + flat % 3)).astype(np.float32)}
    for f in FIELDS:
        got = batch[f].reshape(flat.size, -1).astype(np.float64)
        expected = np.asarray(want[f], np.float64).reshape(flat.size, -1)
        bad = mismatches(got, expected).any(axis=1) & valid.reshape(-1)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            k, b = divmod(i, t.shape[1])
            other = _identify(f, batch[f][k, b], obs_dim)
            of = f"transition {other}'s" if other is not None else f"{batch[f][k, b]}, not transition {flat[i]}'s"
            raise ExerciseFailed(
                f"{where}: batch {k}, row {b}: the reward is transition {flat[i]}'s but the {f} is {of} — rows mixed "
                "up. Draw one index array and index all six stored arrays with it")
    return ts


def _check_sample(call, buffer_class) -> None:
    obs_dim = 3
    # 1. shapes and dtypes (a full buffer, so that nothing else can go wrong yet)
    buf = _filled(call, buffer_class, 20, obs_dim, 20)
    for batch_size, num_batches in ((7, 4), (5, 1)):
        _sample(call, buf, batch_size, num_batches, "shapes and dtypes")

    # 2. rows kept together, and not a run of consecutive transitions
    batch = _sample(call, buf, 8, 20, "rows kept together")
    ts = _sampled_transitions(batch, f"{NAME}.sample [rows kept together]", obs_dim, (0, 20))
    if all(np.all(np.diff(row) % 20 == 1) for row in ts):
        raise ExerciseFailed(
            f"{NAME}.sample(batch_size=8, num_batches=20) [20 stored transitions]: every batch is a run of "
            "consecutive transitions — exactly the correlated samples replay is meant to break up. Draw each index "
            "independently: self.rng.integers(0, self.size, size=(K, B))")

    # 3. never an empty slot: 10 stored in capacity 100, sentinel rewards in the unused slots
    buf = _filled(call, buffer_class, 100, obs_dim, 10)
    buf.reward[10:] = -1000.0 - np.arange(10, 100)
    case = "never an empty slot"
    batch = _sample(call, buf, 50, 20, case)
    sentinel = batch["reward"] <= -1000.0
    if sentinel.any():
        slots = np.rint(-batch["reward"][sentinel] - 1000.0).astype(int)
        where = f"{NAME}.sample [{case}]"
        if slots.max() == 10:
            raise ExerciseFailed(
                f"{where}: drew slot 10, one past the last stored transition (slot 9) — off by one: "
                "self.rng.integers(0, self.size) already excludes size (random.randint includes its high end)")
        raise ExerciseFailed(
            f"{where}: drew empty slot(s) up to slot {slots.max()} ({slots.size} of {batch['reward'].size} rows) — "
            "sampled from empty slots: before the buffer is full only slots 0 … size−1 hold transitions. Draw "
            "indices from [0, size), not [0, capacity)")
    _sampled_transitions(batch, f"{NAME}.sample [{case}]", obs_dim, (0, 10))

    # 4. uniform over all stored transitions, after the wrap-around (capacity 50, 73 added: position 23)
    buf = _filled(call, buffer_class, 50, obs_dim, 73)
    case = "uniform over the stored transitions"
    where = f"{NAME}.sample [capacity 50 after 73 adds: size 50, position 23]"
    calls = []
    for _ in range(20):
        batch = _sample(call, buf, 40, 25, case)
        calls.append(_sampled_transitions(batch, where, obs_dim, (23, 73)))
    draws = np.concatenate([c.reshape(-1) for c in calls])
    if np.unique(draws).size <= 40 and draws.min() >= 73 - 40:
        raise ExerciseFailed(
            f"{where}: only the newest 40 transitions (33–72) were ever drawn — replay samples uniformly from "
            "everything stored, old and new: self.rng.integers(0, self.size, ...)")
    # 5. independent batches and calls (before uniformity: repeated batches also look non-uniform)
    if all(np.array_equal(c[0], c[j]) for c in calls for j in range(1, len(c))):
        raise ExerciseFailed(
            f"{where}: the 25 batches of one call are identical — the K batches must be drawn independently: "
            "draw indices of shape (num_batches, batch_size) at once")
    if np.array_equal(calls[0], calls[1]):
        raise ExerciseFailed(
            f"{where}: two calls returned the same batches — the random generator is re-created with a fixed seed "
            "inside sample; draw from self.rng (created once in __init__)")
    counts = np.array([(draws == t).sum() for t in range(23, 73)])  # transition t sits in slot t % 50
    expected = draws.size / 50
    chi2 = float(((counts - expected) ** 2 / expected).sum())
    if chi2 > 150:  # 49 degrees of freedom: mean 49, sd 10
        _raise_not_uniform(where, counts, expected, draws.size)

    # 6. with replacement: a batch larger than the buffer; repeats inside a batch
    buf = _filled(call, buffer_class, 20, obs_dim, 5)
    _sample(call, buf, 16, 4, "batch larger than the buffer")
    buf = _filled(call, buffer_class, 20, obs_dim, 20)
    batch = _sample(call, buf, 16, 30, "20 stored transitions")
    ts = _sampled_transitions(batch, f"{NAME}.sample [20 stored transitions]", obs_dim, (0, 20))
    if all(len(set(row.tolist())) == len(row) for row in ts):
        raise ExerciseFailed(
            f"{NAME}.sample(batch_size=16, num_batches=30) [20 stored transitions]: no batch ever holds the same "
            "transition twice (a sampler with replacement repeats one in almost every batch of 16 out of 20) — "
            "sampled without replacement. Draw with replacement: self.rng.integers(0, self.size, size=(K, B))")

    # 7. reproducible from the seed
    a = _filled(call, buffer_class, 30, obs_dim, 30, seed=7)
    b = _filled(call, buffer_class, 30, obs_dim, 30, seed=7)
    ra = _sample(call, a, 16, 4, "seed 7")["reward"]
    rb = _sample(call, b, 16, 4, "seed 7")["reward"]
    if not np.array_equal(ra, rb):
        raise ExerciseFailed(
            f"{NAME}.sample: two buffers built with seed=7 and the same contents gave different batches — not "
            "reproducible. Draw from self.rng (seeded in __init__), not from np.random or the random module")

    # 8. a batch survives later calls: train() samples the next batch and keeps adding transitions while the
    #    learner thread still uses the previous batch
    _check_batch_survives(call, buffer_class, obs_dim)


def _check_batch_survives(call, buffer_class, obs_dim) -> None:
    buf = _filled(call, buffer_class, 12, obs_dim, 12)
    first = _sample(call, buf, 8, 3, "a batch in use")
    kept = {f: np.array(first[f], copy=True) for f in FIELDS}
    where = f"{NAME} [a batch in use: capacity 12, 12 stored]"

    def changed():
        return next((f for f in FIELDS if not np.array_equal(first[f], kept[f])), None)

    _sample(call, buf, 8, 3, "the next batch")
    field = changed()
    if field is not None:
        raise ExerciseFailed(
            f"{where}: the second call to sample changed batch['{field}'] returned by the first call — sample reuses "
            f"its output arrays. train() samples the next batch while the learner thread still uses the previous "
            f"one: return new arrays every call (self.{field}[idx] makes them)")
    data = transitions(12, 12, obs_dim)
    call(buf.add_batch, *(data[f] for f in FIELDS))
    field = changed()
    if field is not None:
        raise ExerciseFailed(
            f"{where}: adding 12 new transitions changed batch['{field}'] returned earlier by sample — the batch is "
            f"a view into the buffer's arrays, overwritten when the ring goes round. Index with an integer array "
            f"(self.{field}[idx]), which copies")


def _raise_not_uniform(where, counts, expected, total) -> None:
    # counts[i] is for transition 23 + i, which sits in slot (23 + i) % 50
    by_slot = np.zeros(50, int)
    for i, c in enumerate(counts):
        by_slot[(23 + i) % 50] = c
    never = np.flatnonzero(by_slot == 0)
    share = lambda c: f"{c} times ({100 * c / total:.1f}%)"  # noqa: E731
    head = f"{where}: not uniform — each of the 50 stored transitions should be drawn ≈ {expected:.0f} times (2%)"
    if never.size and set(never.tolist()) == set(range(23, 50)):
        raise ExerciseFailed(
            f"{head}, but slots 23–49 were never drawn — indices were drawn from [0, position) = [0, 23): once the "
            "buffer has wrapped around, position is where the next write goes, not how many are stored. Use size")
    rest = np.delete(by_slot, never)
    rest_uniform = rest.size > 0 and float(((rest - rest.mean()) ** 2 / rest.mean()).sum()) < 150
    if never.size == 1 and never[0] == 49 and rest_uniform:
        raise ExerciseFailed(f"{head}, but slot 49 = size − 1 was never drawn — the high end of "
                             "rng.integers(low, high) is already excluded: use rng.integers(0, self.size)")
    if never.size == 1 and never[0] == 0 and rest_uniform:
        raise ExerciseFailed(f"{head}, but slot 0 was never drawn — indices start at 0: rng.integers(0, self.size)")
    if never.size and rest_uniform:
        raise ExerciseFailed(f"{head}, but slot(s) {never.tolist()[:10]} were never drawn — draw every index in "
                             "[0, size) with equal probability: self.rng.integers(0, self.size, ...)")
    lo, hi = int(np.argmin(by_slot)), int(np.argmax(by_slot))
    raise ExerciseFailed(f"{head}; slot {hi} was drawn {share(by_slot[hi])}, slot {lo} {share(by_slot[lo])} — draw "
                         "every index in [0, size) with equal probability: self.rng.integers(0, self.size, ...)")
