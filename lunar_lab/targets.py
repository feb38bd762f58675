"""TD targets: pure batched TensorFlow functions that never call a model.

Every function takes the network outputs it needs as tensors and returns y, the value
the online network's Q(s, a) is regressed towards. Shapes use B for the batch and A for
the number of actions. ``gamma`` is the *bootstrap discount* of each transition: γ for a
one-step transition, γⁿ for an n-step one (Sutton & Barto 2018, eq. 7.1); it may be a
scalar or a [B] tensor. Bootstrapping stops only where ``terminated`` is 1: a transition
cut by the time limit (truncated) still bootstraps from its real final observation.

Sources: Watkins (1989) Q-learning; Mnih et al. (2015) DQN, eq. (2) and Algorithm 1;
van Hasselt, Guez & Silver (2016) Double DQN, eq. (4); Haarnoja et al. (2017) soft
Q-learning and the SQN preprint (seed 002), soft value with a clipped double-Q minimum.
"""

from __future__ import annotations

import tensorflow as tf

from lunar_lab.tensors import as_float32, check_shapes


def _common(rewards, terminated, gamma, **q):
    rewards = as_float32("rewards", rewards)
    terminated = as_float32("terminated", terminated)
    gamma = as_float32("gamma", gamma)
    q = {name: as_float32(name, value) for name, value in q.items()}
    check_shapes(
        rewards=(rewards, "B"), terminated=(terminated, "B"),
        **{name: (value, "B A") for name, value in q.items()},
    )
    if gamma.shape.rank not in (0, 1, None):
        raise ValueError(f"gamma must be a scalar or have shape [B], got shape {gamma.shape.as_list()}")
    if gamma.shape.rank == 1:
        check_shapes(rewards=(rewards, "B"), gamma=(gamma, "B"))
    return rewards, terminated, gamma, q


def dqn_targets(rewards, terminated, next_q_values, gamma) -> tf.Tensor:
    """Q-learning / DQN targets y = r + γ·(1 − terminated)·max_a′ Q′(s′, a′).

    Args:
        rewards: [B] float32, r of each transition (for n-step: the discounted reward sum).
        terminated: [B] float32 or bool, 1 where s′ is a true terminal state.
        next_q_values: [B, A] float32, Q′(s′, ·) from the *target* network.
        gamma: scalar or [B] float32 in [0, 1], the bootstrap discount (γ, or γⁿ).

    Returns:
        y: [B] float32.

    Raises:
        ValueError: shapes disagree (the message names the argument).

    Source: Mnih et al. (2015), Algorithm 1: y_j = r_j if the episode terminates at j+1,
    else r_j + γ max_a′ Q̂(φ_{j+1}, a′; θ⁻).

    Example:
        >>> y = dqn_targets([1.0, 1.0], [0.0, 1.0], [[2.0, 5.0], [2.0, 5.0]], gamma=0.9)
        >>> y.numpy().round(3).tolist()   # second transition is terminal: no bootstrap
        [5.5, 1.0]
    """
    rewards, terminated, gamma, q = _common(rewards, terminated, gamma, next_q_values=next_q_values)
    return rewards + gamma * (1.0 - terminated) * tf.reduce_max(q["next_q_values"], axis=-1)


def double_dqn_targets(rewards, terminated, next_q_values, next_q_values_online, gamma) -> tf.Tensor:
    """Double DQN targets: the online network selects a′, the target network evaluates it.

    y = r + γ·(1 − terminated)·Q′(s′, argmax_a′ Q(s′, a′))

    Args:
        rewards: [B] float32; terminated: [B] float32 or bool (1 = true terminal state).
        next_q_values: [B, A] float32, Q′(s′, ·) from the target network (evaluation).
        next_q_values_online: [B, A] float32, Q(s′, ·) from the online network (selection).
        gamma: scalar or [B] float32, bootstrap discount.

    Returns:
        y: [B] float32.

    Source: van Hasselt, Guez & Silver (2016), "Deep Reinforcement Learning with Double
    Q-learning", eq. (4).

    Example:
        >>> y = double_dqn_targets([0.0], [0.0], [[10.0, 1.0]], [[0.0, 3.0]], gamma=1.0)
        >>> y.numpy().tolist()   # online picks action 1, target values it at 1.0 (DQN: 10.0)
        [1.0]
    """
    rewards, terminated, gamma, q = _common(
        rewards, terminated, gamma, next_q_values=next_q_values, next_q_values_online=next_q_values_online
    )
    next_actions = tf.argmax(q["next_q_values_online"], axis=-1, output_type=tf.int32)
    next_values = tf.gather(q["next_q_values"], next_actions, axis=-1, batch_dims=1)
    return rewards + gamma * (1.0 - terminated) * next_values
