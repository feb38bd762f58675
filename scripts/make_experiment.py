"""Produce a shipped sweep result set in ``lunar_lab/experiments/NAME`` with ``lunar-lab sweep``.

Usage: ``python scripts/make_experiment.py NAME`` (NAME: a folder of lunar_lab/experiments
holding spec.toml). It runs the recorded command ``lunar-lab sweep
lunar_lab/experiments/NAME/spec.toml --root ROOT`` (resumable: rerun it after an interruption
and it continues), then exports the finished sweep's tidy table beside the spec
(``results.csv``) with ``RECORD.json`` (the command, versions, CPU, date, training time).
It refuses to replace existing results unless --replace is given.
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXPERIMENTS = ROOT / "lunar_lab" / "experiments"


def main() -> int:
    names = sorted(p.parent.name for p in EXPERIMENTS.glob("*/spec.toml"))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name", choices=names)
    parser.add_argument("--root", default="sweeps", help="parent folder of the sweep's runs (default: sweeps)")
    parser.add_argument("--replace", action="store_true", help="replace existing shipped results")
    args = parser.parse_args()
    target = EXPERIMENTS / args.name
    if (target / "results.csv").exists() and not args.replace:
        print(f"{target / 'results.csv'} exists; pass --replace to produce it again", file=sys.stderr)
        return 2
    spec = (target / "spec.toml").relative_to(ROOT)
    command = f"lunar-lab sweep {spec} --root {args.root}"
    subprocess.run(shlex.split(command), check=True, cwd=ROOT)

    from lunar_lab.sweeps.results import export_results

    export_results(ROOT / args.root / args.name, target,
                   command=f"python scripts/make_experiment.py {args.name}  # runs: lunar-lab sweep {spec}")
    print(f"wrote {target / 'results.csv'} and {target / 'RECORD.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
