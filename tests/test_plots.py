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


def test_the_band_is_the_shipped_arm_s_mean_over_seeds_and_the_learner_s_run_is_drawn_over_it():
    from lunar_lab.plots import plot_over_band
    from lunar_lab.sweeps.results import load_results

    shipped = load_results("engine_parity")
    ax = plot_over_band(shipped, "gymnasium_16_envs", ([25_000, 50_000, 75_000], [-90.0, 10.0, 120.0]), reps=100)
    lines = {line.get_label(): line for line in ax.get_lines()}
    curves = shipped.curves()
    by_hand = curves[curves.arm == "gymnasium_16_envs"].groupby("env_steps")["mean"].mean()  # the arm's seeds only
    mean = lines["mean of 10 seeds"]
    np.testing.assert_array_equal(mean.get_xdata(), by_hand.index)
    np.testing.assert_allclose(mean.get_ydata(), by_hand.to_numpy())
    np.testing.assert_array_equal(lines["your run"].get_ydata(), [-90.0, 10.0, 120.0])
    assert sum(line.get_label() == "_seed" for line in ax.get_lines()) == 10
    (band,) = ax.collections  # the interval encloses the mean at every step
    low, high = band.get_paths()[0].vertices[:, 1].min(), band.get_paths()[0].vertices[:, 1].max()
    assert low <= by_hand.min() and high >= by_hand.max()


def test_an_arm_the_sweep_does_not_have_is_named_with_the_ones_it_has():
    from lunar_lab.plots import plot_over_band

    with pytest.raises(ValueError, match=r"arm must be one of \['gymnasium_4_envs'.*got 'dqn'"):
        plot_over_band("engine_parity", "dqn")
