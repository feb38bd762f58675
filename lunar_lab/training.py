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
evaluation and at the end, so a run is exactly reproducible; the acting weights lag the
learner by one call (K·train_every env steps), as in distributed DQN variants.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from lunar_lab.agents import make_agent
from lunar_lab.config import Config
from lunar_lab.envs import OBS_DIM, make_vector_env
from lunar_lab.evaluation import Evaluation, evaluate
from lunar_lab.nstep import EpisodeNStepAccumulator, NStepAccumulator
from lunar_lab.replay import ReplayBuffer
from lunar_lab.schedules import exponential_epsilon, linear_epsilon


@dataclass
class TrainResult:
    """What a training run produced.

    Attributes:
        agent: the trained agent (greedy policy: ``agent.greedy_actions``).
        config: the hyperparameters used.
        episodes: per finished episode, lists keyed ``episode``, ``env_steps`` (at its
            end), ``return``, ``length``, ``epsilon``, ``wall_time`` (s since start).
        evaluations: per greedy evaluation, lists keyed ``env_steps``, ``mean``, ``std``,
            ``wall_time``.
        env_steps, learner_steps, wall_time: totals (wall time in seconds).
        solved_at: env steps of the first evaluation with mean ≥ 200, or None.
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

    def recent_mean_return(self, window: int = 100) -> float:
        """Mean return of the last ``window`` training episodes (NaN before the first)."""
        r = self.episodes["return"][-window:]
        return float(np.mean(r)) if r else float("nan")


EPISODE_COLUMNS = ("episode", "env_steps", "return", "length", "epsilon", "wall_time")
EVAL_COLUMNS = ("env_steps", "mean", "std", "wall_time")


def train(config: Config, *, td_target_fn: Callable | None = None, loss_fn: Callable | None = None,
          target_update_fn: Callable | None = None, temperature_loss_fn: Callable | None = None,
          n_step_fn: Callable | None = None, replay_buffer=None, progress: bool = True,
          on_evaluation: Callable[[TrainResult, Evaluation], None] | None = None,
          checkpoint_dir: str | Path | None = None) -> TrainResult:
    """Train an agent from scratch with ``config``; returns a :class:`TrainResult`.

    Args:
        config: hyperparameters, including ``algo``, ``seed`` and ``total_steps``.
        td_target_fn, loss_fn, target_update_fn, temperature_loss_fn: replace the agent's
            TD-target, loss, target-update or (SQN) temperature-loss function, e.g. with a
            learner's own from a notebook exercise; see :class:`lunar_lab.agents.DQNAgent` and
            :class:`lunar_lab.agents.SQNAgent`. None keeps the package's.
        n_step_fn: makes the stored n-step transitions (horizon ``config.n_step``, also with
            n = 1) instead of the package's streaming :class:`lunar_lab.nstep.NStepAccumulator`,
            e.g. a learner's ``n_step_windows`` from notebook 05: ``(rewards [T] float32,
            terminated [T] bool, truncated [T] bool, gamma, n_step) → (reward_sums [T],
            discounts [T], bootstrap_index [T] int)`` on each sub-environment's steps
            (:class:`lunar_lab.nstep.EpisodeNStepAccumulator`).
        replay_buffer: an empty replay buffer to use instead of a new
            :class:`lunar_lab.replay.ReplayBuffer` of ``config.buffer_capacity``; it needs
            ``add_batch(obs, action, reward, next_obs, terminated, discount)`` and
            ``sample(batch_size, num_batches)`` returning [K, B, ...] arrays.
        progress: show a tqdm progress bar (env steps, episodes, mean return of the last
            100 episodes, ε, env steps/s).
        on_evaluation: ``on_evaluation(result, evaluation)``, called every ``eval_interval``
            env steps after the periodic greedy evaluation (an :class:`Evaluation`; None when
            ``config.eval_episodes`` is 0 and no episodes are played), with the learner joined
            and the acting weights current.
        checkpoint_dir: if given, the agent's weights and ``config.json`` are saved there after
            each greedy evaluation that beats the previous best (subfolder ``best``) and at the
            end (``final``); :func:`lunar_lab.runs.load_agent` loads either. The periodic
            evaluations play :func:`lunar_lab.evaluation.evaluate`'s default seeds (EVAL_SEED
            onwards), so test a ``best`` checkpoint on other seeds: it was chosen on those.

    Seeding: the same config on the same machine gives the same episode returns. The
    evaluations are part of the run: each one waits for the learner and refreshes the acting
    weights, so another ``eval_interval`` gives another (equally valid) run.
    """
    functions = dict(td_target_fn=td_target_fn, loss_fn=loss_fn, target_update_fn=target_update_fn,
                     temperature_loss_fn=temperature_loss_fn)
    agent = make_agent(config, **{k: f for k, f in functions.items() if f is not None})
    result = TrainResult(agent=agent, config=config)
    rng = np.random.default_rng(config.seed)
    buffer = replay_buffer if replay_buffer is not None else ReplayBuffer(config.buffer_capacity, OBS_DIM, seed=config.seed)
    envs = make_vector_env(config.num_envs, seed=config.seed)
    accumulators = _accumulators(config, n_step_fn)
    obs, _ = envs.reset(seed=config.seed)
    resetting = np.zeros(config.num_envs, dtype=bool)  # next step only resets that sub-env
    ep_return = np.zeros(config.num_envs)
    ep_length = np.zeros(config.num_envs, dtype=np.int64)
    owed_updates = 0.0
    next_eval = config.eval_interval or None
    best_eval = -np.inf
    start = time.perf_counter()
    bar = tqdm(total=config.total_steps, disable=not progress, unit="step", dynamic_ncols=True, mininterval=0.5)
    epsilon = _epsilon(config, 0, 0)
    learner = _BackgroundLearner(agent)
    try:
        while result.env_steps < config.total_steps:
            actions = agent.act(obs, rng, epsilon)
            next_obs, reward, terminated, truncated, _ = envs.step(actions)
            live = ~resetting
            n_live = int(live.sum())
            _store(buffer, accumulators, config, obs, actions, reward, next_obs, terminated, truncated, live)
            ep_return[live] += reward[live]
            ep_length[live] += 1
            result.env_steps += n_live
            done = (terminated | truncated) & live
            for i in np.flatnonzero(done):
                _record_episode(result, ep_return[i], ep_length[i], epsilon, start)
                ep_return[i], ep_length[i] = 0.0, 0
            resetting = done
            obs = next_obs
            epsilon = _epsilon(config, result.env_steps, len(result.episodes["return"]))

            if result.env_steps >= config.learning_starts:
                owed_updates += n_live / config.train_every
                while owed_updates >= config.updates_per_call:
                    learner.start(buffer.sample(config.batch_size, num_batches=config.updates_per_call))
                    owed_updates -= config.updates_per_call
            bar.update(n_live)
            if done.any() and progress:
                bar.set_postfix(episodes=len(result.episodes["return"]), mean100=f"{result.recent_mean_return():.1f}",
                                eps=f"{epsilon:.3f}", steps_per_s=f"{result.env_steps / (time.perf_counter() - start):.0f}",
                                refresh=False)
            if next_eval is not None and result.env_steps >= next_eval:
                next_eval += config.eval_interval
                learner.join()
                evaluation = _periodic_evaluation(result, config, start) if config.eval_episodes else None
                if evaluation is not None and checkpoint_dir is not None and evaluation.mean > best_eval:
                    _save_checkpoint(agent, Path(checkpoint_dir) / "best")
                    best_eval = evaluation.mean
                if on_evaluation is not None:
                    on_evaluation(result, evaluation)
                if config.stop_when_solved and result.solved_at is not None:
                    break
        learner.join()
    finally:
        learner.close()
        bar.close()
        envs.close()
    result.learner_steps = agent.learner_steps
    result.wall_time = time.perf_counter() - start
    if checkpoint_dir is not None:
        _save_checkpoint(agent, Path(checkpoint_dir) / "final")
    return result


class _BackgroundLearner:
    """Runs ``agent.learn_steps`` in one worker thread, one call at a time."""

    def __init__(self, agent):
        self.agent = agent
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="learner")
        self.pending = None

    def start(self, batches) -> None:
        self.join()
        self.pending = self.pool.submit(self.agent.learn_steps, batches)

    def join(self) -> None:
        """Wait for the running call, then refresh the acting weights."""
        if self.pending is not None:
            self.pending.result()
            self.pending = None
            self.agent.sync_policy()

    def close(self) -> None:
        self.pool.shutdown(wait=True)


def _epsilon(config: Config, env_steps: int, episodes: int) -> float:
    if config.epsilon_schedule == "linear":
        return linear_epsilon(env_steps, config.epsilon_start, config.epsilon_end, config.epsilon_decay_steps)
    return exponential_epsilon(episodes, config.epsilon_start, config.epsilon_end, config.epsilon_decay)


def _accumulators(config: Config, n_step_fn: Callable | None) -> list | None:
    """One n-step accumulator per sub-environment, or None for one-step transitions (fast path)."""
    if n_step_fn is not None:
        return [EpisodeNStepAccumulator(n_step_fn, config.n_step, config.gamma) for _ in range(config.num_envs)]
    if config.n_step > 1:
        return [NStepAccumulator(config.n_step, config.gamma) for _ in range(config.num_envs)]
    return None


def _store(buffer, accumulators, config, obs, actions, reward, next_obs, terminated, truncated, live):
    if accumulators is None:  # fast path: one vectorised write of one-step transitions
        buffer.add_batch(obs[live], actions[live], reward[live], next_obs[live], terminated[live],
                         np.full(int(live.sum()), config.gamma, np.float32))
        return
    transitions = [t for i in np.flatnonzero(live)
                   for t in accumulators[i].step(obs[i], actions[i], reward[i], next_obs[i], terminated[i], truncated[i])]
    if transitions:
        buffer.add_batch(*(np.asarray(column) for column in zip(*transitions)))


def _record_episode(result, ep_return, ep_length, epsilon, start):
    e = result.episodes
    e["episode"].append(len(e["return"]) + 1)
    e["env_steps"].append(result.env_steps)
    e["return"].append(float(ep_return))
    e["length"].append(int(ep_length))
    e["epsilon"].append(float(epsilon))
    e["wall_time"].append(time.perf_counter() - start)


def _periodic_evaluation(result, config, start) -> Evaluation:
    evaluation = evaluate(result.agent.greedy_actions, episodes=config.eval_episodes)
    wall = time.perf_counter() - start
    for key, value in zip(EVAL_COLUMNS, (result.env_steps, evaluation.mean, evaluation.std, wall)):
        result.evaluations[key].append(value)
    if evaluation.solved and result.solved_at is None:
        result.solved_at, result.solved_wall_time = result.env_steps, wall
    return evaluation


def _save_checkpoint(agent, directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name in agent.weight_files:  # a checkpoint slot is meant to be replaced
        (directory / name).unlink(missing_ok=True)
    agent.save(directory)
    (directory / "config.json").write_text(agent.config.to_json() + "\n")  # load_agent(directory) works
