"""The checks of notebook 07 accept correct solutions and name each typical mistake."""

import math

import numpy as np
import pytest
from rliable import metrics
from scipy import stats

from lunar_lab.checks.core import NotImplementedYet
from lunar_lab.checks.nb07 import check_bootstrap_interval, check_iqm, check_probability_of_improvement
from exercise_asserts import diagnosed


# ---------------------------------------------------------------------------------------------
# Exercise 1: iqm


def sort_and_slice(scores):
    ordered = np.sort(scores)
    g = len(ordered) // 4
    return float(ordered[g:len(ordered) - g].mean())


def loop_iqm(scores):
    """Python lists only; returns a Python float."""
    ordered = sorted(scores.tolist())
    g = len(ordered) // 4
    middle = ordered[g:len(ordered) - g]
    return sum(middle) / len(middle)


def test_the_libraries_give_the_hand_computed_iqm():
    # sorted [-3, 4, 10, 250]: cut 1 at each end, mean(4, 10) = 7; N = 10: cut 2, keep 6
    assert stats.trim_mean([10.0, -3.0, 4.0, 250.0], 0.25) == 7.0
    assert metrics.aggregate_iqm(np.array([[10.0], [-3.0], [4.0], [250.0]])) == 7.0
    assert math.isclose(sort_and_slice(np.array([5.0, 240, 130, 260, 30, 210, 190, 75, 285, 150])), 995 / 6)


@pytest.mark.parametrize("solution", [
    sort_and_slice, loop_iqm, lambda scores: stats.trim_mean(scores, 0.25),
    lambda scores: metrics.aggregate_iqm(scores[:, None]),
])
def test_correct_iqm_passes(solution, capsys):
    check_iqm(solution)
    assert capsys.readouterr().out == "✅ iqm: passed (10 cases)\n"


def unsorted_middle(scores):
    g = len(scores) // 4
    return float(scores[g:len(scores) - g].mean())


def between_percentiles(scores, inclusive=True):
    low, high = np.percentile(scores, [25, 75])
    keep = (scores >= low) & (scores <= high) if inclusive else (scores > low) & (scores < high)
    return float(scores[keep].mean())


def sorts_in_place(scores):
    scores.sort()
    g = len(scores) // 4
    return float(scores[g:len(scores) - g].mean())


def negative_end_slice(scores):
    ordered = np.sort(scores)
    g = len(ordered) // 4
    return float(ordered[g:-g].mean())


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the mean of an empty slice
@pytest.mark.parametrize("wrong, phrases", [
    (lambda scores: float(np.mean(scores)), ["case 'N = 4': returned 65.25, expected 7", "plain mean"]),
    (lambda scores: float(np.median(scores)), ["case 'N = 5': returned 60, expected 65", "this is the median"]),
    (unsorted_middle, ["case 'N = 4': returned 0.5, expected 7", "without sorting"]),
    (lambda scores: stats.trim_mean(scores, 0.125), ["case 'N = 4': returned 65.25",
                                                     "you cut 12.5 % at each end, 25 % in total (⌊N/8⌋ = 0 from each "
                                                     "end here, nothing at all)"]),
    (lambda scores: float(np.sort(scores)[math.ceil(len(scores) / 4):len(scores) - math.ceil(len(scores) / 4)].mean()),
     ["case 'N = 5': returned 60, expected 65", "you rounded N/4 up (⌈5/4⌉ = 2)"]),
    (lambda scores: float(np.sort(scores)[math.ceil(len(scores) / 4):len(scores) - math.ceil(len(scores) / 4)].mean())
     if len(scores) > 2 else float(scores.mean()), ["case 'N = 5': returned 60", "you rounded N/4 up (⌈5/4⌉ = 2)"]),
    (between_percentiles, ["case 'N = 6': returned 45, expected 42.5",
                           "np.percentile(scores, 25) ≤ score ≤ np.percentile(scores, 75) (25 and 57.5 here)",
                           "keeps 2 of the 6 scores", "drop g = ⌊N/4⌋ = 1 scores at EACH end"]),
    (lambda scores: between_percentiles(scores, inclusive=False), ["case 'N = 5': returned 60, expected 65",
                                                                  "np.percentile(scores, 25) < score <"]),
    (negative_end_slice, ["case 'N = 1': returned nan, expected 7.5", "sorted[g:-g] with g = 0 is sorted[0:0]"]),
])
def test_iqm_mistakes_are_diagnosed(wrong, phrases):
    diagnosed(check_iqm, wrong, *phrases, "Likely mistake")


def test_iqm_message_works_the_answer_out():
    message = diagnosed(check_iqm, lambda scores: float(np.mean(scores)))
    assert ("scores = [10, -3, 4, 250]; sorted: [-3, 4, 10, 250]; g = ⌊N/4⌋ = ⌊4/4⌋ = 1 cut from each end leaves the "
            "2 middle scores [4, 10], whose mean is 7") in message


def test_sorting_the_input_in_place_is_named():
    diagnosed(check_iqm, sorts_in_place, "sorted its input `scores` in place", "np.sort(scores)")


def test_changing_the_input_otherwise_is_named():
    def clips(scores):
        np.clip(scores, 0.0, None, out=scores)
        return sort_and_slice(scores)
    diagnosed(check_iqm, clips, "changed its input `scores`")


def test_unknown_wrong_iqm_gets_the_definition():
    message = diagnosed(check_iqm, lambda scores: sort_and_slice(scores) + 1.0, "Compare with the definition")
    assert "Likely mistake" not in message


@pytest.mark.parametrize("wrong, phrase", [
    (lambda scores: None, "returned None"),
    (lambda scores: np.sort(scores)[1:-1], "returned an array of shape"),
    (lambda scores: "seven", "expected a number, got str"),
    (lambda scores: scores[len(scores)], "your code raised IndexError"),
])
def test_iqm_wrong_returns_and_crashes_get_a_message(wrong, phrase):
    diagnosed(check_iqm, wrong, phrase)


def test_iqm_placeholder_is_not_implemented_yet():
    def iqm(scores):
        raise NotImplementedError("exercise: iqm")
    with pytest.raises(NotImplementedYet, match="iqm: not implemented yet"):
        check_iqm(iqm)


# ---------------------------------------------------------------------------------------------
# Exercise 2: probability_of_improvement


def broadcast_poi(x, y):
    return float(np.mean(x[:, None] > y[None, :]) + 0.5 * np.mean(x[:, None] == y[None, :]))


def loop_poi(x, y):
    total = 0.0
    for a in x:
        for b in y:
            total += 1.0 if a > b else 0.5 if a == b else 0.0
    return total / (len(x) * len(y))


def test_rliable_gives_the_hand_computed_probability():
    # x = [200, 150, 150, 220, 180, 150], y = [150, 220, 100, 150]: 12 wins and 7 ties of 24 pairs
    x, y = np.array([200.0, 150, 150, 220, 180, 150]), np.array([150.0, 220, 100, 150])
    assert math.isclose(metrics.probability_of_improvement(x[:, None], y[:, None]), (12 + 3.5) / 24)
    assert loop_poi(x, y) == broadcast_poi(x, y) == (12 + 3.5) / 24


@pytest.mark.parametrize("solution", [
    broadcast_poi, loop_poi, lambda x, y: metrics.probability_of_improvement(x[:, None], y[:, None]),
    lambda x, y: stats.mannwhitneyu(x, y).statistic / (len(x) * len(y)),
])
def test_correct_probability_of_improvement_passes(solution, capsys):
    check_probability_of_improvement(solution)
    assert capsys.readouterr().out == "✅ probability_of_improvement: passed (7 cases)\n"


def zip_pairs(x, y):
    return float(np.mean([1.0 if a > b else 0.5 if a == b else 0.0 for a, b in zip(x, y)]))


def pair_sum(x, y):
    return np.sum(x[:, None] > y[None, :]) + 0.5 * np.sum(x[:, None] == y[None, :])


@pytest.mark.parametrize("wrong, phrases", [
    (lambda x, y: float(np.mean(x[:, None] > y[None, :])),
     ["case 'identical arms, N = M = 5': returned 0.4, expected 0.5", "ties count 0 in your sum",
      "5 of the 25 pairs are ties"]),
    (lambda x, y: float(np.mean(x[:, None] >= y[None, :])),
     ["case 'identical arms, N = M = 5': returned 0.6", "you counted ties as wins"]),
    (lambda x, y: broadcast_poi(y, x), ["case 'X always better, N = 4, M = 5': returned 0, expected 1",
                                        "this is P(Y > X) = 1 − P(X > Y)"]),
    (lambda x, y: 1.0 if x.mean() > y.mean() else 0.0,
     ["case 'identical arms, N = M = 5': returned 0, expected 0.5", "you compared the mean scores only"]),
    (lambda x, y: 1.0 if x.mean() > y.mean() else 0.5 if x.mean() == y.mean() else 0.0,
     ["case 'N = M = 5, overlapping arms': returned 1, expected 0.56", "you compared the mean scores only"]),
    (zip_pairs, ["case 'N = M = 5, overlapping arms': returned 0.4, expected 0.56",
                 "you compared the runs index by index, x[i] with y[i]"]),
    (lambda x, y: pair_sum(x, y) / (len(x) + len(y)),
     ["case 'X always better, N = 4, M = 5': returned 2.22222, expected 1", "you divided by N + M = 9",
      "N·M = 20 pairs"]),
    (lambda x, y: pair_sum(x, y) / max(len(x), len(y)), ["returned 4, expected 1", "you divided by max(N, M) = 5"]),
])
def test_probability_of_improvement_mistakes_are_diagnosed(wrong, phrases):
    diagnosed(check_probability_of_improvement, wrong, *phrases, "Likely mistake")


def test_probability_message_counts_wins_and_ties():
    message = diagnosed(check_probability_of_improvement, lambda x, y: float(np.mean(x[:, None] > y[None, :])))
    assert ("of the N·M = 25 pairs (x_i, y_j), 10 have x_i > y_j and 5 are ties, so P(X > Y) = (10 + ½·5) / 25"
            in message)


def test_zip_pairs_names_the_unused_runs_when_n_differs_from_m():
    def zip_when_lengths_differ(x, y):  # right whenever N = M, so only the N ≠ M cases can catch it
        return broadcast_poi(x, y) if len(x) == len(y) else zip_pairs(x, y)
    diagnosed(check_probability_of_improvement, zip_when_lengths_differ,
              "case 'ties, N = 6, M = 4': returned 0.75",
              "zip stops at the shorter arm, so 2 runs of X were never compared")


def test_elementwise_comparison_crash_gets_the_pairing_hint():
    message = diagnosed(check_probability_of_improvement,
                        lambda x, y: float(np.mean(x > y) + 0.5 * np.mean(x == y)),
                        "your code raised ValueError", "in case 'X always better, N = 4, M = 5'",
                        "hint: x > y fails when N = 4 ≠ M = 5", "x[:, None] > y[None, :]")
    assert "Likely mistake" not in message


def test_probability_out_of_range_is_named():
    diagnosed(check_probability_of_improvement, lambda x, y: float(pair_sum(x, y)),
              "A probability lies between 0 and 1", "N·M = 20")


def test_sorting_an_arm_in_place_is_named():
    def sorts(x, y):
        y.sort()
        return broadcast_poi(x, y)
    diagnosed(check_probability_of_improvement, sorts, "sorted its input `y` in place")


def test_probability_placeholder_is_not_implemented_yet():
    def probability_of_improvement(x, y):
        raise NotImplementedError("exercise: probability_of_improvement")
    with pytest.raises(NotImplementedYet, match="not implemented yet"):
        check_probability_of_improvement(probability_of_improvement)


# ---------------------------------------------------------------------------------------------
# Exercise 3: bootstrap_interval


def _levels(confidence):
    return [(1 - confidence) / 2, (1 + confidence) / 2]


def all_at_once(scores, statistic, reps, rng, confidence=0.95):
    indices = rng.integers(0, len(scores), size=(reps, len(scores)))
    replicates = np.array([statistic(resample) for resample in scores[indices]])
    low, high = np.quantile(replicates, _levels(confidence))
    return float(low), float(high)


def one_resample_at_a_time(scores, statistic, reps, rng, confidence=0.95):
    """Draws row by row with rng.choice and returns np.percentile's array."""
    replicates = [statistic(rng.choice(scores, size=len(scores))) for _ in range(reps)]
    return np.percentile(replicates, [50 * (1 - confidence), 50 * (1 + confidence)])


def apply_along_axis(scores, statistic, reps, rng, confidence=0.95):
    resamples = rng.choice(scores, size=(reps, len(scores)), replace=True)
    replicates = np.apply_along_axis(statistic, 1, resamples)
    return tuple(np.quantile(replicates, _levels(confidence)))


@pytest.mark.parametrize("solution", [all_at_once, one_resample_at_a_time, apply_along_axis])
def test_correct_bootstrap_interval_passes(solution, capsys):
    check_bootstrap_interval(solution)
    out = capsys.readouterr().out
    assert out == "✅ bootstrap_interval: passed (5 exact cases; coverage of the mean on 200 datasets; width ∝ 1/√N)\n"


def _wrong(replicates_of=None, levels=None, finish=None):
    """A learner-style bootstrap with one step replaced: the resamples' replicates, the levels, or the interval."""
    def bootstrap_interval(scores, statistic, reps, rng, confidence=0.95):
        if replicates_of is not None:
            replicates = replicates_of(scores, statistic, reps, rng)
        else:
            indices = rng.integers(0, len(scores), size=(reps, len(scores)))
            replicates = np.array([statistic(resample) for resample in scores[indices]])
        if finish is not None:
            return finish(scores, replicates, confidence)
        low, high = np.quantile(replicates, (levels or _levels)(confidence))
        return float(low), float(high)
    return bootstrap_interval


def permutations(scores, statistic, reps, rng):
    return np.array([statistic(rng.permutation(scores)) for _ in range(reps)])


def choice_without_replacement(scores, statistic, reps, rng):
    return np.array([statistic(rng.choice(scores, size=len(scores), replace=False)) for _ in range(reps)])


def fixed_size(scores, statistic, reps, rng):
    return np.array([statistic(resample) for resample in scores[rng.integers(0, len(scores), size=(reps, 10))]])


def swapped_shape(scores, statistic, reps, rng):
    return np.array([statistic(row) for row in scores[rng.integers(0, len(scores), size=(len(scores), reps))]])


def whole_matrix(scores, statistic, reps, rng):
    return statistic(scores[rng.integers(0, len(scores), size=(reps, len(scores)))])


def of_indices(scores, statistic, reps, rng):
    return np.array([statistic(row) for row in rng.integers(0, len(scores), size=(reps, len(scores)))])


def global_stream(scores, statistic, reps, rng):
    indices = np.random.randint(0, len(scores), size=(reps, len(scores)))
    return np.array([statistic(resample) for resample in scores[indices]])


def own_generator(scores, statistic, reps, rng):
    indices = np.random.default_rng(0).integers(0, len(scores), size=(reps, len(scores)))
    return np.array([statistic(resample) for resample in scores[indices]])


def transposed_draw(scores, statistic, reps, rng):
    indices = rng.integers(0, len(scores), size=(len(scores), reps)).T
    return np.array([statistic(resample) for resample in scores[indices]])


def fixed_reps(scores, statistic, reps, rng):
    indices = rng.integers(0, len(scores), size=(1000, len(scores)))
    return np.array([statistic(resample) for resample in scores[indices]])


def order_statistics(scores, replicates, confidence):
    ordered = np.sort(replicates)
    return tuple(ordered[int(level * len(ordered))] for level in _levels(confidence))


def normal_approximation(scores, replicates, confidence):
    return scores.mean() - 1.96 * scores.std(), scores.mean() + 1.96 * scores.std()


def standard_error(scores, replicates, confidence):
    se = scores.std(ddof=1) / math.sqrt(len(scores))
    return scores.mean() - 1.96 * se, scores.mean() + 1.96 * se


def bootstrap_standard_error(scores, replicates, confidence):
    return replicates.mean() - 1.96 * replicates.std(), replicates.mean() + 1.96 * replicates.std()


def nearest_quantile(scores, replicates, confidence):
    return tuple(np.quantile(replicates, _levels(confidence), method="nearest"))


WITHOUT_REPLACEMENT = "resampling without replacement gives back a permutation of the data"


@pytest.mark.parametrize("wrong, phrases", [
    (_wrong(replicates_of=permutations), ["returned (low, high) = (181.575, 181.575), expected (114.38688, 231.22563)",
                                          WITHOUT_REPLACEMENT, "Likely mistake"]),
    (_wrong(replicates_of=choice_without_replacement), [WITHOUT_REPLACEMENT]),
    (_wrong(replicates_of=fixed_size), ["`statistic` was called on a resample of 10 scores, but len(scores) = N = 8",
                                        "every bootstrap resample has exactly N draws"]),
    (_wrong(replicates_of=swapped_shape), ["a resample of 1000 scores", "you swapped the shape: size=(N, reps)"]),
    (_wrong(replicates_of=whole_matrix), ["`statistic` was called on an array of shape [1000, 8]",
                                          "call it once per resample"]),
    (_wrong(replicates_of=of_indices), ["you applied `statistic` to the indices", "Likely mistake"]),
    (_wrong(finish=lambda scores, replicates, c: tuple(np.quantile(scores, _levels(c)))),
     ["you returned quantiles of the scores themselves", "Likely mistake"]),
    (_wrong(finish=lambda scores, replicates, c: tuple(np.quantile(replicates, _levels(c))[::-1])),
     ["returned (low, high) = (231.22563, 114.38688)", "low and high are swapped", "Likely mistake"]),
    (_wrong(levels=lambda c: [0.025, 0.975]),
     ["case 'N = 10, np.median, reps = 500, confidence = 0.9'",
      "you took the 2.5 % and 97.5 % quantiles although confidence = 0.9", "Likely mistake"]),
    (_wrong(levels=lambda c: [1 - c, c]), ["you took the quantiles 0.05 and 0.95", "in EACH tail"]),
    (_wrong(levels=lambda c: [(1 - c) / 200, (1 + c) / 200]), ["your quantile levels are 100× too small"]),
    (_wrong(finish=order_statistics), ["you picked the sorted replicates at index int(level·reps)"]),
    (_wrong(finish=normal_approximation), ["this is the normal approximation mean ± z·σ", "not the bootstrap",
                                           "Likely mistake"]),
    (_wrong(finish=standard_error), ["this is the normal approximation mean ± z·σ (or σ/√N)"]),
    (_wrong(finish=bootstrap_standard_error), ["the 'normal' bootstrap interval", "PERCENTILE bootstrap"]),
    (_wrong(replicates_of=global_stream), ["two calls with the same rng = np.random.default_rng(0) gave different "
                                           "intervals", "from the `rng` argument"]),
    (_wrong(replicates_of=own_generator), ["two different seeds gave the same interval",
                                           "ignores its `rng` argument"]),
    (_wrong(replicates_of=transposed_draw), ["Your resamples are not the draws this check reproduces",
                                             "rng.integers(0, len(scores), size=(reps, len(scores)))"]),
    (_wrong(replicates_of=fixed_reps), ["case 'N = 10, np.median, reps = 500", "`statistic` was applied to 1000 "
                                        "resamples, but reps = 500"]),
    (_wrong(finish=nearest_quantile), ["Your resamples are exactly this check's, so the difference is in the last "
                                       "step"]),
])
def test_bootstrap_mistakes_are_diagnosed(wrong, phrases):
    diagnosed(check_bootstrap_interval, wrong, *phrases)


def test_bootstrap_message_gives_the_recipe():
    message = diagnosed(check_bootstrap_interval, _wrong(finish=normal_approximation))
    assert ("case 'N = 8, np.mean, reps = 1000, confidence not passed': returned (low, high) = (7.0906372, "
            "356.05936), expected (114.38688, 231.22563) — scores = [212.3, 180.5, -35.2, 250.1, 198.7, 230.4, 150, "
            "265.8]; with rng = np.random.default_rng(0), indices = rng.integers(0, 8, size=(1000, 8)), the 1000 "
            "replicates np.mean(scores[indices[b]]) have the 0.025 and 0.975 quantiles") in message
    assert "`confidence` is not passed here, so it must default to 0.95" in message


def test_a_default_confidence_other_than_095_is_caught():
    def default_90(scores, statistic, reps, rng, confidence=0.9):
        return all_at_once(scores, statistic, reps, rng, confidence)
    diagnosed(check_bootstrap_interval, default_90, "confidence not passed': returned",
              "must default to 0.95")


def test_nonzero_width_on_constant_scores_is_named():
    def jittered(scores, statistic, reps, rng, confidence=0.95):
        low, high = all_at_once(scores, statistic, reps, rng, confidence)
        return (low - 1.0, high + 1.0) if np.ptp(scores) == 0 else (low, high)
    diagnosed(check_bootstrap_interval, jittered, "case 'N = 6, constant scores",
              "all 6 scores are 180", "width 0")


@pytest.mark.parametrize("wrong, phrase", [
    (lambda scores, statistic, reps, rng, confidence=0.95: None, "returned None — return the tuple (low, high)"),
    (lambda scores, statistic, reps, rng, confidence=0.95: (1.0, 2.0, 3.0), "returned tuple of shape [3]"),
    (lambda scores, statistic, reps, rng, confidence=0.95: {"low": 1.0}, "expected the tuple (low, high)"),
    (_wrong(levels=lambda c: [2.5, 97.5]), "hint: np.quantile takes levels in [0, 1]"),
    (_wrong(replicates_of=lambda scores, statistic, reps, rng: np.array(
        [statistic(resample) for resample in rng.choice(scores, size=(reps, len(scores)), replace=False)])),
     "hint: replace=False cannot draw more scores than there are"),
    (lambda scores, statistic, reps, rng, confidence=0.95: statistic(scores, axis=0),
     "`statistic` was called with 1 argument(s) and axis="),
])
def test_bootstrap_wrong_returns_and_crashes_get_a_message(wrong, phrase):
    diagnosed(check_bootstrap_interval, wrong, phrase)


def test_sorting_the_scores_in_place_is_named():
    def sorts(scores, statistic, reps, rng, confidence=0.95):
        scores.sort()
        return all_at_once(scores, statistic, reps, rng, confidence)
    diagnosed(check_bootstrap_interval, sorts, "sorted its input `scores` in place")


# The statistical checks run after the exact cases pass: these learners are right on the exact
# cases (N ≤ 12) and wrong only on larger datasets.

def test_too_narrow_intervals_fail_the_coverage_check():
    def narrow_for_large_n(scores, statistic, reps, rng, confidence=0.95):
        low, high = all_at_once(scores, statistic, reps, rng, confidence)
        if len(scores) <= 12:
            return low, high
        middle, half = (low + high) / 2, (high - low) / 4
        return middle - half, middle + half
    diagnosed(check_bootstrap_interval, narrow_for_large_n, "coverage, N = 20 normal scores",
              "covered the true mean 100 in", "so your intervals are too narrow")


def test_a_width_that_does_not_shrink_with_n_fails_the_width_check():
    def fixed_width_beyond_20(scores, statistic, reps, rng, confidence=0.95):
        low, high = all_at_once(scores, statistic, reps, rng, confidence)
        if len(scores) <= 20:
            return low, high
        middle = (low + high) / 2
        return middle - 25.0, middle + 25.0    # the width of N = 16 scores, about 50
    diagnosed(check_bootstrap_interval, fixed_width_beyond_20, "with 16× more scores (N = 16 → 256",
              "shrinks like 1/√N")


def test_bootstrap_placeholder_is_not_implemented_yet():
    def bootstrap_interval(scores, statistic, reps, rng, confidence=0.95):
        raise NotImplementedError("exercise: bootstrap_interval")
    with pytest.raises(NotImplementedYet, match="bootstrap_interval: not implemented yet"):
        check_bootstrap_interval(bootstrap_interval)
