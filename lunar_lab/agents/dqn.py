"""DQN and Double DQN: ε-greedy acting in NumPy, learning in one compiled TensorFlow call.

Sources: Mnih et al. (2015), Algorithm 1; van Hasselt, Guez & Silver (2016) for Double DQN.

Design for a CPU: acting uses a NumPy copy of the online network (no Keras dispatch per
env step), refreshed after every learning call; one compiled call (``tf.function``, XLA)
runs ``updates_per_call`` gradient steps on independently sampled batches, each followed
by its target-network update. The TD-target and loss functions are plain arguments, so a
learner's own implementation from a notebook trains the agent.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from lunar_lab.config import Config
from lunar_lab.envs import NUM_ACTIONS, OBS_DIM
from lunar_lab.losses import q_learning_loss
from lunar_lab.networks import NumpyQNetwork, build_q_network
from lunar_lab.targets import double_dqn_targets, dqn_targets
from lunar_lab.updates import hard_update, soft_update

WEIGHTS_FILE = "q_network.weights.h5"
BATCH_FIELDS = ("obs", "action", "reward", "next_obs", "terminated", "discount")


class DQNAgent:
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

    Attributes:
        q_network, target_network: Keras models [B, obs_dim] float32 → [B, A] float32.
        learner_steps: gradient steps taken so far.

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
        self.config = config
        self.num_actions = int(num_actions)
        keras.utils.set_random_seed(config.seed)
        net = functools.partial(build_q_network, obs_dim, num_actions, config.hidden_sizes, config.activation, config.seed)
        self.q_network = net(name="q_network")
        self.target_network = net(name="target_network")
        hard_update(self.target_network.weights, self.q_network.weights)
        self.optimizer = keras.optimizers.Adam(learning_rate=config.learning_rate, global_clipnorm=config.max_grad_norm)
        self.optimizer.build(self.q_network.trainable_variables)
        self.double = config.algo == "double_dqn"
        self.td_target_fn = td_target_fn or (double_dqn_targets if self.double else dqn_targets)
        self.loss_fn = loss_fn or functools.partial(q_learning_loss, loss=config.loss)
        self.target_update_fn = target_update_fn or (soft_update if config.target_update == "soft" else hard_update)
        self._learner_steps = tf.Variable(0, dtype=tf.int64, trainable=False, name="learner_steps")
        self.policy_network = NumpyQNetwork(self.q_network)
        self._learn = tf.function(self._learn_steps, jit_compile=config.jit_compile, reduce_retracing=True)

    @property
    def learner_steps(self) -> int:
        return int(self._learner_steps.numpy())

    # -- acting -------------------------------------------------------------------------
    def q_values(self, obs: np.ndarray) -> np.ndarray:
        """Q(s, ·) [N, A] float32 of observations [N, obs_dim], from the current weights."""
        return self.policy_network(obs)

    def greedy_actions(self, obs: np.ndarray) -> np.ndarray:
        """argmax_a Q(s, a): [N] int64 actions for observations [N, obs_dim] (ε = 0)."""
        return np.argmax(self.policy_network(obs), axis=-1)

    def act(self, obs: np.ndarray, rng: np.random.Generator, epsilon: float) -> np.ndarray:
        """ε-greedy actions [N] int64: uniform random with probability ε, else greedy."""
        greedy = self.greedy_actions(obs)
        explore = rng.random(len(greedy)) < epsilon
        return np.where(explore, rng.integers(0, self.num_actions, size=len(greedy)), greedy)

    # -- learning -----------------------------------------------------------------------
    def learn(self, batches: dict[str, np.ndarray]) -> float:
        """Take K gradient steps on K batches stacked as [K, B, ...] (from ``ReplayBuffer.sample``).

        Each step regresses Q(s, a) towards the TD targets and then updates the target
        network (soft: after every step; hard: every ``target_update_period`` steps).
        Refreshes the NumPy acting copy afterwards.

        Returns:
            the mean loss over the K steps (float).
        """
        loss = self._learn(*(batches[f] for f in BATCH_FIELDS))
        self.policy_network.sync()
        return float(loss)

    def _learn_steps(self, obs, action, reward, next_obs, terminated, discount):
        losses = [
            self._gradient_step(obs[k], action[k], reward[k], next_obs[k], terminated[k], discount[k])
            for k in range(obs.shape[0])
        ]
        return tf.reduce_mean(tf.stack(losses))

    def _targets(self, reward, next_obs, terminated, discount):
        kwargs = dict(rewards=reward, terminated=terminated, gamma=discount,
                      next_q_values=self.target_network(next_obs, training=False))
        if self.double:
            kwargs["next_q_values_online"] = self.q_network(next_obs, training=False)
        return self.td_target_fn(**kwargs)

    def _gradient_step(self, obs, action, reward, next_obs, terminated, discount):
        targets = tf.stop_gradient(self._targets(reward, next_obs, terminated, discount))
        variables = self.q_network.trainable_variables
        with tf.GradientTape() as tape:
            loss = self.loss_fn(self.q_network(obs, training=True), action, targets)
        self.optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        self._learner_steps.assign_add(1)
        self._update_target()
        return loss

    def _update_target(self):
        target, online = self.target_network.trainable_variables, self.q_network.trainable_variables
        if self.config.target_update == "soft":
            self.target_update_fn(target, online, self.config.tau)
        elif self._learner_steps % self.config.target_update_period == 0:
            self.target_update_fn(target, online)

    # -- saving -------------------------------------------------------------------------
    def save(self, directory: str | Path) -> Path:
        """Write the online network's weights to ``directory/q_network.weights.h5``.

        Raises:
            FileExistsError: that file exists already (nothing is overwritten).
        """
        path = Path(directory) / WEIGHTS_FILE
        if path.exists():
            raise FileExistsError(f"{path} exists already; refusing to overwrite saved weights")
        path.parent.mkdir(parents=True, exist_ok=True)
        self.q_network.save_weights(path)
        return path

    def load(self, directory: str | Path) -> None:
        """Load weights saved by :meth:`save` into both networks.

        Raises:
            FileNotFoundError: no weights file in ``directory``.
            ValueError: the file does not fit this network (e.g. other hidden sizes).
        """
        path = Path(directory) / WEIGHTS_FILE
        if not path.is_file():
            raise FileNotFoundError(f"no weights file at {path}")
        try:
            self.q_network.load_weights(path)
        except Exception as err:  # h5py / Keras raise several types for a mismatch
            raise ValueError(
                f"weights in {path} do not fit a Q-network with hidden_sizes={self.config.hidden_sizes}: {err}"
            ) from None
        hard_update(self.target_network.weights, self.q_network.weights)
        self.policy_network.sync()


def make_agent(config: Config, **functions):
    """The agent for ``config.algo``, with optional replacement functions (see :class:`DQNAgent`).

    Raises:
        ValueError: unknown ``config.algo`` (already rejected by :class:`Config`).
    """
    if config.algo in ("dqn", "double_dqn"):
        return DQNAgent(config, **functions)
    raise ValueError(f"algo {config.algo!r} has no agent yet")
