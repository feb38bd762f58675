r"""Checks for notebook 07, "Which agent, and how sure are you?".

The learner writes three NumPy functions that turn the final scores of training runs (one
number per run, e.g. its final greedy mean return) into a comparison of agents:

- ``iqm(scores)``: the interquartile mean, the mean of the middle half of the sorted scores:
  with g = ⌊N/4⌋, IQM = mean(sorted[g : N − g]) — exactly ``scipy.stats.trim_mean(scores, 0.25)``
  and ``rliable.metrics.aggregate_iqm(scores[:, None])``, this check's reference;
- ``probability_of_improvement(x, y)``: P(X > Y) = (1/(N·M)) Σ_i Σ_j ([x_i > y_j] + ½·[x_i = y_j]),
  the Mann–Whitney U statistic over N·M; the reference is
  ``rliable.metrics.probability_of_improvement(x[:, None], y[:, None])``;
- ``bootstrap_interval(scores, statistic, reps, rng, confidence=0.95)``: the percentile
  bootstrap. ``indices = rng.integers(0, N, size=(reps, N))`` (N = len(scores), the first and
  only draw from ``rng``); ``replicates[b] = statistic(scores[indices[b]])``; ``(low, high)`` =
  ``np.quantile(replicates, [(1 − confidence)/2, (1 + confidence)/2])``. The reference is this
  module's own (:func:`_replicates`, :func:`_quantiles`): the package's statistics use
  rliable's bootstrap, which draws from NumPy's global stream, not from a Generator.

Sources: Agarwal et al. (2021), "Deep Reinforcement Learning at the Edge of the Statistical
Precipice" (NeurIPS), Sec. 4 (IQM, probability of improvement, bootstrap intervals); Efron &
Tibshirani (1993), *An Introduction to the Bootstrap*, Ch. 13 (percentile intervals).

The checks recognise the usual mistakes by computing the answer each would give:

- IQM: the plain mean, the median, no sorting, 12.5 % cut at each end, N/4 rounded up, the mean
  between the 25th and 75th percentiles (inclusive or exclusive), an empty slice when
  ⌊N/4⌋ = 0, sorting the input in place;
- P(X > Y): ties counted 0 or 1, the arms swapped, means compared, runs paired index by index
  (wrong, or a crash when N ≠ M), divided by N + M or max(N, M);
- bootstrap: resampling without replacement, resamples of a size other than N, quantiles of the
  data or of the pooled resampled scores, the statistic of the indices, low/high swapped,
  2.5/97.5 % whatever ``confidence``, other quantile levels, order statistics instead of
  ``np.quantile``, a normal approximation (of the data or of the replicates), not drawing from
  ``rng``. Then, statistically: the 95 % interval of the mean covers the true mean on normal
  data, and it narrows like 1/√N.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from statistics import NormalDist

import numpy as np
from rliable import metrics

from lunar_lab.checks.compare import TOLERANCE, Mistake, close
from lunar_lab.checks.core import ExerciseFailed, NotImplementedYet, exercise

#: Tolerance of the bootstrap comparison: the learner's replicates come from the check's own
#: statistic on the same draws, so only float64 rounding may differ.
_EXACT = 1e-9


# ---------------------------------------------------------------------------------------------
# shared: running a case, the learner's result, reporting


class _Misuse(ExerciseFailed):
    """Raised inside the learner's call by something the check handed it (the bootstrap's statistic)."""


def _require_function(fn, name: str) -> None:
    """ValueError unless ``fn`` is callable: the check takes the learner's function itself, not its result."""
    if not callable(fn):
        raise ValueError(f"check_{name}: `{name}` must be your function itself, as in check_{name}({name}), "
                         f"got {type(fn).__name__} {fn!r:.60}")


def _show(values, limit: int = 14) -> str:
    """``values`` as a list for a message, at most ``limit`` entries: ``[10, -3, 4.5]``."""
    items = [f"{v:.6g}" for v in np.asarray(values, np.float64).ravel()]
    if len(items) > limit:
        items = [*items[:limit - 2], "…", items[-1]]
    return "[" + ", ".join(items) + "]"


def _run(call, fn, label: str, inputs: str, *args, hint: Callable[[str], str | None] | None = None, **kwargs):
    """``call(fn, *args, **kwargs)``; a crash's message gets the case and, if ``hint`` finds one, a hint."""
    try:
        return call(fn, *args, **kwargs)
    except (NotImplementedYet, _Misuse):
        raise
    except ExerciseFailed as err:
        extra = hint(str(err)) if hint else None
        raise ExerciseFailed(f"{err}\n   in case '{label}': {inputs}"
                             + (f"\n   hint: {extra}" if extra else "")) from None


def _unchanged(where: str, given: dict[str, np.ndarray], originals: dict[str, np.ndarray]) -> None:
    """Raise ExerciseFailed if the learner's function changed one of its input arrays."""
    for name, array in given.items():
        before = originals[name]
        if np.array_equal(array, before):
            continue
        if np.array_equal(array, np.sort(before)):
            raise ExerciseFailed(
                f"{where}: your function sorted its input `{name}` in place ({name}.sort()), so the caller's array "
                f"changed — in the notebook that is the table of runs, which then no longer lines up with its seeds. "
                f"Use np.sort({name}), which returns a sorted copy and leaves `{name}` alone")
        raise ExerciseFailed(f"{where}: your function changed its input `{name}` (now {_show(array)}, was "
                             f"{_show(before)}) — work on a copy instead of writing into the argument")


def _number(result, where: str) -> float:
    """The learner's result as a float, or ExerciseFailed saying what it is instead."""
    if result is None:
        raise ExerciseFailed(f"{where}: your function returned None — did you forget `return`?")
    try:
        value = np.asarray(result, dtype=np.float64)
    except (TypeError, ValueError):
        raise ExerciseFailed(f"{where}: expected a number, got {type(result).__name__}") from None
    if value.shape != ():
        raise ExerciseFailed(f"{where}: returned an array of shape {list(value.shape)}; return one number "
                             "(a float), e.g. float(np.mean(...))")
    return float(value)


def _report(cases: Sequence[dict], results: list, table: Sequence[Mistake], head: Callable[[dict, object], str],
            fallback: Callable[[int, object], str], tolerance: float = TOLERANCE,
            first_look: Callable[[int], str | None] | None = None) -> None:
    """Raise ExerciseFailed at the first case whose result differs from ``case["expected"]``.

    The message: ``head(case, got)`` (the case, got vs expected, the answer worked out), then
    ``first_look(index)`` if given and not None, else the known mistake of ``table`` that
    :func:`_likeliest` finds, else ``fallback(index, got)``.
    """
    wrong = [i for i, (got, case) in enumerate(zip(results, cases))
             if not close(got, case["expected"], tolerance, tolerance)]
    if not wrong:
        return
    first = wrong[0]
    diagnosis = first_look(first) if first_look else None
    if diagnosis is None:
        message = _likeliest(table, cases, results, first, tolerance)
        diagnosis = f"Likely mistake: {message}" if message else fallback(first, results[first])
    raise ExerciseFailed(f"{head(cases[first], results[first])}.\n   {diagnosis}")


def _likeliest(table: Sequence[Mistake], cases: Sequence[dict], results: list, first: int, tolerance: float):
    """The message of the mistake of ``table`` (functions of a case) that gives the learner's wrong result on case
    ``first`` and agrees with the learner on the most cases (ties: the first in ``table``); None if none gives it."""
    best, agreed = None, 0
    for mistake in table:
        same = [answer is not None and close(got, answer, tolerance, tolerance)
                for got, answer in ((got, mistake.on(case).answer) for got, case in zip(results, cases))]
        if same[first] and sum(same) > agreed:
            best, agreed = mistake.on(cases[first]).message, sum(same)
    return best


# ---------------------------------------------------------------------------------------------
# Exercise 1: the interquartile mean


def _trimmed(scores: np.ndarray, cut: int) -> float | None:
    """Mean of the sorted scores without ``cut`` at each end (None: nothing left)."""
    kept = np.sort(scores)[cut:len(scores) - cut]
    return float(kept.mean()) if len(kept) else None


def _between_percentiles(scores: np.ndarray, inclusive: bool) -> float | None:
    """Mean of the scores between the 25th and the 75th percentile (None: none there)."""
    low, high = np.percentile(scores, [25, 75])
    keep = (scores >= low) & (scores <= high) if inclusive else (scores > low) & (scores < high)
    return float(scores[keep].mean()) if keep.any() else None


def _percentile_message(inclusive: bool) -> Callable[[np.ndarray], str]:
    def message(scores: np.ndarray) -> str:
        n, g = len(scores), len(scores) // 4
        low, high = np.percentile(scores, [25, 75])
        sign = "≤" if inclusive else "<"
        kept = int(np.sum((scores >= low) & (scores <= high) if inclusive else (scores > low) & (scores < high)))
        return (f"you averaged the scores with np.percentile(scores, 25) {sign} score {sign} np.percentile(scores, 75) "
                f"({low:.6g} and {high:.6g} here), which keeps {kept} of the {n} scores: percentiles interpolate "
                "between scores, so which scores fall between them depends on N and on ties. The IQM is defined by "
                f"counting (Agarwal et al. 2021; scipy.stats.trim_mean(scores, 0.25)): sort, drop g = ⌊N/4⌋ = {g} "
                f"scores at EACH end, and average the N − 2g = {n - 2 * g} left, sorted[g:N − g]")
    return message


#: The usual wrong IQMs: message and answer, functions of the scores [N] (:data:`_IQM_MISTAKES_ON_CASE`: of a case).
_IQM_MISTAKES = (
    Mistake("this is the plain mean of all the scores: the IQM first drops the lowest and the highest quarter of "
            "the runs (g = ⌊N/4⌋ scores at each end of the sorted scores), then averages the middle half, so that "
            "a few crashed or lucky runs cannot move it much", lambda s: float(np.mean(s))),
    Mistake("this is the median: the IQM averages the whole middle half of the sorted scores, sorted[g:N − g] with "
            "g = ⌊N/4⌋, not only the middle one or two", lambda s: float(np.median(s))),
    Mistake("you cut the ends of the scores in the order they came, without sorting: the quarters to drop are the "
            "lowest and the highest scores, so sort first — np.sort(scores)[g:N − g]",
            lambda s: float(s[len(s) // 4:len(s) - len(s) // 4].mean())),
    Mistake(lambda s: f"you cut 12.5 % at each end, 25 % in total (⌊N/8⌋ = {len(s) // 8} from each end here"
                      f"{', nothing at all' if len(s) < 8 else ''}): the IQM drops a quarter at EACH end, "
                      f"g = ⌊N/4⌋ = {len(s) // 4}, and keeps the middle 50 % — scipy.stats.trim_mean(scores, 0.25) "
                      "cuts the fraction 0.25 from each end",
            lambda s: _trimmed(s, len(s) // 8)),
    Mistake(lambda s: f"you rounded N/4 up (⌈{len(s)}/4⌉ = {-(-len(s) // 4)}): the IQM cuts g = ⌊N/4⌋ = "
                      f"{len(s) // 4} scores from each end, rounding down (N // 4), as scipy.stats.trim_mean does",
            lambda s: _trimmed(s, -(-len(s) // 4))),
    Mistake(_percentile_message(inclusive=True), lambda s: _between_percentiles(s, inclusive=True)),
    Mistake(_percentile_message(inclusive=False), lambda s: _between_percentiles(s, inclusive=False)),
)


def _on_scores(field):
    """A field of an IQM mistake (a function of the scores, or a constant) as a function of the case."""
    return (lambda case: field(case["scores"])) if callable(field) else field


#: :data:`_IQM_MISTAKES` as functions of a case (a dict with ``scores``).
_IQM_MISTAKES_ON_CASE = tuple(Mistake(_on_scores(m.message), _on_scores(m.answer)) for m in _IQM_MISTAKES)

#: The hand-made IQM cases: (label, scores); every one but N = 1 is unsorted.
_IQM_HAND_CASES = (
    ("N = 4", [10.0, -3.0, 4.0, 250.0]),
    ("N = 5", [120.0, -40.0, 200.0, 15.0, 60.0]),
    ("N = 6", [300.0, 10.0, 40.0, 20.0, 60.0, 50.0]),
    ("N = 1", [7.5]),
    ("N = 8", [250.0, 10.0, 220.0, 90.0, -60.0, 180.0, 300.0, 140.0]),
    ("N = 10", [5.0, 240.0, 130.0, 260.0, 30.0, 210.0, 190.0, 75.0, 285.0, 150.0]),
    ("N = 13, with ties", [-120.0, 35.0, 35.0, 210.0, 180.0, 35.0, 260.0, -15.0, 150.0, 150.0, 245.0, 90.0, 35.0]),
    ("N = 7, all negative", [-250.0, -80.0, -120.0, -30.0, -310.0, -95.0, -60.0]),
)


def _iqm_cases() -> list[dict]:
    rng = np.random.default_rng(7)
    cases = [(label, np.asarray(scores)) for label, scores in _IQM_HAND_CASES]
    cases += [(f"N = {n}, random", rng.normal(150.0, 80.0, n).round(1)) for n in (39, 101)]
    return [dict(label=label, scores=scores, expected=float(metrics.aggregate_iqm(scores[:, None])))
            for label, scores in cases]


def check_iqm(iqm: Callable) -> None:
    """Check ``iqm(scores) -> float``, the interquartile mean of N runs' final scores.

    Args:
        iqm: the learner's function. It receives ``scores`` [N] float64 (N ≥ 1, in run
            order, unsorted) and must return, as a float, the mean of the middle half of the
            sorted scores: with g = ⌊N/4⌋, mean(np.sort(scores)[g:N − g]) — exactly
            ``scipy.stats.trim_mean(scores, 0.25)`` — leaving ``scores`` unchanged.

    Cases: N = 1, 4, 5, 6, 7, 8, 10 and 13 by hand (ties, negative scores), and N = 39 and 101
    random; compared with ``rliable.metrics.aggregate_iqm(scores[:, None])``.

    Raises:
        ExerciseFailed: the case, expected vs got, the IQM worked out (sorted scores, g, the
            scores kept) and the likely mistake; or the input changed (sorted in place).
        NotImplementedYet: the placeholder still raises NotImplementedError.

    Source: Agarwal et al. (2021), Sec. 4 (IQM, the 25 % trimmed mean).

    Example:
        >>> check_iqm(lambda scores: metrics.aggregate_iqm(scores[:, None]))
        ✅ iqm: passed (10 cases)
    """
    _require_function(iqm, "iqm")
    cases = _iqm_cases()
    with exercise("iqm", passed=f"passed ({len(cases)} cases)") as call:
        results = [_iqm_result(call, iqm, case) for case in cases]
        _report(cases, results, _IQM_MISTAKES_ON_CASE, _iqm_head, lambda i, got: _iqm_fallback(cases[i], got))


def _iqm_result(call, iqm: Callable, case: dict) -> float:
    where = f"iqm, case '{case['label']}'"
    scores = case["scores"].copy()
    result = _run(call, iqm, case["label"], f"scores = {_show(case['scores'])}", scores)
    _unchanged(where, {"scores": scores}, {"scores": case["scores"]})
    return _number(result, where)


def _iqm_head(case: dict, got: float) -> str:
    scores = case["scores"]
    n, g = len(scores), len(scores) // 4
    kept = np.sort(scores)[g:n - g]
    return (f"iqm, case '{case['label']}': returned {got:.6g}, expected {case['expected']:.6g} — scores = "
            f"{_show(scores)}; sorted: {_show(np.sort(scores))}; g = ⌊N/4⌋ = ⌊{n}/4⌋ = {g} cut from each end leaves "
            f"the {len(kept)} middle score{'s' if len(kept) > 1 else ''} {_show(kept)}, whose mean is "
            f"{case['expected']:.6g}")


def _iqm_fallback(case: dict, got: float) -> str:
    n, g = len(case["scores"]), len(case["scores"]) // 4
    if not math.isnan(got):
        return ("Compare with the definition: sort the scores, cut g = ⌊N/4⌋ from each end, and average the N − 2g "
                "left: np.sort(scores)[g:N - g].mean(), which is scipy.stats.trim_mean(scores, 0.25)")
    if g > 0:
        return (f"Likely mistake: your IQM is nan, the mean of no scores at all, but sorted[g:N − g] keeps N − 2g = "
                f"{n - 2 * g} scores here — check the slice")
    kept = "the score itself" if n == 1 else f"the mean of all {n} scores"
    return (f"Likely mistake: your IQM is nan, the mean of no scores at all. With N = {n}, g = ⌊N/4⌋ = 0: nothing is "
            f"cut and the IQM is {kept}. Two usual causes: sorted[g:-g] with g = 0 is sorted[0:0], which is empty — "
            "slice with sorted[g:N - g]; or N/4 rounded up (math.ceil), which cuts the only score — round down, "
            "g = N // 4")


# ---------------------------------------------------------------------------------------------
# Exercise 2: the probability of improvement


def _pair_counts(x: np.ndarray, y: np.ndarray) -> tuple[int, int]:
    """(pairs with x_i > y_j, pairs with x_i = y_j) over all N·M pairs."""
    return int(np.sum(x[:, None] > y[None, :])), int(np.sum(x[:, None] == y[None, :]))


def _poi(x: np.ndarray, y: np.ndarray, tie: float = 0.5, pairs: int | None = None) -> float:
    """(#{x_i > y_j} + tie·#{x_i = y_j}) / pairs (default N·M)."""
    wins, ties = _pair_counts(x, y)
    return (wins + tie * ties) / (pairs or len(x) * len(y))


def _index_wise(x: np.ndarray, y: np.ndarray) -> float:
    """P(X > Y) from the pairs (x[i], y[i]) only, as zip gives them."""
    return float(np.mean([1.0 if a > b else 0.5 if a == b else 0.0 for a, b in zip(x, y)]))


def _by_means(x: np.ndarray, y: np.ndarray, tie: float) -> float:
    return 1.0 if x.mean() > y.mean() else tie if x.mean() == y.mean() else 0.0


def _index_wise_message(case: dict) -> str:
    n, m = len(case["x"]), len(case["y"])
    unused = (f"; zip stops at the shorter arm, so {abs(n - m)} run{'s' if abs(n - m) > 1 else ''} of "
              f"{'X' if n > m else 'Y'} were never compared" if n != m else "")
    return (f"you compared the runs index by index, x[i] with y[i]{unused}. Run i of X and run i of Y have nothing "
            "to do with each other (different seeds): P(X > Y) compares EVERY run of X with EVERY run of Y, all N·M "
            "pairs — e.g. x[:, None] > y[None, :] is the [N, M] table of comparisons")


_MEANS_MESSAGE = ("you compared the mean scores only (1 if mean(x) > mean(y), else 0): P(X > Y) is the chance that a "
                  "run of X beats a run of Y — count the pairs (x_i, y_j) with x_i > y_j, ties ½, over all N·M pairs; "
                  "it is rarely exactly 0 or 1")

#: The usual wrong P(X > Y): message and answer, functions of the case (``x`` [N], ``y`` [M]).
_POI_MISTAKES = (
    Mistake(lambda c: f"ties count 0 in your sum: a tie x_i = y_j counts ½ ({_pair_counts(c['x'], c['y'])[1]} of "
                      f"the {len(c['x']) * len(c['y'])} pairs are ties here), P(X > Y) = (#(x_i > y_j) + "
                      "½·#(x_i = y_j)) / (N·M), so that two identical arms get 0.5",
            lambda c: _poi(c["x"], c["y"], tie=0.0)),
    Mistake("you counted ties as wins (x_i >= y_j): a tie x_i = y_j counts ½, so that two identical arms get 0.5",
            lambda c: _poi(c["x"], c["y"], tie=1.0)),
    Mistake("this is P(Y > X) = 1 − P(X > Y): the arms are swapped — count the pairs where x_i (the first argument) "
            "beats y_j", lambda c: _poi(c["y"], c["x"])),
    Mistake(_MEANS_MESSAGE, lambda c: _by_means(c["x"], c["y"], tie=0.5)),
    Mistake(_MEANS_MESSAGE, lambda c: _by_means(c["x"], c["y"], tie=0.0)),
    Mistake(_index_wise_message, lambda c: _index_wise(c["x"], c["y"])),
    Mistake(lambda c: f"you divided by N + M = {len(c['x']) + len(c['y'])}: there are N·M = "
                      f"{len(c['x']) * len(c['y'])} pairs (every run of X against every run of Y), and P(X > Y) is "
                      "the fraction of them that X wins (ties ½)",
            lambda c: _poi(c["x"], c["y"], pairs=len(c["x"]) + len(c["y"]))),
    Mistake(lambda c: f"you divided by max(N, M) = {max(len(c['x']), len(c['y']))}: there are N·M = "
                      f"{len(c['x']) * len(c['y'])} pairs (every run of X against every run of Y), and P(X > Y) is "
                      "the fraction of them that X wins (ties ½)",
            lambda c: _poi(c["x"], c["y"], pairs=max(len(c["x"]), len(c["y"])))),
)

#: The hand-made cases: (label, x, y).
_POI_HAND_CASES = (
    ("X always better, N = 4, M = 5", [210.0, 250.0, 232.0, 241.0], [95.0, 130.0, -20.0, 60.0, 110.0]),
    ("Y always better, N = 5, M = 3", [12.0, -40.0, 30.0, 5.0, 22.0], [140.0, 95.0, 180.0]),
    ("identical arms, N = M = 5", [180.0, 220.0, 205.0, 150.0, 240.0], [180.0, 220.0, 205.0, 150.0, 240.0]),
    ("N = M = 5, overlapping arms", [120.0, 260.0, 90.0, 240.0, 200.0], [250.0, 100.0, 230.0, 80.0, 210.0]),
    ("ties, N = 6, M = 4", [200.0, 150.0, 150.0, 220.0, 180.0, 150.0], [150.0, 220.0, 100.0, 150.0]),
    ("one run of X, N = 1, M = 3", [205.0], [150.0, 205.0, 260.0]),
)


def _poi_cases() -> list[dict]:
    rng = np.random.default_rng(11)
    cases = [(label, np.asarray(x), np.asarray(y)) for label, x, y in _POI_HAND_CASES]
    cases.append(("random whole-number scores with ties, N = 10, M = 7",
                  rng.integers(150, 190, 10).astype(np.float64), rng.integers(140, 180, 7).astype(np.float64)))
    return [dict(label=label, x=x, y=y,
                 expected=float(metrics.probability_of_improvement(x[:, None], y[:, None])))
            for label, x, y in cases]


def check_probability_of_improvement(probability_of_improvement: Callable) -> None:
    """Check ``probability_of_improvement(x, y) -> float``, P(X > Y) of two arms.

    Args:
        probability_of_improvement: the learner's function. It receives the final scores of
            two arms, ``x`` [N] and ``y`` [M] float64 (N, M ≥ 1, possibly N ≠ M), and must
            return, as a float in [0, 1],
            P(X > Y) = (1/(N·M)) Σ_i Σ_j ([x_i > y_j] + ½·[x_i = y_j]), leaving ``x`` and ``y`` unchanged.

    Cases: disjoint arms (1 and 0), identical arms (0.5), overlapping arms with N = M, ties with
    N ≠ M, a single run, and random whole-number scores; compared with
    ``rliable.metrics.probability_of_improvement(x[:, None], y[:, None])``.

    Raises:
        ExerciseFailed: the case, expected vs got, the count of wins and ties, and the likely
            mistake; a crash when N ≠ M gets a hint about pairing runs index by index.
        NotImplementedYet: the placeholder still raises NotImplementedError.

    Source: Agarwal et al. (2021), Sec. 4 (probability of improvement; the Mann–Whitney U
    statistic over N·M).

    Example:
        >>> def probability_of_improvement(x, y):
        ...     return metrics.probability_of_improvement(x[:, None], y[:, None])
        >>> check_probability_of_improvement(probability_of_improvement)
        ✅ probability_of_improvement: passed (7 cases)
    """
    _require_function(probability_of_improvement, "probability_of_improvement")
    cases = _poi_cases()
    with exercise("probability_of_improvement", passed=f"passed ({len(cases)} cases)") as call:
        results = [_poi_result(call, probability_of_improvement, case) for case in cases]
        _report(cases, results, _POI_MISTAKES, _poi_head, lambda i, got: _poi_fallback(cases[i], got))


def _poi_result(call, fn: Callable, case: dict) -> float:
    where = f"probability_of_improvement, case '{case['label']}'"
    x, y = case["x"].copy(), case["y"].copy()
    n, m = len(x), len(y)

    def hint(message: str) -> str | None:
        if "broadcast" not in message or n == m:
            return None
        return (f"x > y fails when N = {n} ≠ M = {m}: NumPy compares arrays element by element, pairing run i of X "
                "with run i of Y. P(X > Y) needs every pair (x_i, y_j): x[:, None] > y[None, :] is the [N, M] table")

    result = _run(call, fn, case["label"], f"x = {_show(case['x'])}, y = {_show(case['y'])}", x, y, hint=hint)
    _unchanged(where, {"x": x, "y": y}, {"x": case["x"], "y": case["y"]})
    return _number(result, where)


def _poi_head(case: dict, got: float) -> str:
    x, y = case["x"], case["y"]
    wins, ties = _pair_counts(x, y)
    pairs = len(x) * len(y)
    return (f"probability_of_improvement, case '{case['label']}': returned {got:.6g}, expected "
            f"{case['expected']:.6g} — x = {_show(x)} (N = {len(x)}), y = {_show(y)} (M = {len(y)}): of the N·M = "
            f"{pairs} pairs (x_i, y_j), {wins} have x_i > y_j and {ties} are ties, so P(X > Y) = ({wins} + ½·{ties}) / {pairs} = "
            f"{case['expected']:.6g}")


def _poi_fallback(case: dict, got: float) -> str:
    pairs = len(case["x"]) * len(case["y"])
    if not 0.0 <= got <= 1.0:
        return (f"A probability lies between 0 and 1: divide the count (wins + ½·ties) by the number of pairs, "
                f"N·M = {pairs}")
    return ("Compare with the definition: over all N·M pairs, count 1 for x_i > y_j and ½ for x_i = y_j, then divide "
            "by N·M — e.g. np.mean(x[:, None] > y[None, :]) + 0.5 * np.mean(x[:, None] == y[None, :])")


# ---------------------------------------------------------------------------------------------
# Exercise 3: the percentile bootstrap interval


def _iqm_of(resample: np.ndarray) -> float:
    return float(metrics.aggregate_iqm(resample[:, None]))


#: The statistics the cases hand to the learner's function, by the name the messages use.
_STATISTICS = {"np.mean": np.mean, "np.median": np.median,
               "the IQM (scipy.stats.trim_mean(resample, 0.25))": _iqm_of}
_DEFAULT_CONFIDENCE = 0.95


def _replicates(scores: np.ndarray, statistic: Callable, reps: int, rng: np.random.Generator):
    """The check's own bootstrap: (indices [reps, N] int64, replicates [reps] float64).

    ``indices = rng.integers(0, N, size=(reps, N))``, ``replicates[b] = statistic(scores[indices[b]])``.
    """
    indices = rng.integers(0, len(scores), size=(reps, len(scores)))
    return indices, np.array([statistic(resample) for resample in scores[indices]], np.float64)


def _levels(confidence: float) -> list[float]:
    """The quantile levels of a two-sided interval: [(1 − confidence)/2, (1 + confidence)/2]."""
    return [(1 - confidence) / 2, (1 + confidence) / 2]


def _quantiles(values, levels) -> tuple[float, float]:
    """``np.quantile(values, levels)`` (NumPy's default method, 'linear') as (low, high)."""
    low, high = np.quantile(np.asarray(values, np.float64), levels)
    return float(low), float(high)


def _order_statistics(replicates: np.ndarray, levels) -> tuple[float, float]:
    """The sorted replicates at index int(level·reps), as a hand-written quantile picks them."""
    ordered = np.sort(replicates)
    low, high = (ordered[min(int(level * len(ordered)), len(ordered) - 1)] for level in levels)
    return float(low), float(high)


def _around(center: float, spread: float, z: float) -> tuple[float, float]:
    return center - z * spread, center + z * spread


def _z(confidence: float, fixed: bool) -> float:
    return 1.96 if fixed else NormalDist().inv_cdf((1 + confidence) / 2)


_NORMAL_OF_DATA = ("this is the normal approximation mean ± z·σ (or σ/√N) of the scores, not the bootstrap: it "
                   "assumes that the statistic is the mean and that its sampling distribution is normal. The "
                   "percentile bootstrap assumes neither: resample the scores with replacement `reps` times, apply "
                   "`statistic` to each resample, and return the (1 − confidence)/2 and (1 + confidence)/2 quantiles "
                   "of those replicates")
_NORMAL_OF_REPLICATES = ("this is the 'normal' bootstrap interval, estimate ± z·(standard deviation of the "
                         "replicates): the exercise asks for the PERCENTILE bootstrap, whose ends are quantiles of the "
                         "replicates themselves — np.quantile(replicates, [(1 − confidence)/2, (1 + confidence)/2]) — "
                         "and need not be symmetric")

#: The usual wrong intervals: message and answer, functions of the case (its ``scores``, ``statistic``,
#: ``level`` (the confidence in force), and the reference's ``indices`` and ``replicates``).
_INTERVAL_MISTAKES = (
    Mistake("low and high are swapped: return (low, high), the (1 − confidence)/2 quantile first",
            lambda c: _quantiles(c["replicates"], _levels(c["level"]))[::-1]),
    Mistake(lambda c: f"you took the 2.5 % and 97.5 % quantiles although confidence = {c['level']:g}: the levels are "
                      f"(1 − confidence)/2 = {_levels(c['level'])[0]:g} and (1 + confidence)/2 = "
                      f"{_levels(c['level'])[1]:g}, computed from the `confidence` argument",
            lambda c: _quantiles(c["replicates"], _levels(0.95)) if c["level"] != 0.95 else None),
    Mistake(lambda c: f"you took the quantiles {1 - c['level']:g} and {c['level']:g}: a {100 * c['level']:g} % "
                      f"interval leaves (1 − confidence)/2 = {_levels(c['level'])[0]:g} in EACH tail, so its ends "
                      f"are the {_levels(c['level'])[0]:g} and {_levels(c['level'])[1]:g} quantiles",
            lambda c: _quantiles(c["replicates"], [1 - c["level"], c["level"]])),
    Mistake("your quantile levels are 100× too small: np.percentile takes percents (2.5, 97.5), np.quantile "
            "fractions (0.025, 0.975) — you gave np.percentile fractions",
            lambda c: _quantiles(c["replicates"], np.asarray(_levels(c["level"])) / 100)),
    Mistake("you picked the sorted replicates at index int(level·reps): np.quantile interpolates between "
            "neighbouring replicates (its default method, 'linear'), and this exercise defines the ends as "
            "np.quantile(replicates, [(1 − confidence)/2, (1 + confidence)/2])",
            lambda c: _order_statistics(c["replicates"], _levels(c["level"]))),
    Mistake("you returned quantiles of the scores themselves: they describe how much single runs vary, not how sure "
            "we are of the statistic. Apply `statistic` to each of the `reps` resamples and take the quantiles of "
            "those replicates", lambda c: _quantiles(c["scores"], _levels(c["level"]))),
    Mistake("you took quantiles of all the resampled scores pooled together: apply `statistic` to each resample "
            "(one number per resample, `reps` numbers in all) and take the quantiles of those replicates",
            lambda c: _quantiles(c["scores"][c["indices"]], _levels(c["level"]))),
    *(Mistake(_NORMAL_OF_DATA, lambda c, se=se, ddof=ddof, fixed=fixed: _around(
        float(np.mean(c["scores"])),
        float(np.std(c["scores"], ddof=ddof)) / (math.sqrt(len(c["scores"])) if se else 1.0), _z(c["level"], fixed)))
      for se in (True, False) for ddof in (0, 1) for fixed in (True, False)),
    *(Mistake(_NORMAL_OF_REPLICATES, lambda c, center=center, ddof=ddof, fixed=fixed: _around(
        float(_STATISTICS[c["statistic"]](c["scores"]) if center == "estimate" else np.mean(c["replicates"])),
        float(np.std(c["replicates"], ddof=ddof)), _z(c["level"], fixed)))
      for center in ("estimate", "replicates") for ddof in (0, 1) for fixed in (True, False)),
)

#: The exact cases: (label, scores, statistic, reps, seed, confidence — None: not passed, the default 0.95).
_BOOTSTRAP_CASES = (
    ("N = 8, np.mean, reps = 1000, confidence not passed",
     [212.3, 180.5, -35.2, 250.1, 198.7, 230.4, 150.0, 265.8], "np.mean", 1000, 0, None),
    ("N = 10, np.median, reps = 500, confidence = 0.9",
     [120.0, 260.0, 95.0, 240.0, 205.0, 180.0, -60.0, 230.0, 215.0, 150.0], "np.median", 500, 1, 0.9),
    ("N = 12, the IQM, reps = 300, confidence = 0.8",
     [250.0, 10.0, 220.0, 90.0, -60.0, 180.0, 300.0, 140.0, 235.0, 40.0, 275.0, 160.0],
     "the IQM (scipy.stats.trim_mean(resample, 0.25))", 300, 2, 0.8),
    ("N = 5, np.mean, reps = 2000, confidence = 0.5", [3.0, 9.0, 4.0, 1.0, 8.0], "np.mean", 2000, 3, 0.5),
    ("N = 6, constant scores, np.mean, reps = 200, confidence = 0.95", [180.0] * 6, "np.mean", 200, 4, 0.95),
)

# The statistical checks: 95 % intervals of the mean of N = 20 normal scores, 200 datasets.
_TRUE_MEAN, _SIGMA, _COVERAGE_N, _COVERAGE_DATASETS, _COVERAGE_REPS = 100.0, 50.0, 20, 200, 400
_COVERAGE_RANGE = (0.88, 0.99)
# Widths at N = 16 and 256 scores of the same mean and standard deviation: 1/√N says 4× narrower.
_WIDTH_N, _WIDTH_RATIO_RANGE = (16, 256), (3.2, 4.8)


def _bootstrap_cases() -> list[dict]:
    cases = []
    for label, scores, statistic, reps, seed, confidence in _BOOTSTRAP_CASES:
        scores = np.asarray(scores, np.float64)
        level = _DEFAULT_CONFIDENCE if confidence is None else confidence
        indices, replicates = _replicates(scores, _STATISTICS[statistic], reps, np.random.default_rng(seed))
        cases.append(dict(label=label, scores=scores, statistic=statistic, reps=reps, seed=seed, confidence=confidence,
                          level=level, indices=indices, replicates=replicates,
                          expected=_quantiles(replicates, _levels(level))))
    return cases


class _Statistic:
    """The ``statistic`` handed to the learner's function: ``fn`` of ONE resample [N], recording what it was given.

    A call with anything but one 1-D array of N numbers raises :class:`_Misuse`, which says why.
    """

    def __init__(self, case: dict, record: bool = True):
        self.fn, self.n, self.reps, self.record = _STATISTICS[case["statistic"]], len(case["scores"]), case["reps"], \
            record
        self.where = f"bootstrap_interval, case '{case['label']}'"
        self.seen: list[np.ndarray] = []

    def __call__(self, *args, **kwargs):
        if len(args) != 1 or kwargs:
            raise _Misuse(f"{self.where}: `statistic` was called with {len(args)} argument(s)"
                          f"{' and ' + ', '.join(f'{k}=' for k in kwargs) if kwargs else ''}; it takes one resample, "
                          "a [N] array, and returns one number: call statistic(resample) once per resample")
        resample = np.asarray(args[0], np.float64)
        if resample.ndim != 1:
            raise _Misuse(f"{self.where}: `statistic` was called on an array of shape {list(resample.shape)}; it "
                          f"takes ONE resample, a [N] = [{self.n}] array, and returns one number — call it once per "
                          "resample, e.g. np.array([statistic(resample) for resample in resamples])")
        if len(resample) != self.n:
            raise _Misuse(f"{self.where}: `statistic` was called on a resample of {len(resample)} scores, but "
                          f"len(scores) = N = {self.n}: every bootstrap resample has exactly N draws, as many as there "
                          "are scores, so that it varies as much as a new set of N runs would: "
                          "rng.integers(0, N, size=(reps, N)) gives reps rows of N indices"
                          + (" (you swapped the shape: size=(N, reps))" if len(resample) == self.reps else ""))
        if self.record:
            self.seen.append(resample)
        return self.fn(resample)


def _call_interval(call, fn: Callable, case: dict, statistic: _Statistic, rng: np.random.Generator):
    """The learner's interval on ``case`` with ``statistic`` and ``rng``, as (low, high) floats."""
    where = f"bootstrap_interval, case '{case['label']}'"
    scores = case["scores"].copy()
    options = {} if case["confidence"] is None else {"confidence": case["confidence"]}
    result = _run(call, fn, case["label"], f"scores = {_show(case['scores'])}, statistic = {case['statistic']}, "
                  f"reps = {case['reps']}, rng = np.random.default_rng({case['seed']})", scores, statistic,
                  case["reps"], rng, hint=_bootstrap_hint, **options)
    _unchanged(where, {"scores": scores}, {"scores": case["scores"]})
    return _interval(result, where)


def _bootstrap_hint(message: str) -> str | None:
    """A hint for the crashes the exercise typically produces (None: no hint)."""
    if "larger sample than population" in message:
        return ("replace=False cannot draw more scores than there are — and resampling without replacement would "
                "only give back a permutation of the data: draw WITH replacement, rng.integers(0, N, size=(reps, N))")
    if "Quantiles must be in the range" in message or "Percentiles must be in the range" in message:
        return ("np.quantile takes levels in [0, 1], e.g. 0.025 and 0.975; np.percentile takes percents, 2.5 and 97.5")
    return None


def _interval(result, where: str) -> tuple[float, float]:
    """The learner's result as (low, high), or ExerciseFailed saying what it is instead."""
    if result is None:
        raise ExerciseFailed(f"{where}: your function returned None — return the tuple (low, high)")
    try:
        values = np.asarray(result, np.float64)
    except (TypeError, ValueError):
        raise ExerciseFailed(f"{where}: expected the tuple (low, high) of two numbers, "
                             f"got {type(result).__name__}") from None
    if values.shape != (2,):
        raise ExerciseFailed(f"{where}: returned {type(result).__name__} of shape {list(values.shape)}; return the "
                             "tuple (low, high) of two numbers")
    return float(values[0]), float(values[1])


def check_bootstrap_interval(bootstrap_interval: Callable) -> None:
    """Check ``bootstrap_interval(scores, statistic, reps, rng, confidence=0.95) -> (low, high)``.

    Args:
        bootstrap_interval: the learner's function. It receives ``scores`` [N] float64 (the
            final scores of N runs), ``statistic`` (a function of one resample [N] float64
            returning a float, e.g. ``np.mean``), ``reps`` (an int, the number of resamples),
            ``rng`` (a ``np.random.Generator``) and ``confidence`` (a float in (0, 1)). It must
            draw ``indices = rng.integers(0, N, size=(reps, N))`` (N = len(scores); or
            ``rng.choice(scores, size=(reps, N))``, the same draws), compute
            ``replicates[b] = statistic(scores[indices[b]])`` for b < reps, and return
            ``(low, high) = np.quantile(replicates, [(1 − confidence)/2, (1 + confidence)/2])``
            as two floats, leaving ``scores`` unchanged.

    Cases: five exact cases against this module's reference with the same seed (mean, median
    and IQM; confidence 0.5 to 0.95, once not passed; constant scores: width 0); then the
    95 % interval of the mean on 200 normal datasets of N = 20 must cover the true mean in
    88–99 % of them, and 16× more scores must make it about 4× narrower (1/√N).

    Raises:
        ExerciseFailed: the case, expected vs got, the recipe worked out, and the likely
            mistake (see the module docstring); or coverage or width out of range.
        NotImplementedYet: the placeholder still raises NotImplementedError.

    Source: Efron & Tibshirani (1993), Ch. 13 (percentile intervals); Agarwal et al.
    (2021), Sec. 4 (bootstrap confidence intervals over runs).

    Example:
        >>> def bootstrap_interval(scores, statistic, reps, rng, confidence=0.95):
        ...     resamples = scores[rng.integers(0, len(scores), size=(reps, len(scores)))]
        ...     replicates = [statistic(resample) for resample in resamples]
        ...     low, high = np.quantile(replicates, [(1 - confidence) / 2, (1 + confidence) / 2])
        ...     return float(low), float(high)
        >>> check_bootstrap_interval(bootstrap_interval)
        ✅ bootstrap_interval: passed (5 exact cases; coverage of the mean on 200 datasets; width ∝ 1/√N)
    """
    _require_function(bootstrap_interval, "bootstrap_interval")
    cases = _bootstrap_cases()
    passed = f"passed ({len(cases)} exact cases; coverage of the mean on {_COVERAGE_DATASETS} datasets; width ∝ 1/√N)"
    with exercise("bootstrap_interval", passed=passed) as call:
        statistics = [_Statistic(case) for case in cases]
        results = [_call_interval(call, bootstrap_interval, case, statistic, np.random.default_rng(case["seed"]))
                   for case, statistic in zip(cases, statistics)]
        _report(cases, results, _INTERVAL_MISTAKES, _bootstrap_head,
                lambda i, got: _bootstrap_fallback(cases[i], statistics[i]), _EXACT,
                first_look=lambda i: _draw_diagnosis(call, bootstrap_interval, cases[i], statistics[i]))
        _check_coverage(call, bootstrap_interval)
        _check_width(call, bootstrap_interval)


def _bootstrap_head(case: dict, got: tuple[float, float]) -> str:
    n, reps, (low, high) = len(case["scores"]), case["reps"], case["expected"]
    levels = _levels(case["level"])
    default = ("; `confidence` is not passed here, so it must default to 0.95" if case["confidence"] is None else "")
    return (f"bootstrap_interval, case '{case['label']}': returned (low, high) = ({got[0]:.8g}, {got[1]:.8g}), "
            f"expected ({low:.8g}, {high:.8g}) — scores = {_show(case['scores'])}; with rng = "
            f"np.random.default_rng({case['seed']}), indices = rng.integers(0, {n}, size=({reps}, {n})), the {reps} "
            f"replicates {case['statistic']}(scores[indices[b]]) have the {levels[0]:g} and {levels[1]:g} quantiles "
            f"(np.quantile) ({low:.8g}, {high:.8g}){default}")


def _draw_diagnosis(call, fn: Callable, case: dict, statistic: _Statistic) -> str | None:
    """Why the learner's resamples are wrong, from what ``statistic`` saw; None: no resamples, or the right ones."""
    scores, reps, seen = case["scores"], case["reps"], statistic.seen
    if not seen:
        return None
    if len(seen) not in (reps, reps + 1):
        return (f"Likely mistake: `statistic` was applied to {len(seen)} resamples, but reps = {reps}: draw exactly "
                "`reps` resamples (use the argument, not a number of your own)")
    if _among(seen, scores[case["indices"]]):
        return None
    if _among(seen, case["indices"]):
        return ("Likely mistake: you applied `statistic` to the indices, not to the scores they pick: "
                "resample = scores[indices[b]]")
    if len(np.unique(scores)) > 1 and all(np.array_equal(np.sort(s), np.sort(scores)) for s in seen):
        return ("Likely mistake: resampling without replacement gives back a permutation of the data: every resample "
                "your function passed to `statistic` holds exactly the N scores, reordered, so the statistic hardly "
                "varies (the mean not at all) and the interval shrinks to a point. Draw WITH replacement: indices = "
                "rng.integers(0, N, size=(reps, N)), resamples = scores[indices] (some runs appear twice, others not "
                "at all)")
    return _rng_diagnosis(call, fn, case)


def _among(seen: list[np.ndarray], rows: np.ndarray) -> bool:
    """Whether the arrays ``statistic`` saw are ``rows`` [reps, N], in order (perhaps after or before one more call)."""
    reps = len(rows)
    return len(seen) >= reps and any(np.array_equal(np.stack(seen[start:start + reps]), rows)
                                     for start in {0, len(seen) - reps})


def _bootstrap_fallback(case: dict, statistic: _Statistic) -> str:
    """The diagnosis of a wrong interval from the right resamples (or none) that no mistake of the table explains."""
    scores = case["scores"]
    if len(np.unique(scores)) == 1:
        return (f"Likely mistake: all {len(scores)} scores are {scores[0]:g}, so every resample and every replicate "
                f"is the same and the interval must be ({scores[0]:g}, {scores[0]:g}), of width 0")
    if not statistic.seen:
        return ("Likely mistake: your function never called `statistic`: the interval is about the statistic, so "
                "apply it to each resample (replicates[b] = statistic(scores[indices[b]])) and take the quantiles "
                "of those replicates")
    return ("Your resamples are exactly this check's, so the difference is in the last step: return (low, high) = "
            "np.quantile(replicates, [(1 − confidence)/2, (1 + confidence)/2]) with NumPy's default method, "
            "low first")


def _rng_diagnosis(call, fn: Callable, case: dict) -> str:
    """Why the learner's resamples are not this check's: run it again with the same and another seed."""
    def interval(seed: int) -> tuple[float, float]:
        return _call_interval(call, fn, case, _Statistic(case, record=False), np.random.default_rng(seed))

    first, again, other = interval(case["seed"]), interval(case["seed"]), interval(case["seed"] + 1)
    if not close(first, again, _EXACT, _EXACT):
        return (f"Likely mistake: two calls with the same rng = np.random.default_rng({case['seed']}) gave different "
                f"intervals ({first[0]:.6g}, {first[1]:.6g}) and ({again[0]:.6g}, {again[1]:.6g}): your function draws "
                "from another random stream (np.random.*, random.*, a new np.random.default_rng()). Draw every index "
                "from the `rng` argument, so that the same seed gives the same interval")
    if close(first, other, _EXACT, _EXACT):
        return ("Likely mistake: two different seeds gave the same interval: your function ignores its `rng` argument "
                "(a generator with a fixed seed made inside?). Draw the indices from the `rng` it is given")
    return ("Your resamples are not the draws this check reproduces: make indices = rng.integers(0, len(scores), "
            "size=(reps, len(scores))) the first and only draw from rng (rng.choice(scores, size=(reps, N)) gives the "
            "same resamples), then resamples = scores[indices]")


def _check_coverage(call, fn: Callable) -> None:
    """The 95 % interval of the mean must cover the true mean in most of the normal datasets."""
    data = np.random.default_rng(2021)
    label = f"coverage, N = {_COVERAGE_N} normal scores (mean {_TRUE_MEAN:g}, σ = {_SIGMA:g})"
    covered = 0
    for seed in range(_COVERAGE_DATASETS):
        case = dict(label=label, scores=data.normal(_TRUE_MEAN, _SIGMA, _COVERAGE_N), statistic="np.mean",
                    reps=_COVERAGE_REPS, seed=seed, confidence=None)
        low, high = _call_interval(call, fn, case, _Statistic(case, record=False), np.random.default_rng(seed))
        covered += low <= _TRUE_MEAN <= high
    coverage = covered / _COVERAGE_DATASETS
    if not _COVERAGE_RANGE[0] <= coverage <= _COVERAGE_RANGE[1]:
        why = "too narrow" if coverage < _COVERAGE_RANGE[0] else "too wide"
        raise ExerciseFailed(
            f"bootstrap_interval, {label}: your 95 % intervals of the mean (confidence not passed, reps = "
            f"{_COVERAGE_REPS}) covered the true mean {_TRUE_MEAN:g} in {coverage:.1%} of {_COVERAGE_DATASETS} "
            f"datasets; a 95 % percentile bootstrap covers it in about 93 % (allowed {100 * _COVERAGE_RANGE[0]:.0f}–"
            f"{100 * _COVERAGE_RANGE[1]:.0f} %), so your intervals are {why}")


def _check_width(call, fn: Callable) -> None:
    """16× more scores with the same mean and spread must make the interval of the mean about 4× narrower."""
    widths = []
    for n in _WIDTH_N:
        draws = np.random.default_rng(n).normal(size=n)
        scores = _TRUE_MEAN + _SIGMA * (draws - draws.mean()) / draws.std()
        label = f"width, N = {n} scores of mean {_TRUE_MEAN:g} and standard deviation {_SIGMA:g}"
        case = dict(label=label, scores=scores, statistic="np.mean", reps=1000, seed=7, confidence=None)
        low, high = _call_interval(call, fn, case, _Statistic(case, record=False), np.random.default_rng(7))
        widths.append(high - low)
    ratio = widths[0] / widths[1] if widths[1] > 0 else math.inf
    if not _WIDTH_RATIO_RANGE[0] <= ratio <= _WIDTH_RATIO_RANGE[1]:
        raise ExerciseFailed(
            f"bootstrap_interval: with 16× more scores (N = {_WIDTH_N[0]} → {_WIDTH_N[1]}, the same mean and "
            f"standard deviation) the 95 % interval of the mean went from width {widths[0]:.4g} to {widths[1]:.4g}, "
            f"{ratio:.3g}× narrower; the uncertainty of a mean shrinks like 1/√N, so it should be about 4× narrower "
            f"(allowed {_WIDTH_RATIO_RANGE[0]:g}–{_WIDTH_RATIO_RANGE[1]:g}×) — does each resample have N draws?")
