"""Where training time goes: timing by component of the fast path, the straightforward path
and the classic loop on a short run, written as a small Markdown report::

    python benchmarks/profile_training.py              # about 2 minutes on a quiet 2-core CPU
    python benchmarks/profile_training.py --cprofile   # plus the main thread's top functions (cProfile)

Each path runs in its own subprocess. After ``--warmup`` env steps (learning has started,
XLA has compiled), the wall time of the next ``--steps`` env steps (``--classic-steps`` for
the slow classic loop) is split by timing what the training loop calls in the main thread: env
stepping, acting, replay store and sample, waiting for the learner, refreshing the NumPy
acting copy; "other" is the rest (the loop's own Python, launching the learner's calls
included). The learner thread's busy time is reported beside: it overlaps the main thread's work. After the
window, the same compiled learning call is timed alone (nothing else running), so the report
shows how much slower a gradient step is while the main thread steps the environments.

Nothing is patched: ``lunar_lab.training.train`` gets a timed vector-env wrapper (``envs=``),
a timed agent wrapper (``agent=``), a timed replay-buffer subclass (``replay_buffer=``) and a
callback that reads each learner call's compute and wait time and ends the run after the
window; the classic loop times its steps through its ``wrap`` argument.

Writes ``benchmarks/results/profile.md`` (``--out``) and prints it.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from training_bench.harness import run_python
from training_bench.protocol import BENCHMARKS, STRAIGHTFORWARD_OVERRIDES

PATHS = ("fast", "straightforward", "classic")
#: Config changes of each lunar_lab path (the fast path is Config()'s defaults).
OVERRIDES = {"fast": {}, "straightforward": STRAIGHTFORWARD_OVERRIDES}
COMPONENTS = ("env stepping (Box2D, in the path's engine)", "acting (Q-values, ε-greedy)", "replay: store", "replay: sample",
              "learning: main thread waiting for the learner (classic: the learning step)",
              "acting copy refresh (NumPy weights)", "other Python (loop)")
LEARNER_BUSY = "learner thread busy (overlaps the above)"
#: Calls of the compiled learning step timed alone, after the window.
ALONE_CALLS = 50


class Timers:
    """Exclusive wall-time accumulators (a timed call inside another is subtracted from the
    outer one), per thread, counting only inside the measured window."""

    def __init__(self):
        self.measuring, self.total, self.calls, self.local = False, {}, {}, threading.local()

    def wrap(self, name: str, fn):
        """``fn`` with its own wall time added to ``name`` (when measuring)."""
        def timed(*args, **kwargs):
            stack = self.local.__dict__.setdefault("stack", [])
            if stack and stack[-1][0] == name:  # re-entered under the same name: already counted
                return fn(*args, **kwargs)
            frame = [name, 0.0]
            stack.append(frame)
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                stack.pop()
                self.add(name, time.perf_counter() - start, exclusive_of=frame[1])
        return timed

    def add(self, name: str, seconds: float, exclusive_of: float = 0.0) -> None:
        """Count ``seconds`` measured elsewhere (less ``exclusive_of``, the timed calls inside)
        under ``name`` (when measuring), and take them out of the enclosing timed call."""
        stack = self.local.__dict__.setdefault("stack", [])
        if stack:
            stack[-1][1] += seconds
        if self.measuring:
            self.total[name] = self.total.get(name, 0.0) + seconds - exclusive_of
            self.calls[name] = self.calls.get(name, 0) + 1


class Window:
    """Starts the timers at ``warmup`` env steps and stops them ``steps`` env steps later."""

    def __init__(self, timers: Timers, warmup: int, steps: int, profiler: cProfile.Profile | None):
        self.timers, self.warmup, self.steps, self.profiler = timers, warmup, steps, profiler
        self.started = self.ended = None
        self.learner_alone_s = None  # s per gradient step of the learning call timed alone

    def at(self, env_steps: int, gradient_steps: int) -> bool:
        """The run has taken ``env_steps`` env steps and ``gradient_steps`` gradient steps;
        True once the window has ended."""
        if self.started is None and env_steps >= self.warmup:
            self.timers.measuring, self.started = True, time.perf_counter()
            self.start_steps, self.start_gradient_steps = env_steps, gradient_steps
            if self.profiler:
                self.profiler.enable()
        elif self.started is not None and self.ended is None and env_steps >= self.start_steps + self.steps:
            self.ended, self.timers.measuring = time.perf_counter(), False
            self.end_steps, self.end_gradient_steps = env_steps, gradient_steps
            if self.profiler:
                self.profiler.disable()
        return self.ended is not None


def profile_lunar_lab(path: str, timers: Timers, window: Window) -> dict:
    """Run ``lunar_lab.training.train`` with the path's Config; its environments, agent and replay
    buffer are timed wrappers and subclasses passed in, the learner's calls timed by a callback."""
    import gymnasium
    from lunar_lab.agents import make_agent
    from lunar_lab.callbacks import Callback
    from lunar_lab.config import Config
    from lunar_lab.envs import NUM_ACTIONS, OBS_DIM, make_vector_env
    from lunar_lab.replay import ReplayBuffer
    from lunar_lab.training import train

    config = Config(total_steps=window.warmup + window.steps + 1_000, learning_starts=min(5_000, window.warmup // 2),
                    eval_interval=0, **OVERRIDES[path])

    class TimedEnvs(gymnasium.vector.VectorWrapper):
        step = timers.wrap(COMPONENTS[0], gymnasium.vector.VectorWrapper.step)

    class TimedBuffer(ReplayBuffer):
        add_batch = timers.wrap(COMPONENTS[2], ReplayBuffer.add_batch)
        sample = timers.wrap(COMPONENTS[3], ReplayBuffer.sample)

    class TimedAgent:
        """The agent, with acting and the acting-copy refresh timed; everything else is the agent's."""

        def __init__(self, agent):
            self.agent = agent
            self.act = timers.wrap(COMPONENTS[1], agent.act)
            self.sync_policy = timers.wrap(COMPONENTS[5], agent.sync_policy)

        def __getattr__(self, name):
            return getattr(self.agent, name)

    class WindowCallback(Callback):
        gradient_steps = 0

        def on_step(self, result, step):
            if window.at(result.env_steps, self.gradient_steps):
                result.request_stop("profiling window measured")

        def on_learner_call(self, result, call):
            self.gradient_steps = call.learner_steps
            timers.add(COMPONENTS[4], call.wait_seconds)
            timers.add(LEARNER_BUSY, call.compute_seconds)

    envs = TimedEnvs(make_vector_env(config.num_envs, seed=config.seed, engine=config.env_engine))
    buffer = TimedBuffer(config.buffer_capacity, OBS_DIM, seed=config.seed, num_actions=NUM_ACTIONS)
    try:
        result = train(config, agent=TimedAgent(make_agent(config)), envs=envs, replay_buffer=buffer,
                       callbacks=[WindowCallback()], progress=False)
    finally:
        envs.close()
    window.learner_alone_s = time_learner_alone(result.agent, buffer, config)
    return config.to_dict()


def time_learner_alone(agent, buffer, config) -> float:
    """Seconds per gradient step of ``agent.learn_steps`` on replayed batches with nothing
    else running (median of ``ALONE_CALLS`` calls of ``config.updates_per_call`` steps)."""
    batches = buffer.sample(config.batch_size, num_batches=config.updates_per_call)
    seconds = []
    for _ in range(ALONE_CALLS):
        start = time.perf_counter()
        agent.learn_steps(batches)
        seconds.append((time.perf_counter() - start) / config.updates_per_call)
    return statistics.median(seconds)


def profile_classic(timers: Timers, window: Window) -> dict:
    """Run :func:`classic_loop.train` with its steps timed through its ``wrap`` argument. This
    process never imports lunar_lab: TensorFlow runs with its own defaults, as in the benchmark."""
    import classic_loop

    components = {"q_network": COMPONENTS[1], "get_action": COMPONENTS[1], "env.step": COMPONENTS[0],
                  "get_experiences": COMPONENTS[3], "agent_learn": COMPONENTS[4]}
    classic_loop.train(0, callback=lambda q, env_steps, gradient_steps, _: window.at(env_steps, gradient_steps),
                       wrap=lambda name, fn: timers.wrap(components[name], fn))
    return classic_loop.HYPERPARAMETERS


def worker(path: str, warmup: int, steps: int, use_cprofile: bool, out: str) -> None:
    """Profile one path in this process and write the measurements as JSON to ``out``."""
    timers = Timers()
    profiler = cProfile.Profile() if use_cprofile else None
    window = Window(timers, warmup, steps, profiler)
    hyperparameters = profile_classic(timers, window) if path == "classic" else profile_lunar_lab(path, timers, window)
    wall = window.ended - window.started
    report = dict(path=path, wall_s=wall, env_steps=window.end_steps - window.start_steps,
                  gradient_steps=window.end_gradient_steps - window.start_gradient_steps, components=timers.total,
                  calls=timers.calls, learner_alone_s=window.learner_alone_s, hyperparameters=hyperparameters)
    if profiler:
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(15)
        report["cprofile"] = text.getvalue()
    Path(out).write_text(json.dumps(report))


def markdown(reports: list[dict], command: str) -> str:
    """The report: per path, each component's share of wall time and µs per env step."""
    from lunar_lab.config import Config

    load = [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None
    fast = Config()
    lines = ["# Where training time goes", "",
             f"`{command}` · {time.strftime('%Y-%m-%d %H:%M')} · {os.cpu_count()} logical cores, load average {load} "
             "(the shares matter more than the absolute times on a busy machine)", "",
             "Main-thread wall time of a window of env steps after warm-up (learning running, XLA compiled), split by "
             "the functions the training loop calls. µs per env step, and % of the window's wall time.", ""]
    names = [r["path"] for r in reports]
    lines += ["| component | " + " | ".join(names) + " |", "|---|" + "--:|" * len(names)]
    for component in (*COMPONENTS, LEARNER_BUSY):
        cells = []
        for r in reports:
            seconds = r["components"].get(component, 0.0)
            if component == COMPONENTS[-1]:
                seconds = r["wall_s"] - sum(r["components"].get(c, 0.0) for c in COMPONENTS[:-1])
            cells.append("—" if seconds == 0.0 and component not in r["components"] and component != COMPONENTS[-1]
                         else f"{1e6 * seconds / r['env_steps']:,.0f} µs ({100 * seconds / r['wall_s']:.0f} %)")
        lines.append(f"| {component} | " + " | ".join(cells) + " |")
    lines += ["| **total (wall)** | " + " | ".join(f"**{1e6 * r['wall_s'] / r['env_steps']:,.0f} µs**" for r in reports) + " |",
              "| env steps/s in the window | " + " | ".join(f"{r['env_steps'] / r['wall_s']:,.0f}" for r in reports) + " |",
              "| gradient steps/s in the window | " + " | ".join(f"{r['gradient_steps'] / r['wall_s']:,.0f}" for r in reports) + " |",
              "| window | " + " | ".join(f"{r['env_steps']:,} env steps, {r['wall_s']:.1f} s" for r in reports) + " |",
              "| learner: µs per gradient step during training (busy time ÷ steps) | "
              + " | ".join(_per_step(r["components"].get(LEARNER_BUSY), r["gradient_steps"]) for r in reports) + " |",
              "| learner: µs per gradient step, same call alone | "
              + " | ".join(_per_step(r.get("learner_alone_s"), 1) for r in reports) + " |", "",
              f"Paths: **fast** = `Config()` ({fast.num_envs} envs stepped by {fast.env_engine}, {fast.updates_per_call} "
              "gradient steps per XLA-compiled call, learner in a background thread, NumPy acting); **straightforward** = "
              f"`Config({', '.join(f'{k}={v!r}' for k, v in STRAIGHTFORWARD_OVERRIDES.items())})`; "
              "**classic** (gymnasium) = `benchmarks/classic_loop.py` (one eager Keras call per env step, `deque` + `random.sample`, "
              "a synchronous `tf.function` learning step every 4 env steps). In the classic loop, storing (a `deque` "
              "append) is not wrapped and counts in \"other\"; its learning step runs in the main thread.", "",
              "The last two rows compare the learner's compiled call in the background thread during training with the "
              "same call timed alone afterwards: the gap is what the two threads cost each other (the main thread's "
              "Python holds the GIL, which the learner's call needs at its start, end and between TensorFlow's runtime "
              "calls, and both share 2 cores).", ""]
    for r in reports:
        if "cprofile" in r:
            lines += [f"## cProfile, {r['path']} path: main thread, top functions by own time", "", "```",
                      r["cprofile"].strip(), "```", ""]
    return "\n".join(lines)


def _per_step(seconds: float | None, steps: int) -> str:
    """µs per step as a table cell, or — when not measured.

    Example:
        >>> _per_step(0.5, 2000), _per_step(None, 10)
        ('250 µs', '—')
    """
    return "—" if not seconds or not steps else f"{1e6 * seconds / steps:,.0f} µs"


def main(argv=None) -> int:
    """``python benchmarks/profile_training.py``: profile the paths, write and print the report; exit status."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--paths", nargs="+", choices=PATHS, default=list(PATHS), help="paths to profile (default: all)")
    p.add_argument("--warmup", type=int, default=12_000, help="env steps before the window (default: 12000)")
    p.add_argument("--steps", type=int, default=30_000, help="env steps in the window, lunar_lab paths (default: 30000)")
    p.add_argument("--classic-steps", type=int, default=4_000, help="env steps in the window, classic loop (default: 4000)")
    p.add_argument("--cprofile", action="store_true", help="add the main thread's top functions (cProfile; slows the run)")
    p.add_argument("--out", type=Path, default=BENCHMARKS / "results" / "profile.md", help="report (default: benchmarks/results/profile.md)")
    p.add_argument("--worker", nargs=5, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        path, warmup, steps, use_cprofile, out = args.worker
        worker(path, int(warmup), int(steps), use_cprofile == "1", out)
        return 0
    reports = []
    with tempfile.TemporaryDirectory(prefix="profile_training_") as scratch:
        for path in args.paths:
            out = Path(scratch) / f"{path}.json"
            steps = args.classic_steps if path == "classic" else args.steps
            warmup = min(args.warmup, 1_000) if path == "classic" else args.warmup  # classic learns from step 65
            print(f"profiling {path}: {warmup:,} env steps warm-up, then {steps:,} measured", flush=True)
            returncode = run_python([__file__, "--worker", path, str(warmup), str(steps), "1" if args.cprofile else "0", str(out)])
            if returncode != 0:
                return returncode
            reports.append(json.loads(out.read_text()))
    command = "python benchmarks/profile_training.py" + (" " + " ".join(argv if argv is not None else sys.argv[1:])).rstrip()
    md = markdown(reports, command)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(md)
    print(f"\nWrote {args.out}\n\n{md}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
