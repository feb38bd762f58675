"""Environment engines side by side: gymnasium's vector env (today's default path) against EnvPool's
C++ engine, stepping alone with random actions and while learning at the standard replay ratio.

Usage::

    python benchmarks/bench_engines.py            # 3 repeats of each, alternating: about 3 min
    python benchmarks/bench_engines.py --smoke    # tiny budgets, for the tests

Run it on a quiet machine (nothing else training). In one run, alternating old and new path on
the same seeds:

- **random actions**: env steps/s of each engine stepping its sub-environments with uniformly
  random actions (no learning), at the number of sub-environments of its training path;
- **learning**: env steps/s of :func:`lunar_lab.training.train` between env step ``--warmup``
  (learning has started, XLA has compiled) and ``--steps``, with no periodic evaluation: the
  old path is the default before EnvPool, ``Config(env_engine="gymnasium", num_envs=4,
  updates_per_call=32)``, the new one ``Config(env_engine="envpool", num_envs=16,
  updates_per_call=128)`` (today's default where EnvPool is installed); both take one
  gradient step of batch 64 per 4 env steps (``train_every=4``);
- **learner alone**: gradient steps/s of the path's compiled learning call (``updates_per_call``
  steps of batch 64, the agent's ``learn_steps``) on batches sampled from a replay buffer of
  random transitions, with no environment stepping: the learner's arithmetic. Times
  ``train_every`` it is the most env steps/s a path can learn at on this CPU, whatever the
  engine; the report gives the floating-point operations of a gradient step and the rate
  reached (:func:`gradient_step_flops`).

Writes ``benchmarks/results/engines.md`` (``--out``): medians, the new path's speed-up and the
share of its engine's own random-action rate it keeps while learning, with command, versions,
CPU and date. Needs EnvPool (Linux x86_64, Python >= 3.11).
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from lunar_lab.callbacks import Callback
from lunar_lab.config import Config
from lunar_lab.envs import NUM_ACTIONS, OBS_DIM, make_vector_env
from lunar_lab.provenance import cpu_kind
from lunar_lab.training import train

RESULTS = Path(__file__).parent / "results"
#: Config changes of a --smoke run (a tiny network, learning from the start).
SMOKE = dict(hidden_sizes=(16,), learning_starts=200, buffer_capacity=5_000)
#: The two training paths (Config overrides) and the engine each one steps.
PATHS = {"old: gymnasium": dict(env_engine="gymnasium", num_envs=4, updates_per_call=32),
         "new: envpool": dict(env_engine="envpool", num_envs=16, updates_per_call=128)}


class Window(Callback):
    """Times the env steps from ``start`` to the end of the run (the learner's last call joined)."""

    def __init__(self, start: int):
        self.start, self.t0, self.steps0 = start, None, None

    def on_step(self, result, step) -> None:
        if self.t0 is None and result.env_steps >= self.start:
            self.t0, self.steps0, self.learner0 = time.perf_counter(), result.env_steps, result.agent.learner_steps

    def on_train_end(self, result) -> None:
        seconds = time.perf_counter() - self.t0
        self.rate = (result.env_steps - self.steps0) / seconds
        self.gradient_rate = (result.learner_steps - self.learner0) / seconds


def random_rate(overrides: dict, steps: int, seed: int) -> float:
    """Env steps/s of the path's engine and sub-environments stepping uniformly random actions."""
    config = Config(**overrides)
    envs = make_vector_env(config.num_envs, seed=seed, engine=config.env_engine)
    rng = np.random.default_rng(seed)
    envs.reset(seed=seed)
    vector_steps = steps // config.num_envs
    actions = rng.integers(0, 4, size=(vector_steps, config.num_envs))
    start = time.perf_counter()
    for a in actions:
        envs.step(a)
    seconds = time.perf_counter() - start
    envs.close()
    return vector_steps * config.num_envs / seconds


def learning_rate(overrides: dict, steps: int, warmup: int, seed: int, smoke: bool) -> tuple[float, float]:
    """(env steps/s, gradient steps/s) of training on the path between ``warmup`` and ``steps``."""
    config = Config(**{**overrides, **(SMOKE if smoke else {})}, seed=seed, total_steps=steps, eval_interval=0, eval_episodes=0)
    window = Window(warmup)
    train(config, callbacks=[window], progress=False)
    return window.rate, window.gradient_rate


def gradient_step_flops(config: Config, obs_dim: int = OBS_DIM, num_actions: int = NUM_ACTIONS) -> int:
    """Floating-point operations (FLOP, an int) of one DQN gradient step of the MLP, counting a
    multiply-add as 2.

    The layer widths d = (obs_dim, *hidden_sizes, num_actions) give Σ d_i·d_(i+1) multiply-adds
    per sample for one forward pass. A gradient step runs the online network forward on s, the
    target network forward on s′, and the online network backward (about twice a forward: the
    weight and the input gradients), 4 forward passes in all on B = ``batch_size`` samples; the
    Adam update and Polyak averaging (a few operations per weight) are left out.

    Example:
        >>> gradient_step_flops(Config(hidden_sizes=(128, 128), batch_size=64))  # 2 · 4 · 64 · 17,920
        9175040
    """
    widths = (obs_dim, *config.hidden_sizes, num_actions)
    multiply_adds = sum(a * b for a, b in zip(widths, widths[1:]))
    return 2 * 4 * config.batch_size * multiply_adds


def learner_rate(overrides: dict, calls: int, seed: int, smoke: bool) -> float:
    """Gradient steps/s of the path's compiled learning call alone, after one call that compiles it."""
    from lunar_lab.agents import make_agent
    from lunar_lab.replay import ReplayBuffer

    config = Config(**{**overrides, **(SMOKE if smoke else {})}, seed=seed)
    rng = np.random.default_rng(seed)
    n = 10_000
    buffer = ReplayBuffer(n, OBS_DIM, seed=seed, num_actions=NUM_ACTIONS)
    buffer.add_batch(rng.normal(size=(n, OBS_DIM)).astype(np.float32), rng.integers(0, NUM_ACTIONS, n),
                     rng.normal(size=n), rng.normal(size=(n, OBS_DIM)).astype(np.float32), rng.random(n) < 0.01)
    agent = make_agent(config)
    agent.learn_steps(buffer.sample(config.batch_size, num_batches=config.updates_per_call))
    batches = [buffer.sample(config.batch_size, num_batches=config.updates_per_call) for _ in range(calls)]
    start = time.perf_counter()
    for batch in batches:
        agent.learn_steps(batch)
    return calls * config.updates_per_call / (time.perf_counter() - start)


def markdown(rows: list[dict], command: str, settings: dict) -> str:
    """The report: per path the medians, then the new path against the old one."""
    import envpool
    import gymnasium
    import tensorflow

    def median(path, key):
        return statistics.median(r[key] for r in rows if r["path"] == path)

    old, new = PATHS
    load = [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else "n/a"
    lines = ["# Environment engines: gymnasium vector env against EnvPool, alone and while learning", "",
             f"{datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds')} · {cpu_kind()}, "
             f"{os.cpu_count()} logical cores · {platform.platform()} · Python {platform.python_version()} · "
             f"tensorflow {tensorflow.__version__}, gymnasium {gymnasium.__version__}, envpool {envpool.__version__}, "
             f"numpy {np.__version__} · load average at the end {load}", "",
             f"Command: `{command}`", "",
             f"Seeds {settings['seeds']}, old and new path alternating. Random actions: {settings['random_steps']:,} "
             f"env steps per measurement. Learning: env steps {settings['warmup']:,} to {settings['steps']:,} of "
             "`train()` (after learning started and XLA compiled), no periodic evaluation, one gradient step of batch "
             f"64 per 4 env steps on both paths. Learner alone: {settings['learner_calls']} compiled calls. "
             "Medians over seeds.", "",
             "| path | Config | random actions: env steps/s | learning: env steps/s | learning: gradient steps/s | "
             "learning ÷ random actions | learner alone: gradient steps/s | its ceiling: env steps/s | "
             "learning ÷ ceiling |", "|---|---|--:|--:|--:|--:|--:|--:|--:|"]
    for path, overrides in PATHS.items():
        config = Config(**overrides)
        ceiling = median(path, "alone") * config.train_every
        lines.append(f"| {path} | `{config.env_engine}`, num_envs={config.num_envs}, updates_per_call="
                     f"{config.updates_per_call} | {median(path, 'random'):,.0f} | {median(path, 'learning'):,.0f} | "
                     f"{median(path, 'gradient'):,.0f} | {median(path, 'learning') / median(path, 'random'):.0%} | "
                     f"{median(path, 'alone'):,.0f} | {ceiling:,.0f} | {median(path, 'learning') / ceiling:.0%} |")
    config = Config(**PATHS[new])
    flops = gradient_step_flops(config)
    lines += ["", f"**The learner's arithmetic.** A gradient step of the {'×'.join(map(str, config.hidden_sizes))} "
              f"Q-network on a batch of {config.batch_size} is about {flops / 1e6:.1f} MFLOP (`gradient_step_flops`); "
              f"alone, the new path's learner runs {median(new, 'alone'):,.0f} of them per second, "
              f"{flops * median(new, 'alone') / 1e9:.0f} GFLOP/s with the machine to itself. At one gradient "
              f"step per {config.train_every} env steps that caps learning at {median(new, 'alone') * config.train_every:,.0f} "
              f"env steps/s on this CPU, {median(new, 'alone') * config.train_every / median(new, 'random'):.0%} of the "
              "engine's random-action rate, before the engine itself takes any time."]
    lines += ["", "| target | measured | verdict |", "|---|--:|---|"]
    speedup = median(new, "learning") / median(old, "learning")
    share = median(new, "learning") / median(new, "random")
    lines.append(f"| new path: ≥ 2× the old path's env steps/s while learning | {speedup:.2f}× | "
                 f"{'met' if speedup >= 2 else 'not met'} |")
    lines.append(f"| new path: ≥ 70 % of its engine's random-action rate while learning | {share:.0%} | "
                 f"{'met' if share >= 0.7 else 'not met'} |")
    lines += ["", "Per measurement:", "", "| path | seed | random actions | learning | gradient steps/s | "
              "learner alone |", "|---|--:|--:|--:|--:|--:|"]
    lines += [f"| {r['path']} | {r['seed']} | {r['random']:,.0f} | {r['learning']:,.0f} | {r['gradient']:,.0f} | "
              f"{r['alone']:,.0f} |" for r in rows]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    """``python benchmarks/bench_engines.py``: measure, write and print the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny budgets and network, one seed")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--steps", type=int, default=100_000, help="env steps per training run (default: 100,000)")
    parser.add_argument("--warmup", type=int, default=20_000, help="env steps before the window (default: 20,000)")
    parser.add_argument("--out", type=Path, default=RESULTS / "engines.md", help="report file")
    args = parser.parse_args(argv)
    settings = dict(seeds=args.seeds[:1] if args.smoke else args.seeds, steps=2_000 if args.smoke else args.steps,
                    warmup=1_000 if args.smoke else args.warmup, random_steps=2_000 if args.smoke else 50_000,
                    learner_calls=2 if args.smoke else 40)
    rows = []
    for seed in settings["seeds"]:
        for path, overrides in PATHS.items():
            random = random_rate(overrides, settings["random_steps"], seed)
            learning, gradient = learning_rate(overrides, settings["steps"], settings["warmup"], seed, args.smoke)
            alone = learner_rate(overrides, settings["learner_calls"], seed, args.smoke)
            rows.append(dict(path=path, seed=seed, random=random, learning=learning, gradient=gradient, alone=alone))
            print(f"{path} seed {seed}: random {random:,.0f}, learning {learning:,.0f} env steps/s, "
                  f"learner alone {alone:,.0f} gradient steps/s", flush=True)
    command = "python benchmarks/bench_engines.py" + "".join(f" {a}" for a in (argv if argv is not None else sys.argv[1:]))
    report = markdown(rows, command, settings)
    args.out.write_text(report)
    print(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
