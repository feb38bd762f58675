"""One benchmark run in its own subprocess: the clock, the staged greedy evaluation and the
stop rule of a run (:class:`Tracker`), the worker that trains one (agent, seed) under it and
writes its report, and the parent's side that starts the worker::

    python -m training_bench.harness SPEC_JSON     # what run_one starts (PYTHONPATH: benchmarks/)
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from training_bench import runners
from training_bench.protocol import BENCHMARKS, FULL_EPISODES, PEERS, SCREEN_EPISODES, SOLVED_RETURN

#: The environment this process started with (before anything imported lunar_lab): the
#: workers get it, so that no setting lunar_lab's import makes here reaches a peer's process.
LAUNCH_ENVIRON = dict(os.environ)
#: TensorFlow's start-up notices, dropped from the workers' stderr.
NOISE = re.compile(r"^WARNING: All log messages before absl::InitializeLog|^I0000 .*(oneDNN custom operations|cpu_feature_guard)"
                   r"|^To enable the following instructions")


class Tracker:
    """The clock, periodic staged evaluation, stop rule and learning curve of one run.

    Args:
        eval_every: env steps between greedy evaluations.
        budget_s: training time (s) after which the run stops.
        max_steps: env steps after which the run stops (None: no cap).
        min_steps: a solved run goes on (without evaluations) until it has this many env steps.
        screen_episodes, full_episodes: episodes of the first evaluation stage and of the
            full one (played only when the screen's mean is ≥ 200).
        evaluate: ``evaluate(policy, episodes=N, seed=S) → Evaluation``, the greedy
            evaluation of N episodes on seeds S, S + 1, …; default :func:`lunar_lab.evaluation.evaluate`.
    """

    def __init__(self, eval_every: int, budget_s: float, max_steps: int | None = None, min_steps: int = 0,
                 screen_episodes: int = SCREEN_EPISODES, full_episodes: int = FULL_EPISODES, evaluate=None):
        self.eval_every, self.budget_s, self.max_steps, self.min_steps = eval_every, budget_s, max_steps, min_steps
        self.screen_episodes, self.full_episodes, self.evaluate_fn = screen_episodes, full_episodes, evaluate
        self.next_eval = eval_every
        self.env_steps = self.gradient_steps = 0
        self.learning_start = self.solved = self.last_result = None
        self.evaluations, self.curve = [], {"env_steps": [], "return": []}
        self.start()

    def start(self) -> None:
        """Start (or restart) the training clock."""
        self.started, self.paused = time.perf_counter(), 0.0

    def train_time(self) -> float:
        """Seconds of training so far, evaluations excluded."""
        return time.perf_counter() - self.started - self.paused

    def out_of_budget(self) -> bool:
        """True once the training time exceeds the budget."""
        return self.train_time() >= self.budget_s

    def stop_reason(self) -> str | None:
        """Why the run should stop now (``solved``, ``max_env_steps``, ``budget``), or None."""
        if self.solved is not None and self.env_steps >= self.min_steps:
            return "solved"
        if self.max_steps is not None and self.env_steps >= self.max_steps:
            return "max_env_steps"
        if self.out_of_budget():
            return "budget"
        return None

    def mark_learning_start(self) -> None:
        """Note the env steps and training time of the first gradient step (once)."""
        if self.learning_start is None:
            self.learning_start = dict(env_steps=self.env_steps, train_time_s=round(self.train_time(), 3))

    def episode(self, env_steps: int, episode_return: float) -> None:
        """Record a finished training episode for the learning curve."""
        self.curve["env_steps"].append(int(env_steps))
        self.curve["return"].append(round(float(episode_return), 2))

    def evaluate(self, policy):
        """Greedy evaluation with the clock paused: the screen, then the full set if it passes.
        Once the run is solved, nothing is played (the last result is returned).

        Args:
            policy: observations [N, 8] float32 → actions [N] int.

        Returns:
            the :class:`lunar_lab.evaluation.Evaluation` of the last stage played.
        """
        if self.solved is not None and self.last_result is not None:
            return self.last_result
        import numpy as np
        from lunar_lab.evaluation import EVAL_SEED, Evaluation, evaluate

        play = self.evaluate_fn or evaluate
        paused_at = time.perf_counter()
        train_time = paused_at - self.started - self.paused
        result = play(policy, episodes=self.screen_episodes, seed=EVAL_SEED)
        if result.mean >= SOLVED_RETURN and self.full_episodes > self.screen_episodes:
            rest = play(policy, episodes=self.full_episodes - self.screen_episodes, seed=EVAL_SEED + self.screen_episodes)
            result = Evaluation(*(np.concatenate([getattr(result, f), getattr(rest, f)]) for f in ("returns", "lengths", "seeds")))
        self.evaluations.append(dict(env_steps=self.env_steps, train_time_s=round(train_time, 3), mean=round(result.mean, 2),
                                     episodes=len(result.returns)))
        if result.mean >= SOLVED_RETURN and len(result.returns) >= self.full_episodes and self.solved is None:
            self.solved = dict(env_steps=self.env_steps, train_time_s=train_time)
        print(f"    eval at {self.env_steps:>8,} env steps, {train_time:7.1f} s: greedy mean {result.mean:7.1f} "
              f"over {len(result.returns)} episodes", flush=True)
        self.last_result = result
        self.paused += time.perf_counter() - paused_at
        return result

    def tick(self, env_steps: int, gradient_steps: int, make_policy) -> bool:
        """After an env step: note the learning start, evaluate when due; True when the run should stop.

        Args:
            env_steps, gradient_steps: totals so far.
            make_policy: no-argument callable returning the current greedy policy (called only
                when an evaluation is due).
        """
        self.env_steps, self.gradient_steps = env_steps, gradient_steps
        if gradient_steps:
            self.mark_learning_start()
        if env_steps >= self.next_eval:
            self.next_eval += self.eval_every
            self.evaluate(make_policy())
        return self.stop_reason() is not None

    def finish(self, make_policy) -> None:
        """At the end of an unsolved run, evaluate once more unless the last evaluation was
        at this env step, so that the best greedy mean covers the whole budget."""
        if self.solved is None and (not self.evaluations or self.evaluations[-1]["env_steps"] != self.env_steps):
            self.evaluate(make_policy())

    def report(self) -> dict:
        """The run's numbers (call once training has ended)."""
        train_time, start = self.train_time(), self.learning_start
        learning_s = None if start is None else train_time - start["train_time_s"]
        rate = lambda n: round(n / learning_s, 1) if learning_s else None  # noqa: E731
        return dict(
            env_steps=self.env_steps, gradient_steps=self.gradient_steps, train_time_s=round(train_time, 2),
            eval_time_s=round(self.paused, 2), budget_s=round(self.budget_s, 1), max_env_steps=self.max_steps,
            min_env_steps=self.min_steps, stop_reason=self.stop_reason() or "end of training", learning_start=start,
            env_steps_per_s=None if start is None else rate(self.env_steps - start["env_steps"]),
            gradient_steps_per_s=rate(self.gradient_steps),
            solved=self.solved is not None,
            solve_env_steps=self.solved and self.solved["env_steps"],
            solve_time_s=self.solved and round(self.solved["train_time_s"], 2),
            best_eval_mean=max((e["mean"] for e in self.evaluations), default=None),
            evaluations=self.evaluations, curve=self.curve)


def keep_tensorflow_defaults() -> None:
    """Import lunar_lab, then take back the TensorFlow settings its import puts in the environment.

    A peer runs with its libraries' own defaults, yet borrows lunar_lab's evaluation.
    ``import lunar_lab`` sets TensorFlow's options (1 thread, oneDNN off) only as environment
    variables that a user has not set, and does not import TensorFlow (``lunar_lab``'s
    docstring); removing the variables it added, before TensorFlow is imported, leaves
    TensorFlow its own defaults. (For SB3, TensorFlow is never imported at all.)
    """
    before = set(os.environ)
    import lunar_lab  # noqa: F401

    for name in set(os.environ) - before:
        del os.environ[name]


def worker(spec: dict) -> None:
    """Run one (agent, seed) in this process and write its report as JSON to ``spec["out"]``."""
    if spec["agent"] in PEERS:
        keep_tensorflow_defaults()
    import resource

    tracker = Tracker(spec["eval_every"], spec["budget_s"], spec["max_steps"], spec["min_steps"],
                      spec["screen_episodes"], spec["full_episodes"])
    hyperparameters = runners.RUNNERS.get(spec["agent"], runners.run_lunar_lab)(spec, tracker)
    report = dict(agent=spec["agent"], seed=spec["seed"], status="ok", **tracker.report(),
                  peak_rss_mib=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (2**20 if sys.platform == "darwin" else 2**10), 1),
                  hyperparameters=hyperparameters)
    Path(spec["out"]).write_text(json.dumps(report))


def run_python(args: list[str]) -> int:
    """Run ``python ARGS`` in a fresh process with :data:`LAUNCH_ENVIRON` (TensorFlow's log level 3
    unless set, benchmarks/ on the import path); its stderr without :data:`NOISE`. Returns its exit status."""
    env = dict(LAUNCH_ENVIRON, TF_CPP_MIN_LOG_LEVEL=LAUNCH_ENVIRON.get("TF_CPP_MIN_LOG_LEVEL", "3"),
               PYTHONPATH=os.pathsep.join(filter(None, [str(BENCHMARKS), LAUNCH_ENVIRON.get("PYTHONPATH")])))
    done = subprocess.run([sys.executable, *args], env=env, stderr=subprocess.PIPE, text=True)
    sys.stderr.write("".join(line for line in done.stderr.splitlines(keepends=True) if not NOISE.search(line)))
    return done.returncode


def run_one(spec: dict, scratch: Path) -> dict:
    """Run one (agent, seed) in a fresh subprocess; its report, or a ``failed`` record."""
    out = scratch / f"{spec['agent'].replace('/', '-')}-seed{spec['seed']}.json"
    returncode = run_python(["-m", "training_bench.harness", json.dumps(dict(spec, out=str(out)))])
    if returncode != 0 or not out.is_file():
        return dict(agent=spec["agent"], seed=spec["seed"], status="failed", returncode=returncode)
    return json.loads(out.read_text())


if __name__ == "__main__":
    worker(json.loads(sys.argv[1]))
