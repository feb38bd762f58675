"""Where a sweep keeps its runs, and which of them are done.

A sweep's folder ``ROOT/NAME`` holds

- ``spec.json``: the experiment's identity (:meth:`lunar_lab.sweeps.spec.SweepSpec.identity`),
  written before the first run: a later sweep into the folder must be the same experiment
  (it may add arms or seeds);
- ``spec.toml``: a copy of the specification file it was last run from;
- ``ARM/seed-N/``: a finished run (a run directory, see :mod:`lunar_lab.runs`, plus
  ``final_evaluation.csv``). It appears by one atomic rename of ``ARM/.seed-N.partial/``,
  the folder the run works in (its checkpoints let an interrupted run resume exactly), so a
  run is either done, whole, or not done;
- ``ARM/seed-N.failed.json``: the error of a run that raised (it is run again next time);
- ``sessions.jsonl``: one line per call of the sweep (when, where, runs finished, wall time).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from lunar_lab.config import VALUES_BEFORE_FIELD, Config

SPEC_FILE = "spec.json"
SPEC_TOML = "spec.toml"
#: Default parent folder of sweep results (``lunar-lab sweep --root``).
SWEEPS_DIR = "sweeps"
FINAL_EVALUATION_FILE = "final_evaluation.csv"
#: The ``best`` checkpoint (best periodic evaluation) on the same held-out seeds as the final weights.
BEST_EVALUATION_FILE = "best_evaluation.csv"
SESSIONS_FILE = "sessions.jsonl"


def run_dir(sweep_dir: str | Path, arm: str, seed: int) -> Path:
    """The folder of a finished run of ``arm`` on ``seed``."""
    return Path(sweep_dir) / arm / f"seed-{seed}"


def partial_dir(sweep_dir: str | Path, arm: str, seed: int) -> Path:
    """The folder a run works in until it is done (then renamed to :func:`run_dir`)."""
    return Path(sweep_dir) / arm / f".seed-{seed}.partial"


def failed_file(sweep_dir: str | Path, arm: str, seed: int) -> Path:
    """The record of a run that raised: JSON with ``error`` and ``traceback``."""
    return Path(sweep_dir) / arm / f"seed-{seed}.failed.json"


def run_status(sweep_dir: str | Path, arm: str, seed: int) -> str:
    """``"done"``, ``"failed"`` (its last attempt raised) or ``"missing"`` (not run, or interrupted)."""
    if (run_dir(sweep_dir, arm, seed) / "summary.json").is_file():
        return "done"
    return "failed" if failed_file(sweep_dir, arm, seed).is_file() else "missing"


def read_identity(sweep_dir: str | Path) -> dict | None:
    """The identity recorded in ``sweep_dir/spec.json``, or None if there is none.

    Raises:
        ValueError: the file exists but is not valid JSON.
    """
    path = Path(sweep_dir) / SPEC_FILE
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise ValueError(f"{path} is damaged (not valid JSON: {err}); it records which experiment the folder "
                         "holds, so nothing was run") from None


def write_atomic(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary sibling and one rename (a kill leaves the old file whole)."""
    path = Path(path)
    staged = path.with_name(f".{path.name}.tmp")
    staged.write_text(text)
    os.replace(staged, path)


def identity_conflicts(old: dict, new: dict) -> list[str]:
    """How the experiment ``new`` differs from ``old`` in ways that would mix two experiments.

    ``new`` may add arms and seeds; it may not drop any, nor change an arm's Config, the
    budget or the final evaluation. A Config field that ``old`` does not list (one added to
    Config since) counts as its default, or as the value runs had before it existed
    (:data:`lunar_lab.config.VALUES_BEFORE_FIELD`), as :meth:`Config.from_dict` reads an old config.json.

    Example:
        >>> old = {"name": "s", "seeds": [0], "budget": 10, "evaluation": {"episodes": 5, "seed": 9},
        ...        "arms": {"a": {"gamma": 0.99}}}
        >>> identity_conflicts(old, {**old, "seeds": [0, 1], "arms": {"a": {"gamma": 0.99}, "b": {}}})
        []
        >>> identity_conflicts(old, {**old, "arms": {"a": {"gamma": 0.9}}})
        ["arm 'a': gamma was 0.99, now 0.9"]
    """
    conflicts = [f"{key} was {old.get(key)!r}, now {new.get(key)!r}" for key in ("budget", "evaluation")
                 if old.get(key) != new.get(key)]
    dropped = [s for s in old.get("seeds", []) if s not in new.get("seeds", [])]
    if dropped:
        conflicts.append(f"seeds {dropped} would be dropped")
    defaults = {**Config().to_dict(), **VALUES_BEFORE_FIELD}
    for label, config in old.get("arms", {}).items():
        if label not in new.get("arms", {}):
            conflicts.append(f"arm {label!r} would be dropped")
            continue
        was, now = {**defaults, **config}, {**defaults, **new["arms"][label]}
        conflicts += [f"arm {label!r}: {key} was {was.get(key)!r}, now {now.get(key)!r}"
                      for key in sorted(set(was) | set(now)) if was.get(key) != now.get(key)]
    return conflicts
