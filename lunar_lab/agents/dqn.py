"""DQN and Double DQN: ε-greedy acting in NumPy, learning in one compiled TensorFlow call.

Sources: Mnih et al. (2015), "Human-level control through deep reinforcement learning",
Algorithm 1; van Hasselt, Guez & Silver (2016), "Deep Reinforcement Learning with Double
Q-learning", eq. (4).

Design for a CPU: acting uses a NumPy copy of the online network (no Keras dispatch per
env step), refreshed after every learning call; one compiled call (``tf.function``, XLA)
runs ``updates_per_call`` gradient steps on independently sampled batches, each followed
by its target-network update. The TD-target, loss, target-update and ε-greedy functions are
plain arguments, so a learner's own implementation from a notebook trains the agent.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np
import tensorflow as tf

from lunar_lab.agents.base import QAgent
from lunar_lab.config import Config
from lunar_lab.envs import NUM_ACTIONS, OBS_DIM
from lunar_lab.exploration import epsilon_greedy
from lunar_lab.losses import q_learning_loss
from lunar_lab.targets import double_dqn_targets, dqn_targets


class DQNAgent(QAgent):
    """A DQN or Double DQN agent (``config.algo`` = ``"dqn"`` or ``"double_dqn"``).

    Args:
        config: hyperparameters (:class:`lunar_lab.config.Config`).
        obs_dim, num_actions: sizes of the observation vector and the action set.
        td_target_fn: TD-target function; defaults to :func:`lunar_lab.targets.dqn_targets`
            (signature ``(rewards, terminated, next_q_values, gamma)``) or, for Double DQN,
            :func:`lunar_lab.targets.double_dqn_targets` (also ``next_q_values_online``).
            Called with keyword arguments on [B] / [B, A] float32 tensors, must return [B].
        loss_fn: ``(q_values [B, A], actions [B] int32, targets [B]) -> scalar``; defaults to
            :func:`lunar_lab.losses.q_learning_loss` with ``config.loss``.
        target_update_fn: replaces :func:`lunar_lab.updates.soft_update` ``(target, online, tau)``
            when ``config.target_update == "soft"``, or :func:`lunar_lab.updates.hard_update`
            ``(target, online)`` when it is ``"hard"``; called on lists of variables inside the
            compiled step, so it must use ``Variable.assign``.
        epsilon_greedy_fn: the action rule of :meth:`act`, replacing
            :func:`lunar_lab.exploration.epsilon_greedy`: called positionally as
            ``epsilon_greedy_fn(q_values, epsilon, rng)`` with ``q_values`` [N, A] float32 (NumPy,
            from the acting network), ``epsilon`` a float in [0, 1] and ``rng`` a
            ``numpy.random.Generator``; must return [N] integer actions in 0 … A − 1 (NumPy).

    Raises:
        ValueError: ``config.algo`` is not a DQN-family algorithm.

    Example:
        >>> agent = DQNAgent(Config(hidden_sizes=(8,), jit_compile=False))
        >>> agent.greedy_actions(np.zeros((2, 8), np.float32)).shape
        (2,)
        >>> always_fire = lambda q_values, epsilon, rng: np.full(len(q_values), 2)   # a replacement action rule
        >>> agent = DQNAgent(Config(hidden_sizes=(8,), jit_compile=False), epsilon_greedy_fn=always_fire)
        >>> agent.act(np.zeros((3, 8), np.float32), np.random.default_rng(0), epsilon=1.0)
        array([2, 2, 2])
    """

    def __init__(self, config: Config, obs_dim: int = OBS_DIM, num_actions: int = NUM_ACTIONS,
                 td_target_fn: Callable | None = None, loss_fn: Callable | None = None,
                 target_update_fn: Callable | None = None, epsilon_greedy_fn: Callable | None = None):
        if config.algo not in ("dqn", "double_dqn"):
            raise ValueError(f"DQNAgent needs config.algo 'dqn' or 'double_dqn', got {config.algo!r}")
        self.double = config.algo == "double_dqn"
        self.td_target_fn = td_target_fn or (double_dqn_targets if self.double else dqn_targets)
        self.loss_fn = loss_fn or functools.partial(q_learning_loss, loss=config.loss)
        self.epsilon_greedy_fn = epsilon_greedy_fn or epsilon_greedy
        self._check_actions = self.epsilon_greedy_fn is not epsilon_greedy  # a replacement's actions are checked
        super().__init__(config, obs_dim, num_actions, num_q=1, target_update_fn=target_update_fn)

    def act(self, obs: np.ndarray, rng: np.random.Generator, epsilon: float) -> np.ndarray:
        """ε-greedy actions [N] of observations [N, obs_dim]: ``epsilon_greedy_fn(Q(s, ·), epsilon, rng)``.

        With the default :func:`lunar_lab.exploration.epsilon_greedy`: uniform random with
        probability ε, else greedy, [N] int64.

        Raises:
            TypeError, ValueError: a replacement ``epsilon_greedy_fn`` returned something other
                than [N] integer actions in 0 … A − 1 (the message says what it returned).
        """
        actions = self.epsilon_greedy_fn(self.policy_network(obs), epsilon, rng)
        if self._check_actions:
            actions = _checked_actions(actions, len(obs), self.num_actions)
        return actions

    def _targets(self, reward, next_obs, terminated, discount):
        kwargs = dict(rewards=reward, terminated=terminated, gamma=discount,
                      next_q_values=self.target_network(next_obs, training=False))
        if self.double:
            kwargs["next_q_values_online"] = self.q_network(next_obs, training=False)
        return self.td_target_fn(**kwargs)

    def _gradient_step(self, obs, action, reward, next_obs, terminated, discount):
        targets = tf.stop_gradient(self._targets(reward, next_obs, terminated, discount))
        with tf.GradientTape() as tape:
            loss = self.loss_fn(self.q_network(obs, training=True), action, targets)
        self._apply(tape, loss)
        return loss


def _checked_actions(actions, num_envs: int, num_actions: int) -> np.ndarray:
    """``actions``, what a replacement epsilon_greedy_fn returned, as int64 [N]; raises unless they are
    a NumPy array of N integers in 0 … A − 1."""
    what = f"epsilon_greedy_fn must return a NumPy array of N = {num_envs} integer actions in 0 … {num_actions - 1}"
    if not isinstance(actions, np.ndarray):
        raise TypeError(f"{what}; it returned {type(actions).__name__}")
    if not np.issubdtype(actions.dtype, np.integer):
        raise TypeError(f"{what}; it returned dtype {actions.dtype}")
    if actions.shape != (num_envs,):
        raise ValueError(f"{what}; it returned shape {list(actions.shape)}")
    if num_envs and (actions.min() < 0 or actions.max() >= num_actions):
        raise ValueError(f"{what}; it returned {actions.tolist()}")
    return actions.astype(np.int64, copy=False)
