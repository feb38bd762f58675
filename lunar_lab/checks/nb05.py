r"""Checks for notebook 05, "N-step returns".

The learner writes ``n_step_windows(rewards, terminated, truncated, gamma, n_step)``: for every
step t of ONE recorded trajectory (which may hold several episodes one after the other) the
n-step window that starts at t, as the three numbers a replay buffer stores for an n-step
transition:

- ``reward_sums[t]`` = Σ_{k=0}^{m−1} γᵏ r_{t+k+1}, the discounted rewards of the m ≤ n steps of
  the window;
- ``discounts[t]`` = γᵐ, the bootstrap discount, or 0 when the window ends in a termination;
- ``bootstrap_index[t]`` = e = t + m − 1, the last step of the window: the target bootstraps
  from ``next_obs[e]``.

The n-step target is then y_t = reward_sums[t] + discounts[t]·max_a Q′(next_obs[e], a).
:func:`lunar_lab.nstep.n_step_windows_reference` is the reference. The package's streaming
counterpart is :class:`lunar_lab.nstep.NStepAccumulator`; ``tests/test_nstep.py`` checks that the
two agree.

The check recognises the usual mistakes by computing what each would give:

- the window runs past a termination, past a truncation, or across any episode boundary;
- it does not bootstrap after a truncation (a time-limit cut treated as a terminal state);
- it bootstraps after a termination; a step both terminated and truncated is not terminal;
- γⁿ instead of γᵐ for a window cut short; the bootstrap discount off by one power;
- a window one step too long or too short (off by one);
- rewards not discounted inside the window, or discounted from γ¹;
- the bootstrap index one step too late or too early, or always t + n − 1;
- no bootstrap at the end of the array (where the episode goes on);
- with n = 1, anything other than the one-step transition (r, γ·(1 − terminated), t).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from lunar_lab.checks.compare import close, likely_mistake, mismatches, to_numpy
from lunar_lab.checks.core import ExerciseFailed, exercise
from lunar_lab.nstep import n_step_windows_reference

OUTPUTS = ("reward_sums", "discounts", "bootstrap_index")


# ---------------------------------------------------------------------------------------------
# the rules, and the usual mistakes as variants of them


def _windows(rewards, terminated, truncated, gamma, n_step, *, stop_at_terminated=True, stop_at_truncated=True,
             length_offset=0, bootstrap_after_terminated=False, bootstrap_after_truncated=True, truncated_wins=False,
             bootstrap_at_array_end=True, power=lambda m, n: m, reward_power=lambda k: k, index=lambda t, e, n, T: e):
    """The three outputs under a variant of the rules (with the defaults, those of the reference)."""
    T = len(rewards)
    max_length = max(1, n_step + length_offset)
    sums, discounts, indices = np.zeros(T), np.zeros(T), np.zeros(T, np.int64)
    for t in range(T):
        total, m = 0.0, 0
        while True:
            e = t + m
            total += gamma ** reward_power(m) * rewards[e]
            m += 1
            if ((stop_at_terminated and terminated[e]) or (stop_at_truncated and truncated[e])
                    or m == max_length or e == T - 1):
                break
        if terminated[e] and truncated[e] and truncated_wins:
            boot = True
        elif terminated[e]:
            boot = bootstrap_after_terminated
        elif truncated[e]:
            boot = bootstrap_after_truncated
        elif e == T - 1 and m < max_length:
            boot = bootstrap_at_array_end
        else:
            boot = True
        sums[t] = total
        discounts[t] = gamma ** power(m, n_step) if boot else 0.0
        indices[t] = index(t, e, n_step, T)
    return sums.astype(np.float32), discounts.astype(np.float32), indices


_CROSSED = "crossed"  # diagnosis placeholder: the message names the boundary the window ran past

#: (variant of the rules, diagnosis), tried in this order: first for a variant that gives all three
#: outputs as the learner's, then for one that gives the first wrong output.
_MISTAKES = (
    (dict(stop_at_terminated=False, stop_at_truncated=False), _CROSSED),
    (dict(stop_at_truncated=False), _CROSSED),
    (dict(stop_at_terminated=False), _CROSSED),
    (dict(bootstrap_after_truncated=False),
     "you did not bootstrap after a truncation: a time-limit cut is not a terminal state, so a window that ends "
     "at a truncated step still bootstraps, discounts[t] = γᵐ, from the real final observation next_obs[e]"),
    (dict(bootstrap_after_terminated=True),
     "you bootstrapped after a termination: when the window ends at a terminated step, discounts[t] must be 0 "
     "(the terminal state has value 0; the target is the reward sum alone)"),
    (dict(truncated_wins=True),
     "a step that is both terminated and truncated (the episode reached a terminal state exactly at the time "
     "limit) is terminal: discount 0 — test `terminated` first"),
    (dict(power=lambda m, n: n),
     "you used γⁿ for a window that was cut short: a window of m < n rewards (an episode ended inside it) "
     "bootstraps with γᵐ, the discount of the step it actually reached"),
    (dict(power=lambda m, n: m - 1),
     "bootstrap discount off by one power: after m rewards the bootstrap is multiplied by γᵐ, not γ^(m−1) "
     "(with n = 1 the target is r + γ·max Q′)"),
    (dict(power=lambda m, n: m + 1),
     "bootstrap discount off by one power: after m rewards the bootstrap is multiplied by γᵐ, not γ^(m+1)"),
    (dict(length_offset=1),
     "off-by-one window: your full windows hold n + 1 rewards; a window of n steps holds rewards[t] … "
     "rewards[t + n − 1] (e.g. `range(n_step)`, not `range(n_step + 1)`)"),
    (dict(length_offset=-1),
     "off-by-one window: your full windows hold n − 1 rewards; a window of n steps holds rewards[t] … "
     "rewards[t + n − 1]"),
    (dict(reward_power=lambda k: 0),
     "you forgot to discount the rewards inside the window: the k-th reward of the window counts γᵏ·r "
     "(k = 0 … m−1), not r"),
    (dict(reward_power=lambda k: k + 1),
     "the rewards are discounted one power too many: the first reward of the window counts fully (γ⁰·r), "
     "the k-th with γᵏ, k = 0 … m−1"),
    (dict(index=lambda t, e, n, T: min(e + 1, T - 1)),
     "bootstrap index one step too late: the window's last step e = t + m − 1 is the one whose next_obs[e] "
     "the target bootstraps from (next_obs[e] already is the observation AFTER step e)"),
    (dict(index=lambda t, e, n, T: max(e - 1, 0)),
     "bootstrap index one step too early: it is the window's last step e = t + m − 1, whose next_obs[e] is "
     "the state the window reached"),
    (dict(index=lambda t, e, n, T: min(t + n - 1, T - 1)),
     "bootstrap_index must be the last step of the window as it was actually cut, e = t + m − 1, not t + n − 1 "
     "(a window shortened by an episode end bootstraps from where that episode ended)"),
    (dict(bootstrap_at_array_end=False),
     "no bootstrap at the end of the array: there the window is cut short but the episode goes on beyond the "
     "data, so it bootstraps with γᵐ from next_obs[T−1], like a truncation"),
)


# ---------------------------------------------------------------------------------------------
# the check


def check_n_step_windows(n_step_windows: Callable) -> None:
    """Check ``n_step_windows(rewards, terminated, truncated, gamma, n_step)``.

    Args:
        n_step_windows: the learner's function; arguments as in
            :func:`n_step_windows_reference` (NumPy arrays: rewards [T] float32, terminated
            [T] bool, truncated [T] bool; gamma a float, n_step an int). It must return the
            tuple (reward_sums [T] float, discounts [T] float, bootstrap_index [T] int) and
            leave its inputs unchanged.

    Cases: n = 1 (must be the one-step transition), hand-computed trajectories with a
    termination, a truncation and the end of the array inside the window, a step both
    terminated and truncated, a window longer than the trajectory, and random multi-episode
    trajectories (n ∈ {1, 2, 3, 5, 10}, γ ∈ {0.5, 0.9, 0.99}).

    Raises:
        ExerciseFailed: which case, which output and element, expected vs got, the window of
            that step in words, and the likely mistake.
        NotImplementedYet: the placeholder still raises NotImplementedError.
    """
    cases = _cases()
    with exercise("n_step_windows", passed=f"passed ({len(cases)} cases)") as call:
        for case in cases:
            _run_case(call, n_step_windows, case)


def _case(label, rewards, terminated, truncated, gamma, n_step):
    return dict(label=label, rewards=np.asarray(rewards, np.float32), terminated=np.asarray(terminated, bool),
                truncated=np.asarray(truncated, bool), gamma=float(gamma), n_step=int(n_step))


def _cases() -> list[dict]:
    F, T = False, True
    cases = [
        # n = 1: one-step transitions; a termination at index 1 and a truncation at index 3
        _case("n_step=1 (must be the one-step transition)", [1.0, 2.0, 3.0, 4.0, 5.0], [F, T, F, F, F],
              [F, F, F, T, F], 0.5, 1),
        # n = 3 on one episode that terminates at index 4: windows shrink to 2 and 1 steps at the end
        _case("n_step=3, the episode terminates at index 4", [1.0, 2.0, 4.0, 8.0, 16.0], [F, F, F, F, T], [F] * 5,
              0.5, 3),
        # n = 3, a truncation at index 2, then a new episode that terminates at index 5
        _case("n_step=3, truncated at index 2, a new episode starts at index 3", [1.0, 1.0, 1.0, 2.0, 2.0, 2.0],
              [F, F, F, F, F, T], [F, F, T, F, F, F], 0.5, 3),
        # n = 4, a termination at index 1, then a long episode cut by the end of the array
        _case("n_step=4, terminated at index 1, then the array ends mid-episode",
              [3.0, 5.0, 1.0, 1.0, 1.0, 1.0, 1.0], [F, T, F, F, F, F, F], [F] * 7, 0.5, 4),
        # step 2 is terminated AND truncated (a terminal state reached exactly at the time limit)
        _case("n_step=2, step 2 is both terminated and truncated", [1.0, 2.0, 3.0, 4.0], [F, F, T, F], [F, F, T, F],
              0.5, 2),
        # n larger than the trajectory, ending in a truncation
        _case("n_step=10 on a 4-step trajectory that ends truncated", [1.0, 2.0, 3.0, 4.0], [F] * 4, [F, F, F, T],
              0.9, 10),
    ]
    rng = np.random.default_rng(5)
    for i, (n_step, gamma) in enumerate(((1, 0.99), (2, 0.9), (3, 0.99), (5, 0.9), (10, 0.99), (3, 0.5))):
        length = int(rng.integers(25, 60))
        ends = rng.random(length)
        terminated = ends < 0.08
        truncated = (ends >= 0.08) & (ends < 0.14)
        if i == 0:
            terminated[length - 1], truncated[length - 1] = False, False
        cases.append(_case(f"random trajectory #{i + 1} (T={length}, n_step={n_step}, γ={gamma})",
                           rng.normal(0.0, 3.0, length), terminated, truncated, gamma, n_step))
    return cases


def _variant(case: dict, **variant):
    return _windows(case["rewards"].astype(np.float64), case["terminated"], case["truncated"], case["gamma"],
                    case["n_step"], **variant)


def _diagnose(output: int, got: list[np.ndarray], case: dict, expected, t: int) -> str | None:
    """The likely mistake behind a wrong ``got[output][t]``, or None if no known mistake fits:
    first a variant that gives all three outputs as the learner's, then one that gives this output."""
    found = likely_mistake([(diagnosis, _variant(case, **variant)) for variant, diagnosis in _MISTAKES],
                           got, expected, at=output)
    if found is None:
        return None
    diagnosis = found[0].message
    return _crossed(case, int(expected[2][t])) if diagnosis is _CROSSED else diagnosis


def _crossed(case: dict, e: int) -> str:
    """Diagnosis of a window that ran past the episode end at step e, its right last step."""
    if case["terminated"][e]:
        return (f"you summed rewards past a termination (step {e}), across an episode boundary: a window stops "
                "at the first step that ends its episode — terminated OR truncated — because the next step "
                "belongs to a new episode, whose rewards have nothing to do with this one")
    return (f"your window ran past a truncation (step {e}), across an episode boundary: a time-limit cut ends its "
            "episode too (the next step belongs to a new episode), so the window stops there — and bootstraps "
            "from next_obs[e] with γᵐ, because a truncated state is not terminal")


def _window(case: dict, t: int, e: int) -> str:
    """Describe the window of step t, which ends at step e, in words (for the failure message)."""
    term, trunc, n = case["terminated"], case["truncated"], case["n_step"]
    m = e - t + 1
    rewards = f"m = {m} reward{'s' if m > 1 else ''}"
    if term[e]:
        why, boot = f"step {e} is terminated", "discount 0 (no bootstrap)"
    elif trunc[e]:
        why, boot = f"step {e} is truncated", f"discount γ^{m}, bootstrap from next_obs[{e}]"
    elif m == n:
        why, boot = f"it holds n = {n} reward{'s' if n > 1 else ''}", f"discount γ^{m}, bootstrap from next_obs[{e}]"
    else:
        why, boot = "the array ends there", f"discount γ^{m}, bootstrap from next_obs[{e}]"
    return f"the window of step {t} is steps {t}…{e} ({rewards}; it stops because {why}), then {boot}"


def _as_outputs(result, label: str, T: int) -> list[np.ndarray]:
    """The learner's result as three [T] arrays, or ExerciseFailed saying what is wrong with it."""
    where = f"n_step_windows, {label}"
    if result is None:
        raise ExerciseFailed(f"{where}: your function returned None — return the tuple "
                             "(reward_sums, discounts, bootstrap_index)")
    if not isinstance(result, (tuple, list)) or len(result) != 3:
        kind = f"a {type(result).__name__}" + (f" of length {len(result)}" if isinstance(result, (tuple, list)) else "")
        raise ExerciseFailed(f"{where}: returned {kind}; return a tuple of three [T] arrays "
                             "(reward_sums, discounts, bootstrap_index)")
    arrays = []
    for name, value in zip(OUTPUTS, result):
        if value is None:
            raise ExerciseFailed(f"{where}: `{name}` is None — return a [T] array for it")
        arr = to_numpy(value, f"{where}, {name}")
        if arr.shape != (T,):
            raise ExerciseFailed(f"{where}: `{name}` has shape {list(arr.shape)}, expected [{T}] "
                                 "(one entry per step of the trajectory: the window starting there)")
        if not np.all(np.isfinite(arr)):
            t = int(np.flatnonzero(~np.isfinite(arr))[0])
            raise ExerciseFailed(f"{where}: {name}[{t}] is {arr[t]} — every entry must be a finite number")
        arrays.append(arr)
    index = np.asarray(result[2].numpy() if hasattr(result[2], "numpy") else result[2])
    if not np.issubdtype(index.dtype, np.integer):
        if np.array_equal(arrays[2], np.round(arrays[2])):
            raise ExerciseFailed(f"{where}: bootstrap_index holds whole numbers but has dtype {index.dtype}; it "
                                 "indexes next_obs, so make it an integer array (e.g. np.zeros(T, dtype=np.int64))")
        raise ExerciseFailed(f"{where}: bootstrap_index must hold integer step indices, got {arrays[2][:5]} …")
    return arrays


def _run_case(call, fn, case: dict) -> None:
    label, T = case["label"], len(case["rewards"])
    inputs = {k: case[k].copy() for k in ("rewards", "terminated", "truncated")}
    result = call(fn, inputs["rewards"], inputs["terminated"], inputs["truncated"], case["gamma"], case["n_step"])
    for k, arr in inputs.items():
        if not np.array_equal(arr, case[k]):
            raise ExerciseFailed(f"n_step_windows, {label}: your function changed its input `{k}` — "
                                 "work on new arrays instead of writing into the arguments")
    got = _as_outputs(result, label, T)
    expected = n_step_windows_reference(*(case[k] for k in ("rewards", "terminated", "truncated", "gamma", "n_step")))
    for output, (name, g, x) in enumerate(zip(OUTPUTS, got, expected)):
        bad = mismatches(g, x)
        if not bad.any():
            continue
        t = int(np.flatnonzero(bad)[0])
        fmt = (lambda v: f"{int(v)}") if output == 2 else (lambda v: f"{v:.6g}")
        message = (f"n_step_windows, {label}: {name}[{t}] is {fmt(g[t])}, expected {fmt(x[t])} — "
                   f"{_window(case, t, int(expected[2][t]))}")
        diagnosis = _diagnose(output, got, case, expected, t)
        if diagnosis is None and output == 2 and np.all(case["terminated"][expected[2][bad]]):
            diagnosis = ("for a window that ends in a termination, bootstrap_index is still its last step e "
                         "(next_obs[e] is the terminal observation; the discount 0 switches the bootstrap off)")
        if diagnosis is None and output == 1 and close(g[~bad], x[~bad]) and np.all(x[bad] == 0):
            diagnosis = "a window that ends in a termination must have discount 0"
        if diagnosis is None and case["n_step"] == 1:
            diagnosis = ("with n_step = 1 every window is the step itself: reward_sums = rewards, "
                         "discounts = γ·(1 − terminated) (truncated steps bootstrap too), bootstrap_index[t] = t")
        if diagnosis is not None:
            message += f".\n   Likely mistake: {diagnosis}"
        raise ExerciseFailed(message)
