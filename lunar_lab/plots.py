"""Plots of training: episode returns with their 100-episode rolling mean and the 200 line."""

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
    if path is not None:
        path = Path(path)
        if path.exists():
            raise FileExistsError(f"{path} exists already; refusing to overwrite it")
        ax.figure.savefig(path, dpi=100, bbox_inches="tight")
    return ax
