"""The check of notebook 05 accepts correct solutions and names each typical mistake."""

import numpy as np
import pytest

from lunar_lab.checks.core import ExerciseFailed, NotImplementedYet
from lunar_lab.checks.nb05 import check_n_step_windows
from lunar_lab.nstep import n_step_windows_reference
from exercise_asserts import diagnosed

# ---------------------------------------------------------------------------------------------
# correct learner implementations pass


def loop_solution(rewards, terminated, truncated, gamma, n_step):
    T = len(rewards)
    sums, discounts, index = np.zeros(T, np.float32), np.zeros(T, np.float32), np.zeros(T, np.int64)
    for t in range(T):
        g, m = 0.0, 0
        for k in range(n_step):
            if t + k >= T:
                break
            g += gamma**k * rewards[t + k]
            m = k + 1
            if terminated[t + k] or truncated[t + k]:
                break
        e = t + m - 1
        sums[t], discounts[t], index[t] = g, 0.0 if terminated[e] else gamma**m, e
    return sums, discounts, index


def backward_solution(rewards, terminated, truncated, gamma, n_step):
    """Vectorised over t: add the k-th reward of every window still open, k = 0 … n−1; returns float64 and a list."""
    T = len(rewards)
    sums = np.zeros(T)
    open_ = np.ones(T, bool)
    last = np.arange(T)
    for k in range(n_step):
        idx = np.arange(T) + k
        live = open_ & (idx < T)
        sums[live] += gamma**k * rewards[idx[live]]
        last[live] = idx[live]
        ends = np.zeros(T, bool)
        ends[live] = terminated[idx[live]] | truncated[idx[live]]
        open_ = live & ~ends
    m = last - np.arange(T) + 1
    return [sums, np.where(terminated[last], 0.0, gamma**m), last.astype(np.int32)]


@pytest.mark.parametrize("solution", [n_step_windows_reference, loop_solution, backward_solution])
def test_correct_solutions_pass(solution, capsys):
    check_n_step_windows(solution)
    out = capsys.readouterr().out
    assert out.startswith("✅ n_step_windows: passed (") and "cases)" in out


# ---------------------------------------------------------------------------------------------
# typical mistakes, each written the way a learner would


def _loop(rewards, terminated, truncated, gamma, n_step, stop=None, discount=None, window=None,
          reward_power=lambda k: k, index=lambda t, e: e):
    """A learner-style loop with one rule replaced."""
    stop = stop or (lambda e: terminated[e] or truncated[e])
    discount = discount or (lambda e, m: 0.0 if terminated[e] else gamma**m)
    window = window or n_step
    T = len(rewards)
    sums, discounts, indices = np.zeros(T, np.float32), np.zeros(T, np.float32), np.zeros(T, np.int64)
    for t in range(T):
        g, m = 0.0, 0
        while t + m < T and m < window:
            g += gamma ** reward_power(m) * rewards[t + m]
            m += 1
            if stop(t + m - 1):
                break
        e = t + m - 1
        sums[t], discounts[t], indices[t] = g, discount(e, m), index(t, e)
    return sums, discounts, indices


def crosses_boundaries(rewards, terminated, truncated, gamma, n_step):
    return _loop(rewards, terminated, truncated, gamma, n_step, stop=lambda e: False)


def sums_past_termination(rewards, terminated, truncated, gamma, n_step):
    return _loop(rewards, terminated, truncated, gamma, n_step, stop=lambda e: truncated[e])


def crosses_truncations(rewards, terminated, truncated, gamma, n_step):
    return _loop(rewards, terminated, truncated, gamma, n_step, stop=lambda e: terminated[e])


def bootstraps_after_termination(rewards, terminated, truncated, gamma, n_step):
    return _loop(rewards, terminated, truncated, gamma, n_step, discount=lambda e, m: gamma**m)


def truncation_as_termination(rewards, terminated, truncated, gamma, n_step):
    return _loop(rewards, terminated, truncated, gamma, n_step,
                 discount=lambda e, m: 0.0 if terminated[e] or truncated[e] else gamma**m)


def truncated_wins(rewards, terminated, truncated, gamma, n_step):
    return _loop(rewards, terminated, truncated, gamma, n_step,
                 discount=lambda e, m: gamma**m if truncated[e] or not terminated[e] else 0.0)


def gamma_to_the_n(rewards, terminated, truncated, gamma, n_step):
    return _loop(rewards, terminated, truncated, gamma, n_step,
                 discount=lambda e, m: 0.0 if terminated[e] else gamma**n_step)


def gamma_to_the_m_minus_1(rewards, terminated, truncated, gamma, n_step):
    return _loop(rewards, terminated, truncated, gamma, n_step,
                 discount=lambda e, m: 0.0 if terminated[e] else gamma ** (m - 1))


def window_one_too_long(rewards, terminated, truncated, gamma, n_step):
    return _loop(rewards, terminated, truncated, gamma, n_step, window=n_step + 1)


def window_one_too_short(rewards, terminated, truncated, gamma, n_step):
    return _loop(rewards, terminated, truncated, gamma, n_step, window=max(n_step - 1, 1))


def undiscounted_rewards(rewards, terminated, truncated, gamma, n_step):
    return _loop(rewards, terminated, truncated, gamma, n_step, reward_power=lambda k: 0)


def rewards_from_gamma_1(rewards, terminated, truncated, gamma, n_step):
    return _loop(rewards, terminated, truncated, gamma, n_step, reward_power=lambda k: k + 1)


def index_one_step_late(rewards, terminated, truncated, gamma, n_step):
    T = len(rewards)
    return _loop(rewards, terminated, truncated, gamma, n_step, index=lambda t, e: min(e + 1, T - 1))


def index_always_t_plus_n(rewards, terminated, truncated, gamma, n_step):
    T = len(rewards)
    return _loop(rewards, terminated, truncated, gamma, n_step, index=lambda t, e: min(t + n_step - 1, T - 1))


def index_minus_one_when_terminated(rewards, terminated, truncated, gamma, n_step):
    return _loop(rewards, terminated, truncated, gamma, n_step, index=lambda t, e: -1 if terminated[e] else e)


def no_bootstrap_at_array_end(rewards, terminated, truncated, gamma, n_step):
    T = len(rewards)
    return _loop(rewards, terminated, truncated, gamma, n_step,
                 discount=lambda e, m: gamma**m if not terminated[e] and (e < T - 1 or m == n_step or truncated[e])
                 else 0.0)


def n1_no_discount(rewards, terminated, truncated, gamma, n_step):
    sums, discounts, index = n_step_windows_reference(rewards, terminated, truncated, gamma, n_step)
    if n_step == 1:
        discounts = np.ones_like(discounts)
    return sums, discounts, index


@pytest.mark.parametrize("wrong, diagnosis", [
    (crosses_boundaries, "your window ran past a truncation (step 2), across an episode boundary"),
    (sums_past_termination, "you summed rewards past a termination (step 1), across an episode boundary"),
    (crosses_truncations, "your window ran past a truncation"),
    (bootstraps_after_termination, "you bootstrapped after a termination"),
    (truncation_as_termination, "you did not bootstrap after a truncation"),
    (truncated_wins, "both terminated and truncated"),
    (gamma_to_the_n, "you used γⁿ for a window that was cut short"),
    (gamma_to_the_m_minus_1, "bootstrap discount off by one power"),
    (window_one_too_long, "off-by-one window: your full windows hold n + 1 rewards"),
    (window_one_too_short, "off-by-one window: your full windows hold n − 1 rewards"),
    (undiscounted_rewards, "you forgot to discount the rewards inside the window"),
    (rewards_from_gamma_1, "rewards are discounted one power too many"),
    (index_one_step_late, "bootstrap index one step too late"),
    (index_always_t_plus_n, "not t + n − 1"),
    (index_minus_one_when_terminated, "bootstrap_index is still its last step e"),
    (no_bootstrap_at_array_end, "no bootstrap at the end of the array"),
    (n1_no_discount, "with n_step = 1 every window is the step itself"),
])
def test_typical_mistakes_are_diagnosed(wrong, diagnosis):
    diagnosed(check_n_step_windows, wrong, diagnosis, "expected", "the window of step", "Likely mistake")


def test_truncation_as_termination_caught_in_the_n1_case():
    with pytest.raises(ExerciseFailed, match=r"n_step=1 \(must be the one-step transition\): discounts\[3\]"):
        check_n_step_windows(truncation_as_termination)


# ---------------------------------------------------------------------------------------------
# wrong types and shapes get a message, not a stack trace


def test_float_index_gets_a_dtype_message():
    def float_index(*args):
        sums, discounts, index = n_step_windows_reference(*args)
        return sums, discounts, index.astype(np.float32)
    with pytest.raises(ExerciseFailed, match="bootstrap_index holds whole numbers but has dtype float32"):
        check_n_step_windows(float_index)


def test_wrong_shape_gets_a_message():
    def one_short(*args):
        sums, discounts, index = n_step_windows_reference(*args)
        return sums[:-1], discounts, index
    with pytest.raises(ExerciseFailed, match=r"`reward_sums` has shape \[4\], expected \[5\]"):
        check_n_step_windows(one_short)


def test_single_array_gets_a_message():
    with pytest.raises(ExerciseFailed, match="return a tuple of three"):
        check_n_step_windows(lambda *args: n_step_windows_reference(*args)[0])


def test_none_gets_a_message():
    with pytest.raises(ExerciseFailed, match="returned None"):
        check_n_step_windows(lambda *args: None)


def test_changing_the_inputs_gets_a_message():
    def in_place(rewards, terminated, truncated, gamma, n_step):
        result = n_step_windows_reference(rewards, terminated, truncated, gamma, n_step)
        terminated |= truncated
        return result
    with pytest.raises(ExerciseFailed, match="changed its input `terminated`"):
        check_n_step_windows(in_place)


def test_crash_gets_a_message_not_a_traceback():
    def crashes(rewards, terminated, truncated, gamma, n_step):
        return rewards[len(rewards)]
    with pytest.raises(ExerciseFailed, match="your code raised IndexError"):
        check_n_step_windows(crashes)


def test_placeholder_is_not_implemented_yet():
    def placeholder(rewards, terminated, truncated, gamma, n_step):
        raise NotImplementedError("exercise: n_step_windows")
    with pytest.raises(NotImplementedYet, match="not implemented yet"):
        check_n_step_windows(placeholder)
