"""Learning-curve plots: the rolling mean is right, the PNG is written, nothing is overwritten."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from lunar_lab.plots import plot_learning_curve, rolling_mean


def test_rolling_mean_window_of_three():
    np.testing.assert_allclose(rolling_mean([3, 0, 3, 6, 9], window=3), [3, 1.5, 2, 3, 6])


def test_plot_draws_returns_mean_evaluations_and_solved_line(tmp_path):
    ax = plot_learning_curve([-100, 0, 100, 250], env_steps=[10, 20, 30, 40], evaluations=([25], [150.0]),
                             path=tmp_path / "curve.png")
    labels = [line.get_label() for line in ax.get_lines()]
    assert "greedy evaluation (mean)" in labels and "solved (200)" in labels
    np.testing.assert_allclose(ax.get_lines()[1].get_ydata(), [-100, -50, 0, 62.5])
    assert (tmp_path / "curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(FileExistsError):
        plot_learning_curve([1.0], path=tmp_path / "curve.png")


def test_color_is_used_for_returns_mean_and_evaluations():
    ax = plot_learning_curve([1.0, 2.0], env_steps=[5, 10], evaluations=([10], [2.0]), color="tab:red")
    returns, mean, markers = ax.get_lines()[:3]
    assert returns.get_color() == mean.get_color() == markers.get_color() == "tab:red"
