"""The ring-buffer replay memory: add, wrap-around, uniform sampling, errors."""

import json

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


@pytest.mark.parametrize("first, then, position, rewards", [
    (3, 4, 2, [5.0, 6.0, 2.0, 3.0, 4.0]),   # the batch crosses the end of the arrays
    (1, 12, 3, [10.0, 11.0, 12.0, 8.0, 9.0]),  # longer than the capacity: only the newest 5 survive, in ring order
])
def test_add_batch_equals_repeated_add_even_across_the_wrap(first, then, position, rewards):
    a, b = ReplayBuffer(5, 2), ReplayBuffer(5, 2)
    _fill(a, first)
    _fill(a, then, start=first)
    _fill(b, first)
    t = np.arange(first, first + then)
    b.add_batch(np.stack([np.full(2, i) for i in t]), t % 4, t.astype(float), np.stack([np.full(2, i + 1) for i in t]),
                t % 5 == 0, np.full(then, 0.9))
    for f in ("obs", "action", "reward", "next_obs", "terminated", "discount"):
        np.testing.assert_array_equal(getattr(a, f), getattr(b, f))
    assert a.position == b.position == position and b.reward.tolist() == rewards


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
    (dict(capacity=10, obs_dim=2, num_actions=0), "num_actions must be None or a positive integer, got 0"),
    (dict(capacity=10, obs_dim=2, num_actions=1.5), "num_actions must be None or a positive integer, got 1.5"),
])
def test_bad_construction(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ReplayBuffer(**kwargs)


def test_bad_sampling():
    buf = ReplayBuffer(capacity=4, obs_dim=1)
    with pytest.raises(ValueError, match="empty replay buffer"):
        buf.sample(1)
    buf.add([0.0], 0, 0.0, [0.0], False)
    with pytest.raises(ValueError, match=r"batch_size must be a positive integer, got 0"):
        buf.sample(0)
    with pytest.raises(ValueError, match="obs and next_obs must have shape"):
        buf.add_batch(np.zeros((2, 3)), [0, 0], [0, 0], np.zeros((2, 3)), [0, 0])


@pytest.mark.parametrize("kwargs, match", [
    (dict(batch_size=True), "batch_size must be a positive integer, got True"),
    (dict(batch_size=2, num_batches=0), r"num_batches must be None \(one batch\) or a positive integer, got 0$"),
    (dict(batch_size=2, num_batches=-3), r"num_batches must be None \(one batch\) or a positive integer, got -3$"),
    (dict(batch_size=2, num_batches=2.5), r"num_batches must be None \(one batch\) or a positive integer, got 2.5$"),
    (dict(batch_size=2, num_batches="4"), r"num_batches must be None \(one batch\) or a positive integer, got '4'$"),
])
def test_bad_batch_counts(kwargs, match):
    buf = ReplayBuffer(capacity=4, obs_dim=1)
    buf.add([0.0], 0, 0.0, [0.0], False)
    with pytest.raises(ValueError, match=match):
        buf.sample(**kwargs)


# --- values outside their domain are refused, and nothing is written ----------------------------------------

def _one_batch(buf, action=(0, 1), terminated=(False, False), discount=(0.9, 0.9)):
    k = len(action)
    buf.add_batch(np.zeros((k, 2)), np.asarray(action), np.zeros(k), np.ones((k, 2)), np.asarray(terminated),
                  None if discount is None else np.asarray(discount))


A4 = r"action must be integers in \[0, 4\) \(num_actions = 4\), got "
ANY = r"action must be integers in \[0, 2\*\*31\) \(int32; pass num_actions to bound them by A\), got "


@pytest.mark.parametrize("num_actions, action, match", [
    (4, [0, 4], A4 + "4$"), (4, [7, -1], A4 + "-1, 7$"), (4, [2.7, 1.0], A4 + "2.7$"), (4, [np.nan, 0.0], A4 + "nan$"),
    (4, [1, 4, 4, 5], A4 + "4, 5$"),
    (None, [-1, 0], ANY + "-1$"), (None, [2.7, 0], ANY + "2.7$"), (None, [2**31, 0], ANY + "2147483648$"),
    (None, [np.inf, 0], ANY + "inf$"), (None, [True, False], ANY + "dtype bool$"), (4, ["1", "2"], A4 + "dtype <U1$"),
])
def test_bad_actions_refused_and_nothing_written(num_actions, action, match):
    buf = ReplayBuffer(capacity=3, obs_dim=2, num_actions=num_actions)
    _one_batch(buf, action=(1, 2))
    before = buf.state_dict()
    with pytest.raises(ValueError, match=match):
        _one_batch(buf, action=action, terminated=[False] * len(action), discount=[0.9] * len(action))
    _assert_state_equal(buf.state_dict(), before)


def test_single_add_names_the_bad_action():
    buf = ReplayBuffer(capacity=3, obs_dim=1, num_actions=4)
    with pytest.raises(ValueError, match=A4 + "7$"):
        buf.add([0.0], 7, 0.0, [0.0], False)
    assert len(buf) == 0


def test_whole_actions_accepted_and_stored_exactly():
    buf = ReplayBuffer(capacity=4, obs_dim=2, num_actions=4)
    _one_batch(buf, action=np.array([3.0, 0.0]))
    _one_batch(buf, action=np.array([2, 1], np.uint8))
    assert buf.action.tolist() == [3, 0, 2, 1] and buf.action.dtype == np.int32
    unbounded = ReplayBuffer(capacity=2, obs_dim=2)
    _one_batch(unbounded, action=[7, 2**31 - 1])        # no num_actions: any int32 index ≥ 0
    assert unbounded.action.tolist() == [7, 2**31 - 1]


@pytest.mark.parametrize("kwargs, match", [
    (dict(terminated=[0.5, 0.0]), r"terminated must be 0 or 1 \(1 where s′ is a true terminal state\), got 0.5$"),
    (dict(terminated=[2, -1]), r"terminated must be 0 or 1 \(1 where s′ is a true terminal state\), got -1.0, 2.0$"),
    (dict(discount=[1.5, 0.9]), r"discount must be in \[0, 1\] \(γ, or γᵏ for k steps\), got 1.5$"),
    (dict(discount=[0.9, -0.1]), r"discount must be in \[0, 1\] \(γ, or γᵏ for k steps\), got -0.1"),
    (dict(discount=[np.nan, 0.9]), r"discount must be in \[0, 1\] \(γ, or γᵏ for k steps\), got nan$"),
    (dict(discount=[0.9, 0.9, 0.9]), r"discount must have shape \[K\] = \[2\] to match obs, got \(3,\)$"),
    (dict(discount=0.9), r"discount must have shape \[K\] = \[2\] to match obs, got \(\)$"),
    (dict(discount=np.ones((2, 1))), r"discount must have shape \[K\] = \[2\] to match obs, got \(2, 1\)$"),
])
def test_bad_terminated_and_discount_refused_and_nothing_written(kwargs, match):
    buf = ReplayBuffer(capacity=3, obs_dim=2)
    _one_batch(buf)
    before = buf.state_dict()
    with pytest.raises(ValueError, match=match):
        _one_batch(buf, **kwargs)
    _assert_state_equal(buf.state_dict(), before)


def test_boundary_values_accepted():
    buf = ReplayBuffer(capacity=4, obs_dim=2)
    _one_batch(buf, terminated=[0.0, 1.0], discount=[0.0, 1.0])
    _one_batch(buf, terminated=[1, 0], discount=None)                  # None: every discount 1.0
    assert buf.terminated.tolist() == [0.0, 1.0, 1.0, 0.0] and buf.discount.tolist() == [0.0, 1.0, 1.0, 1.0]
    buf.add_batch(np.zeros((0, 2)), [], [], np.zeros((0, 2)), [], [])  # an empty batch changes nothing
    assert (len(buf), buf.position) == (4, 0)


# --- exact save / restore ------------------------------------------------------------------------------------

def _assert_state_equal(got, want):
    assert got.keys() == want.keys()
    for key in want:
        assert got[key].dtype == want[key].dtype and got[key].shape == want[key].shape, key
        np.testing.assert_array_equal(got[key], want[key], err_msg=key)


def _save_and_load(tmp_path, state):
    path = tmp_path / "replay.npz"
    np.savez(path, **state)
    with np.load(path, allow_pickle=False) as loaded:
        return {key: loaded[key] for key in loaded.files}, path


def _random_transitions(buf, rng, k):
    buf.add_batch(rng.normal(size=(k, buf.obs_dim)), rng.integers(0, 4, k), rng.normal(size=k),
                  rng.normal(size=(k, buf.obs_dim)), rng.random(k) < 0.2, 0.99 ** rng.integers(1, 4, k))


@pytest.mark.parametrize("added", [0, 3, 7, 10, 23])   # empty, partly filled, exactly full, wrapped round
def test_state_round_trips_through_npz_and_sampling_stays_identical(tmp_path, added):
    rng = np.random.default_rng(5)
    original = ReplayBuffer(capacity=10, obs_dim=3, seed=42, num_actions=4)
    _random_transitions(original, rng, added)
    if added:
        original.sample(6, num_batches=2)   # move the generator away from its seeded state
    state, _ = _save_and_load(tmp_path, original.state_dict())
    assert state["rng_state"].shape == () and state["rng_state"].dtype.kind == "U"
    assert json.loads(state["rng_state"].item()) == original.rng.bit_generator.state
    for key in ("position", "size", "capacity", "obs_dim"):
        assert state[key].shape == () and state[key].dtype == np.int64
    stored = min(added, 10)
    assert state["obs"].shape == (stored, 3) and state["action"].shape == (stored,)   # only the filled rows
    assert (int(state["size"]), int(state["position"])) == (stored, added % 10)

    restored = ReplayBuffer(capacity=10, obs_dim=3, seed=0, num_actions=4)
    _random_transitions(restored, np.random.default_rng(9), 4)    # old contents must not survive the load
    restored.load_state_dict(state)
    for f in ("obs", "action", "reward", "next_obs", "terminated", "discount"):
        np.testing.assert_array_equal(getattr(restored, f), getattr(original, f), err_msg=f)
    assert (restored.position, len(restored)) == (original.position, len(original))
    if not added:
        with pytest.raises(ValueError, match="empty replay buffer"):
            restored.sample(1)
        return
    for kwargs in (dict(batch_size=5), dict(batch_size=4, num_batches=3), dict(batch_size=1)):
        a, b = original.sample(**kwargs), restored.sample(**kwargs)
        for f in a:
            np.testing.assert_array_equal(a[f], b[f], err_msg=f)
    _random_transitions(original, np.random.default_rng(1), 4)    # and they go on identically after more adds
    _random_transitions(restored, np.random.default_rng(1), 4)
    _assert_state_equal(restored.state_dict(), original.state_dict())


def test_checkpoint_of_a_fresh_buffer_is_small(tmp_path):
    buf = ReplayBuffer(capacity=1_000_000, obs_dim=8)    # 80 MB of arrays
    _random_transitions(buf, np.random.default_rng(0), 3)
    _, path = _save_and_load(tmp_path, buf.state_dict())
    assert path.stat().st_size < 20_000


def test_state_dict_is_a_copy():
    buf = ReplayBuffer(capacity=4, obs_dim=2, seed=0)
    _random_transitions(buf, np.random.default_rng(0), 4)
    state = buf.state_dict()
    saved = {key: value.copy() for key, value in state.items()}
    _random_transitions(buf, np.random.default_rng(1), 2)
    buf.sample(3)
    _assert_state_equal(state, saved)


def _saved(capacity=4, obs_dim=2, added=3, **kwargs):
    buf = ReplayBuffer(capacity, obs_dim, seed=0, **kwargs)
    _random_transitions(buf, np.random.default_rng(0), added)
    return buf.state_dict()


@pytest.mark.parametrize("change, match", [
    (lambda s: s.pop("discount"), r"state is missing the key\(s\) \['discount'\]"),
    (lambda s: s.pop("rng_state"), r"state is missing the key\(s\) \['rng_state'\]"),
    (lambda s: s.update(capacity=np.array(5, np.int64)),
     r"state has capacity = 5, this buffer has capacity = 4; restore it into ReplayBuffer\(capacity=5, ...\)"),
    (lambda s: s.update(obs_dim=np.array(3, np.int64)), r"state has obs_dim = 3, this buffer has obs_dim = 2"),
    (lambda s: s.update(size=np.array(2, np.int64)), r"state has position = 3 and size = 2, impossible for capacity 4"),
    (lambda s: s.update(position=np.array(4, np.int64)), r"state has position = 4 and size = 3, impossible"),
    (lambda s: s.update(size=np.array(2.0)), r"state\['size'\] must be a 0-d integer array, got array\(2.\)"),
    (lambda s: s.update(reward=s["reward"][:2]), r"state does not hold valid transitions: reward must have shape \[K\] = \[3\]"),
    (lambda s: s.update(obs=s["obs"][:2], next_obs=s["next_obs"][:2], action=s["action"][:2], reward=s["reward"][:2],
                        terminated=s["terminated"][:2], discount=s["discount"][:2]),
     r"state holds 2 transitions but size = 3"),
    (lambda s: s.update(action=np.array([0, 9, 1], np.int32)), r"state does not hold valid transitions: " + A4 + "9$"),
    (lambda s: s.update(rng_state=np.array("not json")), r"state\['rng_state'\] is not a PCG64 state from state_dict\(\)"),
    (lambda s: s.update(rng_state=np.array(json.dumps({"bit_generator": "MT19937"}))), r"is not a PCG64 state"),
])
def test_bad_state_refused_and_nothing_changed(change, match):
    state = _saved()
    change(state)
    buf = ReplayBuffer(capacity=4, obs_dim=2, seed=3, num_actions=4)
    _random_transitions(buf, np.random.default_rng(7), 2)
    before = buf.state_dict()
    with pytest.raises(ValueError, match=match):
        buf.load_state_dict(state)
    _assert_state_equal(buf.state_dict(), before)


def test_extra_keys_are_ignored():
    state = _saved()
    restored = ReplayBuffer(capacity=4, obs_dim=2)
    restored.load_state_dict({**state, "learner_steps": np.array(12)})
    _assert_state_equal(restored.state_dict(), state)
