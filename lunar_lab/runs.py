"""Run directories: everything one training run leaves behind, and loading it back.

A run directory holds ``config.json`` (written first), ``checkpoints/latest`` (the full training
checkpoint, every ``checkpoint_interval`` env steps) and ``checkpoints/best`` (best periodic
evaluation), and once the run has finished ``q_network.weights.h5`` (final weights),
``episodes.csv`` and ``evaluations.csv`` (metrics), ``learning_curve.png``, ``summary.json`` and
``episode.mp4`` (one greedy episode). A run directory is written only by its own run and, after
an interruption, by its resumption (``lunar-lab train --resume RUN``); nothing else writes into it.
A run that was stopped before finishing (Ctrl-C, a crash, a kill) keeps ``config.json`` and its
last whole checkpoint, so it can be resumed, and evaluated from that checkpoint meanwhile.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import platform
import time
from pathlib import Path

from lunar_lab.agents import make_agent
from lunar_lab.checkpoints import recover_dir
from lunar_lab.config import Config
from lunar_lab.provenance import cpu_kind
from lunar_lab.training import EPISODE_COLUMNS, EVAL_COLUMNS, LATEST, TrainResult

PRETRAINED_DIR = Path(__file__).parent / "pretrained"
#: Written last by :func:`save_run`: a run directory with it has finished.
SUMMARY_FILE = "summary.json"


def new_run_dir(root: str | Path = "runs", name: str | None = None, algo: str = "dqn") -> Path:
    """Create and return a new, empty run directory under ``root``.

    Args:
        root: parent folder (created if missing).
        name: folder name, one path component (no ``/``, not ``..``); default
            ``{algo}-{YYYYmmdd-HHMMSS}`` (with ``-2``, ``-3`` … if taken).

    Raises:
        FileExistsError: ``name`` was given and ``root/name`` exists (it is never reused).
        ValueError: ``name`` is not a plain folder name, or ``root`` cannot be written.
    """
    if name is not None and (not name or name in (".", "..") or Path(name).name != name or "\\" in name):
        raise ValueError(f"name must be a plain folder name (no '/' and not '..'), got {name!r}")
    root = Path(root)
    try:
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
    except (PermissionError, NotADirectoryError) as err:
        raise ValueError(f"cannot create a run directory under {root}: {err.strerror}") from None
    raise FileExistsError(f"could not find a free run directory name under {root}")


def start_run(config: Config, run_dir: str | Path) -> None:
    """Write ``config.json`` into a new run directory, before training starts."""
    (Path(run_dir) / "config.json").write_text(config.to_json() + "\n")


def save_run(result: TrainResult, run_dir: str | Path) -> None:
    """Write the config, final weights, metrics and, last, the summary of ``result`` into ``run_dir``."""
    run_dir = Path(run_dir)
    (run_dir / "config.json").write_text(result.config.to_json() + "\n")
    result.agent.save(run_dir)
    save_metrics(result, run_dir)
    (run_dir / SUMMARY_FILE).write_text(json.dumps(run_summary(result), indent=2) + "\n")


def save_metrics(result: TrainResult, run_dir: str | Path) -> None:
    """Write ``episodes.csv`` and ``evaluations.csv`` of ``result`` (so far) into ``run_dir``."""
    run_dir = Path(run_dir)
    _write_csv(run_dir / "episodes.csv", EPISODE_COLUMNS, result.episodes)
    _write_csv(run_dir / "evaluations.csv", EVAL_COLUMNS, result.evaluations)


def is_finished(run_dir: str | Path) -> bool:
    """Whether the run directory's run has finished (its summary is written)."""
    return (Path(run_dir) / SUMMARY_FILE).is_file()


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
        "cpu": cpu_kind(),  # runs are bit-reproducible only on one kind of CPU
    }


def _write_csv(path: Path, columns, table: dict) -> None:
    staged = path.with_name(f".{path.name}.tmp")
    with open(staged, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(columns)
        writer.writerows(zip(*(table[c] for c in columns)))
    os.replace(staged, path)


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


def weights_dir(run: str | Path) -> Path:
    """The folder whose weights :func:`load_agent` loads: the run's own (finished or pretrained),
    else, for a run stopped before it finished, its last training checkpoint.

    Raises:
        FileNotFoundError: see :func:`resolve_run`, or an unfinished run without any checkpoint.
    """
    path = resolve_run(run)
    if any(path.glob("*.weights.h5")):
        return path
    latest = recover_dir(path / "checkpoints" / LATEST)
    if (latest / "config.json").is_file():
        return latest
    raise FileNotFoundError(f"{path} has no weights: its run stopped before its first checkpoint")


def file_checksums(directory: str | Path) -> dict[str, str]:
    """SHA-256 of ``config.json`` and every ``*.weights.h5`` in ``directory``, by file name."""
    directory = Path(directory)
    files = [directory / "config.json", *sorted(directory.glob("*.weights.h5"))]
    return {f.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in files}


def verify_checksums(directory: str | Path) -> None:
    """Check a pretrained agent's files against the checksums recorded in its ``RECORD.json``.

    Raises:
        ValueError: a file differs from what was shipped (edited or damaged), naming it.
    """
    directory = Path(directory)
    recorded = json.loads((directory / "RECORD.json").read_text()).get("sha256", {})
    for name, digest in file_checksums(directory).items():
        if recorded.get(name) != digest:
            raise ValueError(f"{directory / name} differs from the file shipped with it (its SHA-256 does not match "
                             "RECORD.json): it was edited or damaged; reinstall lunar_lab or retrain it with "
                             "scripts/make_pretrained.py")


def read_config(folder: str | Path) -> Config:
    """The :class:`Config` in ``folder/config.json`` (a run directory or a checkpoint).

    Raises:
        ValueError: the file is not valid JSON or not a valid lunar_lab config (the message says why).
    """
    path = Path(folder) / "config.json"
    try:
        return Config.from_dict(json.loads(path.read_text()))
    except (json.JSONDecodeError, TypeError) as err:
        raise ValueError(f"{path} is not a valid lunar_lab config: {err}") from None


def load_agent(run: str | Path):
    """Rebuild the agent of a run directory or pretrained name, with its weights (see :func:`weights_dir`).

    Raises:
        FileNotFoundError: see :func:`weights_dir`, or a weights file is missing.
        ValueError: config.json is invalid, the weights do not fit its network, or a pretrained
            agent's files differ from their recorded checksums.

    Example:
        >>> import numpy as np
        >>> agent = load_agent("dqn")          # the pretrained DQN
        >>> agent.greedy_actions(np.zeros((1, 8), np.float32)).shape
        (1,)
    """
    path = weights_dir(run)
    if (path / "RECORD.json").is_file():
        verify_checksums(path)
    agent = make_agent(read_config(path).replace(jit_compile=False))
    agent.load(path)
    return agent
