"""Hyperparameters of every agent, in one validated dataclass.

The defaults train a DQN that solves LunarLander-v3 (greedy mean ≥ 200 over 100 episodes)
on a laptop CPU in about a minute. Every field is checked at construction: a bad value
raises ValueError naming the field, the value given and what is allowed.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass

from lunar_lab.losses import LOSSES
from lunar_lab.schedules import SCHEDULES

ALGOS = ("dqn", "double_dqn", "sqn")
#: SQN's default target entropy, as a fraction of the maximum log A (a nearly greedy policy).
DEFAULT_TARGET_ENTROPY_FRACTION = 0.15
TARGET_UPDATES = ("soft", "hard")


@dataclass(frozen=True)
class Config:
    """Hyperparameters of a run (house notation: ../shared/STYLE.md).

    Attributes:
        algo: ``"dqn"`` (Mnih et al. 2015), ``"double_dqn"`` (van Hasselt et al. 2016) or
            ``"sqn"`` (soft Q-network, twin Q, learned temperature; seed 002).
        seed: seeds the environments, their action spaces, NumPy and Keras/TensorFlow.
        total_steps: env steps to train for (a step of one sub-environment counts 1).
        num_envs: sub-environments stepped together (gymnasium ``SyncVectorEnv``), ≥ 1.
        hidden_sizes: units of each hidden layer of the Q-network MLP.
        activation: hidden-layer activation (``"relu"``, ``"tanh"``, ``"elu"``).
        learning_rate: Adam step size, > 0.
        gamma: discount factor γ, in [0, 1).
        batch_size: B, transitions per gradient step, 1 ≤ B ≤ buffer_capacity.
        buffer_capacity: replay buffer size in transitions, ≥ 1.
        learning_starts: env steps of experience collected before the first gradient step.
        train_every: env steps per gradient step (4 = the standard replay ratio of DQN).
        updates_per_call: gradient steps run in one compiled call, on independently
            sampled batches; the replay ratio is unchanged, only the call overhead drops.
        target_update: ``"soft"`` (Polyak averaging with τ after every gradient step) or
            ``"hard"`` (copy every ``target_update_period`` gradient steps).
        tau: soft-update coefficient τ, in (0, 1]; τ weights the online network.
        target_update_period: C, gradient steps between hard copies, ≥ 1.
        loss: ``"huber"`` or ``"mse"``.
        max_grad_norm: clip the global gradient norm to this value (None: no clipping).
        n_step: horizon n of the n-step return, ≥ 1 (1 = one-step TD).
        epsilon_schedule: ``"linear"`` over env steps or ``"exponential"`` per episode.
        epsilon_start, epsilon_end: ε at the start and the floor, in [0, 1], end ≤ start.
        epsilon_decay_steps: env steps of the linear schedule, ≥ 1.
        epsilon_decay: per-episode factor of the exponential schedule, in (0, 1].
        temperature: SQN entropy temperature α_H at the start (> 0); fixed if not learned.
        learn_temperature: SQN: learn α_H against ``target_entropy``.
        target_entropy: SQN target policy entropy H̄ in nats, in [0, log A]; None =
            ``DEFAULT_TARGET_ENTROPY_FRACTION``·log A (see :meth:`resolved_target_entropy`).
        temperature_learning_rate: Adam step size of log α_H, > 0.
        eval_interval: env steps between greedy evaluations during training (0: none).
        eval_episodes: episodes per evaluation during training, ≥ 0. 0 plays none: the
            learner is still joined every ``eval_interval`` env steps and ``train``'s
            ``on_evaluation`` hook is called with ``evaluation=None`` (a measurement of your own).
        stop_when_solved: stop training once a greedy evaluation mean reaches 200 (needs
            ``eval_interval`` ≥ 1 and ``eval_episodes`` ≥ 1).
        jit_compile: compile the learning step with XLA (faster on CPU; off to debug).
    """

    algo: str = "dqn"
    seed: int = 0
    total_steps: int = 300_000
    num_envs: int = 4
    hidden_sizes: tuple[int, ...] = (128, 128)
    activation: str = "relu"
    learning_rate: float = 1e-3
    gamma: float = 0.99
    batch_size: int = 64
    buffer_capacity: int = 100_000
    learning_starts: int = 5_000
    train_every: int = 4
    updates_per_call: int = 32
    target_update: str = "soft"
    tau: float = 0.005
    target_update_period: int = 250
    loss: str = "huber"
    max_grad_norm: float | None = 10.0
    n_step: int = 1
    epsilon_schedule: str = "linear"
    epsilon_start: float = 1.0
    epsilon_end: float = 0.05
    epsilon_decay_steps: int = 50_000
    epsilon_decay: float = 0.995
    temperature: float = 0.1
    learn_temperature: bool = True
    target_entropy: float | None = None
    temperature_learning_rate: float = 3e-4
    eval_interval: int = 25_000
    eval_episodes: int = 20
    stop_when_solved: bool = False
    jit_compile: bool = True

    def __post_init__(self):
        object.__setattr__(self, "hidden_sizes", tuple(self.hidden_sizes))
        _choice("algo", self.algo, ALGOS)
        _choice("target_update", self.target_update, TARGET_UPDATES)
        _choice("loss", self.loss, LOSSES)
        _choice("epsilon_schedule", self.epsilon_schedule, SCHEDULES)
        for name in ("total_steps", "num_envs", "batch_size", "buffer_capacity", "train_every",
                     "updates_per_call", "target_update_period", "n_step", "epsilon_decay_steps"):
            _integer(name, getattr(self, name), low=1)
        for name in ("seed", "learning_starts", "eval_interval", "eval_episodes"):
            _integer(name, getattr(self, name), low=0)
        if not self.hidden_sizes or any(isinstance(h, bool) or int(h) != h or h < 1 for h in self.hidden_sizes):
            raise ValueError(f"hidden_sizes must be a non-empty tuple of positive integers, got {self.hidden_sizes!r}")
        _interval("gamma", self.gamma, 0.0, 1.0, "[0, 1)", lo_open=False, hi_open=True)
        _interval("tau", self.tau, 0.0, 1.0, "(0, 1]", lo_open=True, hi_open=False)
        _interval("epsilon_start", self.epsilon_start, 0.0, 1.0, "[0, 1]")
        _interval("epsilon_end", self.epsilon_end, 0.0, 1.0, "[0, 1]")
        _interval("epsilon_decay", self.epsilon_decay, 0.0, 1.0, "(0, 1]", lo_open=True)
        if self.epsilon_end > self.epsilon_start:
            raise ValueError(
                f"epsilon_end must be <= epsilon_start, got epsilon_end={self.epsilon_end!r} > epsilon_start={self.epsilon_start!r}"
            )
        for name in ("learning_rate", "temperature", "temperature_learning_rate"):
            _positive(name, getattr(self, name))
        if self.max_grad_norm is not None:
            _positive("max_grad_norm", self.max_grad_norm)
        if self.batch_size > self.buffer_capacity:
            raise ValueError(
                f"batch_size must be <= buffer_capacity, got batch_size={self.batch_size} > buffer_capacity={self.buffer_capacity}"
            )
        if self.stop_when_solved and not (self.eval_interval and self.eval_episodes):
            raise ValueError(
                "stop_when_solved=True needs greedy evaluations, got "
                f"eval_interval={self.eval_interval} and eval_episodes={self.eval_episodes} (both must be >= 1)"
            )
        if self.algo == "sqn" and self.n_step != 1:
            raise ValueError(f"n_step must be 1 with algo='sqn' (n-step SQN is not taught here), got n_step={self.n_step}")

    def resolved_target_entropy(self, num_actions: int) -> float:
        """H̄ in nats: ``target_entropy``, or a fraction of the maximum log A when it is None.

        Raises:
            ValueError: ``target_entropy`` is outside [0, log A].

        Example:
            >>> round(Config(target_entropy=None).resolved_target_entropy(4), 4) == round(DEFAULT_TARGET_ENTROPY_FRACTION * math.log(4), 4)
            True
        """
        maximum = math.log(num_actions)
        if self.target_entropy is None:
            return DEFAULT_TARGET_ENTROPY_FRACTION * maximum
        if not 0.0 <= self.target_entropy <= maximum:
            raise ValueError(f"target_entropy must be in [0, log A = {maximum:.4f}], got {self.target_entropy!r}")
        return float(self.target_entropy)

    def replace(self, **changes) -> Config:
        """A copy with some fields changed (validated again); unknown names raise ValueError.

        Example:
            >>> Config().replace(gamma=0.5).gamma
            0.5
            >>> Config().replace(gama=0.5)
            Traceback (most recent call last):
            ...
            ValueError: unknown Config field 'gama'; allowed: algo, seed, ...
        """
        names = [f.name for f in dataclasses.fields(self)] 
        for key in changes:
            if key not in names:
                raise ValueError(f"unknown Config field {key!r}; allowed: {', '.join(names)}")
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        """The fields as a JSON-serialisable dict (``hidden_sizes`` as a list)."""
        d = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        d["hidden_sizes"] = list(self.hidden_sizes)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> Config:
        """Inverse of :meth:`to_dict`; unknown keys raise ValueError."""
        return cls().replace(**d)

    def to_json(self) -> str:
        """The fields as indented JSON."""
        return json.dumps(self.to_dict(), indent=2)


def _choice(name, value, allowed):
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}; got {value!r}")


def _integer(name, value, low):
    if isinstance(value, bool) or not hasattr(value, "__index__") or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")


def _positive(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValueError(f"{name} must be a number > 0, got {value!r}")


def _interval(name, value, lo, hi, text, lo_open=False, hi_open=False):
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    ok = ok and (value > lo if lo_open else value >= lo) and (value < hi if hi_open else value <= hi)
    if not ok:
        raise ValueError(f"{name} must be in {text}, got {value!r}")
