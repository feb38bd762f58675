"""N-step transitions: n = 1 equals the one-step transition; episode ends inside the window."""

import numpy as np
import pytest

from lunar_lab.nstep import NStepAccumulator


def _run(n, gamma, rewards, end):
    """Feed a trajectory whose last step ends with `end` ("terminated" / "truncated")."""
    acc, out = NStepAccumulator(n, gamma), []
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
