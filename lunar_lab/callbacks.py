"""Callbacks: the seams through which code outside the training loop watches it and stops it.

:func:`lunar_lab.training.train` calls every callback's methods at named events, in the order
the callbacks were given. Subclass :class:`Callback` and override the events you need; the
others cost nothing (the loop only calls the methods a callback overrides). Any event may ask
training to stop with ``result.request_stop(reason)``: the loop finishes the current env step,
joins the learner, writes the final checkpoint and returns, with ``result.stop_reason`` set.

Events, in the order they happen (``result`` is the run's :class:`lunar_lab.training.TrainResult`):

- ``on_train_begin(result)``: before the first env step (after a resume: with the restored counters).
- ``on_step(result, step)``: after each vector env step is stored (a :class:`StepBatch`).
- ``on_episode_end(result, episode)``: a sub-environment's episode ended (an :class:`Episode`).
- ``on_learner_call(result, call)``: a learner call of K gradient steps finished and was joined
  (a :class:`LearnerCall`; the acting weights are current).
- ``on_evaluation(result, evaluation)``: after each periodic greedy evaluation (an
  :class:`lunar_lab.evaluation.Evaluation`, or None when ``config.eval_episodes`` is 0).
- ``on_checkpoint(result, path)``: a full training checkpoint was written whole at ``path``.
- ``on_train_end(result)``: after the last step, the learner joined, before ``train`` returns.

The same design as Keras's ``keras.callbacks.Callback`` (named events, ``model.stop_training``)
and Stable-Baselines3's ``BaseCallback``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

EVENTS = ("on_train_begin", "on_step", "on_episode_end", "on_learner_call", "on_evaluation", "on_checkpoint",
          "on_train_end")


@dataclass(frozen=True)
class StepBatch:
    """One vector env step of ``N = config.num_envs`` sub-environments, as the loop stored it.

    Attributes:
        obs, next_obs: [N, obs_dim] float32, before and after the step (``next_obs`` of an
            ended episode is its real final observation).
        actions: [N] int64; rewards: [N] float64.
        terminated, truncated: [N] bool, as the environments returned them.
        live: [N] bool, False for a sub-environment that was being reset by this call (its
            transition is not stored and its env step is not counted).
        num_live: the env steps this step counts (``live.sum()``).
        cut: this step reached a checkpoint (``Config.checkpoint_interval``): every live
            sub-environment's episode ends here as a truncation (it still bootstraps).
    """

    obs: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray
    next_obs: np.ndarray
    terminated: np.ndarray
    truncated: np.ndarray
    live: np.ndarray
    num_live: int
    cut: bool = False


@dataclass(frozen=True)
class Episode:
    """A finished training episode, as a row of ``episodes.csv``.

    Attributes:
        episode: 1-based index over the run; env_steps: the run's env steps at its end.
        ret: undiscounted return; length: env steps; epsilon: ε at its end.
        wall_time: seconds since the run started (a resumed run continues the clock).
        end: ``"terminated"``, ``"truncated"`` (the 1000-step time limit) or ``"checkpoint"``
            (cut at a checkpoint, see ``Config.checkpoint_interval``; it bootstraps like a truncation).
    """

    episode: int
    env_steps: int
    ret: float
    length: int
    epsilon: float
    wall_time: float
    end: str


@dataclass(frozen=True)
class LearnerCall:
    """One compiled learner call of K gradient steps, joined.

    Attributes:
        learner_steps: gradient steps taken so far, this call's included.
        num_steps: K, the gradient steps of this call.
        loss: mean loss over its K steps.
        compute_seconds: the call's duration in the learner thread.
        wait_seconds: how long the main thread waited for it at the join (0 when it had
            finished while the environments were stepping).
    """

    learner_steps: int
    num_steps: int
    loss: float
    compute_seconds: float
    wait_seconds: float


class Callback:
    """Base class: override any of the events listed in :mod:`lunar_lab.callbacks`.

    Example:
        >>> class StopAfter(Callback):
        ...     def __init__(self, episodes):
        ...         self.episodes = episodes
        ...     def on_episode_end(self, result, episode):
        ...         if episode.episode >= self.episodes:
        ...             result.request_stop(f"{self.episodes} episodes")
        >>> overridden(StopAfter(3), "on_episode_end"), overridden(StopAfter(3), "on_step")
        (True, False)
    """

    def on_train_begin(self, result) -> None:
        """Before the first env step."""

    def on_step(self, result, step: StepBatch) -> None:
        """After each vector env step is stored."""

    def on_episode_end(self, result, episode: Episode) -> None:
        """A training episode ended."""

    def on_learner_call(self, result, call: LearnerCall) -> None:
        """A learner call finished and was joined."""

    def on_evaluation(self, result, evaluation) -> None:
        """After a periodic greedy evaluation (None when ``config.eval_episodes`` is 0)."""

    def on_checkpoint(self, result, path) -> None:
        """A full training checkpoint was written at ``path``."""

    def on_train_end(self, result) -> None:
        """Training has ended; ``result`` holds the totals."""


def overridden(callback: Callback, event: str) -> bool:
    """Whether ``callback`` handles ``event`` (one of :data:`EVENTS`): its class overrides the
    method, or the instance has its own (as :class:`LambdaCallback` does).

    Raises:
        ValueError: ``event`` is not an event name.
    """
    if event not in EVENTS:
        raise ValueError(f"event must be one of {', '.join(EVENTS)}; got {event!r}")
    return event in vars(callback) or getattr(type(callback), event, None) is not getattr(Callback, event)


class LambdaCallback(Callback):
    """A callback made of plain functions, one per event: ``LambdaCallback(on_evaluation=f)``.

    Args:
        **events: event name → function taking the same arguments as the event.

    Raises:
        ValueError: an unknown event name, or a value that is not callable.

    Example:
        >>> seen = []
        >>> cb = LambdaCallback(on_evaluation=lambda result, evaluation: seen.append(evaluation))
        >>> cb.on_evaluation(None, "eval"); seen
        ['eval']
        >>> overridden(cb, "on_evaluation"), overridden(cb, "on_step")
        (True, False)
        >>> LambdaCallback(on_epoch_end=print)
        Traceback (most recent call last):
        ...
        ValueError: unknown event 'on_epoch_end'; allowed: on_train_begin, on_step, ...
    """

    def __init__(self, **events: Callable):
        for name, fn in events.items():
            if name not in EVENTS:
                raise ValueError(f"unknown event {name!r}; allowed: {', '.join(EVENTS)}")
            if not callable(fn):
                raise ValueError(f"{name} must be callable, got {type(fn).__name__}")
            setattr(self, name, fn)


class ProgressBar(Callback):
    """A tqdm progress bar: env steps, episodes, mean return of the last 100 episodes, ε, env steps/s.

    Args:
        mininterval: seconds between redraws.
    """

    def __init__(self, mininterval: float = 0.5):
        self.mininterval = mininterval
        self.bar = None

    def on_train_begin(self, result) -> None:
        from tqdm.auto import tqdm

        self.bar = tqdm(total=result.config.total_steps, initial=result.env_steps, unit="step",
                        dynamic_ncols=True, mininterval=self.mininterval)
        self._start, self._start_steps = time.perf_counter(), result.env_steps

    def on_step(self, result, step: StepBatch) -> None:
        self.bar.update(result.env_steps - self.bar.n)

    def on_episode_end(self, result, episode: Episode) -> None:
        rate = (result.env_steps - self._start_steps) / max(time.perf_counter() - self._start, 1e-9)
        self.bar.set_postfix(episodes=episode.episode, mean100=f"{result.recent_mean_return():.1f}",
                             eps=f"{episode.epsilon:.3f}", steps_per_s=f"{rate:.0f}", refresh=False)

    def close(self) -> None:
        """Close the bar (the loop calls this at the end, also when training raised)."""
        if self.bar is not None:
            self.bar.close()
