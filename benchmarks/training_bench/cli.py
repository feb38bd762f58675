"""The benchmark's command line: ``python benchmarks/bench_training.py [options]`` (see
:mod:`training_bench` and benchmarks/README.md). Runs the jobs one subprocess each, then
writes ``training.json``, ``training.md`` and ``training_curves.png``."""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import json
import shlex
import sys
import tempfile
import time
from pathlib import Path

import training_bench
from training_bench.formatting import fmt_number
from training_bench.harness import run_one
from training_bench.protocol import (ALGOS, BENCHMARK_FIELDS, BENCHMARKS, DEFAULT_OUT, FULL_EPISODES, PEER_LIBRARIES,
                                     PEERS, REFERENCE, SCREEN_EPISODES, SMOKE, STRAIGHTFORWARD, TARGETS,
                                     available_peers, comparison_pairs, job_spec, plan)
from training_bench.report import machine_info, markdown, plot_curves, summary, update_readme, versions
from training_bench.stats import finite, pair_ratios, summarize_ratios, targets

#: The script the documented command runs.
ENTRY = BENCHMARKS / "bench_training.py"


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
    """Command-line options (see :mod:`training_bench` and benchmarks/README.md)."""
    p = argparse.ArgumentParser(description=training_bench.__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
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
    return p.parse_args(argv)


def lineup(algos: list[str], straightforward: bool, peers: list[str]) -> tuple[list[str], list[str]]:
    """The lunar_lab algorithms (dqn first: its time to solve sets the peers' budgets) and every
    agent in the order it runs on each seed.

    Example:
        >>> lineup(["sqn", "dqn", "sqn"], True, ["classic"])
        (['dqn', 'sqn'], ['lunar_lab/dqn', 'lunar_lab/sqn', 'lunar_lab/dqn-straightforward', 'classic'])
    """
    algos = list(dict.fromkeys(algos))
    if "dqn" in algos:
        algos.insert(0, algos.pop(algos.index("dqn")))
    agents = [f"lunar_lab/{a}" for a in algos]
    if "dqn" in algos and straightforward:
        agents.append(STRAIGHTFORWARD)
    return algos, agents + peers


def run_jobs(settings: dict, agents: list[str]) -> list[dict]:
    """Run every (agent, seed) job in alternation order, one subprocess each; their reports."""
    jobs, runs = plan(settings, agents), []
    with tempfile.TemporaryDirectory(prefix="bench_training_") as scratch:
        for i, (agent, seed) in enumerate(jobs, 1):
            spec = job_spec(agent, seed, settings, runs)
            print(f"[{i}/{len(jobs)}] {agent}, seed {seed}: budget {spec['budget_s'] / 60:.1f} min of training"
                  + (f", at most {spec['max_steps']:,} env steps" if spec["max_steps"] else ""), flush=True)
            runs.append(run_one(spec, Path(scratch)))
            r = runs[-1]
            print(f"  {r['status']}: " + (f"{fmt_number(r['env_steps_per_s'])} env steps/s, solved {r['solved']} "
                                          f"({fmt_number(r['solve_time_s'], 1)} s, {fmt_number(r['solve_env_steps'])} env steps), "
                                          f"best greedy mean {fmt_number(r['best_eval_mean'], 1)}, stopped by {r['stop_reason']}"
                                          if r["status"] == "ok" else f"exit code {r['returncode']}"), flush=True)
    return runs


def main(argv=None) -> int:
    """Run the benchmark; write ``training.json``, ``training.md`` and ``training_curves.png``."""
    args = parse_args(argv)
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
    peers, skipped = available_peers(args.peers, {name for name in PEER_LIBRARIES.values() if importlib.util.find_spec(name)})
    for agent, reason in skipped.items():
        print(f"Skipping {agent}: {reason}", flush=True)
    algos, agents = lineup(args.algos, not args.no_straightforward, peers)
    settings["reference"] = agents[0]
    runs = run_jobs(settings, agents)
    pairs = pair_ratios(runs, comparison_pairs(agents))
    results = dict(
        meta=dict(date=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                  command=shlex.join(["python", *sys.argv]) if argv is None else shlex.join(["python", str(ENTRY), *argv]),
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
        for readme, text, images in ((BENCHMARKS / "README.md", md, "results/"),
                                     (BENCHMARKS.parent / "README.md", summary(md), "benchmarks/results/")):
            if update_readme(readme, text, images):
                print(f"Updated the results section of {readme}\n")
    print(md)
    return 0 if all(r["status"] == "ok" for r in runs) else 1
