"""Hyperparameters of every agent, in one validated dataclass.

The defaults train a DQN that solves LunarLander-v3 (greedy mean ≥ 200 over 100 episodes)
on a laptop CPU in about a minute. Every field is checked at construction, before anything
is created or written: a bad value raises ValueError naming the field, the value given and
what is allowed. This module imports no TensorFlow (``lunar_lab.envs`` needs gymnasium only).
"""

from __future__ import annotations

import dataclasses
import json
import math
import numbers
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from lunar_lab.engines import ENGINES, default_engine
from lunar_lab.envs import NUM_ACTIONS, OBS_DIM
from lunar_lab.schedules import SCHEDULES

ALGOS = ("dqn", "double_dqn", "sqn")
#: Hidden-layer activations :func:`lunar_lab.networks.build_q_network` supports.
ACTIVATIONS = ("relu", "tanh", "elu")
#: Losses :func:`lunar_lab.losses.q_learning_loss` supports.
LOSSES = ("huber", "mse")
TARGET_UPDATES = ("soft", "hard")
#: Learning-rate schedules of the Q-networks' Adam (see ``learning_rate_schedule``).
LEARNING_RATE_SCHEDULES = ("constant", "linear")
#: SQN's default target entropy, as a fraction of the maximum log A (a nearly greedy policy).
DEFAULT_TARGET_ENTROPY_FRACTION = 0.15
#: Largest seed: ``keras.utils.set_random_seed`` passes it to NumPy's global seed, which takes [0, 2**32 − 1].
MAX_SEED = 2**32 - 1
#: Replay-buffer bytes per LunarLander transition (:class:`lunar_lab.replay.ReplayBuffer`):
#: obs and next_obs [8] float32, action int32, reward, terminated and discount float32.
BYTES_PER_TRANSITION = 2 * OBS_DIM * 4 + 4 * 4
#: Fields added to Config after runs had been recorded, with the value every earlier run used: a
#: config.json or sweep record without the field reads it as this value, not as today's default.
VALUES_BEFORE_FIELD = {"env_engine": "gymnasium"}
#: The bounds of the number fields (all finite); max_grad_norm and target_entropy, which may be None, apart.
_INTERVALS = {
    "learning_rate": dict(low=0, low_open=True),
    "learning_rate_end": dict(low=0, low_open=True),
    "gamma": dict(low=0, high=1, high_open=True),
    "tau": dict(low=0, high=1, low_open=True),
    "epsilon_start": dict(low=0, high=1),
    "epsilon_end": dict(low=0, high=1),
    "epsilon_decay": dict(low=0, high=1, low_open=True),
    "temperature": dict(low=0, low_open=True),
    "temperature_learning_rate": dict(low=0, low_open=True),
}


@dataclass(frozen=True)
class Config:
    """Hyperparameters of a run (house notation: ../shared/STYLE.md).

    Integer fields take integers (Python or NumPy; not bools, not floats such as 1e5), number
    fields take finite real numbers (stored as float), flags take True or False only.

    Attributes:
        algo: ``"dqn"`` (Mnih et al. 2015), ``"double_dqn"`` (van Hasselt et al. 2016) or
            ``"sqn"`` (soft Q-network, twin Q, learned temperature; seed 002).
        seed: in [0, 2**32 − 1] (:data:`MAX_SEED`); seeds the environments, their action
            spaces, NumPy and Keras/TensorFlow. Sub-environment i and Q-network i get seed + i,
            which gymnasium and NumPy's ``default_rng`` accept beyond 2**32 too: the bound is
            NumPy's global seed, set to ``seed`` by ``keras.utils.set_random_seed``.
        total_steps: env steps to train for (a step of one sub-environment counts 1), ≥ 1.
        num_envs: sub-environments stepped together, ≥ 1.
        env_engine: what steps them (:data:`lunar_lab.engines.ENGINES`): ``"gymnasium"``
            (gymnasium's ``SyncVectorEnv``, the reference) or ``"envpool"`` (EnvPool's C++ batched
            engine, Linux x86_64 with Python ≥ 3.11: about 2× the env steps per second of the
            gymnasium path; benchmarks/results/engines.md). The default is
            :func:`lunar_lab.engines.default_engine`: EnvPool where it is installed, else
            gymnasium; a config.json without the field (recorded before it existed) reads as
            ``"gymnasium"`` (:data:`VALUES_BEFORE_FIELD`). Evaluation and videos always use gymnasium.
        hidden_sizes: units of each hidden layer of the Q-network MLP: a non-empty list or
            tuple of integers ≥ 1, stored as a tuple (a bare integer is refused: write ``(64,)``).
        activation: hidden-layer activation, one of :data:`ACTIVATIONS` (``"relu"``, ``"tanh"``, ``"elu"``).
        learning_rate: Adam step size α of the Q-networks, > 0 (the start value of a schedule).
        learning_rate_schedule: ``"constant"`` (α = ``learning_rate`` throughout) or ``"linear"``
            (:data:`LEARNING_RATE_SCHEDULES`): α falls linearly from ``learning_rate`` to
            ``learning_rate_end`` over ``learning_rate_decay_steps`` env steps, then stays there
            (Keras ``PolynomialDecay`` with power 1 on Adam's step count; see
            :meth:`learning_rate_decay_gradient_steps`).
        learning_rate_end: the floor of the linear schedule, > 0 and ≤ ``learning_rate``
            (unused by the constant one).
        learning_rate_decay_steps: env steps of the linear schedule, counted from the first
            gradient step (env step ``learning_starts``), ≥ 1.
        gamma: discount factor γ, in [0, 1).
        batch_size: B, transitions per gradient step, 1 ≤ B ≤ buffer_capacity.
        buffer_capacity: replay buffer size in transitions, ≥ 1; at most the machine's
            physical memory divided by :data:`BYTES_PER_TRANSITION` (80 bytes).
        learning_starts: env steps of experience collected before the first gradient step, ≥ 0.
        train_every: env steps per gradient step (4 = the standard replay ratio of DQN), ≥ 1.
        updates_per_call: gradient steps run in one compiled call, on independently
            sampled batches; the replay ratio is unchanged, only the call overhead drops. ≥ 1.
        target_update: ``"soft"`` (Polyak averaging with τ after every gradient step) or
            ``"hard"`` (copy every ``target_update_period`` gradient steps).
        tau: soft-update coefficient τ, in (0, 1]; τ weights the online network.
        target_update_period: C, gradient steps between hard copies, ≥ 1.
        loss: ``"huber"`` or ``"mse"`` (:data:`LOSSES`).
        max_grad_norm: clip the global gradient norm to this value, > 0 (None: no clipping).
        n_step: horizon n of the n-step return, ≥ 1 (1 = one-step TD; must be 1 for SQN).
        epsilon_schedule: ``"linear"`` over env steps or ``"exponential"`` per episode.
        epsilon_start, epsilon_end: ε at the start and the floor, in [0, 1], end ≤ start.
        epsilon_decay_steps: env steps of the linear schedule, ≥ 1.
        epsilon_decay: per-episode factor of the exponential schedule, in (0, 1].
        temperature: SQN entropy temperature α_H at the start (> 0); fixed if not learned.
        learn_temperature: SQN: learn α_H against ``target_entropy``.
        target_entropy: SQN target policy entropy H̄ in nats, in [0, log A] = [0, log 4];
            None = ``DEFAULT_TARGET_ENTROPY_FRACTION``·log A (see :meth:`resolved_target_entropy`).
            Only SQN has a temperature to tune, so another ``algo`` needs None.
        temperature_learning_rate: Adam step size of log α_H, > 0.
        eval_interval: env steps between greedy evaluations during training (0: none).
        eval_episodes: episodes per evaluation during training, ≥ 0. 0 plays none: the
            learner is still joined every ``eval_interval`` env steps and ``train``'s
            ``on_evaluation`` hook is called with ``evaluation=None`` (a measurement of your own).
        checkpoint_interval: every ``checkpoint_interval`` env steps the run writes a full
            training checkpoint and every sub-environment's episode is cut there as a
            time-limit truncation (it still bootstraps), so that a resumed run continues
            exactly; 0: never. ≥ 0.
        stop_when_solved: stop training once a greedy evaluation mean reaches 200 (needs
            ``eval_interval`` ≥ 1 and ``eval_episodes`` ≥ 1).
        jit_compile: compile the learning step with XLA (faster on CPU; off to debug).

    Raises:
        ValueError: a field has a wrong type or value, or two fields disagree.

    Example:
        >>> Config(learning_rate=float("inf"))
        Traceback (most recent call last):
        ...
        ValueError: learning_rate must be a finite number > 0, got inf
        >>> Config(jit_compile="no")
        Traceback (most recent call last):
        ...
        ValueError: jit_compile must be True or False, got 'no'
    """

    algo: str = "dqn"
    seed: int = 0
    total_steps: int = 300_000
    num_envs: int = 16
    env_engine: str = field(default_factory=default_engine)
    hidden_sizes: tuple[int, ...] = (128, 128)
    activation: str = "relu"
    learning_rate: float = 1e-3
    learning_rate_schedule: str = "constant"
    learning_rate_end: float = 1e-4
    learning_rate_decay_steps: int = 300_000
    gamma: float = 0.99
    batch_size: int = 64
    buffer_capacity: int = 100_000
    learning_starts: int = 5_000
    train_every: int = 4
    updates_per_call: int = 128
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
    checkpoint_interval: int = 50_000
    stop_when_solved: bool = False
    jit_compile: bool = True

    def __post_init__(self):
        def store(name, value):  # normalised: plain int / float / tuple, so to_json always works
            object.__setattr__(self, name, value)

        for name, allowed in (("algo", ALGOS), ("activation", ACTIVATIONS), ("target_update", TARGET_UPDATES),
                              ("loss", LOSSES), ("epsilon_schedule", SCHEDULES),
                              ("learning_rate_schedule", LEARNING_RATE_SCHEDULES), ("env_engine", ENGINES)):
            _choice(name, getattr(self, name), allowed)
        for name in ("learn_temperature", "stop_when_solved", "jit_compile"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} must be True or False, got {getattr(self, name)!r}")
        for name in ("total_steps", "num_envs", "batch_size", "buffer_capacity", "train_every",
                     "updates_per_call", "target_update_period", "n_step", "epsilon_decay_steps",
                     "learning_rate_decay_steps"):
            store(name, _integer(name, getattr(self, name), low=1))
        for name in ("learning_starts", "eval_interval", "eval_episodes", "checkpoint_interval"):
            store(name, _integer(name, getattr(self, name), low=0))
        store("seed", _integer("seed", self.seed, low=0, high=MAX_SEED, high_text="2**32 - 1"))
        store("hidden_sizes", _hidden_sizes(self.hidden_sizes))
        for name, interval in _INTERVALS.items():
            store(name, _number(name, getattr(self, name), **interval))
        if self.max_grad_norm is not None:
            store("max_grad_norm", _number("max_grad_norm", self.max_grad_norm, 0, low_open=True, none_allowed=True))
        if self.target_entropy is not None:
            store("target_entropy", _number("target_entropy", self.target_entropy, 0, math.log(NUM_ACTIONS),
                                            high_text=f"log {NUM_ACTIONS} = {math.log(NUM_ACTIONS):.4f}", none_allowed=True))
            if self.algo != "sqn":
                raise ValueError(f"target_entropy must be None unless algo='sqn' (only SQN has a temperature to tune), "
                                 f"got {self.target_entropy!r} with algo={self.algo!r}")
        if self.epsilon_end > self.epsilon_start:
            raise ValueError(
                f"epsilon_end must be <= epsilon_start, got epsilon_end={self.epsilon_end!r} > epsilon_start={self.epsilon_start!r}"
            )
        if self.learning_rate_schedule == "linear" and self.learning_rate_end > self.learning_rate:
            raise ValueError(
                f"learning_rate_end must be <= learning_rate with learning_rate_schedule='linear', got "
                f"learning_rate_end={self.learning_rate_end!r} > learning_rate={self.learning_rate!r}"
            )
        if self.batch_size > self.buffer_capacity:
            raise ValueError(
                f"batch_size must be <= buffer_capacity, got batch_size={self.batch_size} > buffer_capacity={self.buffer_capacity}"
            )
        memory = _physical_memory()
        if memory is not None and self.buffer_capacity * BYTES_PER_TRANSITION > memory:
            raise ValueError(
                f"buffer_capacity must be <= {memory // BYTES_PER_TRANSITION:,} on this machine "
                f"({BYTES_PER_TRANSITION} bytes per transition, {memory:,} bytes of physical memory), "
                f"got {self.buffer_capacity!r} (needs {self.buffer_capacity * BYTES_PER_TRANSITION:,} bytes)"
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
            ValueError: ``target_entropy`` is outside [0, log A] for this ``num_actions``.

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

    def learning_rate_decay_gradient_steps(self) -> int:
        """Gradient steps of the linear learning-rate schedule: ``learning_rate_decay_steps //
        train_every``, at least 1.

        The schedule runs on Adam's step count (one per gradient step, from the first one at
        env step ``learning_starts``), and the loop takes one gradient step per ``train_every``
        env steps, so α reaches ``learning_rate_end`` about ``learning_starts +
        learning_rate_decay_steps`` env steps into the run.

        Example:
            >>> Config().learning_rate_decay_gradient_steps()  # 300,000 env steps / 4
            75000
            >>> Config(learning_rate_decay_steps=3, train_every=4).learning_rate_decay_gradient_steps()
            1
        """
        return max(1, self.learning_rate_decay_steps // self.train_every)

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
    def from_dict(cls, d: Mapping) -> Config:
        """Inverse of :meth:`to_dict` (e.g. a parsed ``config.json``); missing fields keep their
        defaults, but a field added after runs had been recorded reads as the value those runs
        used (:data:`VALUES_BEFORE_FIELD`: a config.json without ``env_engine`` ran on gymnasium).

        Raises:
            ValueError: ``d`` is not a mapping, has an unknown key, or a value :class:`Config` refuses.

        Example:
            >>> Config.from_dict({"algo": "sqn"}).env_engine  # recorded before env_engine existed
            'gymnasium'
            >>> Config.from_dict({"hidden_sizes": [32], "jit_compile": "false"})
            Traceback (most recent call last):
            ...
            ValueError: jit_compile must be True or False, got 'false'
        """
        if not isinstance(d, Mapping):
            raise ValueError(f"a Config must be given as a dict (a JSON object) of field: value, got {type(d).__name__} {d!r}")
        return cls().replace(**{**VALUES_BEFORE_FIELD, **d})

    def to_json(self) -> str:
        """The fields as indented JSON."""
        return json.dumps(self.to_dict(), indent=2)


def _choice(name, value, allowed):
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}; got {value!r}")


def _is_integer(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _integer(name, value, low, high=None, high_text=None) -> int:
    if not _is_integer(value) or value < low or (high is not None and value > high):
        allowed = f">= {low}" if high is None else f"in [{low}, {high_text}]"
        raise ValueError(f"{name} must be an integer {allowed}, got {value!r}")
    return int(value)


def _number(name, value, low, high=math.inf, *, low_open=False, high_open=False, high_text=None,
            none_allowed=False) -> float:
    """``value`` as a float, if it is a finite real number in the interval from ``low`` to ``high``."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
    ok = ok and (value > low if low_open else value >= low) and (value < high if high_open else value <= high)
    if not ok:
        if high == math.inf:
            allowed = f"{'>' if low_open else '>='} {low:g}"
        else:
            allowed = f"in {'(' if low_open else '['}{low:g}, {high_text or format(high, 'g')}{')' if high_open else ']'}"
        raise ValueError(f"{name} must be {'None or ' if none_allowed else ''}a finite number {allowed}, got {value!r}")
    return float(value)


def _hidden_sizes(value) -> tuple[int, ...]:
    if not isinstance(value, (list, tuple)) or not value or not all(_is_integer(h) and h >= 1 for h in value):
        raise ValueError(f"hidden_sizes must be a non-empty list or tuple of integers >= 1 (units per hidden layer), "
                         f"got {value!r}")
    return tuple(int(h) for h in value)


def _physical_memory() -> int | None:
    """Bytes of physical memory, or None where the OS does not say (e.g. no ``os.sysconf`` on Windows)."""
    try:
        memory = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None
    return memory if memory > 0 else None
