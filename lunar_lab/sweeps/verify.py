"""Re-run one (arm, seed) of a shipped sweep at its full budget and check it against the shipped runs.

A shipped result set (``lunar_lab/experiments/NAME``) records the kind of CPU it was made on
(:func:`lunar_lab.provenance.cpu_kind`). On that kind of CPU a re-run gives the shipped score to
the last bit; on another, XLA and BLAS pick other kernels and the run is another draw of the same
distribution, so the check is that it falls inside the spread of the arm's shipped seeds
(from min − IQR to max + IQR of their scores). ``lunar-lab verify NAME --arm A --seed S`` runs it.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from lunar_lab.sweeps import layout
from lunar_lab.sweeps.results import RECORD_FILE, load_results


@dataclass(frozen=True)
class Verification:
    """The outcome of :func:`verify_run`.

    Attributes:
        name, arm, seed: the run that was re-run.
        score: its final greedy mean return over the spec's held-out episodes.
        shipped_score: the shipped score of the same (arm, seed).
        low, high: the accepted spread, min − IQR and max + IQR of the arm's shipped scores.
        same_cpu: this machine is the kind of CPU the results were made on.
    """

    name: str
    arm: str
    seed: int
    score: float
    shipped_score: float
    low: float
    high: float
    same_cpu: bool

    @property
    def identical(self) -> bool:
        """The score equals the shipped one to 1e-9 (expected on the same kind of CPU)."""
        return abs(self.score - self.shipped_score) <= 1e-9

    @property
    def passed(self) -> bool:
        """Inside the spread, and identical where the CPU is the same kind."""
        return self.low <= self.score <= self.high and (self.identical or not self.same_cpu)

    def to_text(self) -> str:
        """A few lines saying what was compared and the verdict."""
        where = ("the same kind of CPU as the shipped runs, so the score must be identical" if self.same_cpu else
                 "another kind of CPU than the shipped runs, so the score is another draw and must fall in the spread")
        return (f"{self.name}/{self.arm}/seed-{self.seed}: re-run score {self.score:.4f}, shipped {self.shipped_score:.4f} "
                f"({'identical' if self.identical else 'different'}); spread of the arm's shipped seeds "
                f"[{self.low:.1f}, {self.high:.1f}] (min − IQR, max + IQR)\nthis machine is {where}\n"
                f"verdict: {'PASS' if self.passed else 'FAIL'}")


def verify_run(source: str | Path, arm: str, seed: int, work_dir: str | Path | None = None) -> Verification:
    """Train ``arm`` on ``seed`` of a shipped result set again, as its sweep did, and compare.

    Args:
        source: a shipped result set's name or folder (:func:`lunar_lab.sweeps.results.load_results`),
            with its ``spec.toml`` beside the results.
        arm, seed: the run; its config is the spec's (the full budget: a 300k-env-step arm
            takes about a minute alone on a laptop CPU).
        work_dir: where the run trains (default: a new temporary folder, removed afterwards).

    Returns:
        a :class:`Verification`.

    Raises:
        ValueError: ``arm`` or ``seed`` is not in the result set (the message lists what is),
            or the set has fewer than 2 runs of ``arm``.
        FileNotFoundError: ``source`` is not a result set, or has no ``spec.toml``.
    """
    from lunar_lab.provenance import cpu_kind
    from lunar_lab.sweeps.execution import execute_run, run_task
    from lunar_lab.sweeps.spec import load_spec

    results = load_results(source)
    spec = load_spec(Path(results.source) / layout.SPEC_TOML)
    if arm not in spec.labels:
        raise ValueError(f"arm must be one of {list(spec.labels)} (the arms of {spec.name}), got {arm!r}")
    if seed not in spec.seeds:
        raise ValueError(f"seed must be one of {list(spec.seeds)} (the seeds of {spec.name}), got {seed!r}")
    scores = results.final_scores()
    scores = scores[scores.arm == arm].set_index("seed").score
    if len(scores) < 2:
        raise ValueError(f"{spec.name} has {len(scores)} finished run(s) of {arm!r}: a spread needs at least 2")
    with tempfile.TemporaryDirectory(prefix="lunar-lab-verify-") as scratch:
        folder = Path(work_dir or scratch)
        files = execute_run(run_task(spec, folder, arm, seed))["files"]
        (folder / layout.FINAL_EVALUATION_FILE).write_bytes(files[layout.FINAL_EVALUATION_FILE])
        score = float(pd.read_csv(folder / layout.FINAL_EVALUATION_FILE)["return"].mean())
    iqr = scores.quantile(0.75) - scores.quantile(0.25)
    recorded_cpu = json.loads((Path(results.source) / RECORD_FILE).read_text())["cpu"]
    return Verification(spec.name, arm, seed, score, float(scores[seed]), float(scores.min() - iqr),
                        float(scores.max() + iqr), cpu_kind() == recorded_cpu)
