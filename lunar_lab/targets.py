"""TD targets: pure batched TensorFlow functions that never call a model.

Every function takes the network outputs it needs as tensors and returns y, the value
the online network's Q(s, a) is regressed towards. Shapes use B for the batch and A for
the number of actions. ``gamma`` is the *bootstrap discount* of each transition: γ for a
one-step transition, γⁿ for an n-step one (Sutton & Barto 2018, eq. 7.1); it may be a
scalar or a [B] tensor. Bootstrapping stops only where ``terminated`` is 1: a transition
cut by the time limit (truncated) still bootstraps from its real final observation.

A terminal target is exactly r, whatever the next Q-values hold (it is selected with
``tf.where``, so an inf or NaN there cannot leak in as 0·inf); a non-terminal target
propagates a non-finite next Q-value, so a diverging network shows in the loss.

Argument values are checked where they are known at call time (Python numbers, eager
tensors, graph constants): ``terminated`` must be 0 or 1, ``gamma`` in [0, 1] and the
temperature a finite number > 0, else ValueError naming the argument, the value and what is
allowed. Tensors computed inside a compiled ``tf.function`` (the agents' learning step) are
not checked there, and the checks add no op, so the step compiles with XLA unchanged.

Sources: Watkins (1989) Q-learning; Mnih et al. (2015) DQN, eq. (2) and Algorithm 1;
van Hasselt, Guez & Silver (2016) Double DQN, eq. (4); Haarnoja et al. (2017) soft
Q-learning and the SQN preprint (seed 002), soft value with a clipped double-Q minimum.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from lunar_lab.tensors import as_float32, check_shapes, check_values


def _common(rewards, terminated, gamma, **q):
    """Convert to float32, check shapes, and check the values known at call time."""
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
    check_values("terminated", terminated, "0 or 1 (1 where s′ is a true terminal state)", lambda v: (v == 0) | (v == 1))
    check_values("gamma", gamma, "in [0, 1] (the bootstrap discount γ, or γⁿ)", lambda v: (v >= 0) & (v <= 1))
    return rewards, terminated, gamma, q


def _bootstrapped(rewards, terminated, gamma, next_values) -> tf.Tensor:
    """y = r where terminated, else r + γ·V(s′), selected with ``tf.where``.

    A terminal target is exactly r whatever V(s′) holds: a product (1 − terminated)·V(s′)
    would turn an inf or NaN there into NaN (0·inf). A non-terminal target keeps a
    non-finite V(s′), so a diverging network still shows up in the loss.
    """
    return tf.where(terminated != 0.0, rewards, rewards + gamma * next_values)


def dqn_targets(rewards, terminated, next_q_values, gamma) -> tf.Tensor:
    """Q-learning / DQN targets y = r + γ·(1 − terminated)·max_a′ Q′(s′, a′).

    Args:
        rewards: [B] float32, r of each transition (for n-step: the discounted reward sum).
        terminated: [B] float32 or bool, 1 where s′ is a true terminal state.
        next_q_values: [B, A] float32, Q′(s′, ·) from the *target* network.
        gamma: scalar or [B] float32 in [0, 1], the bootstrap discount (γ, or γⁿ).

    Returns:
        y: [B] float32; exactly r where terminated, even if Q′(s′, ·) is inf or NaN.

    Raises:
        ValueError: shapes disagree, ``terminated`` is not 0 or 1, or ``gamma`` is outside
            [0, 1] (values checked when known at call time; the message names the argument).
        TypeError: an argument is not numeric.

    Source: Mnih et al. (2015), Algorithm 1: y_j = r_j if the episode terminates at j+1,
    else r_j + γ max_a′ Q̂(φ_{j+1}, a′; θ⁻).

    Example:
        >>> y = dqn_targets([1.0, 1.0], [0.0, 1.0], [[2.0, 5.0], [2.0, 5.0]], gamma=0.9)
        >>> y.numpy().round(3).tolist()   # second transition is terminal: no bootstrap
        [5.5, 1.0]
        >>> dqn_targets([1.0], [1.0], [[float("nan"), float("inf")]], gamma=0.9).numpy().tolist()
        [1.0]
        >>> dqn_targets([1.0], [0.0], [[2.0]], gamma=1.5)
        Traceback (most recent call last):
        ...
        ValueError: gamma must be in [0, 1] (the bootstrap discount γ, or γⁿ), got 1.5
    """
    rewards, terminated, gamma, q = _common(rewards, terminated, gamma, next_q_values=next_q_values)
    return _bootstrapped(rewards, terminated, gamma, tf.reduce_max(q["next_q_values"], axis=-1))


def double_dqn_targets(rewards, terminated, next_q_values, next_q_values_online, gamma) -> tf.Tensor:
    """Double DQN targets: the online network selects a′, the target network evaluates it.

    y = r + γ·(1 − terminated)·Q′(s′, argmax_a′ Q(s′, a′))

    Args:
        rewards: [B] float32; terminated: [B] float32 or bool (1 = true terminal state).
        next_q_values: [B, A] float32, Q′(s′, ·) from the target network (evaluation).
        next_q_values_online: [B, A] float32, Q(s′, ·) from the online network (selection).
        gamma: scalar or [B] float32 in [0, 1], bootstrap discount.

    Returns:
        y: [B] float32; exactly r where terminated.

    Raises:
        ValueError: shapes disagree, ``terminated`` is not 0 or 1, or ``gamma`` is outside
            [0, 1] (values checked when known at call time).
        TypeError: an argument is not numeric.

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
    return _bootstrapped(rewards, terminated, gamma, next_values)


def soft_q_targets(rewards, terminated, next_q_values_1, next_q_values_2, temperature, gamma) -> tf.Tensor:
    """Soft (entropy-regularised) Q-learning targets with a clipped double-Q minimum (SQN).

    With Q̃′(s′, ·) = min(Q′₁(s′, ·), Q′₂(s′, ·)) from the two target networks and the
    Boltzmann policy π(·|s′) = softmax(Q̃′(s′, ·)/α):

        V(s′) = Σ_a′ π(a′|s′)·(Q̃′(s′, a′) − α·log π(a′|s′))
        y     = r + γ·(1 − terminated)·V(s′)

    V(s′) is the soft maximum α·logsumexp(Q̃′(s′, ·)/α): it tends to max_a′ Q̃′(s′, a′) as
    α → 0 (the DQN target) and exceeds it by the entropy bonus α·H(π) otherwise. log π is
    computed with ``log_softmax`` (no log of zero).

    Args:
        rewards: [B] float32; terminated: [B] float32 or bool (1 = true terminal state).
        next_q_values_1, next_q_values_2: [B, A] float32, Q′₁(s′, ·) and Q′₂(s′, ·) from the
            two target networks.
        temperature: α_H, a finite scalar > 0 (Python number or shape-[] tensor; the
            entropy temperature).
        gamma: scalar or [B] float32 in [0, 1], bootstrap discount.

    Returns:
        y: [B] float32; exactly r where terminated.

    Raises:
        ValueError: shapes disagree (``temperature`` not a scalar included), ``terminated``
            is not 0 or 1, ``gamma`` is outside [0, 1], or ``temperature`` is ≤ 0 or not
            finite (values checked when known at call time: the agent's exp(log α) inside
            its compiled step is not).
        TypeError: an argument is not numeric.

    Sources: SQN preprint (seed 002), Algorithm 1 lines 11–12 and eq. (12)–(13), with one
    difference: the preprint weights the target with its acting policy softmax(Q₁/α_H) (eq. 20)
    and a sampled next action, this function with softmax(min Q′/α_H) in exact expectation, so
    that V(s′) = α_H·logsumexp(min Q′/α_H) (see :mod:`lunar_lab.agents.sqn`); Haarnoja
    et al. (2017), "Reinforcement Learning with Deep Energy-Based Policies" (soft value);
    Fujimoto et al. (2018), TD3 (clipped double-Q).

    Example:
        >>> q = [[1.0, 1.0]]                      # two equal actions: π = (½, ½), H = log 2
        >>> y = soft_q_targets([0.0], [0.0], q, [[2.0, 3.0]], temperature=0.5, gamma=1.0)
        >>> round(float(y[0]), 4)                 # 1 + 0.5·log 2
        1.3466
        >>> soft_q_targets([0.0], [0.0], q, q, temperature=0.0, gamma=1.0)
        Traceback (most recent call last):
        ...
        ValueError: temperature must be a finite number > 0 (the entropy temperature α_H), got 0
    """
    rewards, terminated, gamma, q = _common(
        rewards, terminated, gamma, next_q_values_1=next_q_values_1, next_q_values_2=next_q_values_2
    )
    temperature = as_float32("temperature", temperature)
    check_shapes(temperature=(temperature, ""))
    check_values("temperature", temperature, "a finite number > 0 (the entropy temperature α_H)",
                 lambda v: np.isfinite(v) & (v > 0))
    min_q = tf.minimum(q["next_q_values_1"], q["next_q_values_2"])
    log_policy = tf.nn.log_softmax(min_q / temperature, axis=-1)
    soft_value = tf.reduce_sum(tf.exp(log_policy) * (min_q - temperature * log_policy), axis=-1)
    return _bootstrapped(rewards, terminated, gamma, soft_value)
