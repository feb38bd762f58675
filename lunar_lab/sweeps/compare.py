"""What ``lunar-lab compare SWEEP`` reports: which arm, and how sure (Agarwal et al. 2021).

:func:`compare` loads a sweep's tidy table (:func:`lunar_lab.sweeps.results.load_results`)
and computes, with :mod:`lunar_lab.sweeps.statistics` (rliable): per arm the mean, IQM and
median of the final held-out scores and the fraction of seeds solved, each with a 95 %
stratified-bootstrap interval, and the env steps to solve; the probability that each arm
improves on a baseline arm, P(X > Y), with its interval; the learning curves (mean greedy
evaluation over seeds per env step, with a pointwise 95 % band); the performance profile
(fraction of runs scoring above τ). :meth:`Comparison.plot` draws them with rliable's own
plotting functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from lunar_lab.envs import SOLVED_RETURN
from lunar_lab.sweeps import statistics
from lunar_lab.sweeps.results import SweepResults, load_results

#: Score thresholds τ of the performance profile: from the lowest score (rounded down to a
#: multiple of 50, at most 0) to 300, every 5 points.
PROFILE_STEP, PROFILE_TOP = 5.0, 300.0


def profile_taus(scores) -> np.ndarray:
    """The τ grid of the performance profile for these final scores.

    Example:
        >>> profile_taus([-120.0, 250.0])[[0, -1]].tolist()
        [-150.0, 300.0]
    """
    low = min(0.0, np.floor(np.min(scores) / 50) * 50)
    return np.arange(low, max(PROFILE_TOP, float(np.max(scores))) + PROFILE_STEP / 2, PROFILE_STEP)


@dataclass
class Comparison:
    """The statistics of one sweep (see :func:`compare`).

    Attributes:
        results: the loaded results (``results.table`` is the tidy table).
        baseline: the arm the others are compared with.
        scores: per arm, :func:`lunar_lab.sweeps.statistics.aggregate_scores`.
        improvement: per arm other than the baseline, P(arm > baseline) with its interval
            (:func:`lunar_lab.sweeps.statistics.probability_of_improvement`).
        curves: :func:`lunar_lab.sweeps.statistics.curve_bands` of the periodic evaluations.
        profile: :func:`lunar_lab.sweeps.statistics.performance_profile` at :func:`profile_taus`.
    """

    results: SweepResults
    baseline: str
    scores: pd.DataFrame
    improvement: pd.DataFrame
    curves: pd.DataFrame
    profile: pd.DataFrame

    def sentences(self, metric: str = "iqm") -> list[str]:
        """Per arm other than the baseline, one sentence: higher, lower, or no difference detectable."""
        rows = self.scores.set_index("arm", drop=False)
        return [f"{arm} vs {self.baseline}: {statistics.describe_difference(rows.loc[arm], rows.loc[self.baseline], metric)}"
                for arm in rows.index if arm != self.baseline]

    def score_table(self) -> pd.DataFrame:
        """:attr:`scores` as a readable table: 'value [low, high]' strings, one row per arm."""
        def interval(row, name, fmt="{:.1f}"):
            return f"{fmt.format(row[name])} [{fmt.format(row[name + '_low'])}, {fmt.format(row[name + '_high'])}]"

        table = pd.DataFrame({
            "arm": self.scores.arm,
            "seeds": self.scores.n,
            "IQM": [interval(r, "iqm") for _, r in self.scores.iterrows()],
            "mean": [interval(r, "mean") for _, r in self.scores.iterrows()],
            "median": [interval(r, "median") for _, r in self.scores.iterrows()],
            "solved": [interval(r, "fraction_solved", "{:.0%}") for _, r in self.scores.iterrows()],
            "env steps to solve (median)": [("—" if np.isnan(r.solved_at_median) else f"{r.solved_at_median:,.0f}")
                                            + f" ({int(r.solved_at_n)} of {int(r.n)} seeds)"
                                            for _, r in self.scores.iterrows()],
        })
        return table.set_index("arm")

    def to_text(self) -> str:
        """The report ``lunar-lab compare`` prints."""
        budget = self.results.identity["budget"]
        episodes = self.results.identity["evaluation"]["episodes"]
        lines = [f"sweep {self.results.name}: final greedy score of each run = mean return over {episodes} held-out "
                 f"episodes after {budget:,} env steps; [95 % stratified-bootstrap interval over seeds]; "
                 f"solved = score >= {SOLVED_RETURN:g}", "", self.score_table().to_string(), ""]
        if len(self.improvement):
            lines.append(f"probability of improvement over {self.baseline}, P(X > {self.baseline}) [95 % interval]:")
            lines += [f"  {r.arm_x}: {r.probability:.2f} [{r.low:.2f}, {r.high:.2f}]"
                      for r in self.improvement.itertuples()]
            lines.append("")
        lines += self.sentences()
        missing = self.results.incomplete()
        if len(missing):
            lines += ["", f"computed over the runs that are done; not done: "
                          + ", ".join(f"{r.arm}/seed-{r.seed} ({r.status})" for r in missing.itertuples())]
        return "\n".join(lines)

    def plot(self, path: str | Path | None = None):
        """Learning curves with 95 % bands, the performance profile and the intervals of IQM and
        fraction solved, drawn with ``rliable.plot_utils``; saved as PNG if ``path`` is given.

        Returns:
            the matplotlib Figure.
        """
        import matplotlib.pyplot as plt
        from rliable import plot_utils

        arms = list(self.scores.arm)
        colors = dict(zip(arms, plt.get_cmap("tab10").colors))
        fig, (ax_curve, ax_profile) = plt.subplots(1, 2, figsize=(13, 4.5))
        by_arm = {arm: frame for arm, frame in self.curves.groupby("arm", sort=False)}
        steps = {arm: frame.env_steps.to_numpy() for arm, frame in by_arm.items()}
        common = sorted(set.intersection(*(set(s) for s in steps.values()))) if steps else []
        plot_utils.plot_sample_efficiency_curve(
            np.asarray(common), {a: f.set_index("env_steps").loc[common, "mean"].to_numpy() for a, f in by_arm.items()},
            {a: f.set_index("env_steps").loc[common, ["low", "high"]].to_numpy().T for a, f in by_arm.items()},
            algorithms=list(by_arm), colors=colors, xlabel="env steps", ylabel="greedy return (mean over seeds)",
            ax=ax_curve, labelsize="medium", ticklabelsize="small")
        ax_curve.axhline(SOLVED_RETURN, color="grey", linestyle="--", linewidth=1)
        ax_curve.legend(fontsize="small")
        ax_curve.set_title("learning curves, 95 % pointwise bands")
        profile = {arm: frame for arm, frame in self.profile.groupby("arm", sort=False)}
        plot_utils.plot_performance_profiles(
            {a: f.fraction.to_numpy() for a, f in profile.items()}, next(iter(profile.values())).tau.to_numpy(),
            performance_profile_cis={a: f[["low", "high"]].to_numpy().T for a, f in profile.items()},
            colors=colors, xlabel=r"final score $\tau$", ylabel=r"fraction of runs with score $> \tau$",
            ax=ax_profile, labelsize="medium", ticklabelsize="small")
        ax_profile.axvline(SOLVED_RETURN, color="grey", linestyle="--", linewidth=1)
        ax_profile.set_title(f"performance profile ({self.results.name})")
        fig.tight_layout()
        if path is not None:
            fig.savefig(path, dpi=110)
        return fig


def compare(source, *, baseline: str | None = None, arms: list[str] | None = None, allow_missing: bool = False,
            reps: int = statistics.DEFAULT_REPS, seed: int = 0) -> Comparison:
    """The statistics of a sweep: see the module docstring and :class:`Comparison`.

    Args:
        source: a sweep's folder, an exported result set, or a shipped one's name (:func:`load_results`).
        baseline: the arm the others are compared with (default: the spec's first arm).
        arms: compare only these arms (default: all); the tables list the baseline first,
            then the others in the spec's order.
        allow_missing: compute over the runs that are done when some are missing or failed
            (the report lists them); otherwise that is an error.
        reps: bootstrap repetitions of every interval; seed: their random seed (same seed,
            same intervals).

    Raises:
        ValueError: runs not done (without ``allow_missing``, naming each), an unknown arm,
            or an arm with fewer than 2 finished runs (no interval can be computed).
        FileNotFoundError: ``source`` is not a sweep.

    Example:
        >>> c = compare("capstone_agents", reps=200)          # the shipped capstone sweep
        >>> list(c.scores.arm)
        ['dqn', 'double_dqn', 'nstep_double_dqn', 'sqn']
    """
    results = load_results(source)
    results.require_complete(allow_missing)
    chosen = list(arms) if arms is not None else results.arms
    unknown = [a for a in chosen + ([baseline] if baseline else []) if a not in results.arms]
    if unknown:
        raise ValueError(f"unknown arm {', '.join(map(repr, unknown))}; the sweep's arms: {', '.join(results.arms)}")
    baseline = baseline or chosen[0]
    chosen = [baseline] + [arm for arm in chosen if arm != baseline]  # the baseline first, then the spec's order
    final = results.final_scores()
    final = final[final.arm.isin(chosen)]
    final = final.set_index("arm").loc[chosen].reset_index()  # the spec's order
    curves = results.curves()
    curves = curves[curves.arm.isin(chosen)]
    scores = statistics.aggregate_scores(final, reps=reps, seed=seed)
    pairs = [statistics.probability_of_improvement(final, arm, baseline, reps=reps, seed=seed)
             for arm in chosen if arm != baseline]
    improvement = pd.concat(pairs, ignore_index=True) if pairs else pd.DataFrame()
    return Comparison(results, baseline, scores, improvement, statistics.curve_bands(curves, reps=reps, seed=seed),
                      statistics.performance_profile(final, profile_taus(final.score), reps=reps, seed=seed))
