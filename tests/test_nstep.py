"""N-step transitions: n = 1 equals the one-step transition; episode ends inside the window;
the reference windows of a whole trajectory agree with the streaming accumulator; the block-wise
accumulator built on an episode function gives the streaming one's transitions."""

import numpy as np
import pytest

from lunar_lab.nstep import EpisodeNStepAccumulator, NStepAccumulator, n_step_windows_reference


def _run(n, gamma, rewards, end, acc=None):
    """Feed a trajectory whose last step ends with `end` ("terminated" / "truncated")."""
    acc, out = acc or NStepAccumulator(n, gamma), []
    for t, r in enumerate(rewards):
        last = t == len(rewards) - 1
        out += acc.step(t, t, r, t + 1, terminated=last and end == "terminated", truncated=last and end == "truncated")
    return out


def test_n1_is_the_one_step_transition():
    out = _run(1, 0.9, [1.0, 2.0, 3.0], "terminated")
    assert out == [(0, 0, 1.0, 1, False, 0.9), (1, 1, 2.0, 2, False, 0.9), (2, 2, 3.0, 3, True, 0.9)]


def test_n3_sums_discounted_rewards_and_flushes_on_termination():
    out = _run(3, 0.5, [1.0, 2.0, 4.0, 8.0], "terminated")
    # (obs, action, G, next_obs, terminated, discount)
    assert [o[0] for o in out] == [0, 1, 2, 3]
    assert [o[2] for o in out] == pytest.approx([1 + 1 + 1, 2 + 2 + 2, 4 + 4, 8])
    assert [o[3] for o in out] == [3, 4, 4, 4]
    assert [o[4] for o in out] == [False, True, True, True]
    assert [o[5] for o in out] == pytest.approx([0.125, 0.125, 0.25, 0.5])


def test_truncation_inside_window_still_bootstraps_from_final_obs():
    out = _run(5, 0.9, [1.0, 1.0], "truncated")
    assert [o[4] for o in out] == [False, False]
    assert [o[3] for o in out] == [2, 2]
    assert [o[5] for o in out] == pytest.approx([0.81, 0.9])
    assert [o[2] for o in out] == pytest.approx([1.9, 1.0])


def test_window_is_empty_after_episode_end():
    acc = NStepAccumulator(3, 0.9)
    acc.step(0, 0, 1.0, 1, terminated=True, truncated=False)
    assert len(acc.window) == 0


@pytest.mark.parametrize("kwargs, match", [(dict(n_step=0, gamma=0.9), "n_step must be an integer >= 1, got 0"),
                                           (dict(n_step=2, gamma=1.0), r"gamma must be in \[0, 1\), got 1.0")])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        NStepAccumulator(**kwargs)


def test_episode_accumulator_by_hand_with_a_block_flush():
    # n = 2, γ = 0.5, block 2: the first flush comes after block + n − 1 = 3 waiting steps and
    # emits the 2 complete windows; the last step waits until the termination.
    acc = EpisodeNStepAccumulator(n_step_windows_reference, n_step=2, gamma=0.5, block=2)
    assert acc.step(0, 0, 1.0, 1, terminated=False, truncated=False) == []
    assert acc.step(1, 1, 2.0, 2, terminated=False, truncated=False) == []
    assert acc.step(2, 2, 4.0, 3, terminated=False, truncated=False) == [(0, 0, 2.0, 2, False, 0.25), (1, 1, 4.0, 3, False, 0.25)]
    assert acc.step(3, 3, 8.0, 4, terminated=True, truncated=False) == [(2, 2, 8.0, 4, True, 0.0), (3, 3, 8.0, 4, True, 0.0)]
    assert acc.steps == []


@pytest.mark.parametrize("n, block", [(1, 64), (3, 64), (3, 1), (5, 2)])
@pytest.mark.parametrize("end", ["terminated", "truncated"])
def test_episode_accumulator_gives_the_streaming_transitions(n, block, end):
    rewards = np.random.default_rng(n).normal(size=11).round(2).tolist()
    streaming = _run(n, 0.9, rewards, end)
    blocks = _run(n, 0.9, rewards, end, EpisodeNStepAccumulator(n_step_windows_reference, n, 0.9, block=block))
    assert [o[:2] + o[3:5] for o in blocks] == [o[:2] + o[3:5] for o in streaming]
    assert [o[2] for o in blocks] == pytest.approx([o[2] for o in streaming])
    # the target's factor on the bootstrap: discount · (1 − terminated), the same in both
    assert [o[5] * (1 - o[4]) for o in blocks] == pytest.approx([o[5] * (1 - o[4]) for o in streaming])


@pytest.mark.parametrize("fn, match", [
    (lambda r, te, tr, g, n: (r, r), r"must return \(reward_sums, discounts, bootstrap_index\), got tuple"),
    (lambda r, te, tr, g, n: (r, r, np.arange(len(r))[:-1]), r"three arrays of shape \[T\] = \[2\], got shapes \[\[2\], \[2\], \[1\]\]"),
    (lambda r, te, tr, g, n: (r, r, np.array([1, 2])), r"t <= bootstrap_index\[t\] < T = 2, got \[1, 2\]"),
    (lambda r, te, tr, g, n: (r, r, np.array([0.0, 1.0])), r"must be integers"),
])
def test_episode_accumulator_names_a_bad_n_step_fn_result(fn, match):
    acc = EpisodeNStepAccumulator(fn, n_step=1, gamma=0.9)
    assert acc.step(0, 0, 1.0, 1, terminated=False, truncated=False) == []  # waits: the function is not called yet
    with pytest.raises(ValueError, match=match):
        acc.step(1, 1, 1.0, 2, terminated=True, truncated=False)


def test_episode_accumulator_bad_block():
    with pytest.raises(ValueError, match="block must be an integer >= 1, got 0"):
        EpisodeNStepAccumulator(n_step_windows_reference, 2, 0.9, block=0)


# ---------------------------------------------------------------------------------------------
# n_step_windows_reference (a whole trajectory at once) against the streaming accumulator


def _random_trajectory(rng, length, end):
    ends = rng.random(length)
    terminated, truncated = ends < 0.07, (ends >= 0.07) & (ends < 0.12)
    terminated[-1], truncated[-1] = end == "terminated", end == "truncated"
    return rng.normal(0, 2, length).astype(np.float32), terminated, truncated


def _accumulator_windows(rewards, terminated, truncated, gamma, n_step):
    """{start t: (reward_sum, discount·(1 − terminated), index e)} from the accumulator's transitions.

    Observations are step indices: obs of step t is t, next_obs of step t is t + 1, so the
    bootstrap index is next_obs − 1.
    """
    acc, windows = NStepAccumulator(n_step, gamma), {}
    for t in range(len(rewards)):
        for obs, _, reward_sum, next_obs, term, discount in acc.step(t, 0, rewards[t], t + 1, bool(terminated[t]),
                                                                      bool(truncated[t])):
            windows[obs] = (reward_sum, 0.0 if term else discount, next_obs - 1)
    return windows


@pytest.mark.parametrize("n_step", [1, 2, 3, 5, 10])
@pytest.mark.parametrize("gamma", [0.5, 0.99])
@pytest.mark.parametrize("end", ["terminated", "truncated", "mid-episode"])
def test_reference_agrees_with_nstep_accumulator(n_step, gamma, end):
    rng = np.random.default_rng(n_step * 100 + int(gamma * 10))
    rewards, terminated, truncated = _random_trajectory(rng, 80, end)
    sums, discounts, index = n_step_windows_reference(rewards, terminated, truncated, gamma, n_step)
    from_accumulator = _accumulator_windows(rewards, terminated, truncated, gamma, n_step)
    if end != "mid-episode":  # every window is emitted
        assert sorted(from_accumulator) == list(range(len(rewards)))
    # mid-episode: the accumulator still holds the last open windows; those it emitted must agree
    for t, (reward_sum, discount, e) in from_accumulator.items():
        assert sums[t] == pytest.approx(reward_sum, rel=1e-5, abs=1e-5), f"t={t}"
        assert discounts[t] == pytest.approx(discount, rel=1e-6), f"t={t}"
        assert index[t] == e, f"t={t}"


def test_reference_hand_computed():
    # γ = 0.5, n = 2; step 1 terminates; the array ends mid-episode
    sums, discounts, index = n_step_windows_reference([1.0, 1.0, 1.0, 1.0], [False, True, False, False],
                                                      [False] * 4, 0.5, 2)
    assert sums.dtype == discounts.dtype == np.float32 and index.dtype == np.int64
    assert sums.tolist() == [1.5, 1.0, 1.5, 1.0]
    assert discounts.tolist() == [0.0, 0.0, 0.25, 0.5]
    assert index.tolist() == [1, 1, 3, 3]


def test_reference_truncation_bootstraps_with_gamma_m():
    sums, discounts, index = n_step_windows_reference([1.0, 2.0, 3.0], [False] * 3, [False, True, False], 0.5, 3)
    assert sums.tolist() == [2.0, 2.0, 3.0] and discounts.tolist() == [0.25, 0.5, 0.5] and index.tolist() == [1, 1, 2]


def test_reference_n1_is_the_one_step_transition():
    rng = np.random.default_rng(0)
    rewards, terminated, truncated = _random_trajectory(rng, 50, "terminated")
    sums, discounts, index = n_step_windows_reference(rewards, terminated, truncated, 0.9, 1)
    np.testing.assert_allclose(sums, rewards)
    np.testing.assert_allclose(discounts, 0.9 * (1.0 - terminated), rtol=1e-6)
    assert index.tolist() == list(range(50))


def test_reference_rejects_bad_arguments():
    with pytest.raises(ValueError, match="must all have shape"):
        n_step_windows_reference([1.0, 2.0], [False], [False, False], 0.9, 1)
    with pytest.raises(ValueError, match="n_step must be an integer >= 1"):
        n_step_windows_reference([1.0], [False], [False], 0.9, 0)


def test_reference_agrees_with_accumulator_when_both_flags_are_set():
    rewards = np.array([1.0, 2.0, 3.0], np.float32)
    terminated, truncated = np.array([False, False, True]), np.array([False, False, True])
    sums, discounts, index = n_step_windows_reference(rewards, terminated, truncated, 0.9, 2)
    from_accumulator = _accumulator_windows(rewards, terminated, truncated, 0.9, 2)
    assert [from_accumulator[t][1] for t in range(3)] == pytest.approx(discounts.tolist())
    assert discounts[2] == 0.0 and sums[2] == pytest.approx(3.0)  # terminal: no bootstrap
