"""ε-greedy action selection (lunar_lab.exploration): hand-computed cases, the exact order of its
random draws (which keeps every seeded run and pretrained agent as it was), and its errors."""

import numpy as np
import pytest

from lunar_lab.exploration import epsilon_greedy

Q_VALUES = np.array([[1.0, 3.0, 2.0, 0.0],     # greedy: 1
                     [0.5, -1.0, 4.0, 2.0],    # greedy: 2
                     [-2.0, -3.0, -1.5, -1.0]], np.float32)  # greedy: 3


def test_epsilon_zero_is_the_argmax_of_each_row():
    actions = epsilon_greedy(Q_VALUES, 0.0, np.random.default_rng(0))
    assert actions.tolist() == [1, 2, 3] and actions.dtype == np.int64 and actions.shape == (3,)


def test_ties_go_to_the_lowest_action():
    assert epsilon_greedy(np.array([[2.0, 5.0, 5.0], [1.0, 1.0, 1.0]]), 0.0, np.random.default_rng(0)).tolist() == [1, 0]


def test_the_draws_are_the_coins_then_the_random_actions():
    """rng.random(N) (one coin per row), then rng.integers(0, A, size=N), whatever ε is: the rule the
    DQN agent used inline before it became a function, so seeded runs are unchanged."""
    for epsilon in (0.0, 0.3, 1.0):
        draws = np.random.default_rng(42)
        coins, random_actions = draws.random(3), draws.integers(0, 4, size=3)
        expected = np.where(coins < epsilon, random_actions, [1, 2, 3])
        rng = np.random.default_rng(42)
        np.testing.assert_array_equal(epsilon_greedy(Q_VALUES, epsilon, rng), expected)
        assert rng.bit_generator.state == draws.bit_generator.state   # nothing more was drawn


def test_epsilon_one_is_uniform_over_all_actions_and_each_row_has_its_own_coin():
    rng = np.random.default_rng(0)
    actions = np.stack([epsilon_greedy(Q_VALUES, 1.0, rng) for _ in range(4000)])   # 12,000 actions
    np.testing.assert_allclose(np.bincount(actions.reshape(-1), minlength=4) / actions.size, 0.25, atol=0.02)
    half = np.stack([epsilon_greedy(Q_VALUES, 0.5, rng) for _ in range(4000)]) == [1, 2, 3]
    assert half.mean() == pytest.approx(1 - 0.5 + 0.5 / 4, abs=0.02)
    assert half.all(axis=1).mean() == pytest.approx(0.625 ** 3, abs=0.03)   # independent coins per row


@pytest.mark.parametrize("q_values, epsilon, rng, error, match", [
    (np.zeros(4), 0.1, np.random.default_rng(0), ValueError, r"q_values must be \[N, A\].*got shape \[4\]"),
    (np.zeros((2, 0)), 0.1, np.random.default_rng(0), ValueError, r"got shape \[2, 0\]"),
    (Q_VALUES, 1.5, np.random.default_rng(0), ValueError, r"epsilon must be in \[0, 1\], got 1.5"),
    (Q_VALUES, float("nan"), np.random.default_rng(0), ValueError, "epsilon must be in"),
    (Q_VALUES, 0.1, np.random.RandomState(0), TypeError, "rng must be a numpy.random.Generator.*got RandomState"),
])
def test_bad_arguments_are_named(q_values, epsilon, rng, error, match):
    with pytest.raises(error, match=match):
        epsilon_greedy(q_values, epsilon, rng)
