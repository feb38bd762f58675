"""DQN and Double DQN: ε-greedy acting in NumPy, learning in one compiled TensorFlow call.

Sources: Mnih et al. (2015), "Human-level control through deep reinforcement learning",
Algorithm 1; van Hasselt, Guez & Silver (2016), "Deep Reinforcement Learning with Double
Q-learning", eq. (4).

Design for a CPU: acting uses a NumPy copy of the online network (no Keras dispatch per
env step), refreshed after every learning call; one compiled call (``tf.function``, XLA)
runs ``updates_per_call`` gradient steps on independently sampled batches, each followed
by its target-network update. The TD-target, loss and target-update functions are plain
arguments, so a learner's own implementation from a notebook trains the agent.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np
import tensorflow as tf

from lunar_lab.agents.base import QAgent
from lunar_lab.config import Config
from lunar_lab.envs import NUM_ACTIONS, OBS_DIM
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

    Raises:
        ValueError: ``config.algo`` is not a DQN-family algorithm.

    Example:
        >>> agent = DQNAgent(Config(hidden_sizes=(8,), jit_compile=False))
        >>> agent.greedy_actions(np.zeros((2, 8), np.float32)).shape
        (2,)
    """

    def __init__(self, config: Config, obs_dim: int = OBS_DIM, num_actions: int = NUM_ACTIONS,
                 td_target_fn: Callable | None = None, loss_fn: Callable | None = None,
                 target_update_fn: Callable | None = None):
        if config.algo not in ("dqn", "double_dqn"):
            raise ValueError(f"DQNAgent needs config.algo 'dqn' or 'double_dqn', got {config.algo!r}")
        self.double = config.algo == "double_dqn"
        self.td_target_fn = td_target_fn or (double_dqn_targets if self.double else dqn_targets)
        self.loss_fn = loss_fn or functools.partial(q_learning_loss, loss=config.loss)
        super().__init__(config, obs_dim, num_actions, num_q=1, target_update_fn=target_update_fn)

    def act(self, obs: np.ndarray, rng: np.random.Generator, epsilon: float) -> np.ndarray:
        """ε-greedy actions [N] int64: uniform random with probability ε, else greedy."""
        greedy = self.greedy_actions(obs)
        explore = rng.random(len(greedy)) < epsilon
        return np.where(explore, rng.integers(0, self.num_actions, size=len(greedy)), greedy)

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
