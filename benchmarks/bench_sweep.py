"""Sweep throughput: runs per hour and env steps per second, with 1 and with 2 local workers.

Usage::

    python benchmarks/bench_sweep.py             # 4 DQN runs of 50,000 env steps per worker count: ~6 min
    python benchmarks/bench_sweep.py --smoke     # 2 tiny runs per worker count, for the tests

Run it on a quiet machine. For each worker count (alternating 1, 2, 1, 2 … over ``--repeats``) it runs the
same sweep — DQN at the package defaults on 4 seeds, a final greedy evaluation of 10 episodes and no periodic
ones — through :func:`lunar_lab.sweeps.execution.run_sweep` into a fresh folder, and measures its wall time
(worker start-up included). It writes ``benchmarks/results/sweep.md`` (or ``--out``): runs per hour, env steps
per second summed over the workers, and the speed-up of 2 workers over 1, with the command, versions, CPU and date.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import sys
import tempfile
from pathlib import Path

from lunar_lab.provenance import cpu_kind
from lunar_lab.sweeps.execution import run_sweep
from lunar_lab.sweeps.spec import Arm, SweepSpec

RESULTS = Path(__file__).parent / "results"


def bench_spec(smoke: bool) -> SweepSpec:
    """The measured sweep: 4 seeds × 50,000 env steps of DQN (smoke: 2 × 2,000 of a tiny network)."""
    base = dict(eval_interval=0, eval_episodes=0)
    if smoke:
        base.update(hidden_sizes=(16,), learning_starts=500, buffer_capacity=5_000)
    return SweepSpec(name="bench", seeds=(0, 1) if smoke else (0, 1, 2, 3), budget=2_000 if smoke else 50_000,
                     arms=(Arm("dqn", {}),), base=base, eval_episodes=2 if smoke else 10)


def measure(spec: SweepSpec, workers: int) -> dict:
    """One sweep of ``spec`` on ``workers`` local workers, into a fresh folder."""
    with tempfile.TemporaryDirectory(prefix="lunar_lab_sweep_bench_") as root:
        report = run_sweep(spec, root, workers=workers, progress=False)
    if report.failed:
        raise RuntimeError(f"runs failed: {report.failed}")
    return {"workers": workers, "runs": len(report.ran), "env_steps": report.env_steps, "wall_s": report.wall_time}


def markdown(rows: list[dict], spec: SweepSpec, command: str) -> str:
    """The report: the median of each worker count, and the speed-up of the largest over 1 worker."""
    import numpy
    import tensorflow

    by_workers = {}
    for row in rows:
        by_workers.setdefault(row["workers"], []).append(row)
    load = [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else "n/a"
    lines = [f"{datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds')} · {cpu_kind()}, "
             f"{os.cpu_count()} logical cores · {platform.platform()} · Python {platform.python_version()} · "
             f"tensorflow {tensorflow.__version__}, numpy {numpy.__version__} · load average at the end {load}",
             "", f"Command: `{command}`", "",
             f"The sweep: {len(spec.seeds)} runs of DQN at the package defaults, {spec.budget:,} env steps each, no "
             f"periodic evaluation, a final greedy evaluation of {spec.eval_episodes} episodes; wall time of "
             "`run_sweep` including the workers' start-up (TensorFlow import). Median over the repeats.", "",
             "| workers | repeats | wall time (s) | runs per hour | env steps/s, all workers | speed-up over 1 worker |",
             "|--:|--:|--:|--:|--:|--:|"]
    base = statistics.median(r["wall_s"] for r in by_workers[1])
    for workers, group in sorted(by_workers.items()):
        wall = statistics.median(r["wall_s"] for r in group)
        lines.append(f"| {workers} | {len(group)} | {wall:.1f} | {group[0]['runs'] / wall * 3600:,.0f} | "
                     f"{group[0]['env_steps'] / wall:,.0f} | {base / wall:.2f}× |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    """``python benchmarks/bench_sweep.py``: measure, write and print the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="2 tiny runs per worker count, one repeat")
    parser.add_argument("--repeats", type=int, default=2, help="sweeps per worker count, alternating (default: 2)")
    parser.add_argument("--out", type=Path, default=RESULTS / "sweep.md", help="report file")
    args = parser.parse_args(argv)
    spec = bench_spec(args.smoke)
    rows = [measure(spec, workers) for _ in range(1 if args.smoke else args.repeats) for workers in (1, 2)]
    command = "python benchmarks/bench_sweep.py" + "".join(f" {a}" for a in (argv if argv is not None else sys.argv[1:]))
    report = markdown(rows, spec, command)
    args.out.write_text(report)
    print(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
