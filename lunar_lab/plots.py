"""Plots of training: episode returns with their 100-episode rolling mean and the 200 line, and a
learner's own greedy evaluations drawn over the band of a shipped multi-seed sweep."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lunar_lab.envs import SOLVED_RETURN


def rolling_mean(values, window: int = 100) -> np.ndarray:
    """Mean of the last ``window`` values at each index (fewer at the start): [N] float64.

    Example:
        >>> rolling_mean([1, 2, 3, 4], window=2).tolist()
        [1.0, 1.5, 2.5, 3.5]
    """
    values = np.asarray(values, dtype=np.float64)
    sums = np.cumsum(np.insert(values, 0, 0.0))
    idx = np.arange(1, len(values) + 1)
    start = np.maximum(idx - window, 0)
    return (sums[idx] - sums[start]) / (idx - start)


def plot_learning_curve(episode_returns, env_steps=None, ax=None, label: str | None = None,
                        title: str = "Learning curve", path: str | Path | None = None, window: int = 100,
                        evaluations: tuple | None = None, color=None):
    """Plot returns per episode (faint), their rolling mean over ``window`` episodes, the 200 line.

    Args:
        episode_returns: [E] undiscounted returns, in order.
        env_steps: [E] env steps at the end of each episode; the x axis when given,
            else the episode index.
        evaluations: optional (env_steps [N], mean greedy returns [N]) of periodic greedy
            evaluations, drawn as markers (needs ``env_steps``).
        ax: matplotlib axes to draw into (a new figure if None).
        label: legend label of the rolling mean.
        color: a matplotlib color for the returns, their rolling mean and the evaluation
            markers, e.g. to keep one colour per setting across several plots; None takes
            the axes' next colour.
        path: if given, save the figure there as PNG (never overwrites an existing file).

    Returns:
        the matplotlib Axes.

    Raises:
        FileExistsError: ``path`` exists already.
    """
    import matplotlib.pyplot as plt

    returns = np.asarray(episode_returns, dtype=np.float64)
    x = np.arange(1, len(returns) + 1) if env_steps is None else np.asarray(env_steps)
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4.5))
    line = ax.plot(x, returns, alpha=0.25, linewidth=0.8, color=color)[0]
    ax.plot(x, rolling_mean(returns, window), color=line.get_color(), linewidth=2,
            label=label or f"rolling mean ({window} episodes)")
    if evaluations is not None and len(evaluations[0]):
        ax.plot(evaluations[0], evaluations[1], "o", color=line.get_color(), markersize=4,
                markeredgecolor="black", markeredgewidth=0.5, label="greedy evaluation (mean)")
    ax.axhline(SOLVED_RETURN, color="black", linestyle="--", linewidth=1, label="solved (200)")
    ax.set_xlabel("episode" if env_steps is None else "env steps")
    ax.set_ylabel("episode return")
    ax.set_title(title)
    ax.legend(loc="lower right")
    ax.grid(alpha=0.3)
    _save(ax, path)
    return ax


def plot_over_band(shipped, arm: str, evaluations: tuple | None = None, ax=None, color=None,
                   label: str = "your run", title: str | None = None, reps: int = 2_000,
                   path: str | Path | None = None):
    """Draw a shipped sweep's learning curve of ``arm`` over seeds, and a learner's run over it.

    The band is the mean over the arm's seeds of their periodic greedy evaluations with its
    pointwise 95 % stratified-bootstrap interval (:func:`lunar_lab.sweeps.statistics.curve_bands`,
    rliable), the seeds themselves faint behind it; ``evaluations`` are the learner's own
    periodic greedy evaluations, drawn as a black line with markers, so that the learner sees
    where their seed falls among the shipped ones. A run of the arm's exact config on another
    machine is another draw of the same distribution, not a copy of any shipped seed.

    Args:
        shipped: a :class:`lunar_lab.sweeps.results.SweepResults`, or what
            :func:`lunar_lab.sweeps.results.load_results` takes (a shipped result set's name).
        arm: the arm's label.
        evaluations: optional (env_steps [N], mean greedy returns [N]) of the learner's run,
            e.g. ``(result.evaluations["env_steps"], result.evaluations["mean"])``.
        ax, title, path: as for :func:`plot_learning_curve`; ``color``: of the shipped seeds and
            band (default "tab:blue"); ``label``: the learner's line.
        reps: bootstrap resamples of the band.

    Returns:
        the matplotlib Axes.

    Raises:
        ValueError: ``arm`` is not an arm of ``shipped`` (the message lists its arms), or has
            fewer than 2 finished runs.
        FileExistsError: ``path`` exists already.

    Example:
        >>> ax = plot_over_band("engine_parity", "envpool_16_envs", ([25_000, 50_000], [-120.0, -40.0]), reps=100)
        >>> [line.get_label() for line in ax.lines][-3:]
        ['mean of 10 seeds', 'your run', 'solved (200)']
    """
    import matplotlib.pyplot as plt

    from lunar_lab.sweeps.results import load_results
    from lunar_lab.sweeps.statistics import curve_bands

    results = shipped if hasattr(shipped, "curves") else load_results(shipped)
    if arm not in results.arms:
        raise ValueError(f"arm must be one of {results.arms} (the arms of {results.name}), got {arm!r}")
    curves = results.curves()
    curves = curves[curves.arm == arm]
    band = curve_bands(curves, reps=reps)
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4.5))
    color = color or "tab:blue"
    for _, run in curves.groupby("seed"):
        ax.plot(run.env_steps, run["mean"], color=color, alpha=0.15, linewidth=0.8, label="_seed")
    ax.fill_between(band.env_steps, band.low, band.high, color=color, alpha=0.3,
                    label=f"95 % interval of the mean ({results.name})")
    ax.plot(band.env_steps, band["mean"], color=color, linewidth=2, label=f"mean of {band.n.iloc[0]} seeds")
    if evaluations is not None and len(evaluations[0]):
        ax.plot(evaluations[0], evaluations[1], "k-o", markersize=3, linewidth=1.2, label=label)
    ax.axhline(SOLVED_RETURN, color="black", linestyle="--", linewidth=1, label="solved (200)")
    ax.set(xlabel="env steps", ylabel="greedy return (periodic evaluation)", title=title or arm)
    ax.legend(loc="lower right", fontsize="small")
    ax.grid(alpha=0.3)
    _save(ax, path)
    return ax


def _save(ax, path) -> None:
    if path is not None:
        path = Path(path)
        if path.exists():
            raise FileExistsError(f"{path} exists already; refusing to overwrite it")
        ax.figure.savefig(path, dpi=100, bbox_inches="tight")
