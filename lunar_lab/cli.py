"""The ``lunar-lab`` command line: train, evaluate, video, learner notebooks, course.

Every subcommand has ``--help``. Examples::

    lunar-lab train                      # DQN with the defaults that solve LunarLander-v3
    lunar-lab train --algo double_dqn --set n_step=3 --set learning_rate=5e-4
    lunar-lab evaluate runs/dqn-20261121-120000 --episodes 100
    lunar-lab evaluate dqn               # a pretrained agent, by name
    lunar-lab video dqn --out landing.mp4
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from pathlib import Path

from lunar_lab import _runtime  # noqa: F401


def _parse_override(text: str) -> tuple[str, object]:
    from lunar_lab.config import Config

    if "=" not in text:
        raise argparse.ArgumentTypeError(f"--set takes KEY=VALUE, got {text!r}")
    key, raw = text.split("=", 1)
    fields = {f.name: f for f in dataclasses.fields(Config)}
    if key not in fields:
        raise argparse.ArgumentTypeError(f"unknown hyperparameter {key!r}; allowed: {', '.join(fields)}")
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = raw  # a bare string such as huber
    if key == "hidden_sizes" and isinstance(value, (int, list)):
        value = tuple(value) if isinstance(value, list) else (value,)
    return key, value


def build_parser() -> argparse.ArgumentParser:
    """The argparse parser of ``lunar-lab`` (exposed for tests and docs)."""
    from lunar_lab.config import ALGOS

    parser = argparse.ArgumentParser(prog="lunar-lab", description="Deep Q-learning on LunarLander-v3.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("train", help="train an agent; writes a new run directory",
                       description="Train an agent and write a new run directory with weights, metrics "
                                   "(episodes.csv, evaluations.csv), learning_curve.png and episode.mp4.")
    p.add_argument("--algo", choices=ALGOS, default="dqn", help="algorithm (default: dqn)")
    p.add_argument("--steps", type=int, default=None, help="env steps to train for (default: the config's total_steps)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    p.add_argument("--set", dest="overrides", action="append", default=[], type=_parse_override,
                   metavar="KEY=VALUE", help="override any Config field, e.g. --set learning_rate=5e-4 (repeatable)")
    p.add_argument("--runs-dir", default="runs", help="parent folder of run directories (default: runs)")
    p.add_argument("--name", default=None, help="run directory name (default: ALGO-DATE-TIME); must not exist")
    p.add_argument("--no-video", action="store_true", help="skip the MP4 of a greedy episode")
    p.add_argument("--quiet", action="store_true", help="no progress bar")

    p = sub.add_parser("evaluate", help="greedy mean ± std return of a run or pretrained agent",
                       description="Run the greedy policy (ε = 0) on fixed evaluation seeds and print mean ± std.")
    p.add_argument("run", metavar="RUN", help="run directory, or a pretrained agent name (e.g. dqn)")
    p.add_argument("--episodes", type=int, default=100, help="number of episodes (default: 100)")
    p.add_argument("--seed", type=int, default=None, help="first evaluation seed (default: 1000000)")

    p = sub.add_parser("video", help="write an MP4 of one greedy episode",
                       description="Write an MP4 (H.264, plays in browsers and JupyterLab) of one greedy episode; "
                                   "a GIF, with a warning, where MP4 cannot be written.")
    p.add_argument("run", metavar="RUN", help="run directory, or a pretrained agent name (e.g. dqn)")
    p.add_argument("--out", default=None, help="output file (default: RUN/episode-seed<SEED>.mp4, or ./<name>-seed<SEED>.mp4)")
    p.add_argument("--seed", type=int, default=1_000_000, help="episode seed (default: 1000000)")

    sub.add_parser("pretrained", help="list the pretrained agents and their recorded scores")

    p = sub.add_parser("course", help="write the learner notebooks and open them in JupyterLab",
                       description="Write learner versions of the course notebooks (solutions replaced by "
                                   "exercises) into DIR, never overwriting a notebook you have edited, then "
                                   "start JupyterLab there.")
    p.add_argument("--dir", default="my_notebooks", help="folder for your notebooks (default: my_notebooks)")
    p.add_argument("--no-lab", action="store_true", help="only write the notebooks; do not start JupyterLab")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``lunar-lab``; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        commands = {"train": _train, "evaluate": _evaluate, "video": _video, "pretrained": _pretrained, "course": _course}
        return commands[args.command](args)
    except (ValueError, FileExistsError, FileNotFoundError) as err:
        print(f"lunar-lab {args.command}: error: {err}", file=sys.stderr)
        return 2


def config_from_args(args):
    """The :class:`lunar_lab.config.Config` that ``lunar-lab train`` ARGS trains with.

    Raises:
        ValueError: an invalid hyperparameter value (named in the message).
    """
    from lunar_lab.config import Config

    changes = dict(args.overrides)
    changes.update(algo=args.algo, seed=args.seed)
    if args.steps is not None:
        changes["total_steps"] = args.steps
    return Config().replace(**changes)


def _train(args) -> int:
    from lunar_lab.plots import plot_learning_curve
    from lunar_lab.runs import new_run_dir, run_summary, save_run
    from lunar_lab.training import train
    from lunar_lab.video import record_episode

    config = config_from_args(args)  # validate before creating anything
    run_dir = new_run_dir(args.runs_dir, args.name, config.algo)
    print(f"training {config.algo} for {config.total_steps:,} env steps (seed {config.seed}) -> {run_dir}")
    result = train(config, progress=not args.quiet, checkpoint_dir=run_dir / "checkpoints")
    save_run(result, run_dir)
    import matplotlib

    matplotlib.use("Agg")
    ax = plot_learning_curve(result.episodes["return"], result.episodes["env_steps"],
                             evaluations=(result.evaluations["env_steps"], result.evaluations["mean"]),
                             title=f"{config.algo}, seed {config.seed}", path=run_dir / "learning_curve.png")
    import matplotlib.pyplot as plt

    plt.close(ax.figure)
    if not args.no_video:
        path, ret, _ = record_episode(result.agent.greedy_actions, run_dir / "episode.mp4", seed=1_000_000)
        print(f"video: {path} (return {ret:.1f})")
    s = run_summary(result)
    print(f"done: {s['env_steps']:,} env steps, {s['episodes']} episodes in {s['wall_time_s']} s "
          f"({s['env_steps_per_s']:.0f} env steps/s); mean return of the last 100 episodes "
          f"{s['mean_return_last_100_training_episodes']:.1f}")
    print(f"evaluate it: lunar-lab evaluate {run_dir}")
    return 0


def _evaluate(args) -> int:
    from lunar_lab.evaluation import EVAL_SEED, evaluate
    from lunar_lab.runs import load_agent

    agent = load_agent(args.run)
    seed = EVAL_SEED if args.seed is None else args.seed
    result = evaluate(agent.greedy_actions, episodes=args.episodes, seed=seed)
    verdict = "solved" if result.solved else "not solved"
    print(f"{args.run}: greedy {result} (seeds {seed}..{seed + args.episodes - 1}); {verdict} (threshold 200)")
    return 0


def _video(args) -> int:
    from lunar_lab.runs import load_agent, resolve_run
    from lunar_lab.video import record_episode

    agent = load_agent(args.run)
    if args.out is not None:
        out = Path(args.out)
    elif Path(args.run).is_dir():
        out = Path(args.run) / f"episode-seed{args.seed}.mp4"
    else:
        out = Path(f"{resolve_run(args.run).name}-seed{args.seed}.mp4")
    path, ret, frames = record_episode(agent.greedy_actions, out, seed=args.seed)
    print(f"wrote {path}: {frames} frames, return {ret:.1f}")
    return 0


def _pretrained(args) -> int:
    from lunar_lab.runs import PRETRAINED_DIR, pretrained_names

    for name in pretrained_names():
        record = json.loads((PRETRAINED_DIR / name / "RECORD.json").read_text())
        print(f"{name}: {record['evaluation']}  (trained with: {record['command']})")
    return 0


def _course(args) -> int:
    from lunar_lab.learner import NOTEBOOKS_DIR, write_learner_notebooks

    written, skipped = write_learner_notebooks(NOTEBOOKS_DIR, args.dir)
    for path in written:
        print(f"wrote {path}")
    for path in skipped:
        print(f"kept {path} (you have edited it; delete it to get a fresh copy)")
    if args.no_lab:
        return 0
    import subprocess

    return subprocess.call(lab_command(args.dir))


def lab_command(directory) -> list[str]:
    """The command that opens JupyterLab on ``directory`` with this Python.

    JupyterLab refuses to start as root (as in many containers and cloud notebooks) unless
    told ``--allow-root``; the command says so when the user is root.

    Example:
        >>> lab_command("my_notebooks")[-1]
        '--notebook-dir=my_notebooks'
    """
    command = [sys.executable, "-m", "jupyter", "lab"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    return command + [f"--notebook-dir={directory}"]


if __name__ == "__main__":
    raise SystemExit(main())
