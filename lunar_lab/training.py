"""The training loop: collect experience, store it, learn from replay, evaluate, checkpoint.

One readable loop for every agent (Mnih et al. 2015, Algorithm 1, with the usual
refinements): ``num_envs`` sub-environments step together; every transition is stored
in the replay buffer (as an n-step transition when ``n_step`` > 1 or an ``n_step_fn`` is given); once
``learning_starts`` env steps are collected, the agent takes one gradient step per
``train_every`` env steps, ``updates_per_call`` of them per compiled call. A transition
cut by the time limit is stored with ``terminated=False`` and its real final
observation, so it still bootstraps.

The learner runs in a second thread: while one compiled call takes its K gradient steps
(TensorFlow releases the GIL), the main thread keeps stepping the environments with the
weights of the previous call. The call is joined before the next one starts, before every
evaluation and checkpoint and at the end, so a run is exactly reproducible; the acting
weights lag the learner by one call (K·train_every env steps), as in distributed DQN variants.

Checkpoints and exact resume: every ``checkpoint_interval`` env steps, every sub-environment's
episode is cut there (stored as a time-limit truncation, so it still bootstraps) and the
sub-environments are reset with seeds derived from the run's seed and the checkpoint's index.
That makes the checkpoint a point an uninterrupted run and a resumed one share: the state at
that point is all in the checkpoint (:mod:`lunar_lab.checkpoints`), and nothing of the
environments' internals is needed. A run resumed from a checkpoint is bit-identical to the
uninterrupted run of the same config on the same machine.

Seams: the environments, the agent, the replay buffer and the evaluator are arguments of
:func:`train`, and so are the default agent's functions (TD target, loss, target update,
temperature loss, ε-greedy action rule) and the n-step function; :mod:`lunar_lab.callbacks`
watch every event and can stop the run.
"""

from __future__ import annotations

import dataclasses
import functools
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lunar_lab import checkpoints
from lunar_lab.agents import make_agent
from lunar_lab.callbacks import EVENTS, Callback, Episode, LambdaCallback, LearnerCall, ProgressBar, StepBatch, overridden
from lunar_lab.config import Config
from lunar_lab.envs import NUM_ACTIONS, OBS_DIM, make_vector_env
from lunar_lab.evaluation import Evaluation, evaluate
from lunar_lab.nstep import EpisodeNStepAccumulator, NStepAccumulator
from lunar_lab.replay import ReplayBuffer
from lunar_lab.schedules import exponential_epsilon, linear_epsilon

EPISODE_COLUMNS = ("episode", "env_steps", "return", "length", "epsilon", "wall_time", "end")
EVAL_COLUMNS = ("env_steps", "mean", "std", "wall_time")
#: Columns measured by the clock: the only ones a resumed run does not reproduce bit for bit.
WALL_CLOCK_COLUMNS = ("wall_time",)
#: The folder of a run's full training checkpoint, under ``checkpoint_dir``.
LATEST = "latest"


@dataclass
class TrainResult:
    """What a training run produced (and, during training, what callbacks see).

    Attributes:
        agent: the trained agent (greedy policy: ``agent.greedy_actions``).
        config: the hyperparameters used.
        episodes: per finished episode, lists keyed by :data:`EPISODE_COLUMNS`: ``episode``,
            ``env_steps`` (at its end), ``return``, ``length``, ``epsilon``, ``wall_time`` (s since
            start) and ``end`` (``"terminated"``, ``"truncated"`` or ``"checkpoint"``).
        evaluations: per greedy evaluation, lists keyed ``env_steps``, ``mean``, ``std``,
            ``wall_time``.
        env_steps, learner_steps, wall_time: totals (wall time in seconds).
        solved_at: env steps of the first evaluation with mean ≥ 200, or None.
        solved_wall_time: seconds since the start at that evaluation, or None.
        best_evaluation: the best greedy evaluation mean so far (−inf before the first).
        stop_reason: why training stopped before ``total_steps`` (see :meth:`request_stop`), or None.
        checkpoint: the folder of the last full training checkpoint written, or None.
    """

    agent: object
    config: Config
    episodes: dict = field(default_factory=lambda: {k: [] for k in EPISODE_COLUMNS})
    evaluations: dict = field(default_factory=lambda: {k: [] for k in EVAL_COLUMNS})
    env_steps: int = 0
    learner_steps: int = 0
    wall_time: float = 0.0
    solved_at: int | None = None
    solved_wall_time: float | None = None
    best_evaluation: float = -np.inf
    stop_reason: str | None = None
    checkpoint: Path | None = None

    def recent_mean_return(self, window: int = 100) -> float:
        """Mean return of the last ``window`` training episodes (NaN before the first)."""
        r = self.episodes["return"][-window:]
        return float(np.mean(r)) if r else float("nan")

    def request_stop(self, reason: str) -> None:
        """Ask training to stop after the current env step (from any callback event).

        Args:
            reason: why, kept in ``stop_reason`` (a non-empty string).

        Raises:
            ValueError: ``reason`` is not a non-empty string.
        """
        if not isinstance(reason, str) or not reason:
            raise ValueError(f"reason must be a non-empty string, got {reason!r}")
        if self.stop_reason is None:
            self.stop_reason = reason


class TrainingInterrupted(KeyboardInterrupt):
    """Training was interrupted (Ctrl-C); ``result`` holds what was finished.

    Attributes:
        result: the :class:`TrainResult` up to the interruption; ``result.checkpoint`` is the
            last full training checkpoint (None if none was written), which ``resume_from``
            continues exactly.
    """

    def __init__(self, result: TrainResult):
        super().__init__("training interrupted")
        self.result = result


def train(config: Config, *, agent=None, envs=None, replay_buffer=None,
          evaluator: Callable[..., Evaluation] | None = None, callbacks: Sequence[Callback] = (),
          td_target_fn: Callable | None = None, loss_fn: Callable | None = None,
          target_update_fn: Callable | None = None, temperature_loss_fn: Callable | None = None,
          epsilon_greedy_fn: Callable | None = None, n_step_fn: Callable | None = None, progress: bool = True,
          on_evaluation: Callable[[TrainResult, Evaluation | None], None] | None = None,
          checkpoint_dir: str | Path | None = None, resume_from: str | Path | None = None) -> TrainResult:
    """Train an agent with ``config``; returns a :class:`TrainResult`.

    Args:
        config: hyperparameters, including ``algo``, ``seed``, ``total_steps`` and ``checkpoint_interval``.
        agent: the agent to train; default ``make_agent(config, ...)`` with the functions below.
            It needs ``act(obs, rng, epsilon)``, ``learn_steps(batches)``, ``sync_policy()``,
            ``greedy_actions``, ``learner_steps`` and ``config == config`` (and ``save``,
            ``training_state``, ``load_training_state`` for checkpoints and resume).
        envs: a gymnasium vector env of ``config.num_envs`` LunarLander sub-environments in
            next-step autoreset mode; default :func:`lunar_lab.envs.make_vector_env`. ``train``
            closes only the environments it made.
        replay_buffer: an empty replay buffer instead of a new :class:`lunar_lab.replay.ReplayBuffer`
            of ``config.buffer_capacity``; it needs ``add_batch(obs, action, reward, next_obs,
            terminated, discount)`` and ``sample(batch_size, num_batches)`` returning [K, B, ...]
            arrays, and ``state_dict()`` / ``load_state_dict()`` for checkpoints and resume.
        evaluator: ``evaluator(policy, episodes=N) → Evaluation``, the periodic greedy evaluation;
            default :func:`lunar_lab.evaluation.evaluate` (seeds EVAL_SEED onwards, so test a
            ``best`` checkpoint on other seeds: it was chosen on those).
        callbacks: :class:`lunar_lab.callbacks.Callback` objects, called at every event in order.
        td_target_fn, loss_fn, target_update_fn, temperature_loss_fn: replace the default agent's
            TD-target, loss, target-update or (SQN) temperature-loss function, e.g. with a
            learner's own from a notebook exercise; see :class:`lunar_lab.agents.DQNAgent` and
            :class:`lunar_lab.agents.SQNAgent`. Not allowed together with ``agent``.
        epsilon_greedy_fn: replaces :func:`lunar_lab.exploration.epsilon_greedy`, the action rule
            the DQN-family agent explores with (SQN samples from its softmax policy and does not
            take it), e.g. a learner's ``epsilon_greedy`` from notebook 01. On every vector step it
            is called as ``epsilon_greedy_fn(q_values, epsilon, rng)``: the acting network's
            Q-values [num_envs, A] float32 of the current observations, ε of the schedule
            (``config.epsilon_schedule``) and the run's ``numpy.random.Generator``; it returns
            [num_envs] integer actions. Not allowed together with ``agent``.
        n_step_fn: makes the stored n-step transitions (horizon ``config.n_step``, also with
            n = 1) instead of the package's streaming :class:`lunar_lab.nstep.NStepAccumulator`,
            e.g. a learner's ``n_step_windows`` from notebook 05: ``(rewards [T] float32,
            terminated [T] bool, truncated [T] bool, gamma, n_step) → (reward_sums [T],
            discounts [T], bootstrap_index [T] int)`` on each sub-environment's steps
            (:class:`lunar_lab.nstep.EpisodeNStepAccumulator`).
        progress: show a tqdm progress bar (:class:`lunar_lab.callbacks.ProgressBar`).
        on_evaluation: shorthand for ``callbacks=[LambdaCallback(on_evaluation=...)]``:
            ``on_evaluation(result, evaluation)`` every ``eval_interval`` env steps, after the
            periodic greedy evaluation (None when ``config.eval_episodes`` is 0), with the
            learner joined and the acting weights current.
        checkpoint_dir: if given, the agent's weights and ``config.json`` are saved in subfolders
            ``best`` (after each greedy evaluation that beats the previous best) and ``final``
            (at the end); :func:`lunar_lab.runs.load_agent` loads either. Every
            ``config.checkpoint_interval`` env steps a full training checkpoint is written to
            ``latest`` (if the agent and the replay buffer can save their state).
        resume_from: a checkpoint folder (``.../latest``) or a ``checkpoint_dir`` holding one:
            continue that run exactly. ``config`` must equal the checkpoint's except for a
            larger ``total_steps``.

    Raises:
        ValueError: ``agent`` given together with replacement functions, or with another config;
            ``envs`` with another number of sub-environments; a checkpoint that does not fit
            ``config`` (the message says which fields differ); ``epsilon_greedy_fn`` returned
            actions of another shape than [num_envs] or outside 0 … A − 1.
        TypeError: a replacement function the agent of ``config.algo`` does not take
            (``epsilon_greedy_fn`` with SQN); ``epsilon_greedy_fn`` returned something other than
            an integer NumPy array.
        FileNotFoundError: ``resume_from`` holds no training checkpoint.
        FloatingPointError: the loss or the weights became non-finite (says at which learner step).
        TrainingInterrupted: on Ctrl-C, after joining the learner; it carries the result so far.

    Seeding: the same config on the same machine gives the same episode returns. The
    evaluations are part of the run: each one waits for the learner and refreshes the acting
    weights, so another ``eval_interval`` gives another (equally valid) run.
    """
    functions = dict(td_target_fn=td_target_fn, loss_fn=loss_fn, target_update_fn=target_update_fn,
                     temperature_loss_fn=temperature_loss_fn, epsilon_greedy_fn=epsilon_greedy_fn)
    functions = {name: fn for name, fn in functions.items() if fn is not None}
    if agent is None:
        agent = make_agent(config, **functions)
    elif functions:
        raise ValueError(f"pass either agent or {', '.join(functions)}, not both: build the agent with them")
    elif agent.config != config:
        raise ValueError("agent.config must equal config; build the agent with make_agent(config)")
    own_envs = envs is None
    envs = make_vector_env(config.num_envs, seed=config.seed, engine=config.env_engine) if own_envs else envs
    if envs.num_envs != config.num_envs:
        raise ValueError(f"envs has {envs.num_envs} sub-environments but config.num_envs is {config.num_envs}")
    if replay_buffer is None:
        replay_buffer = ReplayBuffer(config.buffer_capacity, OBS_DIM, seed=config.seed, num_actions=NUM_ACTIONS)
    callbacks = list(callbacks) + ([LambdaCallback(on_evaluation=on_evaluation)] if on_evaluation else [])
    bar = ProgressBar() if progress else None
    loop = _Loop(config, agent, envs, replay_buffer, _accumulators(config, n_step_fn),
                 evaluator or functools.partial(evaluate), ([bar] if bar else []) + callbacks, checkpoint_dir)
    try:
        if resume_from is not None:
            loop.resume(resume_from)
        else:
            loop.reset(seed=config.seed)
        return loop.run()
    except KeyboardInterrupt:
        loop.learner.join(check=False)
        raise TrainingInterrupted(loop.result) from None
    finally:
        loop.learner.close()
        if bar is not None:
            bar.close()
        if own_envs:
            envs.close()


class _Loop:
    """The state of one training run and its steps: collect, store, learn, evaluate, checkpoint."""

    def __init__(self, config, agent, envs, buffer, accumulators, evaluator, callbacks, checkpoint_dir):
        self.config, self.agent, self.envs, self.buffer = config, agent, envs, buffer
        self.accumulators, self.evaluator = accumulators, evaluator
        self.handlers = {event: [getattr(cb, event) for cb in callbacks if overridden(cb, event)] for event in EVENTS}
        self.checkpoint_dir = None if checkpoint_dir is None else Path(checkpoint_dir)
        self.result = TrainResult(agent=agent, config=config)
        self.learner = _BackgroundLearner(agent, self._learner_joined)
        self.rng = np.random.default_rng(config.seed)
        self.owed_updates = 0.0  # gradient steps due but not yet started
        self.next_eval = config.eval_interval or None
        self.next_checkpoint = config.checkpoint_interval or None
        self.checkpoint_index = 0
        self.clock_offset = 0.0  # wall time of the run before a resume

    # -- the loop ---------------------------------------------------------------------------
    def run(self) -> TrainResult:
        result, config = self.result, self.config
        self.start = time.perf_counter() - self.clock_offset
        self.epsilon = self._epsilon()
        self._emit("on_train_begin", result)
        while result.env_steps < config.total_steps and result.stop_reason is None:
            step = self.collect()
            self.store(step)
            self.end_episodes(step)
            self.learn(step)
            self.evaluate_if_due()
            self.checkpoint_if_due()
        self.learner.join()
        result.learner_steps = self.agent.learner_steps
        result.wall_time = self.elapsed()
        if self.checkpoint_dir is not None:
            checkpoints.save_weights_dir(self.agent, self.checkpoint_dir / "final")
        self._emit("on_train_end", result)
        return result

    def collect(self) -> StepBatch:
        """One ε-greedy vector step; the episodes of a checkpoint step are cut (truncated)."""
        actions = self.agent.act(self.obs, self.rng, self.epsilon)
        next_obs, reward, terminated, truncated, _ = self.envs.step(actions)
        live = ~self.resetting
        num_live = int(live.sum())
        self.result.env_steps += num_live
        step = StepBatch(self.obs, actions, reward, next_obs, terminated, truncated, live, num_live,
                         cut=self._due(self.next_checkpoint))
        self.obs = next_obs
        return step

    def store(self, step: StepBatch) -> None:
        """Write the step's live transitions into the replay buffer (one-step, or n-step windows)."""
        live = step.live
        if self.accumulators is None:  # fast path: one vectorised write of one-step transitions
            self.buffer.add_batch(step.obs[live], step.actions[live], step.rewards[live], step.next_obs[live],
                                  step.terminated[live], np.full(step.num_live, self.config.gamma, np.float32))
        else:
            truncated = step.truncated | step.cut  # a checkpoint cut ends every open window, bootstrapping
            transitions = [t for i in np.flatnonzero(live) for t in self.accumulators[i].step(
                step.obs[i], step.actions[i], step.rewards[i], step.next_obs[i], step.terminated[i], truncated[i])]
            if transitions:
                self.buffer.add_batch(*(np.asarray(column) for column in zip(*transitions)))
        self.ep_return[live] += step.rewards[live]
        self.ep_length[live] += 1
        self._emit("on_step", self.result, step)

    def end_episodes(self, step: StepBatch) -> None:
        """Record the episodes that ended at this step; the next step resets their sub-environments."""
        done = (step.terminated | step.truncated | step.cut) & step.live
        for i in np.flatnonzero(done):
            end = "terminated" if step.terminated[i] else "truncated" if step.truncated[i] else "checkpoint"
            self._record_episode(self.ep_return[i], self.ep_length[i], end)
            self.ep_return[i], self.ep_length[i] = 0.0, 0
        self.resetting = done
        self.epsilon = self._epsilon()

    def learn(self, step: StepBatch) -> None:
        """Start the learner calls that are due: one gradient step per ``train_every`` env steps."""
        config = self.config
        if self.result.env_steps < config.learning_starts:
            return
        self.owed_updates += step.num_live / config.train_every
        while self.owed_updates >= config.updates_per_call:
            self.learner.start(self.buffer.sample(config.batch_size, num_batches=config.updates_per_call))
            self.owed_updates -= config.updates_per_call

    def evaluate_if_due(self) -> None:
        """Every ``eval_interval`` env steps: join the learner, evaluate greedily, keep the best."""
        if not self._due(self.next_eval):
            return
        self.next_eval += self.config.eval_interval
        self.learner.join()
        result, evaluation = self.result, None
        if self.config.eval_episodes:
            evaluation = self.evaluator(self.agent.greedy_actions, episodes=self.config.eval_episodes)
            wall = self.elapsed()
            for key, value in zip(EVAL_COLUMNS, (result.env_steps, evaluation.mean, evaluation.std, wall)):
                result.evaluations[key].append(value)
            if evaluation.solved and result.solved_at is None:
                result.solved_at, result.solved_wall_time = result.env_steps, wall
            if evaluation.mean > result.best_evaluation:
                result.best_evaluation = evaluation.mean
                if self.checkpoint_dir is not None:
                    checkpoints.save_weights_dir(self.agent, self.checkpoint_dir / "best")
        self._emit("on_evaluation", result, evaluation)
        if self.config.stop_when_solved and result.solved_at is not None:
            result.request_stop("solved")

    def checkpoint_if_due(self) -> None:
        """Every ``checkpoint_interval`` env steps: join the learner, reset every sub-environment
        with seeds derived from the checkpoint's index and write the full training checkpoint."""
        if not self._due(self.next_checkpoint):
            return
        self.next_checkpoint += self.config.checkpoint_interval
        self.checkpoint_index += 1
        self.learner.join()
        self.reset(seed=checkpoint_seeds(self.config.seed, self.checkpoint_index, self.config.num_envs))
        if self.checkpoint_dir is None or not _can_checkpoint(self.agent, self.buffer):
            return
        self.result.learner_steps = self.agent.learner_steps
        path = checkpoints.save_checkpoint(self.checkpoint_dir / LATEST, self.agent, self.buffer, self._state())
        self.result.checkpoint = path
        self._emit("on_checkpoint", self.result, path)

    # -- state --------------------------------------------------------------------------------
    def reset(self, seed) -> None:
        """Reset every sub-environment (``seed``: an int, or one per sub-environment); no episode is open."""
        self.obs, _ = self.envs.reset(seed=seed)
        n = self.config.num_envs
        self.resetting = np.zeros(n, dtype=bool)  # True: the next step only resets that sub-env
        self.ep_return, self.ep_length = np.zeros(n), np.zeros(n, dtype=np.int64)

    def _state(self) -> dict:
        result = self.result
        return {
            "config": self.config.to_dict(), "env_steps": result.env_steps, "learner_steps": result.learner_steps,
            "checkpoint_index": self.checkpoint_index, "owed_updates": self.owed_updates,
            "next_eval": self.next_eval, "next_checkpoint": self.next_checkpoint, "wall_time": self.elapsed(),
            "best_evaluation": None if np.isinf(result.best_evaluation) else result.best_evaluation,
            "solved_at": result.solved_at, "solved_wall_time": result.solved_wall_time,
            "rng": self.rng.bit_generator.state, "episodes": result.episodes, "evaluations": result.evaluations,
        }

    def resume(self, path) -> None:
        """Restore the run from the checkpoint at ``path`` (a ``latest`` folder or its parent)."""
        path = Path(path)
        if not (path / checkpoints.STATE_FILE).is_file() and (path / LATEST).exists():
            path = path / LATEST
        state = checkpoints.read_state(path)
        _check_resumable(self.config, state, path)
        if not _can_checkpoint(self.agent, self.buffer):
            raise ValueError("resume_from needs an agent with training_state()/load_training_state() and a replay "
                             "buffer with state_dict()/load_state_dict() (the package's have them)")
        self.agent.load(path)
        self.agent.load_training_state(checkpoints.load_arrays(path, checkpoints.AGENT_FILE))
        self.buffer.load_state_dict(checkpoints.load_arrays(path, checkpoints.REPLAY_FILE))
        result = self.result
        result.env_steps, result.learner_steps = state["env_steps"], state["learner_steps"]
        result.episodes, result.evaluations = state["episodes"], state["evaluations"]
        result.solved_at, result.solved_wall_time = state["solved_at"], state["solved_wall_time"]
        result.best_evaluation = -np.inf if state["best_evaluation"] is None else state["best_evaluation"]
        result.checkpoint = path
        self.checkpoint_index, self.owed_updates = state["checkpoint_index"], state["owed_updates"]
        self.next_eval, self.next_checkpoint = state["next_eval"], state["next_checkpoint"]
        self.clock_offset = state["wall_time"]
        self.rng.bit_generator.state = state["rng"]
        self.reset(seed=checkpoint_seeds(self.config.seed, self.checkpoint_index, self.config.num_envs))

    # -- helpers ------------------------------------------------------------------------------
    def _due(self, threshold) -> bool:
        return threshold is not None and self.result.env_steps >= threshold

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def _epsilon(self) -> float:
        config = self.config
        if config.epsilon_schedule == "linear":
            return linear_epsilon(self.result.env_steps, config.epsilon_start, config.epsilon_end, config.epsilon_decay_steps)
        return exponential_epsilon(len(self.result.episodes["return"]), config.epsilon_start, config.epsilon_end,
                                   config.epsilon_decay)

    def _record_episode(self, ep_return, ep_length, end) -> None:
        e, wall = self.result.episodes, self.elapsed()
        episode = Episode(len(e["return"]) + 1, self.result.env_steps, float(ep_return), int(ep_length),
                          float(self.epsilon), wall, end)
        for column, value in zip(EPISODE_COLUMNS, dataclasses.astuple(episode)):  # the fields in column order
            e[column].append(value)
        self._emit("on_episode_end", self.result, episode)

    def _learner_joined(self, call: LearnerCall) -> None:
        self._emit("on_learner_call", self.result, call)

    def _emit(self, event: str, *args) -> None:
        for handler in self.handlers[event]:
            handler(*args)


class _BackgroundLearner:
    """Runs ``agent.learn_steps`` in one worker thread, one call at a time."""

    def __init__(self, agent, on_joined: Callable[[LearnerCall], None]):
        self.agent, self.on_joined = agent, on_joined
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="learner")
        self.pending = None

    def start(self, batches) -> None:
        self.join()
        self.num_steps = len(batches["obs"])
        self.pending = self.pool.submit(self._timed, batches)

    def _timed(self, batches):
        start = time.perf_counter()
        loss = self.agent.learn_steps(batches)
        return loss, time.perf_counter() - start

    def join(self, check: bool = True) -> None:
        """Wait for the running call, refresh the acting weights and report the call."""
        if self.pending is None:
            return
        start = time.perf_counter()
        pending, self.pending = self.pending, None
        loss, seconds = pending.result()
        wait = time.perf_counter() - start
        self.agent.sync_policy()
        if not check:
            return
        steps = self.agent.learner_steps
        if not np.isfinite(loss):
            raise FloatingPointError(f"the loss became {loss} in the learner call ending at learner step {steps}; "
                                     "lower learning_rate or set max_grad_norm")
        self.on_joined(LearnerCall(steps, self.num_steps, float(loss), seconds, wait))

    def close(self) -> None:
        self.pool.shutdown(wait=True)


def checkpoint_seeds(seed: int, index: int, num_envs: int) -> list[int]:
    """Reset seeds of the ``num_envs`` sub-environments after checkpoint ``index`` (1, 2, …) of a run.

    Derived with NumPy's ``SeedSequence([seed, index])``, so they differ between checkpoints
    and runs and never collide with the first reset's ``seed + i``.

    Example:
        >>> checkpoint_seeds(0, 1, 2) == checkpoint_seeds(0, 1, 2) != checkpoint_seeds(0, 2, 2)
        True
    """
    return [int(s) for s in np.random.SeedSequence([seed, index]).generate_state(num_envs)]


def _accumulators(config: Config, n_step_fn: Callable | None) -> list | None:
    """One n-step accumulator per sub-environment, or None for one-step transitions (fast path)."""
    if n_step_fn is not None:
        return [EpisodeNStepAccumulator(n_step_fn, config.n_step, config.gamma) for _ in range(config.num_envs)]
    if config.n_step > 1:
        return [NStepAccumulator(config.n_step, config.gamma) for _ in range(config.num_envs)]
    return None


def _can_checkpoint(agent, buffer) -> bool:
    return all(hasattr(agent, name) for name in ("training_state", "load_training_state")) and \
        all(hasattr(buffer, name) for name in ("state_dict", "load_state_dict"))


def _check_resumable(config: Config, state: dict, path: Path) -> None:
    saved = Config.from_dict(state["config"])
    differ = [name for name, value in config.to_dict().items()
              if name != "total_steps" and value != saved.to_dict()[name]]
    if differ:
        changes = ", ".join(f"{name}: {saved.to_dict()[name]!r} in the checkpoint, {config.to_dict()[name]!r} now"
                            for name in differ)
        raise ValueError(f"cannot resume {path} with another config ({changes}); only a larger total_steps is allowed")
    if config.total_steps < min(state["env_steps"], saved.total_steps):  # the last vector step may overshoot total_steps
        raise ValueError(f"total_steps={config.total_steps} is below the checkpoint's {state['env_steps']} env steps")
