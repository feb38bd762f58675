"""The benchmark's statistics: lunar_lab ÷ comparison ratios per seed, medians over seeds of
ratios some of which are only bounds, the targets' verdicts and the learning-curve means.

Pure functions of the run records (dicts as the workers write them): no I/O, no TensorFlow.
A solve ratio is exact (``=``) when both runs solved, a lower bound (``>``) when only
lunar_lab did, an upper bound (``<``) when only the comparison did; medians of such values
are bounded by the medians of the bounds (:func:`median_interval`).
"""

from __future__ import annotations

import bisect
import math
import statistics

from training_bench.formatting import fmt_bound, fmt_number, fmt_ratio
from training_bench.protocol import CURVE_STEPS, PEERS, REFERENCE, TARGETS

INF = math.inf


def solve_ratio(ours: dict, theirs: dict, solved_key: str, total_key: str) -> tuple[float | None, str | None]:
    """How many times more a peer needs than lunar_lab to solve (time or env steps).

    Returns:
        (value, relation): relation ``"="`` when both solved; ``">"`` (a lower bound) when
        only lunar_lab solved, using what the peer spent unsolved; ``"<"`` (an upper bound)
        when only the peer solved; (None, None) when neither did.
    """
    if ours["solved"] and theirs["solved"]:
        return theirs[solved_key] / ours[solved_key], "="
    if ours["solved"]:
        return theirs[total_key] / ours[solved_key], ">"
    if theirs["solved"]:
        return theirs[solved_key] / ours[total_key], "<"
    return None, None


def _rate_ratio(a, b):
    return a / b if a and b else None


def pair_ratios(runs: list[dict], pairs: list[tuple[str, str]]) -> list[dict]:
    """lunar_lab ÷ comparison for each pair and seed both ran (every ratio > 1: lunar_lab is better).

    Keys: ``env_steps_per_s_ratio`` and ``gradient_steps_per_s_ratio`` (ours ÷ theirs),
    ``time_to_solve_ratio`` and ``env_steps_to_solve_ratio`` (theirs ÷ ours, each with its
    ``_relation`` from :func:`solve_ratio`), ``memory_ratio`` (their peak RSS ÷ ours).
    """
    ok = {(r["agent"], r["seed"]): r for r in runs if r["status"] == "ok"}
    out = []
    for ours_name, theirs_name in pairs:
        for seed in sorted({s for (a, s) in ok if a == ours_name}):
            ours, theirs = ok[(ours_name, seed)], ok.get((theirs_name, seed))
            if theirs is None:
                continue
            time_ratio, time_rel = solve_ratio(ours, theirs, "solve_time_s", "train_time_s")
            steps_ratio, steps_rel = solve_ratio(ours, theirs, "solve_env_steps", "env_steps")
            out.append(dict(lunar_lab=ours_name, peer=theirs_name, seed=seed,
                            env_steps_per_s_ratio=_rate_ratio(ours["env_steps_per_s"], theirs["env_steps_per_s"]),
                            gradient_steps_per_s_ratio=_rate_ratio(ours["gradient_steps_per_s"], theirs["gradient_steps_per_s"]),
                            time_to_solve_ratio=time_ratio, time_to_solve_relation=time_rel,
                            env_steps_to_solve_ratio=steps_ratio, env_steps_to_solve_relation=steps_rel,
                            memory_ratio=_rate_ratio(theirs["peak_rss_mib"], ours["peak_rss_mib"])))
    return out


def interval(value: float | None, relation: str | None) -> tuple[float, float] | None:
    """The range a true value lies in, from a reported value and its relation.

    Example:
        >>> interval(5.0, "="), interval(5.0, ">"), interval(5.0, "<"), interval(None, None)
        ((5.0, 5.0), (5.0, inf), (0.0, 5.0), None)
    """
    if value is None:
        return None
    return {"=": (value, value), ">": (value, INF), "≥": (value, INF), "<": (0.0, value), "≤": (0.0, value)}[relation]


def median_interval(values: list, relations: list) -> tuple[float | None, float | None]:
    """Bounds on the median of quantities known exactly (``=``) or only bounded (``>``, ``<``).

    The median is non-decreasing in every argument, so the median of the lower ends is a lower
    bound and the median of the upper ends an upper bound; they coincide when the bounds do not
    matter (e.g. one lower bound already above the median). None entries are left out.

    Returns:
        (low, high), high possibly ``inf``; (None, None) if no value is known.

    Example:
        >>> median_interval([30.0, 25.0, 21.0], [">", "=", ">"])
        (25.0, inf)
        >>> median_interval([10.0, 12.0, 50.0], ["=", "=", ">"])
        (12.0, 12.0)
    """
    bounds = [interval(v, r) for v, r in zip(values, relations) if v is not None]
    if not bounds:
        return None, None
    return statistics.median(lo for lo, _ in bounds), statistics.median(hi for _, hi in bounds)


def relation_of(low: float | None, high: float | None) -> tuple[float | None, str | None]:
    """(value, relation) to show for an interval: ``=`` exact, ``≥`` low, ``≤`` high, ``~`` both unknown."""
    if low is None:
        return None, None
    if low == high:
        return low, "="
    if high == INF:
        return low, "≥"
    if low == 0.0:
        return high, "≤"
    return low, "~"


def summarize_ratios(pairs: list[dict]) -> list[dict]:
    """Per (lunar_lab agent, comparison): the medians over seeds of :func:`pair_ratios`, the
    solve ratios as intervals (``_low``, ``_high``) and as a (value, relation) to show."""
    summary = []
    for key in dict.fromkeys((p["lunar_lab"], p["peer"]) for p in pairs):
        group = [p for p in pairs if (p["lunar_lab"], p["peer"]) == key]
        row = dict(lunar_lab=key[0], peer=key[1], seed="median", seeds=len(group))
        for name in ("env_steps_per_s", "gradient_steps_per_s", "memory"):
            values = [p[f"{name}_ratio"] for p in group if p[f"{name}_ratio"] is not None]
            row[f"{name}_ratio"] = statistics.median(values) if values else None
        for name in ("time_to_solve", "env_steps_to_solve"):
            low, high = median_interval([p[f"{name}_ratio"] for p in group], [p[f"{name}_relation"] for p in group])
            row[f"{name}_low"], row[f"{name}_high"] = low, high
            row[f"{name}_ratio"], row[f"{name}_relation"] = relation_of(low, high)
        summary.append(row)
    return summary


def solve_time_interval(runs: list[dict], agent: str) -> tuple[float | None, float | None]:
    """Bounds on an agent's median time to solve over seeds (an unsolved run: more than its training time)."""
    ok = [r for r in runs if r["agent"] == agent and r["status"] == "ok"]
    return median_interval([r["solve_time_s"] if r["solved"] else r["train_time_s"] for r in ok],
                           ["=" if r["solved"] else ">" for r in ok])


def verdict(low: float | None, high: float | None, target: float, at_least: bool) -> str:
    """``met``, ``not met`` or ``undecided`` for an interval against a target (≥ target if
    ``at_least``, else ≤ target).

    Example:
        >>> verdict(20.5, math.inf, 20, True), verdict(12.0, 12.0, 20, True), verdict(15.0, math.inf, 20, True)
        ('met', 'not met', 'undecided')
        >>> verdict(45.0, 45.0, 60, False), verdict(70.0, math.inf, 60, False)
        ('met', 'not met')
    """
    if low is None:
        return "undecided"
    if at_least:
        return "met" if low >= target else "not met" if high < target else "undecided"
    return "met" if high <= target else "not met" if low > target else "undecided"


def targets(results: dict) -> list[dict]:
    """The issue's targets checked against this run: lunar_lab/dqn's env steps/s and median time
    to solve, and its median solve-time ratio to each peer."""
    runs, rows = results["runs"], []
    rates = [r["env_steps_per_s"] for r in runs if r["agent"] == REFERENCE and r["status"] == "ok" and r["env_steps_per_s"]]
    rate = statistics.median(rates) if rates else None
    rows.append(dict(target=f"{REFERENCE}: ≥ {TARGETS['env_steps_per_s']:,} env steps/s while learning (median)",
                     measured=fmt_number(rate), verdict=verdict(rate, rate, TARGETS["env_steps_per_s"], True)))
    low, high = solve_time_interval(runs, REFERENCE)
    value, rel = relation_of(low, high)
    rows.append(dict(target=f"{REFERENCE}: solved in ≤ {TARGETS['solve_time_s']:.0f} s (median over seeds)",
                     measured=f"{low:,.1f}–{high:,.1f} s" if rel == "~" else fmt_bound(value, rel, 1, " s"), verdict=verdict(low, high, TARGETS["solve_time_s"], False)))
    for s in results["ratio_summary"]:
        if s["lunar_lab"] == REFERENCE and s["peer"] in PEERS:
            rows.append(dict(target=f"{REFERENCE}: ≥ {TARGETS['solve_ratio']:.0f}× faster to solve than {s['peer']} (median)",
                             measured=fmt_ratio(s["time_to_solve_ratio"], s["time_to_solve_relation"], s["time_to_solve_high"]),
                             verdict=verdict(s["time_to_solve_low"], s["time_to_solve_high"], TARGETS["solve_ratio"], True)))
    return rows


def curve_means(run: dict, points=CURVE_STEPS) -> list[float | None]:
    """Mean return of the last 100 training episodes finished by each env step in ``points``
    (None past the end of the run or before the first episode).

    Example:
        >>> run = dict(env_steps=300, curve=dict(env_steps=[100, 200, 300], **{"return": [1.0, 2.0, 6.0]}))
        >>> curve_means(run, points=(50, 150, 250, 400))
        [None, 1.0, 1.5, None]
    """
    steps, returns = run["curve"]["env_steps"], run["curve"]["return"]
    means = []
    for point in points:
        n = bisect.bisect_right(steps, point)
        means.append(None if point > run["env_steps"] or n == 0 else statistics.fmean(returns[max(0, n - 100):n]))
    return means


def finite(value):
    """``value`` with every infinite float (an unbounded ratio) replaced by None, for strict JSON.

    Example:
        >>> finite(dict(low=20.0, high=math.inf, runs=[1, -math.inf]))
        {'low': 20.0, 'high': None, 'runs': [1, None]}
    """
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    return None if isinstance(value, float) and math.isinf(value) else value
