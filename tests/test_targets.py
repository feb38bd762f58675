"""TD targets on hand-computed batches, including terminated and truncated transitions."""

import numpy as np
import pytest
import tensorflow as tf

from lunar_lab.targets import double_dqn_targets, dqn_targets

# Three transitions: ordinary, terminal (lander crashed), and cut by the time limit.
# A truncated transition is stored with terminated = 0, so it bootstraps.
REWARDS = [1.0, -100.0, -0.3]
TERMINATED = [0.0, 1.0, 0.0]
NEXT_Q = [[0.0, 2.0, -1.0], [50.0, 60.0, 70.0], [10.0, 4.0, 3.0]]


def test_dqn_targets_hand_computed():
    y = dqn_targets(REWARDS, TERMINATED, NEXT_Q, gamma=0.9).numpy()
    # 1 + 0.9·2 = 2.8;  −100 (terminal: no bootstrap);  −0.3 + 0.9·10 = 8.7 (truncated still bootstraps)
    np.testing.assert_allclose(y, [2.8, -100.0, 8.7], rtol=1e-6)
    assert y.dtype == np.float32


def test_dqn_targets_per_transition_discount_for_n_step():
    y = dqn_targets([1.0, 1.0], [0.0, 0.0], [[1.0], [1.0]], gamma=[0.5, 0.25]).numpy()
    np.testing.assert_allclose(y, [1.5, 1.25])


def test_double_dqn_selects_with_online_evaluates_with_target():
    online = [[0.0, 0.0, 1.0], [0.0, 0.0, 0.0], [0.0, 9.0, 0.0]]  # picks actions 2, 0, 1
    y = double_dqn_targets(REWARDS, TERMINATED, NEXT_Q, online, gamma=0.9).numpy()
    # 1 + 0.9·(−1) = 0.1;  −100;  −0.3 + 0.9·4 = 3.3
    np.testing.assert_allclose(y, [0.1, -100.0, 3.3], rtol=1e-5)


def test_double_dqn_equals_dqn_when_online_is_target():
    q = np.random.default_rng(0).normal(size=(16, 4)).astype(np.float32)
    r = np.random.default_rng(1).normal(size=16).astype(np.float32)
    t = (np.arange(16) % 3 == 0).astype(np.float32)
    np.testing.assert_allclose(double_dqn_targets(r, t, q, q, 0.99), dqn_targets(r, t, q, 0.99), rtol=1e-6)


def test_bool_terminated_accepted():
    y = dqn_targets([0.0, 0.0], [True, False], [[1.0], [1.0]], gamma=0.5).numpy()
    np.testing.assert_allclose(y, [0.0, 0.5])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(rewards=[1.0, 2.0], terminated=[0.0], next_q_values=[[1.0], [1.0]], gamma=0.9), "terminated has shape [1]"),
        (dict(rewards=[1.0], terminated=[0.0], next_q_values=[1.0], gamma=0.9), "next_q_values has shape [1]"),
        (dict(rewards=[[1.0]], terminated=[0.0], next_q_values=[[1.0]], gamma=0.9), "rewards has shape [1, 1]"),
        (dict(rewards=[1.0], terminated=[0.0], next_q_values=[[1.0]], gamma=[0.9, 0.9]), "gamma has shape [2]"),
    ],
)
def test_mismatched_shapes_raise_clear_error(kwargs, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        dqn_targets(**kwargs)


def test_targets_work_inside_tf_function():
    f = tf.function(lambda r, t, q: dqn_targets(r, t, q, 0.5), jit_compile=True)
    y = f(tf.constant([1.0]), tf.constant([0.0]), tf.constant([[4.0, 2.0]]))
    np.testing.assert_allclose(y.numpy(), [3.0])
