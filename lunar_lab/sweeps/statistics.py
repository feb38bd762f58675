"""Statistics of a sweep for ``lunar-lab compare``: aggregates, intervals, P(X > Y), curves, profiles.

Source: Agarwal et al. 2021, "Deep Reinforcement Learning at the Edge of the Statistical
Precipice" (NeurIPS), through its library rliable: point estimates from ``rliable.metrics``,
percentile bootstrap confidence intervals from ``rliable.library.get_interval_estimates``
and ``create_performance_profile``. Nothing here resamples by hand.

One task. A sweep runs on LunarLander-v3 only, so every rliable score matrix is
``[num_runs, 1]`` (``[num_runs, 1, num_steps]`` for curves), and rliable's *stratified*
bootstrap, which resamples runs within each task, is with one task the ordinary bootstrap
over runs (seeds): each replicate draws ``num_runs`` runs of an arm with replacement. The
intervals therefore describe seed-to-seed variation; they say nothing about other tasks.

Reproducibility. rliable 1.2.0 draws its resampling indices from NumPy's *global* random
stream (``np.random.choice`` in ``StratifiedBootstrap.update_indices``) and ignores its
``random_state`` argument for them (passing one only triggers a FutureWarning from ``arch``).
Each function here therefore seeds the global stream with ``seed`` for the length of the call
and restores the caller's stream afterwards: the same ``seed`` gives the same intervals, and
the caller's own ``np.random`` draws are unaffected. (Not thread-safe: do not run two of these
calls at once in one process.)

Input tables (pandas DataFrames; column names are the constants below):

* final scores, one row per run: :data:`ARM` (str, the arm's label), :data:`SEED` (int),
  :data:`SCORE` (float, the run's final greedy mean return over its held-out evaluation
  episodes) and :data:`SOLVED_AT` (float, env steps of the run's first periodic evaluation
  with mean return ≥ :data:`~lunar_lab.envs.SOLVED_RETURN`; NaN if never).
* curves, one row per run × periodic evaluation: :data:`ARM`, :data:`SEED`, :data:`ENV_STEPS`
  (int, env steps, already on a grid common to the runs) and :data:`CURVE_MEAN` (float, that
  evaluation's greedy mean return).

Every function taking a table raises ``ValueError`` (naming the parameter, the value and what
is allowed) for a missing column, an empty table, a duplicated run, a non-finite score, or an
arm with fewer than 2 runs where an interval is asked for.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping

import numpy as np
import pandas as pd
from rliable import library as rly
from rliable import metrics

from lunar_lab.envs import SOLVED_RETURN

#: Column: the arm's label (str), in both input tables and every output table.
ARM = "arm"
#: Column: the run's training seed (int).
SEED = "seed"
#: Column of the final-scores table: final greedy mean return of the run (float).
SCORE = "score"
#: Column of the final-scores table: env steps of the first periodic evaluation with mean
#: return ≥ SOLVED_RETURN (float; NaN if the run never reached it).
SOLVED_AT = "solved_at"
#: Column of the curves table: env steps of the periodic evaluation (int, common grid).
ENV_STEPS = "env_steps"
#: Column of the curves table: greedy mean return of that periodic evaluation (float).
CURVE_MEAN = "mean"

#: Columns :func:`aggregate_scores` needs.
FINAL_COLUMNS = (ARM, SEED, SCORE, SOLVED_AT)
#: Columns :func:`curve_bands` needs.
CURVE_COLUMNS = (ARM, SEED, ENV_STEPS, CURVE_MEAN)

#: Bootstrap replicates by default. The Monte Carlo error of a 95 % percentile bound from 1000
#: replicates is small next to the width of an interval from 5-10 seeds, and it keeps the IQM
#: (scipy's trimmed mean, called once per replicate) of a 10-arm ``aggregate_scores`` to a few
#: seconds on a 2-core CPU. rliable's own default (50 000) is meant for published figures.
DEFAULT_REPS = 1000
#: Coverage of every interval by default.
DEFAULT_CONFIDENCE = 0.95

#: Point estimates of :func:`aggregate_scores` that carry an interval, in column order.
AGGREGATE_METRICS = ("mean", "iqm", "median", "fraction_solved")
#: Columns of :func:`aggregate_scores`, in order.
AGGREGATE_COLUMNS = (
    ARM, "n",
    *(f"{name}{suffix}" for name in AGGREGATE_METRICS for suffix in ("", "_low", "_high")),
    "solved_at_median", "solved_at_n", "confidence",
)
_METRIC_LABELS = {"mean": "mean return", "iqm": "IQM return", "median": "median return",
                  "fraction_solved": "fraction solved"}


def aggregate_scores(final: pd.DataFrame, reps: int = DEFAULT_REPS, seed: int = 0,
                     confidence: float = DEFAULT_CONFIDENCE) -> pd.DataFrame:
    """Per arm: mean, IQM, median and fraction solved of the final scores, each with an interval.

    Point estimates over the arm's runs (scores ``[num_runs, 1]`` float64):

    * ``mean``: ``rliable.metrics.aggregate_mean``.
    * ``iqm``: interquartile mean, the 25 % trimmed mean (``rliable.metrics.aggregate_iqm``,
      i.e. ``scipy.stats.trim_mean(scores, 0.25)``); Agarwal et al. 2021, Sec. 4.
    * ``median``: median over runs (``np.median``). Not ``rliable.metrics.aggregate_median``:
      that is the median over *tasks* of each task's mean over runs, which with one task is
      just the mean.
    * ``fraction_solved``: fraction of runs with ``score ≥ SOLVED_RETURN`` (200).

    All four share one bootstrap (``get_interval_estimates`` with a function returning the
    4-vector), so their intervals come from the same resampled runs. ``solved_at_median`` is
    the median of :data:`SOLVED_AT` over the runs that reached 200 at some periodic evaluation
    (NaN if none did) and ``solved_at_n`` their count; it has no interval. A run can reach 200
    during training yet end below it, so ``solved_at_n`` may exceed ``n * fraction_solved``.

    Args:
        final: final-scores table with columns :data:`FINAL_COLUMNS` (see the module docstring).
        reps: bootstrap replicates, an integer ≥ 1.
        seed: seed of the bootstrap's random stream, an integer in [0, 2**32).
        confidence: coverage of each interval, in (0, 1).

    Returns:
        One row per arm (order of first appearance in ``final``), columns
        :data:`AGGREGATE_COLUMNS`: ``arm`` str, ``n`` int (runs), ``<metric>``,
        ``<metric>_low``, ``<metric>_high`` float64 for each of :data:`AGGREGATE_METRICS`
        (returns, except ``fraction_solved`` in [0, 1]), ``solved_at_median`` float64 env
        steps, ``solved_at_n`` int, ``confidence`` float64.

    Raises:
        ValueError: a missing column, an empty table, a duplicated (arm, seed), a non-finite
            score, a negative or infinite ``solved_at``, an arm with fewer than 2 runs, or a bad
            ``reps``/``seed``/``confidence``.

    Example:
        >>> final = pd.DataFrame({
        ...     "arm": ["a"] * 4 + ["b"] * 4, "seed": [0, 1, 2, 3] * 2,
        ...     "score": [250.0, 150.0, 210.0, 190.0] + [100.0] * 4,
        ...     "solved_at": [5e4, np.nan, 4e4, 8e4] + [np.nan] * 4})
        >>> table = aggregate_scores(final, reps=200)
        >>> table[["arm", "n", "iqm", "median", "fraction_solved", "solved_at_median", "solved_at_n"]]
          arm  n    iqm  median  fraction_solved  solved_at_median  solved_at_n
        0   a  4  200.0   200.0              0.5           50000.0            3
        1   b  4  100.0   100.0              0.0               NaN            0
        >>> table[["arm", "iqm_low", "iqm", "iqm_high"]].tail(1)  # constant scores: zero width
          arm  iqm_low    iqm  iqm_high
        1   b    100.0  100.0     100.0
    """
    _check_table(final, "final", FINAL_COLUMNS)
    _check_bootstrap(reps, seed, confidence)
    matrices = _score_matrices(final, "final", min_runs=2)
    solved_at = final[SOLVED_AT].to_numpy(dtype=float)
    if np.any(np.isinf(solved_at) | (solved_at < 0)):
        raise ValueError(f"final[{SOLVED_AT!r}] must be env steps >= 0 or NaN (never solved), "
                         f"got {solved_at.tolist()}")
    with _seeded_global_stream(seed):
        points, intervals = rly.get_interval_estimates(
            matrices, _final_metrics, reps=reps, confidence_interval_size=confidence)
    steps = final.groupby(ARM, sort=False)[SOLVED_AT].agg(["median", "count"])
    rows = []
    for arm, scores in matrices.items():
        row = {ARM: arm, "n": len(scores)}
        for i, name in enumerate(AGGREGATE_METRICS):
            row.update({name: points[arm][i], f"{name}_low": intervals[arm][0, i],
                        f"{name}_high": intervals[arm][1, i]})
        row.update(solved_at_median=steps.loc[arm, "median"], solved_at_n=steps.loc[arm, "count"],
                   confidence=confidence)
        rows.append(row)
    return pd.DataFrame(rows, columns=list(AGGREGATE_COLUMNS))


def probability_of_improvement(final: pd.DataFrame, x: str, y: str, reps: int = DEFAULT_REPS,
                               seed: int = 0, confidence: float = DEFAULT_CONFIDENCE) -> pd.DataFrame:
    """P(X > Y): the chance that a random run of arm ``x`` scores above a random run of ``y``.

    ``rliable.metrics.probability_of_improvement`` (Agarwal et al. 2021, Sec. 4): the
    Mann-Whitney U statistic over ``n_x · n_y``, so ties count one half,
    P(X > Y) + ½ P(X = Y). The interval resamples the runs of ``x`` and of ``y``
    independently, by passing the pair to ``get_interval_estimates`` as rliable's README does.
    0.5 means no preference; the interval containing 0.5 means none is detectable.

    Args:
        final: final-scores table with at least columns ``arm``, ``seed``, ``score``.
        x, y: two different arms of ``final``.
        reps, seed, confidence: as for :func:`aggregate_scores`.

    Returns:
        One row: ``arm_x``, ``arm_y`` str, ``n_x``, ``n_y`` int (runs), ``probability``,
        ``low``, ``high`` float64 in [0, 1].

    Raises:
        ValueError: as for :func:`aggregate_scores`; ``x`` or ``y`` not an arm; ``x == y``.

    Example:
        >>> final = pd.DataFrame({"arm": ["a"] * 3 + ["b"] * 3, "seed": [0, 1, 2] * 2,
        ...                       "score": [210.0, 220.0, 230.0, 100.0, 110.0, 120.0]})
        >>> probability_of_improvement(final, "a", "b", reps=200)
          arm_x arm_y  n_x  n_y  probability  low  high
        0     a     b    3    3          1.0  1.0   1.0
    """
    _check_table(final, "final", (ARM, SEED, SCORE))
    _check_bootstrap(reps, seed, confidence)
    matrices = _score_matrices(final, "final", min_runs=2)
    _check_pair(matrices, x, y)
    with _seeded_global_stream(seed):
        points, intervals = rly.get_interval_estimates(
            {"pair": (matrices[x], matrices[y])}, metrics.probability_of_improvement,
            reps=reps, confidence_interval_size=confidence)
    low, high = np.ravel(intervals["pair"])
    return pd.DataFrame([{"arm_x": x, "arm_y": y, "n_x": len(matrices[x]), "n_y": len(matrices[y]),
                          "probability": float(points["pair"]), "low": low, "high": high}])


def improvement_matrix(final: pd.DataFrame) -> pd.DataFrame:
    """P(X > Y) point estimates for every ordered pair of arms (no intervals, no bootstrap).

    Entry ``[x, y]`` is ``rliable.metrics.probability_of_improvement`` of arm ``x`` over arm
    ``y`` (ties count one half), so ``[x, y] + [y, x] == 1`` and the diagonal is 0.5. For an
    interval on one pair use :func:`probability_of_improvement` (a bootstrap per pair would
    cost seconds each).

    Args:
        final: final-scores table with at least columns ``arm``, ``seed``, ``score``; each arm
            needs ≥ 1 run.

    Returns:
        [num_arms, num_arms] float64 DataFrame, index ``arm_x`` and columns ``arm_y`` (both in
        order of first appearance in ``final``).

    Raises:
        ValueError: a missing column, an empty table, a duplicated (arm, seed), a non-finite score.

    Example:
        >>> final = pd.DataFrame({"arm": ["a", "a", "b", "b"], "seed": [0, 1, 0, 1],
        ...                       "score": [210.0, 90.0, 100.0, 80.0]})
        >>> improvement_matrix(final)
        arm_y     a     b
        arm_x
        a      0.50  0.75
        b      0.25  0.50
    """
    _check_table(final, "final", (ARM, SEED, SCORE))
    matrices = _score_matrices(final, "final", min_runs=1)
    arms = list(matrices)
    return pd.DataFrame(
        [[float(metrics.probability_of_improvement(matrices[x], matrices[y])) for y in arms]
         for x in arms],
        index=pd.Index(arms, name="arm_x"), columns=pd.Index(arms, name="arm_y"))


def curve_bands(curves: pd.DataFrame, reps: int = DEFAULT_REPS, seed: int = 0,
                confidence: float = DEFAULT_CONFIDENCE) -> pd.DataFrame:
    """Per arm and env step: the mean over runs of the periodic evaluations, with a pointwise interval.

    One ``get_interval_estimates`` call with ``rliable.metrics.aggregate_mean`` on each arm's
    ``[num_runs, 1, num_steps]`` matrix, as rliable's sample-efficiency-curve example does;
    rliable resamples the runs at each env step independently, so each band is a pointwise
    interval at that step, not a simultaneous band over the whole curve.

    Only env steps at which *every* run of the arm has an evaluation are kept (steps that some
    run lacks, e.g. past the end of a shorter run, are dropped), so ``n`` is the arm's number
    of runs at every step it reports.

    Args:
        curves: curves table with columns :data:`CURVE_COLUMNS` (see the module docstring).
        reps, seed, confidence: as for :func:`aggregate_scores`.

    Returns:
        One row per arm × kept env step (arms in order of first appearance, steps ascending):
        ``arm`` str, ``env_steps`` int, ``n`` int (runs), ``mean``, ``low``, ``high``
        float64 returns.

    Raises:
        ValueError: a missing column, an empty table, a duplicated (arm, seed, env_steps), a
            non-finite mean, an arm with fewer than 2 runs or with no env step shared by all its
            runs, or a bad ``reps``/``seed``/``confidence``.

    Example:
        >>> curves = pd.DataFrame({"arm": ["a"] * 5, "seed": [0, 0, 1, 1, 1],
        ...                        "env_steps": [0, 1000, 0, 1000, 2000],
        ...                        "mean": [-100.0, 50.0, -100.0, 150.0, 210.0]})
        >>> curve_bands(curves, reps=200)
          arm  env_steps  n   mean    low   high
        0   a          0  2 -100.0 -100.0 -100.0
        1   a       1000  2  100.0   50.0  150.0
    """
    _check_table(curves, "curves", CURVE_COLUMNS)
    _check_bootstrap(reps, seed, confidence)
    _check_finite(curves, "curves", CURVE_MEAN)
    duplicated = curves.duplicated([ARM, SEED, ENV_STEPS])
    if duplicated.any():
        raise ValueError(f"curves must have one row per (arm, seed, env_steps), got repeats of "
                         f"{curves.loc[duplicated, [ARM, SEED, ENV_STEPS]].values.tolist()}")
    grids = {}
    for arm, runs in curves.groupby(ARM, sort=False):
        grid = runs.pivot(index=SEED, columns=ENV_STEPS, values=CURVE_MEAN).dropna(axis="columns")
        _check_runs(arm, len(grid), "curves", min_runs=2)
        if grid.shape[1] == 0:
            raise ValueError(f"curves: arm {arm!r} has no env_steps at which all of its "
                             f"{len(grid)} runs were evaluated; a shared grid is needed")
        grids[arm] = grid
    with _seeded_global_stream(seed):
        points, intervals = rly.get_interval_estimates(
            {arm: grid.to_numpy(dtype=float)[:, None, :] for arm, grid in grids.items()},
            metrics.aggregate_mean, reps=reps, confidence_interval_size=confidence)
    return pd.concat(
        [pd.DataFrame({ARM: arm, ENV_STEPS: grid.columns.to_numpy(), "n": len(grid),
                       "mean": points[arm], "low": intervals[arm][0], "high": intervals[arm][1]})
         for arm, grid in grids.items()],
        ignore_index=True)


def performance_profile(final: pd.DataFrame, taus: np.ndarray, reps: int = DEFAULT_REPS,
                        seed: int = 0, confidence: float = DEFAULT_CONFIDENCE) -> pd.DataFrame:
    """Per arm and threshold τ: the fraction of runs with final score > τ, with an interval.

    The run-score distribution of Agarwal et al. 2021, Sec. 4 (performance profile),
    from ``rliable.library.create_performance_profile``. The comparison is strict (> τ), as in
    rliable; :func:`aggregate_scores`'s ``fraction_solved`` uses ≥ 200.

    Args:
        final: final-scores table with at least columns ``arm``, ``seed``, ``score``.
        taus: [T] float thresholds (returns), finite, T ≥ 1.
        reps, seed, confidence: as for :func:`aggregate_scores`.

    Returns:
        One row per arm × τ (arms in order of first appearance, τ in the order given): ``arm``
        str, ``tau`` float64, ``n`` int (runs), ``fraction``, ``low``, ``high`` float64 in [0, 1].

    Raises:
        ValueError: as for :func:`aggregate_scores`; ``taus`` empty, not 1-D or not finite.

    Example:
        >>> final = pd.DataFrame({"arm": ["a"] * 4, "seed": [0, 1, 2, 3],
        ...                       "score": [250.0, 150.0, 210.0, 190.0]})
        >>> performance_profile(final, [0.0, 200.0, 300.0], reps=200)[["arm", "tau", "n", "fraction"]]
          arm    tau  n  fraction
        0   a    0.0  4       1.0
        1   a  200.0  4       0.5
        2   a  300.0  4       0.0
    """
    _check_table(final, "final", (ARM, SEED, SCORE))
    _check_bootstrap(reps, seed, confidence)
    thresholds = np.asarray(taus, dtype=float)
    if thresholds.ndim != 1 or thresholds.size == 0 or not np.all(np.isfinite(thresholds)):
        raise ValueError(f"taus must be a non-empty 1-D sequence of finite returns, got {taus!r}")
    matrices = _score_matrices(final, "final", min_runs=2)
    with _seeded_global_stream(seed):
        profiles, intervals = rly.create_performance_profile(
            matrices, thresholds, reps=reps, confidence_interval_size=confidence)
    return pd.concat(
        [pd.DataFrame({ARM: arm, "tau": thresholds, "n": len(scores), "fraction": profiles[arm],
                       "low": intervals[arm][0], "high": intervals[arm][1]})
         for arm, scores in matrices.items()],
        ignore_index=True)


def describe_difference(row_x: Mapping, row_y: Mapping, metric: str = "iqm") -> str:
    """One sentence comparing two arms by one metric of :func:`aggregate_scores`.

    The course rule: where the two intervals overlap, no difference is detectable with this
    many seeds; only where they are disjoint does the sentence name the higher arm.
    (Disjoint intervals are a conservative test; overlapping ones do not prove the arms equal.)

    Args:
        row_x, row_y: rows of :func:`aggregate_scores` (e.g. ``table.iloc[0]``), with keys
            ``arm``, ``n``, ``confidence``, ``<metric>``, ``<metric>_low``, ``<metric>_high``.
        metric: one of :data:`AGGREGATE_METRICS`.

    Returns:
        One line: the metric, each arm's estimate [interval], then either ``"<arm> is higher
        (95% intervals do not overlap)"`` or ``"no difference detectable with <n> seeds per arm
        (95% intervals overlap)"`` (``"<n_x> and <n_y> seeds"`` if the arms differ in runs).

    Raises:
        ValueError: ``metric`` unknown or a row lacks one of the keys above.

    Example:
        >>> a = {"arm": "a", "n": 5, "confidence": 0.95, "iqm": 200.0, "iqm_low": 190.0,
        ...      "iqm_high": 210.0}
        >>> b = {**a, "arm": "b", "iqm": 100.0, "iqm_low": 90.0, "iqm_high": 195.0}
        >>> print(describe_difference(a, b))
        IQM return: a 200.0 [190.0, 210.0] vs b 100.0 [90.0, 195.0]: no difference detectable with 5 seeds
        per arm (95% intervals overlap)
        >>> print(describe_difference(a, {**b, "arm": "c", "n": 3, "iqm_high": 150.0}))
        IQM return: a 200.0 [190.0, 210.0] vs c 100.0 [90.0, 150.0]: a is
        higher (95% intervals do not overlap)
    """
    if metric not in AGGREGATE_METRICS:
        raise ValueError(f"metric must be one of {AGGREGATE_METRICS}, got {metric!r}")
    keys = (ARM, "n", "confidence", metric, f"{metric}_low", f"{metric}_high")
    for name, row in (("row_x", row_x), ("row_y", row_y)):
        missing = [key for key in keys if key not in row]
        if missing:
            raise ValueError(f"{name} must be a row of aggregate_scores with keys {keys}, "
                             f"missing {missing}")
    (x, nx, level, px, lx, hx), (y, ny, _, py, ly, hy) = ([row[key] for key in keys]
                                                          for row in (row_x, row_y))
    fmt = "{:.0%}" if metric == "fraction_solved" else "{:.1f}"
    px, lx, hx, py, ly, hy = (fmt.format(v) for v in (px, lx, hx, py, ly, hy))
    summary = f"{_METRIC_LABELS[metric]}: {x} {px} [{lx}, {hx}] vs {y} {py} [{ly}, {hy}]"
    overlap = row_x[f"{metric}_low"] <= row_y[f"{metric}_high"] and row_y[f"{metric}_low"] <= row_x[f"{metric}_high"]
    if overlap:
        seeds = f"{nx} seeds per arm" if nx == ny else f"{nx} and {ny} seeds"
        return (f"{summary}: no difference detectable with {seeds} "
                f"({level:.0%} intervals overlap)")
    higher = x if row_x[metric] > row_y[metric] else y
    return f"{summary}: {higher} is higher ({level:.0%} intervals do not overlap)"


def _final_metrics(scores: np.ndarray) -> np.ndarray:
    """[4] float64 mean, IQM, median and fraction ≥ SOLVED_RETURN of ``scores`` [num_runs, 1]."""
    return np.array([metrics.aggregate_mean(scores), metrics.aggregate_iqm(scores),
                     np.median(scores), np.mean(scores >= SOLVED_RETURN)])


@contextlib.contextmanager
def _seeded_global_stream(seed: int) -> Iterator[None]:
    """Seed NumPy's global random stream (which rliable 1.2.0 resamples from), then restore it."""
    saved = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(saved)


def _check_table(table: pd.DataFrame, name: str, columns: tuple[str, ...]) -> None:
    """Raise ValueError unless ``table`` is a non-empty DataFrame holding ``columns``."""
    if not isinstance(table, pd.DataFrame):
        raise ValueError(f"{name} must be a pandas DataFrame with columns {columns}, "
                         f"got {type(table).__name__}")
    missing = [column for column in columns if column not in table.columns]
    if missing:
        raise ValueError(f"{name} must have columns {columns}, got {list(table.columns)} "
                         f"(missing {missing})")
    if table.empty:
        raise ValueError(f"{name} must have at least one row, got an empty table")


def _check_bootstrap(reps: int, seed: int, confidence: float) -> None:
    """Raise ValueError unless reps ≥ 1, 0 ≤ seed < 2**32 (integers) and 0 < confidence < 1."""
    for name, value, low, high in (("reps", reps, 1, None), ("seed", seed, 0, 2**32 - 1)):
        if (not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < low
                or (high is not None and value > high)):
            allowed = f"an integer >= {low}" if high is None else f"an integer in [{low}, {high}]"
            raise ValueError(f"{name} must be {allowed}, got {value!r}")
    if (isinstance(confidence, bool) or not isinstance(confidence, (int, float, np.floating))
            or not 0.0 < confidence < 1.0):
        raise ValueError(f"confidence must be in (0, 1), e.g. 0.95, got {confidence!r}")


def _check_finite(table: pd.DataFrame, name: str, column: str) -> None:
    """Raise ValueError if ``table[column]`` holds NaN or ±inf."""
    values = table[column].to_numpy(dtype=float)
    if not np.all(np.isfinite(values)):
        raise ValueError(f"{name}[{column!r}] must be finite returns, got "
                         f"{values[~np.isfinite(values)].tolist()}")


def _check_runs(arm: str, runs: int, name: str, min_runs: int) -> None:
    """Raise ValueError if ``arm`` has fewer than ``min_runs`` runs."""
    if runs < min_runs:
        raise ValueError(f"{name}: arm {arm!r} has {runs} run(s); each arm needs at least "
                         f"{min_runs} runs (seeds) for this statistic")


def _check_pair(matrices: Mapping[str, np.ndarray], x: str, y: str) -> None:
    """Raise ValueError unless ``x`` and ``y`` are two different arms."""
    for name, arm in (("x", x), ("y", y)):
        if arm not in matrices:
            raise ValueError(f"{name} must be an arm of final, one of {list(matrices)}, got {arm!r}")
    if x == y:
        raise ValueError(f"x and y must be different arms, got {x!r} for both")


def _score_matrices(final: pd.DataFrame, name: str, min_runs: int) -> dict[str, np.ndarray]:
    """Arm → [num_runs, 1] float64 scores (rliable's run × task matrix), in order of appearance."""
    _check_finite(final, name, SCORE)
    duplicated = final.duplicated([ARM, SEED])
    if duplicated.any():
        raise ValueError(f"{name} must have one row per run (arm, seed), got repeats of "
                         f"{final.loc[duplicated, [ARM, SEED]].values.tolist()}")
    matrices = {arm: runs[SCORE].to_numpy(dtype=float)[:, None]
                for arm, runs in final.groupby(ARM, sort=False)}
    for arm, scores in matrices.items():
        _check_runs(arm, len(scores), name, min_runs)
    return matrices
