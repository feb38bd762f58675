"""lunar_lab.sweeps.statistics on hand-made sweeps whose answers are known."""

import numpy as np
import pandas as pd
import pytest
import scipy.stats

from lunar_lab.sweeps.statistics import (
    AGGREGATE_COLUMNS,
    aggregate_scores,
    curve_bands,
    describe_difference,
    improvement_matrix,
    performance_profile,
    probability_of_improvement,
)

REPS = 200


def final_table(scores_by_arm, solved_at_by_arm=None):
    """Final-scores table: one row per run, seeds 0, 1, … within each arm."""
    rows = []
    for arm, scores in scores_by_arm.items():
        solved_at = (solved_at_by_arm or {}).get(arm, [np.nan] * len(scores))
        rows += [{"arm": arm, "seed": seed, "score": float(score), "solved_at": float(steps)}
                 for seed, (score, steps) in enumerate(zip(scores, solved_at))]
    return pd.DataFrame(rows)


def row(table, arm):
    return table.set_index("arm").loc[arm]


# ---------------------------------------------------------------- aggregate_scores

def test_iqm_mean_median_of_eight_known_scores():
    scores = [70.0, 10.0, 1000.0, 30.0, 50.0, 20.0, 60.0, 40.0]
    result = row(aggregate_scores(final_table({"a": scores}), reps=REPS), "a")
    # sorted: 10 20 | 30 40 50 60 | 70 1000 -> the middle half averages to 45
    assert result["iqm"] == pytest.approx(45.0)
    assert result["iqm"] == pytest.approx(scipy.stats.trim_mean(scores, 0.25))
    assert result["mean"] == pytest.approx(1280.0 / 8)
    assert result["median"] == pytest.approx(45.0)
    assert result["n"] == 8


def test_columns_and_arm_order_follow_the_table():
    table = aggregate_scores(final_table({"z": [1.0, 2.0], "a": [3.0, 4.0]}), reps=REPS)
    assert tuple(table.columns) == AGGREGATE_COLUMNS
    assert table["arm"].tolist() == ["z", "a"]
    assert table["confidence"].tolist() == [0.95, 0.95]


def test_constant_scores_give_zero_width_intervals_at_the_value():
    result = row(aggregate_scores(final_table({"a": [210.0] * 5}), reps=REPS), "a")
    for metric, value in (("mean", 210.0), ("iqm", 210.0), ("median", 210.0), ("fraction_solved", 1.0)):
        assert result[[metric, f"{metric}_low", f"{metric}_high"]].tolist() == [value] * 3


def test_interval_contains_the_estimate_and_narrows_with_more_runs():
    pattern = [100.0, 150.0, 200.0, 250.0]
    table = aggregate_scores(final_table({"few": pattern, "many": pattern * 8}), reps=REPS)
    few, many = row(table, "few"), row(table, "many")
    for metric in ("mean", "iqm", "median"):
        for result in (few, many):
            assert result[f"{metric}_low"] <= result[metric] <= result[f"{metric}_high"]
        assert few[metric] == pytest.approx(many[metric])
        width = lambda r: r[f"{metric}_high"] - r[f"{metric}_low"]  # noqa: E731
        assert 0 < width(many) < width(few)


def test_wider_confidence_gives_a_wider_interval():
    final = final_table({"a": [100.0, 150.0, 200.0, 250.0, 120.0, 230.0]})
    narrow = row(aggregate_scores(final, reps=REPS, confidence=0.5), "a")
    wide = row(aggregate_scores(final, reps=REPS, confidence=0.95), "a")
    assert wide["mean_low"] < narrow["mean_low"] < narrow["mean_high"] < wide["mean_high"]


def test_fraction_solved_counts_scores_at_or_above_200():
    table = aggregate_scores(final_table({"a": [250.0, 150.0, 210.0, 190.0],
                                          "edge": [200.0, 199.9]}), reps=REPS)
    assert row(table, "a")["fraction_solved"] == 0.5
    assert row(table, "edge")["fraction_solved"] == 0.5
    a = row(table, "a")
    assert 0.0 <= a["fraction_solved_low"] < 0.5 < a["fraction_solved_high"] <= 1.0


def test_env_steps_to_solve_median_over_the_runs_that_solved():
    final = final_table({"a": [1.0] * 5, "never": [1.0, 2.0]},
                        {"a": [30_000, np.nan, 10_000, 20_000, np.nan]})
    table = aggregate_scores(final, reps=REPS)
    assert row(table, "a")["solved_at_median"] == 20_000
    assert row(table, "a")["solved_at_n"] == 3
    assert np.isnan(row(table, "never")["solved_at_median"])
    assert row(table, "never")["solved_at_n"] == 0


def test_same_seed_same_intervals_and_the_callers_random_stream_is_untouched():
    final = final_table({"a": [100.0, 150.0, 200.0, 250.0, 120.0], "b": [1.0, 5.0, 9.0]})
    np.random.seed(123)
    expected_draw = np.random.rand()
    np.random.seed(123)
    first = aggregate_scores(final, reps=REPS, seed=7)
    assert np.random.rand() == expected_draw
    pd.testing.assert_frame_equal(first, aggregate_scores(final, reps=REPS, seed=7))
    other = aggregate_scores(final, reps=REPS, seed=8)
    assert not first[["mean_low", "mean_high"]].equals(other[["mean_low", "mean_high"]])


# ---------------------------------------------------------------- probability of improvement

def test_probability_is_one_when_every_x_beats_every_y():
    final = final_table({"x": [210.0, 220.0, 205.0], "y": [100.0, 200.0, 150.0, 199.0]})
    result = probability_of_improvement(final, "x", "y", reps=REPS).iloc[0]
    assert result[["arm_x", "arm_y", "n_x", "n_y"]].tolist() == ["x", "y", 3, 4]
    assert result[["probability", "low", "high"]].tolist() == [1.0, 1.0, 1.0]
    reverse = probability_of_improvement(final, "y", "x", reps=REPS).iloc[0]
    assert reverse[["probability", "low", "high"]].tolist() == [0.0, 0.0, 0.0]


def test_probability_is_one_half_for_identical_arms():
    final = final_table({"x": [100.0, 150.0, 200.0], "y": [100.0, 150.0, 200.0]})
    result = probability_of_improvement(final, "x", "y", reps=REPS).iloc[0]
    assert result["probability"] == 0.5
    assert result["low"] < 0.5 < result["high"]


def test_probability_counts_pairs_and_half_ties():
    # x = [3, 5], y = [1, 4]: 3 of the 4 pairs have x > y
    assert probability_of_improvement(final_table({"x": [3.0, 5.0], "y": [1.0, 4.0]}), "x", "y",
                                      reps=REPS)["probability"].item() == 0.75
    # x = [2, 3], y = [2, 1]: (2,2) is a tie (1/2), the other 3 pairs are wins -> 3.5 / 4
    assert probability_of_improvement(final_table({"x": [2.0, 3.0], "y": [2.0, 1.0]}), "x", "y",
                                      reps=REPS)["probability"].item() == 0.875


def test_improvement_matrix_of_all_ordered_pairs():
    final = final_table({"x": [3.0, 5.0], "y": [1.0, 4.0], "z": [10.0]})
    matrix = improvement_matrix(final)
    assert matrix.index.name == "arm_x" and matrix.columns.name == "arm_y"
    assert matrix.index.tolist() == matrix.columns.tolist() == ["x", "y", "z"]
    assert matrix.loc["x", "y"] == 0.75 and matrix.loc["y", "x"] == 0.25
    assert matrix.loc["z", "x"] == 1.0 and matrix.loc["x", "z"] == 0.0
    np.testing.assert_array_equal(np.diag(matrix), [0.5, 0.5, 0.5])
    np.testing.assert_allclose(matrix.to_numpy() + matrix.to_numpy().T, 1.0)


# ---------------------------------------------------------------- curves

def curve_table():
    """Arm a: 3 seeds on steps 0, 1000, 2000 (seed 2 also has 3000); arm b: 2 seeds."""
    rows = [("a", 0, 0, -100.0), ("a", 1, 0, -100.0), ("a", 2, 0, -100.0),
            ("a", 0, 1000, 0.0), ("a", 1, 1000, 30.0), ("a", 2, 1000, 60.0),
            ("a", 0, 2000, 210.0), ("a", 1, 2000, 210.0), ("a", 2, 2000, 210.0),
            ("a", 2, 3000, 250.0),
            ("b", 0, 0, 5.0), ("b", 1, 0, 15.0)]
    return pd.DataFrame(rows, columns=["arm", "seed", "env_steps", "mean"])


def test_curve_bands_mean_over_seeds_per_step():
    bands = curve_bands(curve_table(), reps=REPS)
    assert bands.columns.tolist() == ["arm", "env_steps", "n", "mean", "low", "high"]
    a = bands[bands["arm"] == "a"].set_index("env_steps")
    assert a.index.tolist() == [0, 1000, 2000]  # 3000: only seed 2 has it
    assert a["n"].tolist() == [3, 3, 3]
    assert a["mean"].tolist() == pytest.approx([-100.0, 30.0, 210.0])
    b = bands[bands["arm"] == "b"].iloc[0]
    assert (b["env_steps"], b["n"], b["mean"]) == (0, 2, 10.0)


def test_curve_band_is_zero_width_where_all_seeds_agree():
    a = curve_bands(curve_table(), reps=REPS).query("arm == 'a'").set_index("env_steps")
    assert a.loc[0, ["low", "high"]].tolist() == [-100.0, -100.0]
    assert a.loc[2000, ["low", "high"]].tolist() == [210.0, 210.0]
    assert 0.0 <= a.loc[1000, "low"] < 30.0 < a.loc[1000, "high"] <= 60.0


# ---------------------------------------------------------------- performance profile

def test_performance_profile_fraction_above_each_tau():
    final = final_table({"a": [250.0, 150.0, 210.0, 200.0], "flat": [100.0, 100.0]})
    profile = performance_profile(final, [0.0, 199.5, 200.0, 300.0], reps=REPS)
    assert profile.columns.tolist() == ["arm", "tau", "n", "fraction", "low", "high"]
    a = profile[profile["arm"] == "a"]
    assert a["tau"].tolist() == [0.0, 199.5, 200.0, 300.0]
    assert a["fraction"].tolist() == [1.0, 0.75, 0.5, 0.0]  # 200 itself is not > 200
    assert (a["low"] <= a["fraction"]).all() and (a["fraction"] <= a["high"]).all()
    flat = profile[profile["arm"] == "flat"]
    for column in ("fraction", "low", "high"):
        assert flat[column].tolist() == [1.0, 0.0, 0.0, 0.0]


# ---------------------------------------------------------------- sentences

def test_describe_difference_says_no_difference_where_intervals_overlap():
    table = aggregate_scores(final_table({"a": [100.0, 150.0, 200.0, 250.0],
                                          "b": [110.0, 160.0, 190.0, 240.0]}), reps=REPS)
    sentence = describe_difference(table.iloc[0], table.iloc[1])
    assert "no difference detectable with 4 seeds per arm" in sentence
    assert "95% intervals overlap" in sentence


def test_describe_difference_names_the_higher_arm_where_intervals_are_disjoint():
    final = final_table({"low": [10.0, 11.0, 12.0], "high": [200.0, 210.0, 205.0, 220.0]})
    table = aggregate_scores(final, reps=REPS)
    for first, second in ((0, 1), (1, 0)):
        sentence = describe_difference(table.iloc[first], table.iloc[second], metric="mean")
        assert sentence.endswith("high is higher (95% intervals do not overlap)")
        assert sentence.startswith("mean return: ")


# ---------------------------------------------------------------- validation

def test_missing_column_names_the_parameter_and_the_column():
    final = final_table({"a": [1.0, 2.0]}).drop(columns="solved_at")
    with pytest.raises(ValueError, match=r"final must have columns .*missing \['solved_at'\]"):
        aggregate_scores(final, reps=REPS)
    with pytest.raises(ValueError, match=r"curves must have columns .*missing \['env_steps'\]"):
        curve_bands(curve_table().drop(columns="env_steps"), reps=REPS)


def test_empty_table_is_rejected():
    with pytest.raises(ValueError, match="final must have at least one row"):
        aggregate_scores(final_table({"a": [1.0]}).iloc[:0], reps=REPS)


def test_an_arm_with_one_run_has_no_interval():
    final = final_table({"a": [1.0, 2.0], "lonely": [3.0]})
    for call in (lambda: aggregate_scores(final, reps=REPS),
                 lambda: probability_of_improvement(final, "a", "lonely", reps=REPS),
                 lambda: performance_profile(final, [0.0], reps=REPS)):
        with pytest.raises(ValueError, match="arm 'lonely' has 1 run"):
            call()
    assert improvement_matrix(final).loc["lonely", "a"] == 1.0  # a point estimate needs one run
    with pytest.raises(ValueError, match="arm 'b' has 1 run"):
        curve_bands(curve_table().query("not (arm == 'b' and seed == 1)"), reps=REPS)


def test_bad_rows_are_rejected():
    duplicate = pd.concat([final_table({"a": [1.0, 2.0]})] * 2, ignore_index=True)
    with pytest.raises(ValueError, match="one row per run"):
        aggregate_scores(duplicate, reps=REPS)
    with pytest.raises(ValueError, match=r"final\['score'\] must be finite"):
        aggregate_scores(final_table({"a": [1.0, np.nan]}), reps=REPS)
    with pytest.raises(ValueError, match=r"final\['solved_at'\] must be env steps"):
        aggregate_scores(final_table({"a": [1.0, 2.0]}, {"a": [-5.0, np.nan]}), reps=REPS)
    with pytest.raises(ValueError, match="one row per \\(arm, seed, env_steps\\)"):
        curve_bands(pd.concat([curve_table()] * 2), reps=REPS)
    with pytest.raises(ValueError, match="arm 'a' has no env_steps at which all"):
        curve_bands(pd.DataFrame({"arm": ["a", "a"], "seed": [0, 1], "env_steps": [0, 1000],
                                  "mean": [1.0, 2.0]}), reps=REPS)


@pytest.mark.parametrize("kwargs, message", [
    ({"reps": 0}, "reps must be an integer >= 1, got 0"),
    ({"reps": 2.5}, "reps must be an integer >= 1, got 2.5"),
    ({"seed": -1}, r"seed must be an integer in \[0, 4294967295\], got -1"),
    ({"confidence": 1.0}, r"confidence must be in \(0, 1\)"),
    ({"confidence": "0.95"}, r"confidence must be in \(0, 1\), e.g. 0.95, got '0.95'"),
])
def test_bad_bootstrap_settings_are_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        aggregate_scores(final_table({"a": [1.0, 2.0]}), **{"reps": REPS, **kwargs})


def test_bad_arguments_of_the_comparisons_are_rejected():
    final = final_table({"a": [1.0, 2.0], "b": [3.0, 4.0]})
    with pytest.raises(ValueError, match=r"y must be an arm of final, one of \['a', 'b'\], got 'c'"):
        probability_of_improvement(final, "a", "c", reps=REPS)
    with pytest.raises(ValueError, match="x and y must be different arms"):
        probability_of_improvement(final, "a", "a", reps=REPS)
    with pytest.raises(ValueError, match="taus must be a non-empty 1-D sequence"):
        performance_profile(final, [], reps=REPS)
    table = aggregate_scores(final, reps=REPS)
    with pytest.raises(ValueError, match="metric must be one of"):
        describe_difference(table.iloc[0], table.iloc[1], metric="max")
    with pytest.raises(ValueError, match=r"row_y must be a row of aggregate_scores .*missing \['confidence'\]"):
        describe_difference(table.iloc[0], table.iloc[1].drop("confidence"))
