"""SQN, the soft Q-network: entropy-regularised Q-learning for discrete actions.

Twin Q-networks trained towards one soft TD target that uses the minimum of their target
copies; a Boltzmann policy π(·|s) = softmax(Q₁(s, ·)/α_H) for acting (no ε); the
temperature α_H fixed or learned against a target entropy H̄ with its own Adam; Polyak-
averaged target networks.

Source: Liu, Gu, Liu & Zhang (2021), "Soft Q-Network" (seed 002), Algorithm 1; the
temperature step from Haarnoja et al. (2018b). Deviations: the policy inside the target is
softmax(min Q′/α_H) (so V(s′) is the soft maximum of the clipped target values), and the
loss is ``config.loss`` (Huber by default; the preprint uses the squared error).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import keras
import numpy as np
import tensorflow as tf

from lunar_lab.agents.base import QAgent
from lunar_lab.config import Config
from lunar_lab.envs import NUM_ACTIONS, OBS_DIM
from lunar_lab.losses import q_learning_loss, temperature_loss
from lunar_lab.targets import soft_q_targets


class SQNAgent(QAgent):
    """A soft Q-network agent (``config.algo == "sqn"``).

    Args:
        config: hyperparameters; uses ``temperature`` (initial α_H), ``learn_temperature``,
            ``target_entropy`` (None: ``config.resolved_target_entropy(A)``),
            ``temperature_learning_rate``, and the DQN fields.
        td_target_fn: replaces :func:`lunar_lab.targets.soft_q_targets`, called with keywords
            ``rewards, terminated, next_q_values_1, next_q_values_2, temperature, gamma``.
        temperature_loss_fn: replaces :func:`lunar_lab.losses.temperature_loss`
            ``(log_temperature, log_policy, target_entropy)``.
        loss_fn, target_update_fn: as for :class:`lunar_lab.agents.DQNAgent`.

    Attributes:
        temperature: current α_H (float).

    Raises:
        ValueError: ``config.algo`` is not ``"sqn"``.

    Example:
        >>> agent = SQNAgent(Config(algo="sqn", hidden_sizes=(8,), jit_compile=False))
        >>> agent.act(np.zeros((3, 8), np.float32), np.random.default_rng(0)).shape
        (3,)
    """

    weight_files = ("q_network.weights.h5", "q_network_2.weights.h5")

    def __init__(self, config: Config, obs_dim: int = OBS_DIM, num_actions: int = NUM_ACTIONS,
                 td_target_fn: Callable | None = None, loss_fn: Callable | None = None,
                 target_update_fn: Callable | None = None, temperature_loss_fn: Callable | None = None):
        if config.algo != "sqn":
            raise ValueError(f"SQNAgent needs config.algo 'sqn', got {config.algo!r}")
        self.td_target_fn = td_target_fn or soft_q_targets
        self.loss_fn = loss_fn or functools.partial(q_learning_loss, loss=config.loss)
        self.temperature_loss_fn = temperature_loss_fn or temperature_loss
        self.target_entropy = config.resolved_target_entropy(num_actions)
        self.log_temperature = tf.Variable(math.log(config.temperature), dtype=tf.float32, name="log_temperature")
        self.temperature_optimizer = keras.optimizers.Adam(learning_rate=config.temperature_learning_rate)
        self.temperature_optimizer.build([self.log_temperature])
        super().__init__(config, obs_dim, num_actions, num_q=2, target_update_fn=target_update_fn)
        self.temperature = config.temperature

    def act(self, obs: np.ndarray, rng: np.random.Generator, epsilon: float | None = None) -> np.ndarray:
        """Actions [N] int64 sampled from π(·|s) = softmax(Q₁(s, ·)/α_H); ``epsilon`` is ignored."""
        logits = self.policy_network(obs) / self.temperature
        logits -= logits.max(axis=-1, keepdims=True)
        probs = np.exp(logits)
        probs /= probs.sum(axis=-1, keepdims=True)
        u = rng.random((len(probs), 1))
        return np.minimum((probs.cumsum(axis=-1) < u).sum(axis=-1), self.num_actions - 1)

    def sync_policy(self) -> None:
        """Refresh the acting copy of Q₁ and the acting temperature α_H."""
        super().sync_policy()
        self.temperature = float(tf.exp(self.log_temperature))

    def state_variables(self) -> dict[str, tf.Variable]:
        """:meth:`QAgent.state_variables` plus log α_H and its optimizer's variables."""
        variables = super().state_variables()
        variables["log_temperature"] = self.log_temperature
        variables.update({f"temperature_optimizer/{j}": v for j, v in enumerate(self.temperature_optimizer.variables)})
        return variables

    def _gradient_step(self, obs, action, reward, next_obs, terminated, discount):
        temperature = tf.exp(self.log_temperature)
        targets = tf.stop_gradient(self.td_target_fn(
            rewards=reward, terminated=terminated, gamma=discount, temperature=temperature,
            next_q_values_1=self.target_networks[0](next_obs, training=False),
            next_q_values_2=self.target_networks[1](next_obs, training=False),
        ))
        with tf.GradientTape() as tape:
            q_values = [net(obs, training=True) for net in self.q_networks]
            loss = sum(self.loss_fn(q, action, targets) for q in q_values)
        self._apply(tape, loss)
        if self.config.learn_temperature:
            log_policy = tf.stop_gradient(tf.nn.log_softmax(q_values[0] / temperature, axis=-1))
            with tf.GradientTape() as tape:
                t_loss = self.temperature_loss_fn(self.log_temperature, log_policy, self.target_entropy)
            grad = tape.gradient(t_loss, self.log_temperature)
            self.temperature_optimizer.apply_gradients([(grad, self.log_temperature)])
        return loss
