"""Training-speed benchmark: lunar_lab's agents against the classic course loop and SB3 DQN.

One command runs every (agent, seed) in alternation on the same machine (for each seed:
lunar_lab's DQN, Double DQN, SQN, DQN run the straightforward way, the classic loop, SB3),
each in a fresh subprocess so that memory and TensorFlow state are independent, and writes
``training.json``, ``training.md`` and ``training_curves.png``::

    python benchmarks/bench_training.py            # the full benchmark (about 45 min, quiet 2-core CPU)
    python benchmarks/bench_training.py --smoke    # end to end on a tiny budget (under a minute)
    python benchmarks/bench_training.py --algos dqn --peers --no-straightforward --set learning_rate=0.003
                                                   # a Config change under the same protocol (temp folder)

Agents:

- ``lunar_lab/dqn``, ``lunar_lab/double_dqn``, ``lunar_lab/sqn``: ``lunar_lab.training.train``
  with ``Config(algo=…, seed=…)`` defaults (the fast path: 4 envs, 32 gradient steps per
  XLA-compiled call, learner in a background thread, NumPy acting).
- ``lunar_lab/dqn-straightforward``: the same DQN and hyperparameters run the straightforward
  way, ``Config(num_envs=1, updates_per_call=1, jit_compile=False)``: one env, one gradient
  step per (non-XLA) ``tf.function`` call. It shows what the fast path buys, and that it
  learns the same per env step.
- ``classic``: the Coursera lab loop (:mod:`classic_loop`).
- ``sb3``: Stable-Baselines3 DQN with the RL Baselines3 Zoo hyperparameters for LunarLander;
  optional (skipped, with a note in the results, when ``stable_baselines3`` is not importable).

Clock: training time runs from just before the agent is built to the end of training and is
paused during greedy evaluations. Every ``--eval-every`` env steps the greedy policy plays 20
held-out episodes; only if their mean is ≥ 200 does it play the other 80 of the standard 100,
and a mean ≥ 200 over those 100 is "solved". Budgets (README.md, "Budgets"): a lunar_lab run
stops when solved (the DQN pair only once it also has ``--curve-steps`` env steps, so that
fast and straightforward learning curves cover the same experience) or at ``--max-env-steps``;
a peer on seed s stops when solved or once its training time exceeds ``--peer-factor`` (20) ×
lunar_lab/dqn's time to solve on seed s, which is exactly what decides "≥ 20× faster".
"""

from __future__ import annotations

import argparse
import bisect
import datetime
import importlib.util
import json
import math
import os
import platform
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
import types
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "results"
ALGOS = ("dqn", "double_dqn", "sqn")
PEERS = ("classic", "sb3")
#: The straightforward path of lunar_lab/dqn: same algorithm and hyperparameters, one env,
#: one gradient step per compiled call, no XLA (what training.py allows; README.md, "Agents").
STRAIGHTFORWARD = "lunar_lab/dqn-straightforward"
STRAIGHTFORWARD_OVERRIDES = dict(num_envs=1, updates_per_call=1, jit_compile=False)
REFERENCE = "lunar_lab/dqn"  # the agent whose time to solve sets the peers' budgets and the targets
SOLVED_RETURN = 200.0
SCREEN_EPISODES, FULL_EPISODES = 20, 100
SB3_INSTALL = ("pip install torch --index-url https://download.pytorch.org/whl/cpu && pip install stable-baselines3 "
               "(or the package's `bench` extra)")
#: RL Baselines3 Zoo, hyperparams/dqn.yml, LunarLander (n_timesteps 1e5).
SB3_ZOO = dict(policy="MlpPolicy", learning_rate=6.3e-4, batch_size=128, buffer_size=50_000, learning_starts=0,
               gamma=0.99, target_update_interval=250, train_freq=4, gradient_steps=-1, exploration_fraction=0.12,
               exploration_final_eps=0.1, policy_kwargs=dict(net_arch=[256, 256]))
SB3_ZOO_TIMESTEPS = 100_000
#: SB3 is asked for this many timesteps (the budget stops it long before), with its
#: exploration fraction scaled so that ε still falls 1 → 0.1 over the Zoo's first 12,000 steps.
SB3_MAX_TIMESTEPS = 10_000_000
CURVE_STEPS = (25_000, 50_000, 75_000, 100_000, 125_000, 150_000, 200_000, 250_000, 300_000)
TARGETS = dict(env_steps_per_s=10_000, solve_time_s=60.0, solve_ratio=20.0)
SMOKE = dict(max_env_steps=2_000, eval_every=1_000, screen_episodes=2, full_episodes=2, curve_steps=0,
             lunar_lab_max_minutes=1.0, peer_max_minutes=0.5, lunar_lab_overrides=dict(learning_starts=500))
INF = math.inf


# --------------------------------------------------------------------------- worker side


class Tracker:
    """The clock, periodic staged evaluation, stop rule and learning curve of one run.

    Args:
        eval_every: env steps between greedy evaluations.
        budget_s: training time (s) after which the run stops.
        max_steps: env steps after which the run stops (None: no cap).
        min_steps: a solved run goes on (without evaluations) until it has this many env steps.
        screen_episodes, full_episodes: episodes of the first evaluation stage and of the
            full one (played only when the screen's mean is ≥ 200).
    """

    def __init__(self, eval_every: int, budget_s: float, max_steps: int | None = None, min_steps: int = 0,
                 screen_episodes: int = SCREEN_EPISODES, full_episodes: int = FULL_EPISODES):
        self.eval_every, self.budget_s, self.max_steps, self.min_steps = eval_every, budget_s, max_steps, min_steps
        self.screen_episodes, self.full_episodes = screen_episodes, full_episodes
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

        paused_at = time.perf_counter()
        train_time = paused_at - self.started - self.paused
        result = evaluate(policy, episodes=self.screen_episodes)
        if result.mean >= SOLVED_RETURN and self.full_episodes > self.screen_episodes:
            rest = evaluate(policy, episodes=self.full_episodes - self.screen_episodes, seed=EVAL_SEED + self.screen_episodes)
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


class _Stop(Exception):
    """Raised from ``train``'s ``on_evaluation`` hook to end a lunar_lab run."""


#: Config fields every lunar_lab run gets from the benchmark (lunar_lab_config), not from --set.
BENCHMARK_FIELDS = ("algo", "seed", "total_steps", "eval_interval", "stop_when_solved")


def lunar_lab_config(spec: dict):
    """The :class:`lunar_lab.config.Config` of a lunar_lab run: the package defaults for its
    algorithm and seed, the straightforward switches for ``lunar_lab/dqn-straightforward``."""
    from lunar_lab.config import Config

    overrides = dict(spec["lunar_lab_overrides"])
    if spec["agent"] == STRAIGHTFORWARD:
        overrides.update(STRAIGHTFORWARD_OVERRIDES)
    algo = spec["agent"].split("/")[1].split("-")[0]
    return Config(algo=algo, seed=spec["seed"], total_steps=spec["max_steps"], eval_interval=spec["eval_every"],
                  stop_when_solved=False, **overrides)


def run_lunar_lab(spec: dict, tracker: Tracker) -> dict:
    """Train a lunar_lab agent with :func:`lunar_lab.training.train`; returns its hyperparameters.

    ``train``'s own periodic evaluation (every ``eval_every`` env steps, learner joined) is
    routed through ``tracker.evaluate`` (staged, clock paused); the stop rule is checked there.
    A replay buffer subclass counts env steps and notes the first sample (the learning start).
    """
    from unittest import mock

    from lunar_lab import training
    from lunar_lab.envs import OBS_DIM
    from lunar_lab.replay import ReplayBuffer

    config = lunar_lab_config(spec)

    class CountingBuffer(ReplayBuffer):
        def add_batch(self, obs, *args, **kwargs):
            super().add_batch(obs, *args, **kwargs)
            tracker.env_steps += len(obs)

        def sample(self, *args, **kwargs):
            tracker.mark_learning_start()
            return super().sample(*args, **kwargs)

    last = {}

    def on_evaluation(result, evaluation):
        last["result"] = result
        if tracker.stop_reason() is not None:
            raise _Stop

    with mock.patch.object(training, "evaluate", lambda policy, episodes: tracker.evaluate(policy)):
        tracker.start()
        try:
            result = training.train(config, replay_buffer=CountingBuffer(config.buffer_capacity, OBS_DIM, seed=config.seed),
                                    progress=False, on_evaluation=on_evaluation)
        except _Stop:
            result = last["result"]
    tracker.gradient_steps = result.agent.learner_steps
    tracker.finish(lambda: result.agent.greedy_actions)
    for steps, episode_return in zip(result.episodes["env_steps"], result.episodes["return"]):
        tracker.episode(steps, episode_return)
    return config.to_dict()


def run_classic(spec: dict, tracker: Tracker) -> dict:
    """Train the classic course loop (:mod:`classic_loop`); greedy evaluation through a NumPy copy."""
    import classic_loop
    import numpy as np
    from lunar_lab.networks import NumpyQNetwork

    def greedy(q_network):
        net = NumpyQNetwork(q_network)
        return lambda obs: np.argmax(net(obs), axis=-1)

    def callback(q_network, env_steps, gradient_steps, episode_return):
        if episode_return is not None:
            tracker.episode(env_steps, episode_return)
        return tracker.tick(env_steps, gradient_steps, lambda: greedy(q_network))

    tracker.start()
    q_network = classic_loop.train(spec["seed"], callback=callback)["q_network"]
    tracker.finish(lambda: greedy(q_network))
    return classic_loop.HYPERPARAMETERS


def sb3_hyperparameters() -> dict:
    """The Zoo hyperparameters as passed to SB3's ``DQN`` for a ``SB3_MAX_TIMESTEPS`` run:
    the exploration fraction is rescaled so that ε decays over the same 12,000 env steps."""
    return dict(SB3_ZOO, exploration_fraction=SB3_ZOO["exploration_fraction"] * SB3_ZOO_TIMESTEPS / SB3_MAX_TIMESTEPS)


def run_sb3(spec: dict, tracker: Tracker) -> dict:
    """Train Stable-Baselines3 DQN with the Zoo hyperparameters; greedy evaluation through ``predict``."""
    import gymnasium as gym
    from stable_baselines3 import DQN
    from stable_baselines3.common.callbacks import BaseCallback
    from stable_baselines3.common.monitor import Monitor

    class Callback(BaseCallback):
        def _on_step(self) -> bool:
            for info in self.locals["infos"]:
                if "episode" in info:
                    tracker.episode(self.num_timesteps, info["episode"]["r"])
            return not tracker.tick(self.num_timesteps, self.model._n_updates, lambda: greedy)

    def greedy(obs):
        return model.predict(obs, deterministic=True)[0]

    tracker.start()
    model = DQN(env=Monitor(gym.make("LunarLander-v3")), seed=spec["seed"], verbose=0, **sb3_hyperparameters())
    model.learn(total_timesteps=SB3_MAX_TIMESTEPS, callback=Callback())
    tracker.finish(lambda: greedy)
    return dict(SB3_ZOO, zoo_n_timesteps=SB3_ZOO_TIMESTEPS, total_timesteps=SB3_MAX_TIMESTEPS,
                exploration_fraction_used=sb3_hyperparameters()["exploration_fraction"])


RUNNERS = {"classic": run_classic, "sb3": run_sb3}


def worker(spec: dict) -> None:
    """Run one (agent, seed) in this process and write its report as JSON to ``spec["out"]``."""
    if spec["agent"] in PEERS:
        # Peers run with their libraries' own defaults: keep lunar_lab's process-wide
        # TensorFlow settings (1 thread, oneDNN off; lunar_lab/_runtime.py) out of this
        # process, and TensorFlow itself out of the SB3 process, whose peak memory is measured.
        sys.modules.setdefault("lunar_lab._runtime", types.ModuleType("lunar_lab._runtime"))
    import resource

    tracker = Tracker(spec["eval_every"], spec["budget_s"], spec["max_steps"], spec["min_steps"],
                      spec["screen_episodes"], spec["full_episodes"])
    hyperparameters = RUNNERS.get(spec["agent"], run_lunar_lab)(spec, tracker)
    report = dict(agent=spec["agent"], seed=spec["seed"], status="ok", **tracker.report(),
                  peak_rss_mib=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (2**20 if sys.platform == "darwin" else 2**10), 1),
                  hyperparameters=hyperparameters)
    Path(spec["out"]).write_text(json.dumps(report))


# --------------------------------------------------------------------------- parent side: runs


def run_one(spec: dict, scratch: Path) -> dict:
    """Run one (agent, seed) in a fresh subprocess; its report, or a ``failed`` record."""
    out = scratch / f"{spec['agent'].replace('/', '-')}-seed{spec['seed']}.json"
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL=os.environ.get("TF_CPP_MIN_LOG_LEVEL", "3"),
               PYTHONPATH=os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")])))
    done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--worker", json.dumps(dict(spec, out=str(out)))],
                          env=env, stderr=subprocess.PIPE, text=True)
    noise = re.compile(r"^WARNING: All log messages before absl::InitializeLog|^I0000 .*(oneDNN custom operations|cpu_feature_guard)"
                       r"|^To enable the following instructions")
    sys.stderr.write("".join(line for line in done.stderr.splitlines(keepends=True) if not noise.search(line)))
    if done.returncode != 0 or not out.is_file():
        return dict(agent=spec["agent"], seed=spec["seed"], status="failed", returncode=done.returncode)
    return json.loads(out.read_text())


def peer_budget_s(reference: dict | None, factor: float, cap_s: float) -> float:
    """A peer's training-time budget on one seed: ``factor`` × the reference run's time to
    solve on that seed (its whole training time if it did not solve), at most ``cap_s``.

    A peer that has not solved when this budget is spent is more than ``factor`` times
    slower to solve: the budget decides the "≥ factor×" question and no more.

    Example:
        >>> peer_budget_s(dict(status="ok", solved=True, solve_time_s=15.0, train_time_s=20.0), 20, 600)
        300.0
        >>> peer_budget_s(dict(status="ok", solved=False, solve_time_s=None, train_time_s=40.0), 20, 600)
        600
        >>> peer_budget_s(None, 20, 600)
        600
    """
    if reference is None or reference.get("status") != "ok":
        return cap_s
    return min(cap_s, factor * (reference["solve_time_s"] if reference["solved"] else reference["train_time_s"]))


def plan(settings: dict, agents: list[str]) -> list[tuple[str, int]]:
    """The (agent, seed) jobs in alternation order: every agent on seed 0, then on seed 1, …"""
    return [(agent, seed) for seed in settings["seeds"] for agent in agents]


def job_spec(agent: str, seed: int, settings: dict, runs: list[dict]) -> dict:
    """What the worker needs for one (agent, seed), the peers' budget from earlier ``runs``."""
    spec = dict(agent=agent, seed=seed, eval_every=settings["eval_every"], screen_episodes=settings["screen_episodes"],
                full_episodes=settings["full_episodes"], lunar_lab_overrides=settings["lunar_lab_overrides"])
    if agent in PEERS:
        cap = 60 * settings["peer_max_minutes"]
        if settings["peer_budget_minutes"] is not None:
            budget = 60 * settings["peer_budget_minutes"]
        else:
            reference = next((r for r in runs if r["agent"] == settings["reference"] and r["seed"] == seed), None)
            budget = peer_budget_s(reference, settings["peer_factor"], cap)
        return dict(spec, budget_s=budget, max_steps=settings["peer_max_env_steps"], min_steps=0)
    curve_pair = agent in (REFERENCE, STRAIGHTFORWARD)
    return dict(spec, budget_s=60 * settings["lunar_lab_max_minutes"], max_steps=settings["max_env_steps"],
                min_steps=settings["curve_steps"] if curve_pair else 0)


# --------------------------------------------------------------------------- parent side: ratios


def solve_ratio(ours: dict, theirs: dict, solved_key: str, total_key: str) -> tuple[float | None, str | None]:
    """How many times more a peer needs than lunar_lab to solve (time or env steps).

    Returns:
        (value, relation): relation ``"="`` when both solved; ``">"`` (a lower bound) when
        only lunar_lab solved, using what the peer spent unsolved; ``"<"`` (an upper bound)
        when only the peer solved; (None, None) when neither did.
    """
    if ours["solved"] and theirs["solved"]:
        return theirs[solved_key] / ours[solved_key], "="
    if ours["solved"]:
        return theirs[total_key] / ours[solved_key], ">"
    if theirs["solved"]:
        return theirs[solved_key] / ours[total_key], "<"
    return None, None


def comparison_pairs(agents: list[str]) -> list[tuple[str, str]]:
    """(lunar_lab agent, comparison) pairs: every fast lunar_lab agent with every peer, and
    lunar_lab/dqn with its straightforward path."""
    fast = [a for a in agents if a.startswith("lunar_lab/") and a != STRAIGHTFORWARD]
    pairs = [(a, p) for a in fast for p in agents if p in PEERS]
    if REFERENCE in agents and STRAIGHTFORWARD in agents:
        pairs.append((REFERENCE, STRAIGHTFORWARD))
    return pairs


def _rate_ratio(a, b):
    return a / b if a and b else None


def pair_ratios(runs: list[dict], pairs: list[tuple[str, str]]) -> list[dict]:
    """lunar_lab ÷ comparison for each pair and seed both ran (every ratio > 1: lunar_lab is better).

    Keys: ``env_steps_per_s_ratio`` and ``gradient_steps_per_s_ratio`` (ours ÷ theirs),
    ``time_to_solve_ratio`` and ``env_steps_to_solve_ratio`` (theirs ÷ ours, each with its
    ``_relation`` from :func:`solve_ratio`), ``memory_ratio`` (their peak RSS ÷ ours).
    """
    ok = {(r["agent"], r["seed"]): r for r in runs if r["status"] == "ok"}
    out = []
    for ours_name, theirs_name in pairs:
        for seed in sorted({s for (a, s) in ok if a == ours_name}):
            ours, theirs = ok[(ours_name, seed)], ok.get((theirs_name, seed))
            if theirs is None:
                continue
            time_ratio, time_rel = solve_ratio(ours, theirs, "solve_time_s", "train_time_s")
            steps_ratio, steps_rel = solve_ratio(ours, theirs, "solve_env_steps", "env_steps")
            out.append(dict(lunar_lab=ours_name, peer=theirs_name, seed=seed,
                            env_steps_per_s_ratio=_rate_ratio(ours["env_steps_per_s"], theirs["env_steps_per_s"]),
                            gradient_steps_per_s_ratio=_rate_ratio(ours["gradient_steps_per_s"], theirs["gradient_steps_per_s"]),
                            time_to_solve_ratio=time_ratio, time_to_solve_relation=time_rel,
                            env_steps_to_solve_ratio=steps_ratio, env_steps_to_solve_relation=steps_rel,
                            memory_ratio=_rate_ratio(theirs["peak_rss_mib"], ours["peak_rss_mib"])))
    return out


def interval(value: float | None, relation: str | None) -> tuple[float, float] | None:
    """The range a true value lies in, from a reported value and its relation.

    Example:
        >>> interval(5.0, "="), interval(5.0, ">"), interval(5.0, "<"), interval(None, None)
        ((5.0, 5.0), (5.0, inf), (0.0, 5.0), None)
    """
    if value is None:
        return None
    return {"=": (value, value), ">": (value, INF), "≥": (value, INF), "<": (0.0, value), "≤": (0.0, value)}[relation]


def median_interval(values: list, relations: list) -> tuple[float | None, float | None]:
    """Bounds on the median of quantities known exactly (``=``) or only bounded (``>``, ``<``).

    The median is non-decreasing in every argument, so the median of the lower ends is a lower
    bound and the median of the upper ends an upper bound; they coincide when the bounds do not
    matter (e.g. one lower bound already above the median). None entries are left out.

    Returns:
        (low, high), high possibly ``inf``; (None, None) if no value is known.

    Example:
        >>> median_interval([30.0, 25.0, 21.0], [">", "=", ">"])
        (25.0, inf)
        >>> median_interval([10.0, 12.0, 50.0], ["=", "=", ">"])
        (12.0, 12.0)
    """
    bounds = [interval(v, r) for v, r in zip(values, relations) if v is not None]
    if not bounds:
        return None, None
    return statistics.median(lo for lo, _ in bounds), statistics.median(hi for _, hi in bounds)


def relation_of(low: float | None, high: float | None) -> tuple[float | None, str | None]:
    """(value, relation) to show for an interval: ``=`` exact, ``≥`` low, ``≤`` high, ``~`` both unknown."""
    if low is None:
        return None, None
    if low == high:
        return low, "="
    if high == INF:
        return low, "≥"
    if low == 0.0:
        return high, "≤"
    return low, "~"


def summarize_ratios(pairs: list[dict]) -> list[dict]:
    """Per (lunar_lab agent, comparison): the medians over seeds of :func:`pair_ratios`, the
    solve ratios as intervals (``_low``, ``_high``) and as a (value, relation) to show."""
    summary = []
    for key in dict.fromkeys((p["lunar_lab"], p["peer"]) for p in pairs):
        group = [p for p in pairs if (p["lunar_lab"], p["peer"]) == key]
        row = dict(lunar_lab=key[0], peer=key[1], seed="median", seeds=len(group))
        for name in ("env_steps_per_s", "gradient_steps_per_s", "memory"):
            values = [p[f"{name}_ratio"] for p in group if p[f"{name}_ratio"] is not None]
            row[f"{name}_ratio"] = statistics.median(values) if values else None
        for name in ("time_to_solve", "env_steps_to_solve"):
            low, high = median_interval([p[f"{name}_ratio"] for p in group], [p[f"{name}_relation"] for p in group])
            row[f"{name}_low"], row[f"{name}_high"] = low, high
            row[f"{name}_ratio"], row[f"{name}_relation"] = relation_of(low, high)
        summary.append(row)
    return summary


def solve_time_interval(runs: list[dict], agent: str) -> tuple[float | None, float | None]:
    """Bounds on an agent's median time to solve over seeds (an unsolved run: more than its training time)."""
    ok = [r for r in runs if r["agent"] == agent and r["status"] == "ok"]
    return median_interval([r["solve_time_s"] if r["solved"] else r["train_time_s"] for r in ok],
                           ["=" if r["solved"] else ">" for r in ok])


def verdict(low: float | None, high: float | None, target: float, at_least: bool) -> str:
    """``met``, ``not met`` or ``undecided`` for an interval against a target (≥ target if
    ``at_least``, else ≤ target).

    Example:
        >>> verdict(20.5, math.inf, 20, True), verdict(12.0, 12.0, 20, True), verdict(15.0, math.inf, 20, True)
        ('met', 'not met', 'undecided')
        >>> verdict(45.0, 45.0, 60, False), verdict(70.0, math.inf, 60, False)
        ('met', 'not met')
    """
    if low is None:
        return "undecided"
    if at_least:
        return "met" if low >= target else "not met" if high < target else "undecided"
    return "met" if high <= target else "not met" if low > target else "undecided"


def targets(results: dict) -> list[dict]:
    """The issue's targets checked against this run: lunar_lab/dqn's env steps/s and median time
    to solve, and its median solve-time ratio to each peer."""
    runs, rows = results["runs"], []
    rates = [r["env_steps_per_s"] for r in runs if r["agent"] == REFERENCE and r["status"] == "ok" and r["env_steps_per_s"]]
    rate = statistics.median(rates) if rates else None
    rows.append(dict(target=f"{REFERENCE}: ≥ {TARGETS['env_steps_per_s']:,} env steps/s while learning (median)",
                     measured=_fmt(rate), verdict=verdict(rate, rate, TARGETS["env_steps_per_s"], True)))
    low, high = solve_time_interval(runs, REFERENCE)
    value, rel = relation_of(low, high)
    rows.append(dict(target=f"{REFERENCE}: solved in ≤ {TARGETS['solve_time_s']:.0f} s (median over seeds)",
                     measured=f"{low:,.1f}–{high:,.1f} s" if rel == "~" else _bound(value, rel, 1, " s"), verdict=verdict(low, high, TARGETS["solve_time_s"], False)))
    for s in results["ratio_summary"]:
        if s["lunar_lab"] == REFERENCE and s["peer"] in PEERS:
            rows.append(dict(target=f"{REFERENCE}: ≥ {TARGETS['solve_ratio']:.0f}× faster to solve than {s['peer']} (median)",
                             measured=_ratio(s["time_to_solve_ratio"], s["time_to_solve_relation"], s["time_to_solve_high"]),
                             verdict=verdict(s["time_to_solve_low"], s["time_to_solve_high"], TARGETS["solve_ratio"], True)))
    return rows


# --------------------------------------------------------------------------- parent side: report


def machine_info() -> dict:
    """CPU model, core counts, memory, OS, Python and the load average before the run."""
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").is_file() else ""
    models = [line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")]
    meminfo = Path("/proc/meminfo").read_text().split() if Path("/proc/meminfo").is_file() else []
    return dict(cpu_model=models[0] if models else platform.processor() or platform.machine(),
                logical_cores=os.cpu_count(),
                usable_cores=len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
                memory_gib=round(int(meminfo[1]) / 2**20, 1) if meminfo[:1] == ["MemTotal:"] else None,
                platform=platform.platform(), python=platform.python_version(),
                load_average_at_start=[round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None)


def versions() -> dict:
    """Installed versions of the packages involved (None: not installed), and the git commit."""
    def version(*names):
        for name in names:
            try:
                return metadata.version(name)
            except metadata.PackageNotFoundError:
                pass
        return None

    found = {name: version(*dists) for name, dists in (
        ("lunar_lab", ["lunar_lab"]), ("tensorflow", ["tensorflow-cpu", "tensorflow"]), ("keras", ["keras"]),
        ("numpy", ["numpy"]), ("gymnasium", ["gymnasium"]), ("box2d", ["box2d", "box2d-py"]),
        ("stable_baselines3", ["stable-baselines3"]), ("torch", ["torch"]))}
    git = subprocess.run(["git", "-C", str(HERE), "describe", "--always", "--dirty"], capture_output=True, text=True)
    found["git"] = git.stdout.strip() if git.returncode == 0 else None
    return found


def curve_means(run: dict, points=CURVE_STEPS) -> list[float | None]:
    """Mean return of the last 100 training episodes finished by each env step in ``points``
    (None past the end of the run or before the first episode).

    Example:
        >>> run = dict(env_steps=300, curve=dict(env_steps=[100, 200, 300], **{"return": [1.0, 2.0, 6.0]}))
        >>> curve_means(run, points=(50, 150, 250, 400))
        [None, 1.0, 1.5, None]
    """
    steps, returns = run["curve"]["env_steps"], run["curve"]["return"]
    means = []
    for point in points:
        n = bisect.bisect_right(steps, point)
        means.append(None if point > run["env_steps"] or n == 0 else statistics.fmean(returns[max(0, n - 100):n]))
    return means


def plot_curves(runs: list[dict], path: Path, agents=(REFERENCE, STRAIGHTFORWARD)) -> Path | None:
    """PNG of learning per env step for ``agents`` (fast and straightforward DQN), one line per
    seed: left, the mean return of the last 100 training episodes; right, the greedy
    evaluations. None (nothing written) when neither agent ran."""
    shown = [r for r in runs if r["agent"] in agents and r["status"] == "ok"]
    if not shown:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    from lunar_lab.plots import rolling_mean

    colors = dict(zip(agents, ("tab:blue", "tab:orange")))
    styles = ("-", "--", ":", "-.")
    seeds = sorted({r["seed"] for r in shown})
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.4), sharey=True)
    for r in shown:
        style = styles[seeds.index(r["seed"]) % len(styles)]
        label = f"{r['agent']}, seed {r['seed']}"
        left.plot(r["curve"]["env_steps"], rolling_mean(r["curve"]["return"], 100), color=colors[r["agent"]],
                  linestyle=style, linewidth=1.6, label=label)
        evals = r["evaluations"]
        right.plot([e["env_steps"] for e in evals], [e["mean"] for e in evals], color=colors[r["agent"]],
                   linestyle=style, marker="o", markersize=3, linewidth=1.2, label=label)
        if r["solved"]:
            right.plot([r["solve_env_steps"]], [next(e["mean"] for e in evals if e["env_steps"] == r["solve_env_steps"])],
                       marker="*", markersize=13, color=colors[r["agent"]], markeredgecolor="black", linestyle="none")
    for ax, title in ((left, "training: mean return of the last 100 episodes (ε-greedy)"),
                      (right, "greedy evaluations (20 episodes; 100 when the 20 reach 200; ★ solved)")):
        ax.axhline(SOLVED_RETURN, color="black", linestyle="--", linewidth=1)
        ax.set_xlabel("env steps")
        ax.set_title(title, fontsize=10)
        ax.grid(alpha=0.3)
        ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda x, _: f"{x / 1000:g}k" if x else "0"))
    left.set_ylabel("return")
    left.set_ylim(bottom=max(-400, left.get_ylim()[0]))
    right.legend(fontsize=8, loc="lower right")
    fig.suptitle("Same DQN, same hyperparameters: fast path (4 envs, 32 gradient steps per XLA call) "
                 "vs straightforward path (1 env, 1 step per call, no XLA)", fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def _fmt(value, digits=0, suffix="") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:,.{digits}f}{suffix}"


def _x(value) -> str:
    return f"{value:,.{1 if value >= 1 else 2}f}"


def _ratio(value, relation, high=None) -> str:
    """A ratio as text: ``12.3×``, ``> 20.1×`` …; ``~`` (between two bounds) needs ``high``."""
    if value is None:
        return "—"
    if relation == "~":
        return f"{_x(value)}–{_x(high)}×"
    return f"{'' if relation == '=' else relation + ' '}{_x(value)}×"


def _bound(value, relation, digits=0, suffix="") -> str:
    if value is None:
        return "—"
    return f"{'' if relation in ('=', '~') else relation + ' '}{_fmt(value, digits, suffix)}"


def markdown(results: dict) -> str:
    """The results as Markdown: setting, targets, ratios, runs, learning per env step."""
    meta, s = results["meta"], results["meta"]["settings"]
    m, v = meta["machine"], meta["versions"]
    peers_budget = (f"{s['peer_budget_minutes']} min of training" if s["peer_budget_minutes"] is not None else
                    f"{s['peer_factor']:g} × {s['reference']}'s time to solve on the same seed (at most {s['peer_max_minutes']:g} min)")
    lines = [
        "# Training speed: lunar_lab against the classic course loop and Stable-Baselines3 DQN", "",
        f"{meta['date']} · {m['cpu_model']}, {m['logical_cores']} logical cores ({m['usable_cores']} usable), "
        f"{_fmt(m['memory_gib'], 1)} GiB, load average at start {m['load_average_at_start']} · {m['platform']} · "
        f"Python {m['python']} · whole benchmark {_fmt(meta['wall_time_s'] / 60, 1)} min", "",
        "Versions: " + ", ".join(f"{k} {val}" for k, val in v.items() if val), "",
        f"Command: `{meta['command']}`", "",
        f"Seeds {s['seeds']}, every agent on each, in alternation. Greedy evaluation every {s['eval_every']:,} env steps "
        f"({s['screen_episodes']} held-out episodes, then {s['full_episodes']} if their mean is ≥ 200); solved = greedy "
        f"mean ≥ 200 over {s['full_episodes']} episodes. Times are training time (clock paused during evaluations). "
        f"Budgets: lunar_lab runs stop when solved (the DQN pair not before {s['curve_steps']:,} env steps) or at "
        f"{s['max_env_steps']:,} env steps; a peer stops when solved or after {peers_budget}.", ""]
    if s.get("smoke"):
        lines += ["**Smoke run** (tiny budget): the numbers only show that the benchmark works.", ""]
    if s.get("overrides"):
        changes = ", ".join(f"`{k}={json.dumps(v)}`" for k, v in s["overrides"].items())
        lines += [f"**Config changed** for every lunar_lab run: {changes}; the targets below are about these settings, "
                  "not the package's defaults.", ""]
    for agent, reason in results["skipped"].items():
        lines += [f"Skipped: **{agent}**: {reason}", ""]
    lines += ["## Targets", "", "| target | measured | verdict |", "|---|--:|---|"]
    lines += [f"| {t['target']} | {t['measured']} | {t['verdict']} |" for t in results["targets"]]
    lines += ["", "## lunar_lab ÷ comparison, median over seeds (> 1: lunar_lab is better)", "",
              "`> N×`/`≥ N×`: a lower bound (the comparison had not solved after N times lunar_lab's time or env steps to "
              "solve); `< N×`/`≤ N×`: an upper bound (lunar_lab did not solve); —: neither solved. Per-seed ratios: "
              "[below](#per-seed-ratios).", ""]
    header = ("| lunar_lab | comparison | seed | env steps/s | gradient steps/s | time to solve | env steps to solve "
              "| peak memory |", "|---|---|---|--:|--:|--:|--:|--:|")

    def ratio_row(p):
        solve = [_ratio(p[f"{n}_ratio"], p[f"{n}_relation"], p.get(f"{n}_high")) for n in ("time_to_solve", "env_steps_to_solve")]
        return (f"| {p['lunar_lab']} | {p['peer']} | {p['seed']} | {_ratio(p['env_steps_per_s_ratio'], '=')} | "
                f"{_ratio(p['gradient_steps_per_s_ratio'], '=')} | {solve[0]} | {solve[1]} | {_ratio(p['memory_ratio'], '=')} |")

    lines += [*header, *map(ratio_row, results["ratio_summary"])]
    lines += ["", "## Runs", "",
              "| agent | seed | env steps/s | gradient steps/s | solved in (s) | solved in (env steps) | best greedy mean "
              "| training time (s) | env steps | stopped by | peak RSS (MiB) |", "|---|---|--:|--:|--:|--:|--:|--:|--:|---|--:|"]
    for r in results["runs"]:
        if r["status"] != "ok":
            lines.append(f"| {r['agent']} | {r['seed']} | {r['status']} |" + " |" * 8)
            continue
        lines.append(f"| {r['agent']} | {r['seed']} | {_fmt(r['env_steps_per_s'])} | {_fmt(r['gradient_steps_per_s'])} | "
                     f"{_fmt(r['solve_time_s'], 1) if r['solved'] else 'not solved'} | {_fmt(r['solve_env_steps'])} | "
                     f"{_fmt(r['best_eval_mean'], 1)} | {_fmt(r['train_time_s'], 1)} | {_fmt(r['env_steps'])} | "
                     f"{r['stop_reason']} | {_fmt(r['peak_rss_mib'])} |")
    lines += ["", "## Learning per env step: fast and straightforward path", "",
              f"Same DQN, same hyperparameters and replay ratio (1 gradient step of batch 64 per 4 env steps); "
              f"`{STRAIGHTFORWARD}` = `Config(num_envs=1, updates_per_call=1, jit_compile=False)`. Mean return of the last "
              "100 training episodes (ε-greedy, so below the greedy evaluations) finished by each env step; — once the "
              "run had stopped.", ""]
    if results.get("curves_png"):
        lines += [f"![learning curves per env step]({results['curves_png']})", ""]
    lines += ["| agent | seed | " + " | ".join(f"{k // 1000}k" for k in CURVE_STEPS) + " |",
              "|---|---|" + "--:|" * len(CURVE_STEPS)]
    for agent in dict.fromkeys(r["agent"] for r in results["runs"] if r["status"] == "ok"):
        rows = [r for r in results["runs"] if r["agent"] == agent and r["status"] == "ok"]
        for r in rows:
            lines.append(f"| {agent} | {r['seed']} | " + " | ".join(_fmt(x, 1) for x in curve_means(r)) + " |")
        if len(rows) > 1:
            columns = list(zip(*(curve_means(r) for r in rows)))
            lines.append(f"| {agent} | mean | " + " | ".join(
                _fmt(statistics.fmean(c), 1) if None not in c else "—" for c in columns) + " |")
    lines += ["", "## Per-seed ratios", "", *header, *map(ratio_row, results["ratios"]), ""]
    return "\n".join(lines)


def finite(value):
    """``value`` with every infinite float (an unbounded ratio) replaced by None, for strict JSON.

    Example:
        >>> finite(dict(low=20.0, high=math.inf, runs=[1, -math.inf]))
        {'low': 20.0, 'high': None, 'runs': [1, None]}
    """
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    return None if isinstance(value, float) and math.isinf(value) else value


README_BEGIN, README_END = "<!-- results:begin -->", "<!-- results:end -->"


def summary(md: str) -> str:
    r"""The head of the results Markdown ``md`` (machine, targets, median ratios) for the
    project README, with a link to the full results in benchmarks/README.md.

        >>> print(summary("# T\n\n## Targets\n\nok\n\n## Runs\n\nlong table\n"))
        # T
        <BLANKLINE>
        ## Targets
        <BLANKLINE>
        ok
        <BLANKLINE>
        Per-run numbers, learning curves per env step and where the time goes: [benchmarks/README.md](benchmarks/README.md#results).
        <BLANKLINE>
    """
    head = md.split("\n## Runs\n", 1)[0].rstrip().replace("[below](#per-seed-ratios)", "[benchmarks/README.md](benchmarks/README.md#per-seed-ratios)")
    return f"{head}\n\nPer-run numbers, learning curves per env step and where the time goes: [benchmarks/README.md](benchmarks/README.md#results).\n"


def update_readme(readme: Path, md: str, images: str = "results/") -> bool:
    """Put ``md`` (headings one level down, image paths under ``images``) between the
    README's results markers; False (README unchanged) when the markers are missing."""
    text = readme.read_text()
    if README_BEGIN not in text or README_END not in text:
        return False
    body = md.split("\n", 1)[1].lstrip("\n")  # drop the H1 title
    body = re.sub(r"^(#+) ", r"#\1 ", body, flags=re.M).replace("](training_curves.png)", f"]({images}training_curves.png)")
    head, rest = text.split(README_BEGIN, 1)
    readme.write_text(f"{head}{README_BEGIN}\n{body.rstrip()}\n{README_END}{rest.split(README_END, 1)[1]}")
    return True


# --------------------------------------------------------------------------- command line


def available_peers(peers: list[str]) -> tuple[list[str], dict[str, str]]:
    """The requested peers that can run, and {peer: why it is skipped} for the others (SB3
    when ``stable_baselines3`` is not importable)."""
    peers, skipped = list(dict.fromkeys(peers)), {}
    if "sb3" in peers and importlib.util.find_spec("stable_baselines3") is None:
        skipped["sb3"] = f"stable_baselines3 is not importable; install it with `{SB3_INSTALL}`"
        peers.remove("sb3")
    return peers, skipped


def config_override(text: str) -> tuple[str, object]:
    """``FIELD=VALUE`` → (field, value): VALUE is read as JSON (numbers, true/false, null,
    lists), else kept as a string; the field and value are checked by ``Config`` itself.

    Raises:
        argparse.ArgumentTypeError: no ``=``, a field the benchmark sets itself
            (``BENCHMARK_FIELDS``), or ``Config`` refuses the field or the value.

    Example:
        >>> config_override("learning_rate=0.003"), config_override("hidden_sizes=[64, 64]")
        (('learning_rate', 0.003), ('hidden_sizes', [64, 64]))
        >>> config_override("loss=mse")
        ('loss', 'mse')
    """
    from lunar_lab.config import Config

    field, sep, raw = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"expected FIELD=VALUE, got {text!r}")
    if field in BENCHMARK_FIELDS:
        raise argparse.ArgumentTypeError(f"{field} is set by the benchmark itself (its own options: --algos, --seeds, "
                                         f"--max-env-steps, --eval-every); --set takes the other Config fields")
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = raw
    try:
        Config().replace(**{field: value})
    except (TypeError, ValueError) as err:
        raise argparse.ArgumentTypeError(str(err)) from None
    return field, value


def parse_args(argv=None) -> argparse.Namespace:
    """Command-line options (see the module docstring and README.md)."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="seeds, each run by every agent (default: 0 1 2)")
    p.add_argument("--algos", nargs="+", choices=ALGOS, default=list(ALGOS), help="lunar_lab algorithms (default: all)")
    p.add_argument("--no-straightforward", action="store_true", help=f"skip {STRAIGHTFORWARD}")
    p.add_argument("--peers", nargs="*", choices=PEERS, default=list(PEERS), help="peers (default: classic sb3; --peers alone: none)")
    p.add_argument("--eval-every", type=int, default=10_000, help="env steps between greedy evaluations (default: 10000)")
    p.add_argument("--max-env-steps", type=int, default=300_000,
                   help="env steps after which a lunar_lab run stops unsolved (default: 300000, Config().total_steps)")
    p.add_argument("--curve-steps", type=int, default=150_000,
                   help=f"{REFERENCE} and {STRAIGHTFORWARD} train at least this many env steps, solved or not (default: 150000)")
    p.add_argument("--lunar-lab-max-minutes", type=float, default=10.0, help="safety cap on a lunar_lab run's training time (default: 10)")
    p.add_argument("--peer-factor", type=float, default=TARGETS["solve_ratio"],
                   help=f"a peer's budget on seed s: this × {REFERENCE}'s time to solve on s (default: 20)")
    p.add_argument("--peer-max-minutes", type=float, default=10.0, help="cap on a peer's budget (default: 10)")
    p.add_argument("--peer-budget-minutes", type=float, help="a fixed training-time budget for every peer run instead")
    p.add_argument("--set", dest="overrides", metavar="FIELD=VALUE", action="append", default=[], type=config_override,
                   help="change a Config field of every lunar_lab run, e.g. --set learning_rate=0.003 --set "
                        "hidden_sizes=[64,64] (repeatable; the results then go to a new temp folder unless --out is given)")
    p.add_argument("--out", type=Path, help="results folder (default: benchmarks/results; --smoke or --set: a new temp folder)")
    p.add_argument("--smoke", action="store_true", help=f"end-to-end check: {SMOKE['max_env_steps']:,} env steps per run, "
                   "2-episode evaluations every 1,000 steps, first seed only")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv=None) -> int:
    """Run the benchmark; write ``training.json``, ``training.md`` and ``training_curves.png``."""
    args = parse_args(argv)
    if args.worker:
        worker(json.loads(args.worker))
        return 0
    began, machine = time.perf_counter(), machine_info()
    settings = dict(seeds=args.seeds, eval_every=args.eval_every, max_env_steps=args.max_env_steps,
                    curve_steps=args.curve_steps, lunar_lab_max_minutes=args.lunar_lab_max_minutes,
                    peer_factor=args.peer_factor, peer_max_minutes=args.peer_max_minutes,
                    peer_budget_minutes=args.peer_budget_minutes, peer_max_env_steps=None,
                    screen_episodes=SCREEN_EPISODES, full_episodes=FULL_EPISODES, lunar_lab_overrides={},
                    smoke=args.smoke, reference=REFERENCE)
    if args.smoke:
        settings.update(SMOKE, seeds=args.seeds[:1], peer_max_env_steps=SMOKE["max_env_steps"])
    settings["overrides"] = dict(args.overrides)  # --set, recorded on its own for the report
    settings["lunar_lab_overrides"] = dict(settings["lunar_lab_overrides"], **settings["overrides"])
    scratch_run = args.smoke or bool(args.overrides)  # never over the committed results
    out = args.out or (Path(tempfile.mkdtemp(prefix="bench_training_smoke_" if args.smoke else "bench_training_set_"))
                       if scratch_run else DEFAULT_OUT)
    peers, skipped = available_peers(args.peers)
    for agent, reason in skipped.items():
        print(f"Skipping {agent}: {reason}", flush=True)
    algos = list(dict.fromkeys(args.algos))
    if "dqn" in algos:  # the reference first: its time to solve sets the peers' budgets
        algos.insert(0, algos.pop(algos.index("dqn")))
    agents = [f"lunar_lab/{a}" for a in algos]
    if "dqn" in algos and not args.no_straightforward:
        agents.append(STRAIGHTFORWARD)
    agents += peers
    settings["reference"] = agents[0]
    jobs = plan(settings, agents)
    runs = []
    with tempfile.TemporaryDirectory(prefix="bench_training_") as scratch:
        for i, (agent, seed) in enumerate(jobs, 1):
            spec = job_spec(agent, seed, settings, runs)
            print(f"[{i}/{len(jobs)}] {agent}, seed {seed}: budget {spec['budget_s'] / 60:.1f} min of training"
                  + (f", at most {spec['max_steps']:,} env steps" if spec["max_steps"] else ""), flush=True)
            runs.append(run_one(spec, Path(scratch)))
            r = runs[-1]
            print(f"  {r['status']}: " + (f"{_fmt(r['env_steps_per_s'])} env steps/s, solved {r['solved']} "
                                          f"({_fmt(r['solve_time_s'], 1)} s, {_fmt(r['solve_env_steps'])} env steps), "
                                          f"best greedy mean {_fmt(r['best_eval_mean'], 1)}, stopped by {r['stop_reason']}"
                                          if r["status"] == "ok" else f"exit code {r['returncode']}"), flush=True)
    pairs = pair_ratios(runs, comparison_pairs(agents))
    results = dict(
        meta=dict(date=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                  command=shlex.join(["python", *sys.argv]) if argv is None else shlex.join(["python", __file__, *argv]),
                  machine=machine, versions=versions(), wall_time_s=round(time.perf_counter() - began, 1),
                  settings=dict(settings, algos=algos, peers=args.peers, agents=agents)),
        skipped=skipped, runs=runs, ratios=pairs, ratio_summary=summarize_ratios(pairs))
    results["targets"] = targets(results)
    out.mkdir(parents=True, exist_ok=True)
    png = plot_curves(runs, out / "training_curves.png")
    results["curves_png"] = png and png.name
    (out / "training.json").write_text(json.dumps(finite(results), indent=1, allow_nan=False))
    md = markdown(results)
    (out / "training.md").write_text(md)
    print(f"\nWrote {out / 'training.json'}, {out / 'training.md'}" + (f" and {png}" if png else "") + "\n")
    if not scratch_run and out.resolve() == DEFAULT_OUT.resolve():
        for readme, text, images in ((HERE / "README.md", md, "results/"),
                                     (HERE.parent / "README.md", summary(md), "benchmarks/results/")):
            if update_readme(readme, text, images):
                print(f"Updated the results section of {readme}\n")
    print(md)
    return 0 if all(r["status"] == "ok" for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
