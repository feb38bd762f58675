"""The ``lunar-lab`` command line: train, evaluate, video, learner notebooks, course.

Every subcommand has ``--help``. Examples::

    lunar-lab train                      # DQN with the defaults that solve LunarLander-v3
    lunar-lab train --algo double_dqn --set n_step=3 --set learning_rate=5e-4
    lunar-lab train --resume runs/dqn-20261121-120000   # continue a stopped run exactly
    lunar-lab evaluate runs/dqn-20261121-120000 --episodes 100
    lunar-lab evaluate dqn               # a pretrained agent, by name
    lunar-lab video dqn --out landing.mp4
    lunar-lab sweep my_sweep.toml        # arms × seeds on all cores; rerun to continue a stopped sweep
    lunar-lab compare sweeps/my_sweep    # IQM, 95 % intervals, P(X > Y), curves with bands
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
        value = json.loads({"True": "true", "False": "false", "None": "null"}.get(raw, raw))  # Python spellings too
    except json.JSONDecodeError:
        value = raw  # a bare string such as huber
    if key == "hidden_sizes" and isinstance(value, (int, list)):
        value = tuple(value) if isinstance(value, list) else (value,)
    return key, value


def build_parser() -> argparse.ArgumentParser:
    """The argparse parser of ``lunar-lab`` (exposed for tests and docs)."""
    from lunar_lab.config import ALGOS
    from lunar_lab.evaluation import EVAL_SEED

    parser = argparse.ArgumentParser(prog="lunar-lab", description="Deep Q-learning on LunarLander-v3.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("train", help="train an agent; writes a new run directory",
                       description="Train an agent and write a new run directory with weights, metrics "
                                   "(episodes.csv, evaluations.csv), learning_curve.png and episode.mp4.")
    p.add_argument("--algo", choices=ALGOS, default=None, help="algorithm (default: dqn)")
    p.add_argument("--steps", type=_positive_int, default=None,
                   help="env steps to train for (default: the config's total_steps)")
    p.add_argument("--seed", type=_seed, default=None, help="random seed (default: 0)")
    p.add_argument("--set", dest="overrides", action="append", default=[], type=_parse_override,
                   metavar="KEY=VALUE", help="override any Config field, e.g. --set learning_rate=5e-4 (repeatable)")
    p.add_argument("--runs-dir", default="runs", help="parent folder of run directories (default: runs)")
    p.add_argument("--name", default=None, help="run directory name (default: ALGO-DATE-TIME); must not exist")
    p.add_argument("--no-video", action="store_true", help="skip the MP4 of a greedy episode")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--resume", metavar="RUN", default=None,
                   help="continue the stopped run RUN from its last checkpoint, exactly as if it had never stopped "
                        "(with --steps: a longer total_steps); no other option may change its config")

    p = sub.add_parser("evaluate", help="greedy mean ± std return of a run or pretrained agent",
                       description="Run the greedy policy (ε = 0) on fixed evaluation seeds and print mean ± std.")
    p.add_argument("run", metavar="RUN", help="run directory, or a pretrained agent name (e.g. dqn)")
    p.add_argument("--episodes", type=_positive_int, default=100, help="number of episodes (default: 100)")
    p.add_argument("--seed", type=_seed, default=EVAL_SEED, help=f"first evaluation seed (default: {EVAL_SEED})")

    p = sub.add_parser("video", help="write an MP4 of one greedy episode",
                       description="Write an MP4 (H.264, plays in browsers and JupyterLab) of one greedy episode; "
                                   "a GIF, with a warning, where MP4 cannot be written.")
    p.add_argument("run", metavar="RUN", help="run directory, or a pretrained agent name (e.g. dqn)")
    p.add_argument("--out", default=None, help="output file (default: ./<RUN name>-seed<SEED>.mp4)")
    p.add_argument("--seed", type=_seed, default=EVAL_SEED, help=f"episode seed (default: {EVAL_SEED})")

    sub.add_parser("pretrained", help="list the pretrained agents and their recorded scores")

    p = sub.add_parser("sweep", help="run a grid of Config overrides × seeds (resumable)",
                       description="Run every (arm, seed) of the sweep specification SPEC (TOML) that is not done yet, "
                                   "in parallel, into ROOT/NAME/ARM/seed-N. Rerunning continues a stopped sweep: finished "
                                   "runs are skipped and interrupted ones resume from their last checkpoint.")
    p.add_argument("spec", metavar="SPEC", help="sweep specification file (TOML; see lunar_lab.sweeps.spec)")
    p.add_argument("--root", default="sweeps", help="parent folder of sweep results (default: sweeps)")
    p.add_argument("--workers", type=_positive_int, default=None,
                   help="parallel runs on this machine (default: the usable cores)")
    p.add_argument("--address", default=os.environ.get("RAY_ADDRESS") or None, metavar="HOST:PORT",
                   help="run on the Ray cluster at HOST:PORT instead (default: $RAY_ADDRESS if set; "
                        "needs pip install 'lunar_lab[ray]')")
    p.add_argument("--max-runs", type=_positive_int, default=None,
                   help="run at most this many of the remaining runs, then stop (default: all)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")

    p = sub.add_parser("compare", help="which arm of a sweep is better, and how sure: IQM, intervals, P(X > Y)",
                       description="Per arm of the sweep SWEEP: IQM, mean and median of the final held-out greedy "
                                   "scores and the fraction of seeds solved, with 95 %% stratified-bootstrap intervals "
                                   "(rliable), env steps to solve, and the probability of improvement over a baseline arm.")
    p.add_argument("sweep", metavar="SWEEP",
                   help="a sweep's folder (e.g. sweeps/NAME), or a shipped result set's name (e.g. capstone_agents)")
    p.add_argument("--baseline", default=None, help="arm the others are compared with (default: the first)")
    p.add_argument("--arms", default=None, help="comma-separated arms to compare (default: all)")
    p.add_argument("--allow-missing", action="store_true",
                   help="compute over the finished runs when some are missing or failed (they are listed)")
    p.add_argument("--plot", default=None, metavar="PNG", help="also draw learning curves and performance profiles here")
    p.add_argument("--table", default=None, metavar="CSV", help="also write the tidy table (one row per run × evaluation)")
    p.add_argument("--reps", type=_positive_int, default=1000, help="bootstrap repetitions (default: 1000)")

    p = sub.add_parser("course", help="write the learner notebooks and open them in JupyterLab",
                       description="Write learner versions of the course notebooks (solutions replaced by "
                                   "exercises) into DIR, never overwriting a notebook you have edited, then "
                                   "start JupyterLab there.")
    p.add_argument("--dir", default="my_notebooks", help="folder for your notebooks (default: my_notebooks)")
    p.add_argument("--no-lab", action="store_true", help="only write the notebooks; do not start JupyterLab")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``lunar-lab``; returns the exit status (2: bad input, 130: interrupted)."""
    args = build_parser().parse_args(argv)
    try:
        commands = {"train": _train, "evaluate": _evaluate, "video": _video, "pretrained": _pretrained,
                    "sweep": _sweep, "compare": _compare, "course": _course}
        return commands[args.command](args)
    except (ValueError, FileExistsError, FileNotFoundError) as err:
        print(f"lunar-lab {args.command}: error: {err}", file=sys.stderr)
        return 2
    except FloatingPointError as err:
        print(f"lunar-lab {args.command}: error: {err}", file=sys.stderr)
        return 1


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1, got {value}")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer in [0, 2**32 - 1], got {text!r}") from None
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(f"must be an integer in [0, 2**32 - 1], got {value}")
    return value


def config_from_args(args):
    """The :class:`lunar_lab.config.Config` that ``lunar-lab train`` ARGS trains with.

    ``--algo`` and ``--seed`` are shorthands for ``--set algo=…`` and ``--set seed=…``; giving
    both with different values is an error, and an unset one keeps the Config default.

    Raises:
        ValueError: an invalid hyperparameter value, or two options that disagree (named in the message).
    """
    from lunar_lab.config import Config

    changes = dict(args.overrides)
    for name in ("algo", "seed"):
        value = getattr(args, name)
        if value is not None:
            if name in changes and changes[name] != value:
                raise ValueError(f"--{name} {value} and --set {name}={changes[name]} disagree; give one of them")
            changes[name] = value
    if args.steps is not None:
        changes["total_steps"] = args.steps
    return Config().replace(**changes)


def _resume_config(args):
    """The config of the stopped run ``args.resume`` (a longer total_steps with ``--steps``)."""
    from lunar_lab.runs import is_finished, read_config

    run_dir = Path(args.resume)
    given = [flag for flag, value in (("--algo", args.algo), ("--seed", args.seed), ("--set", args.overrides),
                                      ("--name", args.name)) if value]
    if given:
        raise ValueError(f"--resume continues RUN with its own config; {', '.join(given)} cannot change it")
    if not (run_dir / "config.json").is_file():
        raise FileNotFoundError(f"--resume needs a run directory holding config.json, got {str(run_dir)!r}")
    if is_finished(run_dir):
        raise ValueError(f"{run_dir} has finished (it has summary.json); start a new run instead")
    config = read_config(run_dir)
    return config if args.steps is None else config.replace(total_steps=args.steps), run_dir


def _train(args) -> int:
    from lunar_lab.engines import check_engine
    from lunar_lab.runs import new_run_dir, save_metrics, start_run
    from lunar_lab.training import TrainingInterrupted, train

    if args.resume is not None:
        config, run_dir = _resume_config(args)
        check_engine(config.env_engine)
        resume_from = run_dir / "checkpoints"
        print(f"resuming {run_dir} ({config.algo}, seed {config.seed}) to {config.total_steps:,} env steps")
    else:
        config = config_from_args(args)  # validate before creating anything
        check_engine(config.env_engine)
        run_dir, resume_from = new_run_dir(args.runs_dir, args.name, config.algo), None
        print(f"training {config.algo} for {config.total_steps:,} env steps (seed {config.seed}) -> {run_dir}")
    start_run(config, run_dir)
    try:
        result = train(config, progress=not args.quiet, checkpoint_dir=run_dir / "checkpoints", resume_from=resume_from)
    except TrainingInterrupted as stop:
        save_metrics(stop.result, run_dir)
        at = stop.result.checkpoint
        where = (f"its last checkpoint is at {json.loads((at / 'state.json').read_text())['env_steps']:,} env steps"
                 if at is not None else "it had not reached its first checkpoint, so it cannot be resumed")
        print(f"\ninterrupted at {stop.result.env_steps:,} env steps; {where}; episodes so far in "
              f"{run_dir / 'episodes.csv'}" + (f"\nresume with: lunar-lab train --resume {run_dir}" if at else ""),
              file=sys.stderr)
        return 130
    _finish(result, run_dir, video=not args.no_video)
    return 0


def _finish(result, run_dir: Path, video: bool) -> None:
    """Write what a finished run leaves: weights, metrics, learning curve, video, then the summary."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from lunar_lab.evaluation import EVAL_SEED
    from lunar_lab.plots import plot_learning_curve
    from lunar_lab.runs import run_summary, save_run
    from lunar_lab.video import record_episode

    config = result.config
    ax = plot_learning_curve(result.episodes["return"], result.episodes["env_steps"],
                             evaluations=(result.evaluations["env_steps"], result.evaluations["mean"]),
                             title=f"{config.algo}, seed {config.seed}", path=run_dir / "learning_curve.png")
    plt.close(ax.figure)
    if video:
        path, ret, _ = record_episode(result.agent.greedy_actions, run_dir / "episode.mp4", seed=EVAL_SEED)
        print(f"video: {path} (return {ret:.1f})")
    save_run(result, run_dir)
    s = run_summary(result)
    print(f"done: {s['env_steps']:,} env steps, {s['episodes']} episodes in {s['wall_time_s']} s "
          f"({s['env_steps_per_s']:.0f} env steps/s); mean return of the last 100 episodes "
          f"{s['mean_return_last_100_training_episodes']:.1f}")
    print(f"evaluate it: lunar-lab evaluate {run_dir}")


def _evaluate(args) -> int:
    from lunar_lab.evaluation import evaluate
    from lunar_lab.runs import load_agent, resolve_run, weights_dir

    agent = load_agent(args.run)
    result = evaluate(agent.greedy_actions, episodes=args.episodes, seed=args.seed)
    verdict = "solved" if result.solved else "not solved"
    print(f"{args.run}: greedy {result} (seeds {args.seed}..{args.seed + args.episodes - 1}); {verdict} (threshold 200)")
    if weights_dir(args.run) != resolve_run(args.run):
        print(f"(the run has not finished: these are the weights of its last checkpoint, {weights_dir(args.run)})")
    return 0


def _video(args) -> int:
    from lunar_lab.runs import load_agent, resolve_run
    from lunar_lab.video import record_episode

    agent = load_agent(args.run)
    out = Path(args.out) if args.out is not None else Path(f"{resolve_run(args.run).resolve().name}-seed{args.seed}.mp4")
    if not out.parent.is_dir():
        raise FileNotFoundError(f"--out: folder {out.parent} does not exist")
    if not os.access(out.parent, os.W_OK):
        raise ValueError(f"--out: folder {out.parent} cannot be written")
    path, ret, frames = record_episode(agent.greedy_actions, out, seed=args.seed)
    print(f"wrote {path}: {frames} frames, return {ret:.1f}")
    return 0


def _pretrained(args) -> int:
    from lunar_lab.runs import PRETRAINED_DIR, pretrained_names

    for name in pretrained_names():
        record = json.loads((PRETRAINED_DIR / name / "RECORD.json").read_text())
        print(f"{name}: {record['evaluation']}  (trained with: {record['command']})")
    return 0


def _sweep(args) -> int:
    from lunar_lab.sweeps.execution import run_sweep
    from lunar_lab.sweeps.spec import load_spec

    spec = load_spec(args.spec)
    print(f"sweep {spec.name}: {len(spec.arms)} arms × {len(spec.seeds)} seeds, {spec.budget:,} env steps each "
          f"-> {Path(args.root) / spec.name}")
    try:
        report = run_sweep(spec, args.root, workers=args.workers, address=args.address, max_runs=args.max_runs,
                           progress=not args.quiet)
    except KeyboardInterrupt:
        print(f"\ninterrupted: finished runs are kept and interrupted ones resume from their last checkpoint; "
              f"continue with: lunar-lab sweep {args.spec}" + (f" --root {args.root}" if args.root != "sweeps" else ""),
              file=sys.stderr)
        return 130
    print(f"{len(report.ran)} runs finished now ({report.env_steps:,} env steps in {report.wall_time:.0f} s), "
          f"{len(report.done_before)} were done before, {len(report.failed)} failed, {len(report.remaining)} remain")
    for (arm, seed), error in report.failed.items():
        print(f"  failed: {arm}/seed-{seed}: {error}  (rerun the sweep to retry it)", file=sys.stderr)
    print(f"compare them: lunar-lab compare {report.sweep_dir}")
    return 1 if report.failed else 0


def _compare(args) -> int:
    from lunar_lab.sweeps.compare import compare

    for option, value in (("--plot", args.plot), ("--table", args.table)):
        if value is not None and Path(value).exists():
            raise FileExistsError(f"{option}: {value} exists already; choose another file (nothing was written)")
        if value is not None and not Path(value).resolve().parent.is_dir():
            raise FileNotFoundError(f"{option}: folder {Path(value).parent} does not exist")
    arms = None if args.arms is None else [a.strip() for a in args.arms.split(",") if a.strip()]
    comparison = compare(args.sweep, baseline=args.baseline, arms=arms, allow_missing=args.allow_missing, reps=args.reps)
    print(comparison.to_text())
    if args.plot is not None:
        import matplotlib

        matplotlib.use("Agg")
        comparison.plot(args.plot)
        print(f"wrote {args.plot}")
    if args.table is not None:
        comparison.results.table.to_csv(args.table, index=False)
        print(f"wrote {args.table}")
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


def lab_command(directory, as_root: bool | None = None) -> list[str]:
    """The command that opens JupyterLab on ``directory`` with this Python.

    JupyterLab refuses to start as root (as in many containers and cloud notebooks) unless
    told ``--allow-root``; the command says so when the user is root.

    Args:
        directory: the notebooks' folder.
        as_root: whether the user is root; None asks the operating system.

    Example:
        >>> lab_command("my_notebooks", as_root=False)[-1]
        '--notebook-dir=my_notebooks'
        >>> "--allow-root" in lab_command("my_notebooks", as_root=True)
        True
    """
    if as_root is None:
        as_root = hasattr(os, "geteuid") and os.geteuid() == 0
    command = [sys.executable, "-m", "jupyter", "lab"]
    if as_root:
        command.append("--allow-root")
    return command + [f"--notebook-dir={directory}"]


if __name__ == "__main__":
    raise SystemExit(main())
