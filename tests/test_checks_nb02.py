"""Notebook 02's check: the reference ring buffer passes; each typical mistake is diagnosed."""

import numpy as np
import pytest

from lunar_lab.checks.core import NotImplementedYet
from lunar_lab.checks.nb02 import NUM_CASES, check_replay_buffer, transitions
from lunar_lab.replay import FIELDS, ReplayBuffer
from exercise_asserts import diagnosed


class Skeleton:
    """The notebook's exercise class: ``__init__``, ``__len__`` and ``add`` are given."""

    def __init__(self, capacity, obs_dim, seed=None):
        self.capacity = int(capacity)
        self.obs = np.zeros((capacity, obs_dim), np.float32)
        self.next_obs = np.zeros((capacity, obs_dim), np.float32)
        self.action = np.zeros(capacity, np.int32)
        self.reward = np.zeros(capacity, np.float32)
        self.terminated = np.zeros(capacity, np.float32)
        self.discount = np.ones(capacity, np.float32)
        self.position = 0
        self.size = 0
        self.rng = np.random.default_rng(seed)

    def __len__(self):
        return self.size

    def add(self, obs, action, reward, next_obs, terminated, discount=1.0):
        self.add_batch(np.asarray(obs)[None], np.asarray([action]), np.asarray([reward]),
                       np.asarray(next_obs)[None], np.asarray([terminated]), np.asarray([discount]))

    def add_batch(self, obs, action, reward, next_obs, terminated, discount):
        raise NotImplementedError("exercise: add_batch")

    def sample(self, batch_size, num_batches=1):
        raise NotImplementedError("exercise: sample")


class Solution(Skeleton):
    """The worked solution of the notebook (keep in sync with notebooks/02_replay_buffers.ipynb)."""

    def _write(self, idx, obs, action, reward, next_obs, terminated, discount):
        self.obs[idx] = obs
        self.action[idx] = action
        self.reward[idx] = reward
        self.next_obs[idx] = next_obs
        self.terminated[idx] = terminated
        self.discount[idx] = discount

    def add_batch(self, obs, action, reward, next_obs, terminated, discount):
        k = len(reward)
        idx = (self.position + np.arange(k)) % self.capacity
        self._write(idx, obs, action, reward, next_obs, terminated, discount)
        self.position = (self.position + k) % self.capacity
        self.size = min(self.size + k, self.capacity)

    def _gather(self, idx):
        return {f: getattr(self, f)[idx] for f in FIELDS}

    def sample(self, batch_size, num_batches=1):
        return self._gather(self.rng.integers(0, self.size, size=(num_batches, batch_size)))


def _fails(cls, *phrases):
    return diagnosed(check_replay_buffer, cls, *phrases)


def test_reference_and_solution_pass(capsys):
    check_replay_buffer(ReplayBuffer)
    check_replay_buffer(Solution)
    out = capsys.readouterr().out
    assert out.count(f"✅ RingReplayBuffer: passed ({NUM_CASES} cases)") == 2


def test_placeholder_is_not_implemented_yet():
    with pytest.raises(NotImplementedYet, match="not implemented yet"):
        check_replay_buffer(Skeleton)


def test_placeholder_sample_only_is_not_implemented_yet():
    class AddDone(Solution):
        sample = Skeleton.sample

    with pytest.raises(NotImplementedYet, match="not implemented yet"):
        check_replay_buffer(AddDone)


def test_transitions_are_recognisable():
    t = transitions(5, 3, 2)
    assert t["reward"].tolist() == [15.0, 16.0, 17.0] and t["obs"][:, 0].tolist() == [5.0, 6.0, 7.0]
    assert t["terminated"].tolist() == [True, False, False]  # t % 3 == 2


# ---- add_batch mistakes ------------------------------------------------------------------


class NoModulo(Solution):
    def add_batch(self, obs, action, reward, next_obs, terminated, discount):
        k = len(reward)
        self._write(self.position + np.arange(k), obs, action, reward, next_obs, terminated, discount)
        self.position += k
        self.size = min(self.size + k, self.capacity)


class NoModuloIndices(Solution):  # position wraps, the write indices do not
    def add_batch(self, obs, action, reward, next_obs, terminated, discount):
        k = len(reward)
        self._write(self.position + np.arange(k), obs, action, reward, next_obs, terminated, discount)
        self.position = (self.position + k) % self.capacity
        self.size = min(self.size + k, self.capacity)


class SliceWrite(Solution):
    def add_batch(self, obs, action, reward, next_obs, terminated, discount):
        k = len(reward)
        self._write(slice(self.position, self.position + k), obs, action, reward, next_obs, terminated, discount)
        self.position = (self.position + k) % self.capacity
        self.size = min(self.size + k, self.capacity)


class PositionFromSize(Solution):  # once full, size % capacity == 0: slot 0 forever
    def add_batch(self, obs, action, reward, next_obs, terminated, discount):
        k = len(reward)
        self._write((self.position + np.arange(k)) % self.capacity, obs, action, reward, next_obs, terminated, discount)
        self.size = min(self.size + k, self.capacity)
        self.position = self.size % self.capacity


class ClampedPosition(Solution):
    def add_batch(self, obs, action, reward, next_obs, terminated, discount):
        k = len(reward)
        self._write(np.minimum(self.position + np.arange(k), self.capacity - 1), obs, action, reward, next_obs,
                    terminated, discount)
        self.position = min(self.position + k, self.capacity - 1)
        self.size = min(self.size + k, self.capacity)


class SizeGrows(Solution):
    def add_batch(self, obs, action, reward, next_obs, terminated, discount):
        k = len(reward)
        self._write((self.position + np.arange(k)) % self.capacity, obs, action, reward, next_obs, terminated, discount)
        self.position = (self.position + k) % self.capacity
        self.size += k


class Appends(Solution):
    def add_batch(self, obs, action, reward, next_obs, terminated, discount):
        for f, value in zip(FIELDS, (obs, action, reward, next_obs, terminated, discount)):
            setattr(self, f, np.concatenate([getattr(self, f), np.asarray(value, getattr(self, f).dtype)]))
        self.size += len(reward)


class SizeIsPosition(Solution):
    def add_batch(self, obs, action, reward, next_obs, terminated, discount):
        k = len(reward)
        self._write((self.position + np.arange(k)) % self.capacity, obs, action, reward, next_obs, terminated, discount)
        self.position = (self.position + k) % self.capacity
        self.size = self.position


class PositionNotWrapped(Solution):
    def add_batch(self, obs, action, reward, next_obs, terminated, discount):
        k = len(reward)
        self._write((self.position + np.arange(k)) % self.capacity, obs, action, reward, next_obs, terminated, discount)
        self.position += k
        self.size = min(self.size + k, self.capacity)


class IgnoresDiscount(Solution):
    def add_batch(self, obs, action, reward, next_obs, terminated, discount):
        super().add_batch(obs, action, reward, next_obs, terminated, np.ones(len(reward)))


class SwapsTerminatedDiscount(Solution):
    def add_batch(self, obs, action, reward, next_obs, terminated, discount):
        super().add_batch(obs, action, reward, next_obs, discount, terminated)


class ReversedBatch(Solution):
    def add_batch(self, obs, action, reward, next_obs, terminated, discount):
        k = len(reward)
        idx = ((self.position + np.arange(k)) % self.capacity)[::-1]
        self._write(idx, obs, action, reward, next_obs, terminated, discount)
        self.position = (self.position + k) % self.capacity
        self.size = min(self.size + k, self.capacity)


class ObsShifted(Solution):  # obs of one transition stored with the reward of the next
    def add_batch(self, obs, action, reward, next_obs, terminated, discount):
        k = len(reward)
        idx = (self.position + np.arange(k)) % self.capacity
        self._write(idx, obs, action, reward, next_obs, terminated, discount)
        self.obs[idx] = np.roll(np.asarray(obs), 1, axis=0)
        self.position = (self.position + k) % self.capacity
        self.size = min(self.size + k, self.capacity)


class Float64Arrays(Solution):
    def add_batch(self, obs, action, reward, next_obs, terminated, discount):
        self.reward = self.reward.astype(np.float64)
        super().add_batch(obs, action, reward, next_obs, terminated, discount)


class ReplacesWithList(Solution):
    def add_batch(self, obs, action, reward, next_obs, terminated, discount):
        super().add_batch(obs, action, reward, next_obs, terminated, discount)
        self.reward = self.reward.tolist()


@pytest.mark.parametrize("cls, phrases", [
    (NoModulo, ["outside [0, capacity)", "% self.capacity"]),
    (NoModuloIndices, ["index out of range", "% self.capacity"]),
    (SliceWrite, ["crosses the end of the arrays", "slice"]),
    (PositionFromSize, ["overwrites slot 0 forever"]),
    (ClampedPosition, ["clamped"]),
    (SizeGrows, ["grows past capacity", "min(self.size + K, self.capacity)"]),
    (Appends, ["grows past capacity", "never append"]),
    (SizeIsPosition, ["size fell back", "not the write position"]),
    (PositionNotWrapped, ["outside [0, capacity)"]),
    (IgnoresDiscount, ["discount argument was not stored"]),
    (SwapsTerminatedDiscount, ["terminated and discount swapped"]),
    (ReversedBatch, ["in order"]),
    (ObsShifted, ["rows mixed up"]),
    (Float64Arrays, ["dtype float64", "in place"]),
    (ReplacesWithList, ["self.reward is a list", "self.reward[idx] = ..."]),
])
def test_add_batch_mistakes_are_diagnosed(cls, phrases):
    _fails(cls, *phrases)


def test_message_names_the_case():
    msg = _fails(NoModulo)
    assert "capacity 5" in msg and "position" in msg


# ---- sample mistakes -------------------------------------------------------------------


class FromCapacity(Solution):
    def sample(self, batch_size, num_batches=1):
        return self._gather(self.rng.integers(0, self.capacity, size=(num_batches, batch_size)))


class OffByOne(Solution):
    def sample(self, batch_size, num_batches=1):
        return self._gather(self.rng.integers(0, self.size + 1, size=(num_batches, batch_size)))


class ExcludesLast(Solution):
    def sample(self, batch_size, num_batches=1):
        return self._gather(self.rng.integers(0, self.size - 1, size=(num_batches, batch_size)))


class FromPosition(Solution):
    def sample(self, batch_size, num_batches=1):
        return self._gather(self.rng.integers(0, self.position, size=(num_batches, batch_size)))


class WithoutReplacement(Solution):
    def sample(self, batch_size, num_batches=1):
        return self._gather(np.stack([self.rng.choice(self.size, batch_size, replace=False)
                                      for _ in range(num_batches)]))


class PermutationPrefix(Solution):  # without replacement, never raises: fewer rows when B > size
    def sample(self, batch_size, num_batches=1):
        return self._gather(np.stack([self.rng.permutation(self.size)[:batch_size] for _ in range(num_batches)]))


class WithoutReplacementLarge(Solution):  # without replacement, only when the buffer is big enough
    def sample(self, batch_size, num_batches=1):
        replace = batch_size > self.size
        return self._gather(np.stack([self.rng.choice(self.size, batch_size, replace=replace)
                                      for _ in range(num_batches)]))


class MixedRows(Solution):
    def sample(self, batch_size, num_batches=1):
        return {f: getattr(self, f)[self.rng.integers(0, self.size, size=(num_batches, batch_size))] for f in FIELDS}


class ShufflesInPlace(Solution):
    def sample(self, batch_size, num_batches=1):
        perm = self.rng.permutation(self.size)
        for f in FIELDS:
            getattr(self, f)[: self.size] = getattr(self, f)[perm]
        return self._gather(self.rng.integers(0, self.size, size=(num_batches, batch_size)))


class Pops(Solution):
    def sample(self, batch_size, num_batches=1):
        batch = super().sample(batch_size, num_batches)
        self.size = max(self.size - 1, 1)
        return batch


class IgnoresNumBatches(Solution):
    def sample(self, batch_size, num_batches=1):
        return self._gather(self.rng.integers(0, self.size, size=batch_size))


class Flattened(Solution):
    def sample(self, batch_size, num_batches=1):
        return self._gather(self.rng.integers(0, self.size, size=num_batches * batch_size))


class SwappedAxes(Solution):
    def sample(self, batch_size, num_batches=1):
        return self._gather(self.rng.integers(0, self.size, size=(batch_size, num_batches)))


class Float64Lists(Solution):
    def sample(self, batch_size, num_batches=1):
        idx = self.rng.integers(0, self.size, size=(num_batches, batch_size))
        return {f: np.array(getattr(self, f)[idx].tolist()) for f in FIELDS}


class MissingKey(Solution):
    def sample(self, batch_size, num_batches=1):
        batch = super().sample(batch_size, num_batches)
        del batch["discount"]
        return batch


class ReturnsTuple(Solution):
    def sample(self, batch_size, num_batches=1):
        return tuple(super().sample(batch_size, num_batches).values())


class NewestOnly(Solution):
    def sample(self, batch_size, num_batches=1):
        idx = (self.position - 1 - np.arange(batch_size)) % self.size
        return self._gather(np.tile(idx, (num_batches, 1)))


class ConsecutiveRun(Solution):
    def sample(self, batch_size, num_batches=1):
        starts = self.rng.integers(0, self.size, size=(num_batches, 1))
        return self._gather((starts + np.arange(batch_size)) % self.size)


class SameBatchK(Solution):
    def sample(self, batch_size, num_batches=1):
        return self._gather(np.tile(self.rng.integers(0, self.size, size=batch_size), (num_batches, 1)))


class FixedSeedInside(Solution):
    def sample(self, batch_size, num_batches=1):
        return self._gather(np.random.default_rng(0).integers(0, self.size, size=(num_batches, batch_size)))


class GlobalRandom(Solution):
    def sample(self, batch_size, num_batches=1):
        return self._gather(np.random.randint(0, self.size, size=(num_batches, batch_size)))


class Biased(Solution):  # favours later slots: not uniform (slot 0 almost never drawn)
    def sample(self, batch_size, num_batches=1):
        p = np.arange(1, self.size + 1, dtype=float) ** 2
        return self._gather(self.rng.choice(self.size, size=(num_batches, batch_size), p=p / p.sum()))


class MildlyBiased(Solution):  # every slot drawn, the later ones more often
    def sample(self, batch_size, num_batches=1):
        p = np.arange(1, self.size + 1, dtype=float)
        return self._gather(self.rng.choice(self.size, size=(num_batches, batch_size), p=p / p.sum()))


class ViewSampler(Solution):  # a random run of rows returned as views of the buffer (K = 1 layout trick)
    def sample(self, batch_size, num_batches=1):
        if batch_size <= self.size:
            windows = np.lib.stride_tricks.sliding_window_view(np.arange(self.size), batch_size)
            del windows
            start = int(self.rng.integers(0, self.size - batch_size + 1))
            return {f: np.broadcast_to(getattr(self, f)[start:start + batch_size],
                                       (num_batches, batch_size) + getattr(self, f).shape[1:]) for f in FIELDS}
        return super().sample(batch_size, num_batches)


class ReusesOutput(Solution):  # "optimised": fills the same preallocated batch arrays on every call
    def sample(self, batch_size, num_batches=1):
        idx = self.rng.integers(0, self.size, size=(num_batches, batch_size))
        if getattr(self, "_out", None) is None or self._out["obs"].shape[:2] != idx.shape:
            self._out = {f: np.empty(idx.shape + getattr(self, f).shape[1:], getattr(self, f).dtype) for f in FIELDS}
        for f in FIELDS:
            np.take(getattr(self, f), idx, axis=0, out=self._out[f])
        return self._out


class UnseededInside(Solution):
    def sample(self, batch_size, num_batches=1):
        return self._gather(np.random.default_rng().integers(0, self.size, size=(num_batches, batch_size)))


class PythonRandom(Solution):
    def sample(self, batch_size, num_batches=1):
        import random
        idx = np.array([[random.randrange(self.size) for _ in range(batch_size)] for _ in range(num_batches)])
        return self._gather(idx)


@pytest.mark.parametrize("cls, phrases", [
    (ReusesOutput, ["reuses its output arrays", "learner thread"]),
    (UnseededInside, ["not reproducible", "self.rng"]),
    (PythonRandom, ["not reproducible", "self.rng"]),
    (FromCapacity, ["sampled from empty slots", "[0, size)"]),
    (OffByOne, ["off by one"]),
    (ExcludesLast, ["slot 49 = size − 1 was never drawn"]),
    (FromPosition, ["position"]),
    (WithoutReplacement, ["sampled without replacement"]),
    (PermutationPrefix, ["sampled without replacement"]),
    (WithoutReplacementLarge, ["sampled without replacement", "no batch ever holds the same transition twice"]),
    (MixedRows, ["rows mixed up"]),
    (ShufflesInPlace, ["must not change while sampling"]),
    (Pops, ["changed self.size", "must not change while sampling"]),
    (IgnoresNumBatches, ["num_batches was ignored"]),
    (Flattened, ["flattened"]),
    (SwappedAxes, ["axes swapped"]),
    (Float64Lists, ["dtype float64", "expected float32"]),
    (MissingKey, ["no key(s) 'discount'"]),
    (ReturnsTuple, ["expected a dict"]),
    (NewestOnly, ["newest"]),
    (ConsecutiveRun, ["consecutive transitions"]),
    (SameBatchK, ["batches of one call are identical"]),
    (FixedSeedInside, ["two calls returned the same batches"]),
    (GlobalRandom, ["not reproducible"]),
    (Biased, ["not uniform", "equal probability"]),
    (MildlyBiased, ["not uniform", "slot 49 was drawn"]),
    (ViewSampler, ["view into"]),
])
def test_sample_mistakes_are_diagnosed(cls, phrases):
    _fails(cls, *phrases)


def test_from_position_message_explains_position_vs_size():
    msg = _fails(FromPosition)
    assert "size" in msg and "position" in msg


def test_learner_code_crash_is_reported_not_raised():
    class Crashes(Solution):
        def sample(self, batch_size, num_batches=1):
            return {"obs": self.obs[undefined_name]}  # noqa: F821

    msg = _fails(Crashes, "NameError")
    assert "undefined_name" in msg


def test_missing_attribute_is_reported():
    class NoRng(Solution):
        def __init__(self, capacity, obs_dim, seed=None):
            super().__init__(capacity, obs_dim, seed)
            del self.rng

    _fails(NoRng, "no attribute(s) rng")
