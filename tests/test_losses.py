"""The Q-learning loss: gathers Q(s, a) by action, and no gradient flows through the target."""

import numpy as np
import pytest
import tensorflow as tf

from lunar_lab.losses import q_learning_loss


def test_mse_and_huber_hand_computed():
    q = [[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]]
    # gathered: Q(s0, 2) = 3, Q(s1, 0) = 0; errors 0.5 and 3
    assert float(q_learning_loss(q, [2, 0], [3.5, 3.0], loss="mse")) == pytest.approx((0.25 + 9.0) / 2)
    assert float(q_learning_loss(q, [2, 0], [3.5, 3.0], loss="huber")) == pytest.approx((0.125 + 2.5) / 2)


def test_gradient_flows_only_through_q_values():
    q = tf.Variable([[1.0, 2.0]])
    y = tf.Variable([4.0])
    with tf.GradientTape() as tape:
        loss = q_learning_loss(q, [1], y, loss="mse")
    grad_q, grad_y = tape.gradient(loss, [q, y])
    np.testing.assert_allclose(grad_q.numpy(), [[0.0, -4.0]])  # d/dQ (4 − Q)² = −2·2; only action 1
    assert grad_y is None


def test_bad_inputs():
    with pytest.raises(ValueError, match="loss must be one of"):
        q_learning_loss([[1.0]], [0], [1.0], loss="l1")
    with pytest.raises(TypeError, match="actions must be integer"):
        q_learning_loss([[1.0]], [0.0], [1.0])
    with pytest.raises(ValueError, match="targets has shape"):
        q_learning_loss([[1.0]], [0], [1.0, 2.0])
