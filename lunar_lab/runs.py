"""Run directories: everything one training run leaves behind, and loading it back.

A run directory holds ``config.json``, ``q_network.weights.h5`` (final weights),
``episodes.csv`` and ``evaluations.csv`` (metrics), ``learning_curve.png``, ``summary.json``,
``episode.mp4`` (one greedy episode) and ``checkpoints/best`` (best periodic evaluation).
A run directory that exists is never written into again.
"""

from __future__ import annotations

import csv
import json
import platform
import time
from pathlib import Path

from lunar_lab.agents import make_agent
from lunar_lab.config import Config
from lunar_lab.training import EPISODE_COLUMNS, EVAL_COLUMNS, TrainResult

PRETRAINED_DIR = Path(__file__).parent / "pretrained"


def new_run_dir(root: str | Path = "runs", name: str | None = None, algo: str = "dqn") -> Path:
    """Create and return a new, empty run directory under ``root``.

    Args:
        root: parent folder (created if missing).
        name: folder name; default ``{algo}-{YYYYmmdd-HHMMSS}`` (with ``-2``, ``-3`` … if taken).

    Raises:
        FileExistsError: ``name`` was given and ``root/name`` exists (it is never reused).
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    if name is not None:
        path = root / name
        if path.exists():
            raise FileExistsError(f"run directory {path} exists already; choose another --name (nothing was changed)")
        path.mkdir()
        return path
    stem = f"{algo}-{time.strftime('%Y%m%d-%H%M%S')}"
    for i in range(1, 1000):
        path = root / (stem if i == 1 else f"{stem}-{i}")
        try:
            path.mkdir()
            return path
        except FileExistsError:
            continue
    raise FileExistsError(f"could not find a free run directory name under {root}")


def save_run(result: TrainResult, run_dir: str | Path) -> None:
    """Write the config, final weights, metrics and a summary of ``result`` into ``run_dir``."""
    run_dir = Path(run_dir)
    (run_dir / "config.json").write_text(result.config.to_json() + "\n")
    result.agent.save(run_dir)
    _write_csv(run_dir / "episodes.csv", EPISODE_COLUMNS, result.episodes)
    _write_csv(run_dir / "evaluations.csv", EVAL_COLUMNS, result.evaluations)
    (run_dir / "summary.json").write_text(json.dumps(run_summary(result), indent=2) + "\n")


def run_summary(result: TrainResult) -> dict:
    """Totals of a run and the software it ran on (JSON-serialisable)."""
    import gymnasium
    import keras
    import numpy
    import tensorflow

    return {
        "env_steps": result.env_steps,
        "learner_steps": result.learner_steps,
        "episodes": len(result.episodes["return"]),
        "wall_time_s": round(result.wall_time, 1),
        "env_steps_per_s": round(result.env_steps / max(result.wall_time, 1e-9), 1),
        "mean_return_last_100_training_episodes": round(result.recent_mean_return(), 2),
        "solved_at_env_steps": result.solved_at,
        "solved_at_wall_time_s": None if result.solved_wall_time is None else round(result.solved_wall_time, 1),
        "versions": {
            "python": platform.python_version(),
            "tensorflow": tensorflow.__version__,
            "keras": keras.__version__,
            "gymnasium": gymnasium.__version__,
            "numpy": numpy.__version__,
        },
        "machine": f"{platform.machine()}, {platform.system()}",
    }


def read_csv(path: str | Path) -> dict[str, list[float]]:
    """Columns of a metrics CSV written by :func:`save_run`, as lists of floats."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    columns = rows[0].keys() if rows else []
    return {c: [float(r[c]) for r in rows] for c in columns}


def _write_csv(path: Path, columns, table: dict) -> None:
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(columns)
        writer.writerows(zip(*(table[c] for c in columns)))


def pretrained_names() -> list[str]:
    """Names of the pretrained agents shipped with the package (e.g. ``"dqn"``)."""
    return sorted(p.name for p in PRETRAINED_DIR.iterdir() if (p / "config.json").is_file())


def resolve_run(run: str | Path) -> Path:
    """A run directory path, or the folder of the pretrained agent named ``run``.

    Raises:
        FileNotFoundError: neither a directory holding ``config.json`` nor a pretrained name.
    """
    path = Path(run)
    if (path / "config.json").is_file():
        return path
    if str(run) in pretrained_names():
        return PRETRAINED_DIR / str(run)
    raise FileNotFoundError(
        f"RUN must be a run directory holding config.json or a pretrained agent name "
        f"({', '.join(pretrained_names()) or 'none shipped'}); got {str(run)!r}"
    )


def load_agent(run: str | Path):
    """Rebuild the agent of a run directory or pretrained name, with its final weights.

    Raises:
        FileNotFoundError: see :func:`resolve_run`, or the weights file is missing.
        ValueError: config.json is invalid or the weights do not fit its network.

    Example:
        >>> import numpy as np
        >>> agent = load_agent("dqn")          # the pretrained DQN
        >>> agent.greedy_actions(np.zeros((1, 8), np.float32)).shape
        (1,)
    """
    path = resolve_run(run)
    try:
        config = Config.from_dict(json.loads((path / "config.json").read_text()))
    except (json.JSONDecodeError, TypeError) as err:
        raise ValueError(f"{path / 'config.json'} is not a valid lunar_lab config: {err}") from None
    agent = make_agent(config.replace(jit_compile=False))
    agent.load(path)
    return agent
