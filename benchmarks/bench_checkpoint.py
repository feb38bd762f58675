"""What a full training checkpoint costs: seconds to write and to read back, megabytes on disk.

Usage::

    python benchmarks/bench_checkpoint.py            # default Config, replay buffer full (100,000 transitions)
    python benchmarks/bench_checkpoint.py --smoke    # a 1,000-transition buffer, for the tests

It builds the agent of each algorithm's default Config, fills its replay buffer to capacity with
random transitions, writes the checkpoint that training writes every ``checkpoint_interval`` env
steps (:func:`lunar_lab.checkpoints.save_checkpoint`) ``--repeats`` times, reads it back as a
resume does, and writes ``benchmarks/results/checkpoint.md`` (or ``--out``) with the median times,
the size of every file, the command, versions, CPU and date.
"""

from __future__ import annotations

import argparse
import datetime
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import lunar_lab  # noqa: F401  (TensorFlow settings first)
import numpy as np

from lunar_lab import checkpoints
from lunar_lab.agents import make_agent
from lunar_lab.config import Config
from lunar_lab.envs import NUM_ACTIONS, OBS_DIM
from lunar_lab.replay import ReplayBuffer
from lunar_lab.provenance import cpu_kind

RESULTS = Path(__file__).parent / "results"


def filled_buffer(capacity: int, seed: int = 0) -> ReplayBuffer:
    """A replay buffer of ``capacity`` random transitions (full: every slot written)."""
    rng = np.random.default_rng(seed)
    buffer = ReplayBuffer(capacity, OBS_DIM, seed=seed, num_actions=NUM_ACTIONS)
    buffer.add_batch(rng.normal(size=(capacity, OBS_DIM)), rng.integers(0, NUM_ACTIONS, capacity),
                     rng.normal(size=capacity), rng.normal(size=(capacity, OBS_DIM)), rng.random(capacity) < 0.01,
                     np.full(capacity, 0.99, np.float32))
    return buffer


def measure(algo: str, capacity: int, repeats: int, folder: Path) -> dict:
    """Median seconds to write and to read one checkpoint of ``algo``, and its files' bytes."""
    config = Config(algo=algo, buffer_capacity=capacity, batch_size=min(64, capacity))
    agent, buffer = make_agent(config), filled_buffer(capacity)
    final = folder / algo / "latest"
    writes, reads = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        checkpoints.save_checkpoint(final, agent, buffer, {"env_steps": 0})
        writes.append(time.perf_counter() - start)
        start = time.perf_counter()
        agent.load(final)
        agent.load_training_state(checkpoints.load_arrays(final, checkpoints.AGENT_FILE))
        buffer.load_state_dict(checkpoints.load_arrays(final, checkpoints.REPLAY_FILE))
        reads.append(time.perf_counter() - start)
    files = {f.name: f.stat().st_size for f in sorted(final.iterdir())}
    return {"algo": algo, "write_s": statistics.median(writes), "read_s": statistics.median(reads), "files": files}


def markdown(rows: list[dict], capacity: int, command: str) -> str:
    """The report: one row per algorithm, then the files of the first."""
    import keras
    import tensorflow

    lines = [f"{datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds')} · "
             f"{cpu_kind()}, {platform.platform()} · Python {platform.python_version()} · "
             f"tensorflow {tensorflow.__version__}, keras {keras.__version__}, numpy {np.__version__}",
             "", f"Command: `{command}`", "",
             f"Replay buffer full: {capacity:,} transitions. Median over the repeats; the state.json of a real run "
             "also holds its episode log (about 100 bytes per episode).", "",
             "| algo | write (s) | read back (s) | on disk (MB) |", "|---|--:|--:|--:|"]
    for row in rows:
        lines.append(f"| {row['algo']} | {row['write_s']:.3f} | {row['read_s']:.3f} | {sum(row['files'].values()) / 1e6:.1f} |")
    lines += ["", f"Files of the {rows[0]['algo']} checkpoint:", "", "| file | bytes |", "|---|--:|"]
    lines += [f"| {name} | {size:,} |" for name, size in rows[0]["files"].items()]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    """``python benchmarks/bench_checkpoint.py``: measure, write and print the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="a 1,000-transition buffer and one repeat")
    parser.add_argument("--repeats", type=int, default=5, help="checkpoints written per algorithm (default: 5)")
    parser.add_argument("--out", type=Path, default=RESULTS / "checkpoint.md", help="report file")
    args = parser.parse_args(argv)
    capacity, repeats = (1_000, 1) if args.smoke else (Config().buffer_capacity, args.repeats)
    with tempfile.TemporaryDirectory(prefix="lunar_lab_ckpt_") as folder:
        rows = [measure(algo, capacity, repeats, Path(folder)) for algo in ("dqn", "sqn")]
    command = "python benchmarks/bench_checkpoint.py" + "".join(f" {a}" for a in (argv if argv is not None else sys.argv[1:]))
    report = markdown(rows, capacity, command)
    args.out.write_text(report)
    print(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
