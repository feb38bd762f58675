"""Produce a pretrained agent shipped in ``lunar_lab/pretrained/NAME`` with ``lunar-lab train``.

Usage: ``python scripts/make_pretrained.py NAME`` (NAME from RECIPES below). It runs the
recorded ``lunar-lab train`` command into a fresh run directory, takes the checkpoint of
the best periodic greedy evaluation, evaluates it on 100 held-out seeds (PRETRAINED_SEED …,
never used in training or checkpoint selection), and writes config.json, the weights,
learning_curve.png and RECORD.json (command, seed, env steps, wall time, versions,
evaluation). It refuses to replace an existing pretrained agent unless --replace is given.
"""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

PRETRAINED = Path(__file__).resolve().parents[1] / "lunar_lab" / "pretrained"
PRETRAINED_SEED = 2_000_000  # held-out evaluation seeds of pretrained agents

RECIPES = {
    "dqn": "--algo dqn --seed 0 --steps 400000",
    "double_dqn": "--algo double_dqn --seed 0 --steps 400000",
    "nstep_double_dqn": "--algo double_dqn --seed 0 --steps 400000 --set n_step=3",
    "sqn": "--algo sqn --seed 0 --steps 400000",
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name", choices=sorted(RECIPES))
    parser.add_argument("--replace", action="store_true", help="replace an existing pretrained agent")
    args = parser.parse_args()
    target = PRETRAINED / args.name
    if target.exists() and not args.replace:
        print(f"{target} exists; pass --replace to retrain it", file=sys.stderr)
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="lunar-lab-pretrain-"))
    command = f"lunar-lab train {RECIPES[args.name]} --runs-dir {workdir} --name {args.name} --quiet --no-video"
    subprocess.run(shlex.split(command), check=True)
    run = workdir / args.name

    from lunar_lab.evaluation import evaluate
    from lunar_lab.runs import file_checksums, load_agent

    staging = workdir / "staging"
    staging.mkdir()
    shutil.copy(run / "config.json", staging / "config.json")
    for weights in (run / "checkpoints" / "best").glob("*.weights.h5"):
        shutil.copy(weights, staging / weights.name)
    shutil.copy(run / "learning_curve.png", staging / "learning_curve.png")
    result = evaluate(load_agent(staging).greedy_actions, episodes=100, seed=PRETRAINED_SEED)  # no RECORD.json yet
    summary = json.loads((run / "summary.json").read_text())
    record = {
        "command": command.replace(str(workdir), "RUNS_DIR"),
        "produced_by": f"python scripts/make_pretrained.py {args.name}",
        "weights": "checkpoint of the best periodic greedy evaluation during training (checkpoints/best)",
        "training": summary,
        "evaluation": f"greedy {result} on seeds {PRETRAINED_SEED}..{PRETRAINED_SEED + 99}",
        "evaluation_mean": round(result.mean, 2),
        "evaluation_std": round(result.std, 2),
        "sha256": file_checksums(staging),  # load_agent refuses files that differ (an edited config.json)
    }
    (staging / "RECORD.json").write_text(json.dumps(record, indent=2) + "\n")
    print(json.dumps(record, indent=2))
    if result.mean < 200:
        print(f"not shipped: mean {result.mean:.1f} < 200", file=sys.stderr)
        return 1
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(staging, target)
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
