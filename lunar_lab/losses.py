"""The Q-learning loss: regress Q(s, a), gathered by the action taken, towards fixed targets.

"Q-learning is not gradient descent" on the Bellman error: the target y is treated as a
constant (``tf.stop_gradient``), so the gradient flows only through Q(s, a) (Mnih et al.
2015; Levine, CS285 lecture "Deep Q-learning", seed 004).
"""

from __future__ import annotations

import tensorflow as tf

from lunar_lab.config import LOSSES  # noqa: F401  (the names live with Config, which needs them without TensorFlow)
from lunar_lab.tensors import as_float32, check_shapes


def q_learning_loss(q_values, actions, targets, loss: str = "huber") -> tf.Tensor:
    """Mean loss between Q(s, a) and the TD targets y, with no gradient through y.

    Args:
        q_values: [B, A] float32, Q(s, ·) from the online network.
        actions: [B] int, the action a taken in each transition, in [0, A).
        targets: [B] float32, TD targets y (treated as constants).
        loss: ``"huber"`` (δ = 1; quadratic for |y − Q| ≤ 1, linear beyond, the "clip the
            error" of Mnih et al. 2015) or ``"mse"`` (½-free mean squared error).

    Returns:
        scalar float32: mean over the batch.

    Raises:
        ValueError: unknown ``loss`` or mismatched shapes.

    Example:
        >>> q = [[1.0, 2.0], [3.0, 4.0]]
        >>> float(q_learning_loss(q, [1, 0], [2.0, 5.0], loss="mse"))   # (2−2)², (5−3)²
        2.0
        >>> float(q_learning_loss(q, [1, 0], [2.0, 5.0], loss="huber"))  # 0, 2 − ½
        0.75
    """
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")
    q_values = as_float32("q_values", q_values)
    targets = tf.stop_gradient(as_float32("targets", targets))
    actions = tf.convert_to_tensor(actions)
    if not actions.dtype.is_integer:
        raise TypeError(f"actions must be integer action indices, got dtype {actions.dtype.name}")
    check_shapes(q_values=(q_values, "B A"), actions=(actions, "B"), targets=(targets, "B"))
    q_taken = tf.gather(q_values, tf.cast(actions, tf.int32), axis=-1, batch_dims=1)
    error = targets - q_taken
    if loss == "mse":
        return tf.reduce_mean(tf.square(error))
    abs_error = tf.abs(error)
    quadratic = tf.minimum(abs_error, 1.0)
    return tf.reduce_mean(0.5 * tf.square(quadratic) + (abs_error - quadratic))


def policy_entropy(log_policy) -> tf.Tensor:
    """Entropy H(π(·|s)) = −Σ_a π(a|s) log π(a|s) in nats: [B] float32 from log π [B, A].

    Example:
        >>> import numpy as np
        >>> round(float(policy_entropy(np.log([[0.25, 0.25, 0.25, 0.25]]))[0]), 4)   # log 4
        1.3863
    """
    log_policy = as_float32("log_policy", log_policy)
    return -tf.reduce_sum(tf.exp(log_policy) * log_policy, axis=-1)


def temperature_loss(log_temperature, log_policy, target_entropy) -> tf.Tensor:
    """Loss whose gradient moves the temperature α_H so that the policy entropy tracks a target.

        L(log α) = log α · mean_s( H(π(·|s)) − H̄ )

    The entropy term is a constant (no gradient flows into the Q-networks). Gradient
    descent lowers α when the policy is more random than the target H̄ and raises it when
    it is less, the dual step of Haarnoja et al. (2018b), "Soft Actor-Critic Algorithms and
    Applications", eq. (18), and the SQN preprint (seed 002), eq. (19) and Algorithm 1
    line 16, with the exact expectation over the discrete actions and the usual
    parameterisation by log α (which keeps α > 0).

    Args:
        log_temperature: scalar float32 variable, log α_H.
        log_policy: [B, A] float32, log π(·|s) of the current policy at the batch states.
        target_entropy: H̄ in nats, 0 ≤ H̄ ≤ log A.

    Returns:
        scalar float32.

    Example:
        >>> import numpy as np
        >>> uniform = np.log(np.full((1, 4), 0.25))             # H = log 4 ≈ 1.386
        >>> round(float(temperature_loss(np.log(2.0), uniform, target_entropy=np.log(4) - 1)), 4)   # log 2 · 1
        0.6931
    """
    log_temperature = as_float32("log_temperature", log_temperature)
    check_shapes(log_temperature=(log_temperature, ""), log_policy=(as_float32("log_policy", log_policy), "B A"))
    entropy_gap = tf.stop_gradient(policy_entropy(log_policy) - target_entropy)
    return log_temperature * tf.reduce_mean(entropy_gap)
