"""What every value-based agent here shares: online and target Q-networks, one compiled
learning call of K gradient steps, target-network updates, NumPy acting, saving.

Subclasses define ``_gradient_step`` (the algorithm), ``act`` and ``greedy_actions``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from lunar_lab.config import Config
from lunar_lab.networks import NumpyQNetwork, build_q_network
from lunar_lab.updates import hard_update, soft_update

BATCH_FIELDS = ("obs", "action", "reward", "next_obs", "terminated", "discount")


def _adam_learning_rate(config: Config) -> float | keras.optimizers.schedules.LearningRateSchedule:
    """The ``learning_rate`` argument of the Q-networks' Adam for ``config.learning_rate_schedule``.

    "constant": the float ``config.learning_rate``. "linear": Keras ``PolynomialDecay`` with
    power 1, from ``learning_rate`` to ``learning_rate_end`` over
    :meth:`Config.learning_rate_decay_gradient_steps` gradient steps, then flat; Keras calls it
    with the optimizer's step count (int64, the gradient steps taken) at every update.
    """
    if config.learning_rate_schedule == "constant":
        return config.learning_rate
    return keras.optimizers.schedules.PolynomialDecay(
        config.learning_rate, config.learning_rate_decay_gradient_steps(), config.learning_rate_end, power=1.0)


class QAgent:
    """Base of the agents: ``num_q`` online Q-networks, their target copies and one Adam.

    Args:
        config: hyperparameters.
        obs_dim, num_actions: sizes of an observation and of the action set.
        num_q: number of online Q-networks (1 for DQN, 2 for SQN's twin Q).
        target_update_fn: replaces :func:`lunar_lab.updates.soft_update` ``(target, online, tau)``
            or :func:`lunar_lab.updates.hard_update` ``(target, online)``, according to
            ``config.target_update``; it runs inside the compiled step on lists of variables.

    Attributes:
        q_networks, target_networks: lists of Keras models [B, obs_dim] float32 → [B, A] float32.
        q_network, target_network: the first of each (the one that acts).
        optimizer: the Q-networks' Adam; ``optimizer.learning_rate`` is the rate α of the next
            gradient step (a scalar float32), which follows ``config.learning_rate_schedule``
            on ``optimizer.iterations`` (saved in :meth:`training_state`, so a resumed agent
            continues the schedule where it was).
    """

    weight_files: tuple[str, ...] = ("q_network.weights.h5",)

    def __init__(self, config: Config, obs_dim: int, num_actions: int, num_q: int = 1,
                 target_update_fn: Callable | None = None):
        self.config = config
        self.num_actions = int(num_actions)
        keras.utils.set_random_seed(config.seed)
        net = functools.partial(build_q_network, obs_dim, num_actions, config.hidden_sizes, config.activation)
        self.q_networks = [net(seed=config.seed + i, name=f"q_network_{i + 1}") for i in range(num_q)]
        self.target_networks = [net(seed=config.seed + i, name=f"target_network_{i + 1}") for i in range(num_q)]
        for target, online in zip(self.target_networks, self.q_networks):
            hard_update(target.weights, online.weights)
        self.q_network, self.target_network = self.q_networks[0], self.target_networks[0]
        self.q_variables = [v for net in self.q_networks for v in net.trainable_variables]
        self.target_variables = [v for net in self.target_networks for v in net.trainable_variables]
        self.optimizer = keras.optimizers.Adam(learning_rate=_adam_learning_rate(config),
                                               global_clipnorm=config.max_grad_norm)
        self.optimizer.build(self.q_variables)
        self.target_update_fn = target_update_fn or (soft_update if config.target_update == "soft" else hard_update)
        self._learner_steps = tf.Variable(0, dtype=tf.int64, trainable=False, name="learner_steps")
        self.policy_network = NumpyQNetwork(self.q_network)
        self._learn = tf.function(self._learn_steps, jit_compile=config.jit_compile, reduce_retracing=True)

    @property
    def learner_steps(self) -> int:
        """Gradient steps taken so far."""
        return int(self._learner_steps.numpy())

    def q_values(self, obs: np.ndarray) -> np.ndarray:
        """Q(s, ·) [N, A] float32 of observations [N, obs_dim] from the acting network."""
        return self.policy_network(obs)

    def greedy_actions(self, obs: np.ndarray) -> np.ndarray:
        """argmax_a Q(s, a): [N] int64 actions for observations [N, obs_dim]."""
        return np.argmax(self.policy_network(obs), axis=-1)

    def learn(self, batches: dict[str, np.ndarray]) -> float:
        """Take K gradient steps on K batches stacked as [K, B, ...] (``ReplayBuffer.sample``).

        Each step is followed by the target-network update (soft: every step; hard: every
        ``target_update_period`` steps). The acting copy is refreshed afterwards.

        Returns:
            the mean loss over the K steps.
        """
        loss = self.learn_steps(batches)
        self.sync_policy()
        return loss

    def learn_steps(self, batches: dict[str, np.ndarray]) -> float:
        """:meth:`learn` without refreshing the acting copy: safe to run in a second thread
        while the first one acts with the previous weights (the training loop does)."""
        return float(self._learn(*(batches[f] for f in BATCH_FIELDS)))

    def sync_policy(self) -> None:
        """Refresh the NumPy acting copy from the current weights (after :meth:`learn_steps`)."""
        self.policy_network.sync()

    def _learn_steps(self, obs, action, reward, next_obs, terminated, discount):
        num_steps = tf.shape(obs)[0]
        total_loss = tf.constant(0.0)
        for k in tf.range(num_steps):  # a compiled loop: one program whatever K is
            total_loss += self._gradient_step(obs[k], action[k], reward[k], next_obs[k], terminated[k], discount[k])
            self._learner_steps.assign_add(1)
            self._update_targets()
        return total_loss / tf.cast(num_steps, tf.float32)

    def _gradient_step(self, obs, action, reward, next_obs, terminated, discount):
        raise NotImplementedError

    def _apply(self, tape: tf.GradientTape, loss) -> None:
        self.optimizer.apply_gradients(zip(tape.gradient(loss, self.q_variables), self.q_variables))

    def _update_targets(self) -> None:
        if self.config.target_update == "soft":
            self.target_update_fn(self.target_variables, self.q_variables, self.config.tau)
        elif self._learner_steps % self.config.target_update_period == 0:
            self.target_update_fn(self.target_variables, self.q_variables)

    def state_variables(self) -> dict[str, tf.Variable]:
        """Every variable of the learner besides the online weights, by a stable name: the target
        networks (``target_{i}/{j}``), the optimizer's variables (``optimizer/{j}``: Adam's step count
        and moments) and the learner-step counter. Subclasses add their own (SQN: the temperature)."""
        variables = {"learner_steps": self._learner_steps}
        for i, net in enumerate(self.target_networks):
            variables.update({f"target_{i}/{j}": v for j, v in enumerate(net.weights)})
        variables.update({f"optimizer/{j}": v for j, v in enumerate(self.optimizer.variables)})
        return variables

    def training_state(self) -> dict[str, np.ndarray]:
        """The values of :meth:`state_variables` as NumPy arrays (for ``np.savez``); with the online
        weights (:meth:`save`) they make the learner continue exactly where it was."""
        return {name: np.asarray(v.numpy()) for name, v in self.state_variables().items()}

    def load_training_state(self, state: dict[str, np.ndarray]) -> None:
        """Restore :meth:`training_state` (after :meth:`load` has restored the online weights).

        Raises:
            ValueError: a variable is missing from ``state`` or has another shape (the
                checkpoint belongs to another network or algorithm).
        """
        for name, variable in self.state_variables().items():
            if name not in state:
                raise ValueError(f"the training state has no {name!r}; it was saved by another agent")
            value = state[name]
            if tuple(value.shape) != tuple(variable.shape):
                raise ValueError(f"the training state's {name!r} has shape {tuple(value.shape)}, this agent's "
                                 f"{tuple(variable.shape)}")
            variable.assign(value)
        self.sync_policy()

    def save(self, directory: str | Path) -> Path:
        """Write the online networks' weights into ``directory`` (``q_network.weights.h5`` …).

        Raises:
            FileExistsError: a weights file exists there already (nothing is overwritten).
        """
        directory = Path(directory)
        paths = [directory / name for name in self.weight_files]
        for path in paths:
            if path.exists():
                raise FileExistsError(f"{path} exists already; refusing to overwrite saved weights")
        directory.mkdir(parents=True, exist_ok=True)
        for net, path in zip(self.q_networks, paths):
            net.save_weights(path)
        return paths[0]

    def load(self, directory: str | Path) -> None:
        """Load weights saved by :meth:`save` into the online and target networks.

        Raises:
            FileNotFoundError: a weights file is missing.
            ValueError: a file does not fit this network (e.g. other hidden sizes).
        """
        for net, target, name in zip(self.q_networks, self.target_networks, self.weight_files):
            path = Path(directory) / name
            if not path.is_file():
                raise FileNotFoundError(f"no weights file at {path}")
            try:
                net.load_weights(path)
            except Exception as err:  # h5py / Keras raise several types for a mismatch
                raise ValueError(
                    f"weights in {path} do not fit a Q-network with hidden_sizes={self.config.hidden_sizes}: {err}"
                ) from None
            hard_update(target.weights, net.weights)
        self.policy_network.sync()
