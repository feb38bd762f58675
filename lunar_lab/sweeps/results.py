"""A sweep's results as one tidy table, from its folder or from a shipped result set.

:func:`load_results` reads either a sweep's folder (``sweeps/NAME``, written by
``lunar-lab sweep``) or a result set exported from one (:func:`export_results`: the tidy
table ``results.csv`` with the spec beside it, as the course ships them in
``lunar_lab/experiments/``). The table has one row per run × greedy evaluation
(:data:`COLUMNS`): the periodic evaluations during training and the final one on held-out
seeds, so that ``table[table.kind == "final"]`` are the runs' scores (and, for sweeps that
recorded it, the best checkpoint's score on the same seeds: ``kind == "best"``).
"""

from __future__ import annotations

import json
import platform
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from lunar_lab.provenance import cpu_kind
from lunar_lab.sweeps import layout

#: Columns of the tidy table. ``kind``: ``"periodic"`` (during training, ``Config.eval_episodes``
#: episodes on seeds from EVAL_SEED), ``"final"`` (the final weights, the spec's held-out
#: evaluation) or ``"best"`` (the run's best checkpoint, the weights of its first periodic
#: evaluation with the top mean, on the same held-out seeds; absent in sweeps run before it
#: was recorded); ``env_steps``: when it was played (``"best"``: when its weights were taken); ``step``: ``env_steps`` on the arm's grid of
#: multiples of ``eval_interval`` (sub-environments step together, so an evaluation falls a few
#: env steps past the multiple); ``mean``, ``std``: greedy return over ``episodes`` episodes;
#: ``solved_at``: the run's first periodic evaluation with mean ≥ 200 (NaN: never).
COLUMNS = ("arm", "seed", "kind", "env_steps", "step", "mean", "std", "episodes", "solved_at")
RESULTS_FILE = "results.csv"
RECORD_FILE = "RECORD.json"
#: Shipped result sets (one folder each: spec.toml, results.csv, RECORD.json).
EXPERIMENTS_DIR = Path(__file__).resolve().parents[1] / "experiments"


@dataclass
class SweepResults:
    """A sweep's results.

    Attributes:
        name: the sweep's name.
        identity: the experiment (:meth:`lunar_lab.sweeps.spec.SweepSpec.identity`).
        table: the tidy table (:data:`COLUMNS`), runs that are done only.
        status: one row per (arm, seed) of the spec: ``arm``, ``seed``, ``status``
            (``"done"``, ``"failed"``, ``"missing"``) and ``error`` (failed runs).
        source: the folder it was read from.
    """

    name: str
    identity: dict
    table: pd.DataFrame
    status: pd.DataFrame
    source: Path

    @property
    def arms(self) -> list[str]:
        """The arm labels, in the spec's order."""
        return list(self.identity["arms"])

    def incomplete(self) -> pd.DataFrame:
        """The rows of :attr:`status` that are not done."""
        return self.status[self.status.status != "done"]

    def require_complete(self, allow_missing: bool = False) -> None:
        """Refuse to go on with runs missing or failed, unless ``allow_missing``.

        Raises:
            ValueError: naming each run that is not done (and the error of a failed one).
        """
        missing = self.incomplete()
        if len(missing) and not allow_missing:
            listed = "; ".join(f"{r.arm}/seed-{r.seed}: {r.status}" + (f" ({r.error})" if r.error else "")
                               for r in missing.itertuples())
            raise ValueError(f"{self.source}: {len(missing)} of {len(self.status)} runs are not done: {listed}. "
                             "Rerun the sweep to finish them, or compute over the runs that are done with "
                             "--allow-missing (allow_missing=True)")

    def final_scores(self) -> pd.DataFrame:
        """One row per finished run: ``arm``, ``seed``, ``score`` (final held-out greedy mean),
        ``solved_at`` (env steps, NaN: never)."""
        final = self.table[self.table.kind == "final"]
        return final.rename(columns={"mean": "score"})[["arm", "seed", "score", "solved_at"]].reset_index(drop=True)

    def best_scores(self) -> pd.DataFrame:
        """One row per finished run with a best checkpoint: ``arm``, ``seed``, ``score`` (the best
        checkpoint's held-out greedy mean), ``env_steps`` (when its weights were taken)."""
        best = self.table[self.table.kind == "best"]
        return best.rename(columns={"mean": "score"})[["arm", "seed", "score", "env_steps"]].reset_index(drop=True)

    def curves(self) -> pd.DataFrame:
        """The periodic evaluations: ``arm``, ``seed``, ``env_steps`` (the grid ``step``), ``mean``."""
        periodic = self.table[self.table.kind == "periodic"]
        return periodic[["arm", "seed", "step", "mean"]].rename(columns={"step": "env_steps"}).reset_index(drop=True)


def load_results(source: str | Path) -> SweepResults:
    """The results of a sweep folder, of an exported result set, or of a shipped one by name.

    Args:
        source: a folder written by ``lunar-lab sweep`` (holding spec.json), a folder written
            by :func:`export_results` (holding results.csv), or the name of a shipped result
            set (a folder of :data:`EXPERIMENTS_DIR`).

    Raises:
        FileNotFoundError: ``source`` is none of these.
        ValueError: its files are damaged.
    """
    path = Path(source)
    if not path.is_dir() and (EXPERIMENTS_DIR / str(source)).is_dir():
        path = EXPERIMENTS_DIR / str(source)
    if (path / layout.SPEC_FILE).is_file():
        return _from_sweep_dir(path)
    if (path / RESULTS_FILE).is_file():
        return _from_export(path)
    shipped = sorted(p.name for p in EXPERIMENTS_DIR.glob("*/") if (p / RESULTS_FILE).is_file())
    raise FileNotFoundError(f"SWEEP must be a sweep's folder (holding {layout.SPEC_FILE}), an exported result set "
                            f"(holding {RESULTS_FILE}) or a shipped one ({', '.join(shipped) or 'none'}); "
                            f"got {str(source)!r}")


def _from_sweep_dir(sweep_dir: Path) -> SweepResults:
    identity = layout.read_identity(sweep_dir)
    tables, status = [], []
    for arm, config in identity["arms"].items():
        for seed in identity["seeds"]:
            state = layout.run_status(sweep_dir, arm, seed)
            error = json.loads(layout.failed_file(sweep_dir, arm, seed).read_text())["error"] if state == "failed" else ""
            status.append((arm, seed, state, error))
            if state == "done":
                tables.append(_run_table(layout.run_dir(sweep_dir, arm, seed), arm, seed, config["eval_interval"]))
    table = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(columns=list(COLUMNS))
    return SweepResults(identity["name"], identity, table, pd.DataFrame(status, columns=["arm", "seed", "status", "error"]),
                        sweep_dir)


def _run_table(run: Path, arm: str, seed: int, eval_interval: int) -> pd.DataFrame:
    """The tidy rows of one finished run: its periodic evaluations, then its final one."""
    summary = json.loads((run / "summary.json").read_text())
    solved_at = summary["solved_at_env_steps"]
    periodic = pd.read_csv(run / "evaluations.csv")
    final = pd.read_csv(run / layout.FINAL_EVALUATION_FILE)["return"]
    episodes = json.loads((run / "config.json").read_text())["eval_episodes"]
    rows = pd.DataFrame({
        "kind": ["periodic"] * len(periodic) + ["final"],
        "env_steps": [*periodic.env_steps, summary["env_steps"]],
        "step": [*(periodic.env_steps // eval_interval * eval_interval if eval_interval else periodic.env_steps),
                 summary["env_steps"]],
        "mean": [*periodic["mean"], final.mean()],
        "std": [*periodic["std"], final.std(ddof=0)],
        "episodes": [episodes] * len(periodic) + [len(final)],
    })
    best_file = run / layout.BEST_EVALUATION_FILE
    if best_file.is_file():  # the best checkpoint: taken at the first periodic evaluation with the top mean
        best = pd.read_csv(best_file)["return"]
        taken = int(periodic["mean"].to_numpy().argmax())
        rows.loc[len(rows)] = ["best", periodic.env_steps[taken], rows.step[taken], best.mean(), best.std(ddof=0),
                               len(best)]
    rows.insert(0, "seed", seed)
    rows.insert(0, "arm", arm)
    rows["solved_at"] = np.nan if solved_at is None else float(solved_at)
    return rows[list(COLUMNS)]


def _from_export(path: Path) -> SweepResults:
    record = json.loads((path / RECORD_FILE).read_text())
    identity = record["identity"]
    table = pd.read_csv(path / RESULTS_FILE, float_precision="round_trip")
    if list(table.columns) != list(COLUMNS):
        raise ValueError(f"{path / RESULTS_FILE} has columns {list(table.columns)}, expected {list(COLUMNS)}")
    table["arm"] = table["arm"].astype(str)
    done = set(zip(table.arm, table.seed))
    status = pd.DataFrame([(a, s, "done" if (a, s) in done else "missing", "")
                           for a in identity["arms"] for s in identity["seeds"]],
                          columns=["arm", "seed", "status", "error"])
    return SweepResults(identity["name"], identity, table, status, path)


def export_results(sweep_dir: str | Path, dest: str | Path, command: str) -> Path:
    """Write a finished sweep's compact result set into ``dest``: ``results.csv`` (the tidy
    table), ``spec.toml`` (the spec it was run from) and ``RECORD.json`` (the command, the
    experiment's identity, versions, CPU, date, the runs' summed training time and the
    sweep's wall time over all its sessions).

    Raises:
        ValueError: the sweep has runs that are not done (a shipped set is always whole), or
            ``dest`` holds the results of another experiment.
    """
    results = _from_sweep_dir(Path(sweep_dir))
    results.require_complete()
    dest = Path(dest)
    if (dest / RECORD_FILE).is_file() and json.loads((dest / RECORD_FILE).read_text())["identity"] != results.identity:
        raise ValueError(f"{dest} holds the results of another experiment; nothing was written")
    dest.mkdir(parents=True, exist_ok=True)
    results.table.to_csv(dest / RESULTS_FILE, index=False)
    if Path(sweep_dir, layout.SPEC_TOML).is_file() and Path(sweep_dir, layout.SPEC_TOML).resolve() != (dest / "spec.toml").resolve():
        shutil.copyfile(Path(sweep_dir, layout.SPEC_TOML), dest / "spec.toml")
    summaries = [json.loads((layout.run_dir(sweep_dir, a, s) / "summary.json").read_text())
                 for a in results.arms for s in results.identity["seeds"]]
    record = {"command": command, "date": time.strftime("%Y-%m-%d"), "cpu": cpu_kind(),
              "machine": f"{platform.machine()}, {platform.system()}", "versions": summaries[0]["versions"],
              "runs": len(summaries), "training_time_s": round(sum(s["wall_time_s"] for s in summaries), 1),
              "sweep_wall_time_s": round(sum(json.loads(line)["wall_time_s"] for line in
                                             Path(sweep_dir, layout.SESSIONS_FILE).read_text().splitlines()), 1),
              "identity": results.identity}
    layout.write_atomic(dest / RECORD_FILE, json.dumps(record, indent=2) + "\n")
    return dest

