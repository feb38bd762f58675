"""The ring-buffer replay memory: add, wrap-around, uniform sampling, errors."""

import numpy as np
import pytest

from lunar_lab.replay import ReplayBuffer


def _fill(buf, n, start=0):
    for t in range(start, start + n):
        buf.add(np.full(2, t), t % 4, float(t), np.full(2, t + 1), t % 5 == 0, 0.9)


def test_wrap_around_keeps_newest_in_ring_order():
    buf = ReplayBuffer(capacity=4, obs_dim=2, seed=0)
    _fill(buf, 6)
    assert len(buf) == 4 and buf.position == 2
    # slots 0, 1 were overwritten by transitions 4, 5
    assert buf.reward.tolist() == [4.0, 5.0, 2.0, 3.0]
    assert buf.obs[:, 0].tolist() == [4.0, 5.0, 2.0, 3.0]
    assert buf.next_obs[:, 0].tolist() == [5.0, 6.0, 3.0, 4.0]
    assert buf.terminated.tolist() == [0.0, 1.0, 0.0, 0.0]


def test_add_batch_equals_repeated_add_even_across_the_wrap():
    a, b = ReplayBuffer(5, 2), ReplayBuffer(5, 2)
    _fill(a, 3)
    _fill(a, 4, start=3)
    _fill(b, 3)
    t = np.arange(3, 7)
    b.add_batch(np.stack([np.full(2, i) for i in t]), t % 4, t.astype(float), np.stack([np.full(2, i + 1) for i in t]),
                t % 5 == 0, np.full(4, 0.9))
    for f in ("obs", "action", "reward", "next_obs", "terminated", "discount"):
        np.testing.assert_array_equal(getattr(a, f), getattr(b, f))
    assert a.position == b.position == 2


def test_sample_only_stored_transitions_and_consistent_rows():
    buf = ReplayBuffer(capacity=100, obs_dim=2, seed=0)
    _fill(buf, 10)
    batch = buf.sample(500)
    assert set(batch["reward"].tolist()) == set(range(10))  # never an empty slot (reward 0 only from t = 0)
    np.testing.assert_array_equal(batch["obs"][:, 0], batch["reward"])
    np.testing.assert_array_equal(batch["next_obs"][:, 0], batch["reward"] + 1)
    assert batch["obs"].dtype == np.float32 and batch["action"].dtype == np.int32


def test_sample_is_uniform():
    buf = ReplayBuffer(capacity=4, obs_dim=1, seed=1)
    for t in range(4):
        buf.add([t], 0, float(t), [t], False)
    counts = np.bincount(buf.sample(40_000)["reward"].astype(int), minlength=4)
    assert np.all(np.abs(counts / 40_000 - 0.25) < 0.01)


def test_stacked_batches_shape():
    buf = ReplayBuffer(capacity=10, obs_dim=3)
    buf.add_batch(np.zeros((10, 3)), np.zeros(10, int), np.zeros(10), np.zeros((10, 3)), np.zeros(10))
    batch = buf.sample(4, num_batches=8)
    assert batch["obs"].shape == (8, 4, 3) and batch["terminated"].shape == (8, 4)


def test_sampling_does_not_change_the_buffer():
    buf = ReplayBuffer(capacity=8, obs_dim=2, seed=0)
    _fill(buf, 5)
    before = buf.reward.copy(), buf.position, len(buf)
    buf.sample(3)
    assert (buf.reward == before[0]).all() and (buf.position, len(buf)) == before[1:]


def test_memory_per_transition():
    assert ReplayBuffer(10, 8).bytes_per_transition() == 8 * 4 * 2 + 4 * 4


@pytest.mark.parametrize("kwargs, match", [
    (dict(capacity=0, obs_dim=8), "capacity must be a positive integer, got 0"),
    (dict(capacity=2.5, obs_dim=8), "capacity must be a positive integer, got 2.5"),
    (dict(capacity=10, obs_dim=-1), "obs_dim must be a positive integer"),
])
def test_bad_construction(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ReplayBuffer(**kwargs)


def test_bad_sampling():
    buf = ReplayBuffer(capacity=4, obs_dim=1)
    with pytest.raises(ValueError, match="empty replay buffer"):
        buf.sample(1)
    buf.add([0.0], 0, 0.0, [0.0], False)
    with pytest.raises(ValueError, match=r"batch_size must be an integer >= 1, got 0"):
        buf.sample(0)
    with pytest.raises(ValueError, match="obs and next_obs must have shape"):
        buf.add_batch(np.zeros((2, 3)), [0, 0], [0, 0], np.zeros((2, 3)), [0, 0])
