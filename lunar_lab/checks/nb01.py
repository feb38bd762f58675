"""Checks for notebook 01, "Bellman targets": targets by hand, TD targets, the Q-learning loss,
ε-greedy actions.

Each check runs the learner's function on hand-computed and random cases (the TensorFlow
ones eagerly and inside a compiled ``tf.function``, the way the agent's learning step calls
them), compares with the package's reference (:func:`lunar_lab.targets.dqn_targets`,
:func:`lunar_lab.losses.q_learning_loss`) and, on a mismatch, also computes the usual wrong
answers to name the likely mistake. The ε-greedy check is statistical: it compares the
frequencies of the learner's actions over many calls with those of
:func:`lunar_lab.exploration.epsilon_greedy`'s rule, and each known mistake is a symptom in
those frequencies.

The hand exercise uses the notebook's tiny MDP, a lander reduced to two states:

    states  0 high, 1 low, 2 landed (terminal), 3 crashed (terminal)
    actions 0 coast, 1 fire (the main engine)
    high --coast--> low (r = 0)        high --fire--> high (r = −1, fuel)
    low  --fire---> landed (r = +10)   low  --coast--> crashed (r = −10)
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np
import tensorflow as tf

from lunar_lab.checks.compare import Mistake, close, likely_mistake, mismatches, on_case, to_numpy
from lunar_lab.checks.core import CompileFailed, ExerciseFailed, NotImplementedYet, exercise
from lunar_lab.losses import LOSSES
from lunar_lab.losses import q_learning_loss as reference_loss
from lunar_lab.targets import dqn_targets

_FORMULA = "y = r + γ·(1 − terminated)·max_a′ Q′(s′, a′)"

#: The tiny MDP of notebook 01: names of its states and actions.
STATES = ("high", "low", "landed", "crashed")
ACTIONS = ("coast", "fire")
#: γ of the hand exercise.
HAND_GAMMA = 0.9
#: The current estimate Q(s, a) of the hand exercise, [4 states, 2 actions]. The rows of the
#: terminal states hold whatever a network would output there: numbers that must not be used.
HAND_Q_TABLE = np.array([[4.0, 2.0],     # high:    Q(high, coast), Q(high, fire)
                         [-3.0, 6.0],    # low
                         [5.0, 1.0],     # landed  (terminal)
                         [-2.0, 8.0]])   # crashed (terminal)
HAND_Q_TABLE.flags.writeable = False     # shared with the notebook: read-only
#: How far a hand-computed target may be from the right one (rounding).
_HAND_TOLERANCE = 0.01
#: The five transitions of the hand exercise: (s, a, r, s′, terminated, truncated), as indices.
HAND_TRANSITIONS = (
    (0, 0, 0.0, 1, False, False),    # high, coast -> low
    (0, 1, -1.0, 0, False, False),   # high, fire  -> high (hovering)
    (1, 1, 10.0, 2, True, False),    # low, fire   -> landed: the episode ends
    (1, 0, -10.0, 3, True, False),   # low, coast  -> crashed: the episode ends
    (0, 1, -1.0, 0, False, True),    # high, fire  -> high, and the clock runs out (time limit)
)


# --------------------------------------------------------------------------------------------
# Exercise 0: targets by hand
# --------------------------------------------------------------------------------------------

def hand_targets() -> np.ndarray:
    """The right targets of the hand exercise: [5] float64, y = r + γ·(1 − terminated)·max_a′ Q(s′, a′)
    for :data:`HAND_TRANSITIONS`, with Q = :data:`HAND_Q_TABLE` and γ = :data:`HAND_GAMMA`.

    Example:
        >>> hand_targets().round(2).tolist()
        [5.4, 2.6, 10.0, -10.0, 2.6]
    """
    return np.array([r + HAND_GAMMA * (1.0 - term) * HAND_Q_TABLE[s2].max()
                     for _, _, r, s2, term, _ in HAND_TRANSITIONS])


class _Terms:
    """The terms of TD targets y = r + γ·(1 − terminated)·max_a′ Q′(s′, a′), in float64, for the mistakes' answers.

    ``q`` [B, A] holds Q′(s′, ·) of each transition; for the hand exercise also ``s``, ``a``
    (indices into :data:`HAND_Q_TABLE`) and ``truncated``.
    """

    def __init__(self, rewards, terminated, next_q_values, gamma, s=None, a=None, truncated=None):
        self.r, self.d = np.asarray(rewards, np.float64), np.asarray(terminated, np.float64)
        self.q, self.g = np.asarray(next_q_values, np.float64), np.asarray(gamma, np.float64)
        self.qmax, self.live = self.q.max(axis=-1), 1.0 - self.d
        terminal = np.flatnonzero(self.d > 0.5)
        self.first_terminal = int(terminal[0]) if terminal.size else None
        self.s, self.a, self.truncated = s, a, truncated


def _hand_terms() -> _Terms:
    s, a, r, s2, term, trunc = (np.array(column) for column in zip(*HAND_TRANSITIONS))
    return _Terms(r, term, HAND_Q_TABLE[s2.astype(int)], HAND_GAMMA, s=s.astype(int), a=a.astype(int),
                  truncated=trunc.astype(np.float64))


#: The usual mistakes of the hand exercise: message ({s2}: the next state's name), the five targets it gives.
_HAND_MISTAKES = (
    Mistake("bootstrapped through a terminal transition: s′ = {s2} is terminal (terminated = True), it has no future, "
            "so y = r; the table's Q({s2}, ·) is whatever a network outputs there and must not be used",
            lambda h: h.r + h.g * h.qmax),
    Mistake("treated truncation as termination: this transition was cut by the time limit (truncated = True, "
            "terminated = False); s′ = {s2} still has a future, so y = r + γ·max_a′ Q(s′, a′) as usual",
            lambda h: h.r + h.g * (1 - np.maximum(h.d, h.truncated)) * h.qmax),  # done = terminated or truncated
    Mistake("the target of a terminal transition is r, not 0: the last reward is still earned, only the "
            "bootstrap term γ·max Q(s′, ·) is dropped", lambda h: h.live * (h.r + h.g * h.qmax)),
    Mistake("forgot the discount γ = 0.9 in front of max Q(s′, ·)", lambda h: h.r + h.live * h.qmax),
    Mistake("γ multiplies the reward too: y = r + γ·max Q(s′, ·), only the future is discounted",
            lambda h: h.g * (h.r + h.live * h.qmax)),
    Mistake("took the MIN over a′ (or Q(s′, a) of the action just taken): the Bellman optimality target uses the "
            "best next action, max_a′ Q(s′, a′)", lambda h: h.r + h.g * h.live * h.q.min(axis=1)),
    Mistake("averaged Q(s′, ·) over the actions: the Bellman optimality target takes the max over a′",
            lambda h: h.r + h.g * h.live * h.q.mean(axis=1)),
    Mistake("used the row of s instead of s′: the future is the value of the NEXT state, max_a′ Q(s′, a′)",
            lambda h: h.r + h.g * h.live * HAND_Q_TABLE[h.s].max(axis=1)),
    Mistake("used Q(s, a) itself instead of max_a′ Q(s′, a′): the target looks one step ahead, at s′",
            lambda h: h.r + h.g * h.live * HAND_Q_TABLE[h.s, h.a]),
    Mistake("forgot the reward r: y = r + γ·max_a′ Q(s′, a′)", lambda h: h.g * h.live * h.qmax),
)


def check_targets_by_hand(targets_by_hand) -> None:
    """Check ``targets_by_hand() -> [y_0, …, y_4]``, the targets of :data:`HAND_TRANSITIONS`.

    Args:
        targets_by_hand: the learner's function, without arguments, returning the five targets
            y = r + γ·(1 − terminated)·max_a′ Q(s′, a′) of the hand exercise (γ = 0.9, Q =
            :data:`HAND_Q_TABLE`), computed by hand: a list, tuple or array of 5 numbers.
            A tolerance of 0.01 allows for rounding.

    Raises:
        ExerciseFailed: wrong number of values or a wrong value: the message names the
            transition, expected vs got and the likely mistake (bootstrapped through a terminal
            transition, treated truncation as termination, forgot γ, min or mean instead of max,
            the row of s instead of s′ …).
        NotImplementedYet: the placeholder still raises NotImplementedError.

    Source: Bellman optimality equation for Q*, Sutton & Barto (2018), eq. (3.20); the
    Q-learning target, Watkins (1989); time limits: Pardo et al. (2018).
    """
    expected = hand_targets()
    n = len(expected)
    with exercise("targets_by_hand", passed=f"passed ({n} transitions)") as call:
        got = call(targets_by_hand)
        if got is None:
            raise ExerciseFailed("targets_by_hand: your function returned None — did you forget `return`?")
        try:
            values = np.asarray(got.numpy() if hasattr(got, "numpy") else got, dtype=np.float64).reshape(-1)
        except (TypeError, ValueError):
            raise ExerciseFailed(f"targets_by_hand: return {n} numbers, e.g. [1.0, 2.0, 3.0, 4.0, 5.0]; got "
                                 f"{type(got).__name__} {str(got)[:60]}") from None
        if values.shape != (n,):
            raise ExerciseFailed(f"targets_by_hand: got {values.size} numbers, expected {n}: one target per "
                                 f"transition of the table, in its order 0 … {n - 1}")
        if not np.all(np.isfinite(values)):
            raise ExerciseFailed("targets_by_hand: some values are not finite numbers (nan or inf)")
        bad = np.flatnonzero(mismatches(values, expected, atol=_HAND_TOLERANCE, rtol=0.0))
        if bad.size == 0:
            return
        i = int(bad[0])
        s, a, r, s2, term, trunc = HAND_TRANSITIONS[i]
        flags = "terminated" if term else ("truncated by the time limit" if trunc else "neither terminated nor truncated")
        message = (f"targets_by_hand: transition {i} ({STATES[s]}, {ACTIONS[a]}, r = {r:+g} → {STATES[s2]}; "
                   f"{flags}): y is {values[i]:.4g}, expected {expected[i]:.4g}")
        if bad.size > 1:
            message += f" (transitions {', '.join(map(str, bad.tolist()))} are wrong)"
        found = likely_mistake(on_case(_HAND_MISTAKES, _hand_terms()), values, expected, at=i,
                               atol=_HAND_TOLERANCE, rtol=0.0)
        if found:
            raise ExerciseFailed(f"{message}\nlikely mistake: {found[0].message.format(s2=STATES[s2])}")
        raise ExerciseFailed(f"{message}\ncompute {_FORMULA} with γ = {HAND_GAMMA} and the Q-table above")


# --------------------------------------------------------------------------------------------
# Exercise 1: TD targets
# --------------------------------------------------------------------------------------------

def td_target_cases() -> list[dict]:
    """The cases :func:`check_td_targets` runs: dicts with ``label``, ``rewards`` [B],
    ``terminated`` [B] (float32, 1.0 = terminal), ``next_q_values`` [B, A] and ``gamma``
    (a Python float, a scalar tensor or a [B] array), all float32.

    The first case is the hand exercise (:data:`HAND_TRANSITIONS`, :data:`HAND_Q_TABLE`):
    its targets are the ones the learner computed by hand.
    """
    rng = np.random.default_rng(2024)
    s, a, r, s2, term, trunc = zip(*HAND_TRANSITIONS)
    cases = [
        dict(label="the 5 transitions you did by hand (γ = 0.9)",
             rewards=list(r),
             terminated=[float(t) for t in term],   # the truncated transition has terminated = 0
             next_q_values=HAND_Q_TABLE[list(s2)],   # rows 2 and 3: terminal states, must not be used
             gamma=HAND_GAMMA),
        dict(label="negative Q-values, γ as a scalar tensor",
             rewards=[-1.0, 2.0, 0.0],
             terminated=[0.0, 1.0, 0.0],
             next_q_values=[[-3.0, -1.0, -2.0], [5.0, 4.0, 6.0], [-0.5, -4.0, -1.5]],
             gamma=tf.constant(0.5)),
        dict(label="γ per transition ([B] tensor, as in n-step replay)",
             rewards=[1.0, -2.0, 0.5, 3.0],
             terminated=[0.0, 0.0, 1.0, 0.0],
             next_q_values=[[1.0, 4.0], [2.0, -1.0], [9.0, 9.0], [0.0, -6.0]],
             gamma=[0.9, 0.81, 0.99, 0.5]),
    ]
    for label, batch, actions, terminal_rate, gamma in (
        ("random batch, B = 7, A = 4", 7, 4, 0.3, 0.99),
        ("random batch, B = 32, A = 4, γ per transition", 32, 4, 0.2, None),
        ("single transition, B = 1, A = 3", 1, 3, 0.0, 0.95),
    ):
        terminated = (rng.random(batch) < terminal_rate).astype(np.float32)
        if batch > 1:
            terminated[1] = 1.0
        cases.append(dict(
            label=label,
            rewards=rng.normal(0, 5, batch).round(2),
            terminated=terminated,
            next_q_values=rng.normal(0, 10, (batch, actions)).round(2),
            gamma=rng.choice([0.9, 0.99, 0.97], batch) if gamma is None else gamma,
        ))
    for case in cases:
        for key in ("rewards", "terminated", "next_q_values"):
            case[key] = np.asarray(case[key], np.float32)
        if not isinstance(case["gamma"], (float, tf.Tensor)):
            case["gamma"] = np.asarray(case["gamma"], np.float32)
    return cases


def _td_arguments(case):
    gamma = case["gamma"]
    return dict(
        rewards=tf.constant(case["rewards"]),
        terminated=tf.constant(case["terminated"]),
        next_q_values=tf.constant(case["next_q_values"]),
        gamma=tf.constant(gamma) if isinstance(gamma, np.ndarray) else gamma,
    )


#: The usual mistakes of td_targets: message, the targets it gives (functions of the case's :class:`_Terms`).
_TD_MISTAKES = (
    Mistake(lambda t: f"bootstrapped through a terminal transition at index {t.first_terminal}: where terminated = 1, "
                      "s′ is a true terminal state with no future, so the target is just r — multiply γ·max Q′ by "
                      "(1 − terminated)", lambda t: t.r + t.g * t.qmax),
    Mistake(lambda t: f"at the terminal transition at index {t.first_terminal} the target should be r, not 0: the "
                      "reward of the last step is still earned; only the bootstrap term γ·max Q′(s′, ·) is cut by "
                      "(1 − terminated)", lambda t: t.live * (t.r + t.g * t.qmax)),
    Mistake("the terminal mask is inverted: you bootstrap only from terminal transitions; use (1 − terminated), "
            "not terminated", lambda t: t.r + t.g * t.d * t.qmax),
    Mistake("forgot the discount γ: multiply the bootstrapped value by gamma", lambda t: t.r + t.live * t.qmax),
    Mistake("γ multiplies the reward too: only the bootstrapped value max Q′(s′, ·) is discounted",
            lambda t: t.g * (t.r + t.live * t.qmax)),
    Mistake("used a fixed γ = 0.99 instead of the `gamma` argument (it may be a scalar or a [B] tensor)",
            lambda t: t.r + 0.99 * t.live * t.qmax),
    Mistake("averaged Q′(s′, ·) over the actions: the Bellman optimality target takes the MAX over a′",
            lambda t: t.r + t.g * t.live * t.q.mean(axis=-1)),
    Mistake("took the MIN over the actions: the Bellman optimality target takes the max over a′",
            lambda t: t.r + t.g * t.live * t.q.min(axis=-1)),
    Mistake("summed Q′(s′, ·) over the actions: the Bellman optimality target takes the max over a′",
            lambda t: t.r + t.g * t.live * t.q.sum(axis=-1)),
    Mistake("forgot the reward r: y = r + γ·(1 − terminated)·max Q′", lambda t: t.g * t.live * t.qmax),
    Mistake("took the max of |Q′| (or of the wrong sign): use tf.reduce_max(next_q_values, axis=-1)",
            lambda t: t.r + t.g * t.live * np.abs(t.q).max(axis=-1)),
)


def _td_mistakes(case) -> list[Mistake]:
    return on_case(_TD_MISTAKES, _Terms(case["rewards"], case["terminated"], case["next_q_values"], case["gamma"]))


def _td_result(got, case, where: str) -> np.ndarray:
    """The learner's targets as float64 [B], after checking return value, shape and dtype."""
    batch = case["rewards"].shape[0]
    if got is None:
        raise ExerciseFailed(f"{where}: your function returned None — did you forget `return`?")
    dtype = getattr(got, "dtype", None)
    got_arr = to_numpy(got, f"{where}: the targets")
    if got_arr.shape != (batch,):
        shape = list(got_arr.shape)
        if shape == [batch, batch]:
            hint = ("a [B] vector was broadcast against a [B, 1] one — did you use keepdims=True in "
                    "tf.reduce_max? Take the max over axis=-1 without keepdims, so y has shape [B]")
        elif shape == [batch, 1]:
            hint = "drop the trailing axis: tf.reduce_max(next_q_values, axis=-1) without keepdims gives [B]"
        elif len(shape) == 1 and shape[0] == case["next_q_values"].shape[1]:
            hint = "you took the max over the batch axis (axis=0); take it over the actions, axis=-1"
        elif got_arr.ndim == 0:
            hint = "you reduced over the whole batch; one target per transition is needed"
        else:
            hint = "one target per transition is needed"
        raise ExerciseFailed(f"{where}: targets have shape {shape}, expected [{batch}] (B = {batch}) — {hint}")
    _require_float32(dtype, f"{where}: targets have", "")
    return got_arr


def _diagnose(results, expected, mistakes):
    """Index of the first wrong case, and the message of the mistake that explains it (or None).

    ``results``, ``expected``: per case, the learner's and the reference value; ``mistakes``:
    per case, a list of (message, value), in the same order for every case. A mistake that
    reproduces the learner's result in every case wins; else one that reproduces the first
    wrong case. The message is that of the first wrong case.
    """
    first = next(i for i, (got, ref) in enumerate(zip(results, expected)) if not close(got, ref))
    across_cases = [(mistake.message, [case[k].answer for case in mistakes]) for k, mistake in enumerate(mistakes[first])]
    found = likely_mistake(across_cases, results, expected, at=first)
    return first, found[0].message if found else None


def _report_td(results, cases, prefix: str) -> None:
    expected = [dqn_targets(**_td_arguments(case)).numpy().astype(np.float64) for case in cases]
    if close(results, expected):
        return
    first, message = _diagnose(results, expected, [_td_mistakes(case) for case in cases])
    got, ref, case = results[first], expected[first], cases[first]
    index = int(np.flatnonzero(mismatches(got, ref))[0])
    detail = (f"{prefix}, case '{case['label']}': element [{index}] is {got[index]:.6g}, expected {ref[index]:.6g} "
              f"(terminated[{index}] = {int(case['terminated'][index])})")
    if message is None:
        raise ExerciseFailed(f"{detail}\ncompare with {_FORMULA}, element by element")
    raise ExerciseFailed(f"{detail}\nlikely mistake: {message}")


def check_td_targets(td_targets) -> None:
    """Check ``td_targets(rewards, terminated, next_q_values, gamma) -> y``.

    Args:
        td_targets: the learner's function. It receives float32 tensors ``rewards`` [B],
            ``terminated`` [B] (1.0 where s′ is terminal) and ``next_q_values`` [B, A], and
            ``gamma`` as a Python float, a scalar tensor or a [B] tensor; it must return
            y [B] float32 = r + γ·(1 − terminated)·max_a′ Q′(s′, a′), using TensorFlow ops
            (it runs inside the agent's compiled learning step).

    Each case of :func:`td_target_cases` is run eagerly; one is run again inside
    ``tf.function(jit_compile=True)``. Results are compared with
    :func:`lunar_lab.targets.dqn_targets`.

    Raises:
        ExerciseFailed: wrong shape, dtype or value — the message names the case, the element,
            expected vs got and the likely mistake (e.g. "bootstrapped through a terminal
            transition at index 2").
        NotImplementedYet: the placeholder still raises NotImplementedError.

    Source: Mnih et al. (2015), Algorithm 1; Sutton & Barto (2018), eq. (6.8).
    """
    cases = td_target_cases()
    with exercise("td_targets", passed=f"passed ({len(cases) + 1} cases)") as call:
        results = [_td_result(_call(call, td_targets, **_td_arguments(case)), case, f"td_targets, case '{case['label']}'")
                   for case in cases]
        _report_td(results, cases, "td_targets")
        case = cases[2]
        where = "td_targets inside tf.function"
        got = _td_result(_compiled(call, td_targets, **_td_arguments(case)), case, f"{where}, case '{case['label']}'")
        _report_td([got], [case], where)


# --------------------------------------------------------------------------------------------
# Exercise 2: the Q-learning loss
# --------------------------------------------------------------------------------------------

def loss_cases() -> list[dict]:
    """The cases :func:`check_q_learning_loss` runs: dicts with ``label``, ``q_values`` [B, A]
    float32, ``actions`` [B] int32 and ``targets`` [B] float32. Every case mixes small
    (|y − Q| < 1) and large TD errors, so that Huber and MSE differ."""
    rng = np.random.default_rng(7)
    cases = [
        dict(label="hand-computed, B = 3, A = 3",
             q_values=[[1.0, 2.0, 0.0], [3.0, 4.0, 1.0], [0.0, -1.0, 2.0]],
             actions=[1, 0, 1],
             targets=[2.5, 6.0, -1.0]),          # errors 0.5, 3, 0
        dict(label="B = 2, A = 4, a large negative TD error",
             q_values=[[0.0, 1.0, 2.0, 3.0], [5.0, 5.0, 5.0, 5.0]],
             actions=[2, 3],
             targets=[2.25, -5.0]),               # errors 0.25, −10
    ]
    for label, batch, actions in (("random batch, B = 6, A = 4", 6, 4), ("random batch, B = 32, A = 4", 32, 4)):
        q = rng.normal(0, 3, (batch, actions))
        a = rng.integers(0, actions, batch)
        scale = np.where(np.arange(batch) % 2 == 0, 0.5, 8.0)
        y = q[np.arange(batch), a] + rng.normal(0, 1, batch) * scale
        cases.append(dict(label=label, q_values=q.round(2), actions=a, targets=y.round(2)))
    for case in cases:
        case["q_values"] = np.asarray(case["q_values"], np.float32)
        case["actions"] = np.asarray(case["actions"], np.int32)
        case["targets"] = np.asarray(case["targets"], np.float32)
    return cases


def _elementwise(error, loss):
    if loss == "mse":
        return error ** 2
    abs_error = np.abs(error)
    return np.where(abs_error <= 1.0, 0.5 * error ** 2, abs_error - 0.5)


_LOSS_NAMES = {"huber": "the Huber loss (δ = 1): ½·δ² where |δ| ≤ 1, |δ| − ½ beyond",
               "mse": "the mean squared error mean((y − Q(s, a))²)"}


class _LossTerms:
    """The terms of the loss on one case, in float64, for the mistakes' answers; ``how`` is "" (a 3-argument
    function checked for ``loss``), "default" (called without ``loss``) or "argument" (called with ``loss=loss``)."""

    def __init__(self, case, loss: str, how: str):
        self.q, self.a, self.y = case["q_values"].astype(np.float64), case["actions"], case["targets"].astype(np.float64)
        self.batch, self.num_actions = self.q.shape
        self.q_taken = self.q[np.arange(self.batch), self.a]
        self.loss, self.other, self.how = loss, "mse" if loss == "huber" else "huber", how

    def mean(self, error, loss: str | None = None) -> float:
        """The mean of the per-transition loss (this check's, or ``loss``) of ``error``."""
        return _elementwise(error, loss or self.loss).mean()


def _mixed_up(t: _LossTerms) -> str:
    names = _LOSS_NAMES
    if t.how == "argument":
        return (f"called with loss=\"{t.loss}\", your function returned {names[t.other]} — it must follow its `loss` "
                f"argument: `if loss == \"mse\": … else: …` (Huber for \"huber\")")
    if t.how == "default":
        return (f"called WITHOUT the `loss` argument, your function returned {names[t.other]}; the agent calls "
                f"loss_fn(q_values, actions, targets), so the default must be loss=\"huber\", as in the package")
    return (f"your loss is {names[t.other]}, but this check expects {names[t.loss]} — if you chose "
            f"{'MSE' if t.other == 'mse' else 'Huber'} on purpose, run "
            f"check_q_learning_loss(q_learning_loss, loss=\"{t.other}\") instead")


_WITHOUT_BATCH_DIMS = ("tf.gather(q_values, actions, axis=1) without batch_dims=1 picks a [B, B] matrix (every row's "
                       "value of every transition's action): add batch_dims=1 so each row gives its own Q(s, a)")

#: The usual mistakes of q_learning_loss: message, the loss it gives (functions of the case's :class:`_LossTerms`).
_LOSS_MISTAKES = (
    Mistake(_mixed_up, lambda t: t.mean(t.y - t.q_taken, t.other)),
    Mistake("forgot to gather Q(s, a) by the action taken: you regressed EVERY action's Q-value towards y, "
            "but y only says what happened after action a — use tf.gather(q_values, actions, axis=1, batch_dims=1)",
            lambda t: t.mean(t.y[:, None] - t.q)),
    Mistake("the masked [B, A] matrix was averaged over all B·A entries (a one-hot mask leaves A − 1 zeros per row): "
            "gather Q(s, a) first, or sum over the actions before averaging over the batch",
            lambda t: t.mean(t.y - t.q_taken) / t.num_actions),
    Mistake("used tf.reduce_sum over the batch: the loss is the MEAN over the B transitions "
            "(with a sum, the step size would grow with the batch size)",
            lambda t: t.mean(t.y - t.q_taken) * t.batch),
    Mistake("used max_a Q(s, a) instead of Q(s, a) for the action taken: the target y belongs to the action in the "
            "transition, which need not be the greedy one", lambda t: t.mean(t.y - t.q.max(axis=-1))),
    Mistake(_WITHOUT_BATCH_DIMS, lambda t: t.mean(t.y[None, :] - t.q[:, t.a])),
    Mistake(_WITHOUT_BATCH_DIMS, lambda t: t.mean(t.y[:, None] - t.q[:, t.a])),
    Mistake("tf.gather(q_values, actions) picks ROWS of q_values (axis 0), not one entry per row: use "
            "tf.gather(q_values, actions, axis=1, batch_dims=1)",
            lambda t: t.mean(t.y[:, None] - t.q[t.a]) if t.a.max() < t.batch else np.nan),
    Mistake(lambda t: "your loss is the mean absolute error |y − Q(s, a)|; this check expects " + _LOSS_NAMES[t.loss],
            lambda t: np.abs(t.y - t.q_taken).mean()),
    Mistake("your loss is ½·MSE; this check (and the package) uses mean((y − Q(s, a))²) without the ½",
            lambda t: 0.5 * t.mean(t.y - t.q_taken) if t.loss == "mse" else None),
    Mistake("the quadratic part of Huber needs the factor ½: ½·δ² for |δ| ≤ 1 (so that it meets |δ| − ½ smoothly)",
            lambda t: np.where(np.abs(t.y - t.q_taken) <= 1, (t.y - t.q_taken) ** 2,
                               np.abs(t.y - t.q_taken) - 0.5).mean() if t.loss == "huber" else None),
    Mistake("the linear part of Huber is |δ| − ½ (not |δ|), so that it meets ½·δ² at |δ| = 1",
            lambda t: np.where(np.abs(t.y - t.q_taken) <= 1, 0.5 * (t.y - t.q_taken) ** 2,
                               np.abs(t.y - t.q_taken)).mean() if t.loss == "huber" else None),
)


def _loss_result(got, where: str) -> float:
    if got is None:
        raise ExerciseFailed(f"{where}: your function returned None — did you forget `return`?")
    dtype = getattr(got, "dtype", None)
    got_arr = to_numpy(got, f"{where}: the loss")
    if got_arr.shape != ():
        raise ExerciseFailed(f"{where}: the loss has shape {list(got_arr.shape)}, expected a scalar — return one "
                             "number: the mean over the batch of the per-transition losses (tf.reduce_mean)")
    _require_float32(dtype, f"{where}: the loss has", "the Q-values are float32; ")
    return float(got_arr)


def _report_loss(results, cases, loss: str, prefix: str, how: str = "") -> None:
    expected = [float(reference_loss(c["q_values"], c["actions"], c["targets"], loss=loss)) for c in cases]
    if close(results, expected):
        return
    first, message = _diagnose(results, expected, [on_case(_LOSS_MISTAKES, _LossTerms(case, loss, how)) for case in cases])
    detail = f"{prefix}, case '{cases[first]['label']}': loss is {results[first]:.6g}, expected {expected[first]:.6g}"
    if message is None:
        raise ExerciseFailed(f"{detail}\ngather Q(s, a) = q_values[i, actions[i]], take the per-transition "
                             f"{'Huber loss (δ = 1)' if loss == 'huber' else 'squared error'} of y − Q(s, a), "
                             "then the mean over the batch")
    raise ExerciseFailed(f"{detail}\nlikely mistake: {message}")


def _check_loss_gradients(q_learning_loss, call, case, loss: str, prefix: str, kwargs: dict) -> None:
    where = f"{prefix}, case '{case['label']}'"
    q_values = tf.Variable(case["q_values"])
    targets = tf.Variable(case["targets"])
    actions = tf.constant(case["actions"])
    with tf.GradientTape(persistent=True) as tape:
        value = _call(call, q_learning_loss, q_values, actions, targets, **kwargs)
    try:
        grad_q, grad_y = tape.gradient(value, [q_values, targets])
    except Exception as err:  # e.g. the loss is a NumPy number: nothing on the tape
        raise ExerciseFailed(f"{where}: could not differentiate your loss ({type(err).__name__}) — compute it with "
                             "TensorFlow ops only (no NumPy, no .numpy()), so that gradients reach Q(s, a)") from None
    if grad_q is None or not np.any(to_numpy(grad_q, "gradient")):
        if _stops_gradient_of_q_values(q_learning_loss, case, kwargs):
            raise ExerciseFailed(
                f"{where}: your loss has the right value, but no gradient reaches q_values — it applies "
                "tf.stop_gradient to the predicted Q-values (or to something computed from them: Q(s, a), the error "
                "y − Q(s, a) or the loss itself), so the gradient tape sees no path from the loss to the network's "
                "weights and the network cannot learn. stop_gradient belongs on the targets, not on Q(s, a): "
                "tf.stop_gradient(targets), and use q_values as they are")
        raise ExerciseFailed(f"{where}: no gradient reaches q_values — compute the loss with TensorFlow ops only "
                             "(NumPy, .numpy() or tf.constant(...) of a NumPy value cuts the tape), otherwise the "
                             "network cannot learn")
    if grad_y is not None and np.any(to_numpy(grad_y, "gradient")):
        g = to_numpy(grad_y, "gradient")
        index = int(np.flatnonzero(g)[0])
        raise ExerciseFailed(
            f"{where}: the gradient flows into the targets (d loss / d targets[{index}] = {g[index]:.4g}, expected "
            "none) — Q-learning treats y as a constant: wrap it in tf.stop_gradient(targets) before using it")
    expected = tf.Variable(case["q_values"])
    with tf.GradientTape() as tape:
        ref = reference_loss(expected, actions, case["targets"], loss=loss)
    ref_grad = tape.gradient(ref, expected).numpy()
    got_grad = to_numpy(grad_q, "gradient")
    if not close(got_grad, ref_grad):
        i, j = (int(k) for k in np.argwhere(mismatches(got_grad, ref_grad))[0])
        raise ExerciseFailed(f"{where}: d loss / d q_values[{i}, {j}] is {got_grad[i, j]:.6g}, expected "
                             f"{ref_grad[i, j]:.6g} (action taken: {int(case['actions'][i])}) — the value is right "
                             "but the gradient is not: only Q(s, a) of the action taken should receive one")


def _stops_gradient_of_q_values(q_learning_loss, case, kwargs: dict) -> bool:
    """Whether the loss, traced as a graph, applies tf.stop_gradient to a tensor computed from q_values."""
    specs = [tf.TensorSpec(case[k].shape, tf.as_dtype(case[k].dtype)) for k in ("q_values", "actions", "targets")]
    try:
        graph = tf.function(lambda q, a, y: q_learning_loss(q, a, y, **kwargs)).get_concrete_function(*specs).graph
    except Exception:  # noqa: BLE001 — not a TensorFlow expression (NumPy, .numpy()): not this mistake
        return False
    from_q = {graph.inputs[0].name}
    for op in graph.get_operations():
        if any(t.name in from_q for t in op.inputs):
            if op.type == "StopGradient":
                return True
            from_q.update(t.name for t in op.outputs)
    return False


def _takes_loss_argument(fn) -> bool:
    """Whether ``fn`` accepts a keyword argument ``loss`` (a parameter of that name, or **kwargs)."""
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.name == "loss" and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) or p.kind == p.VAR_KEYWORD
               for p in parameters)


def _check_loss_mode(q_learning_loss, call, cases, loss: str, how: str) -> None:
    """Values on every case; unless ``how`` is "default", also the gradients on case 0 and case 3
    compiled (see :func:`_loss_case_count`)."""
    kwargs = {"loss": loss} if how == "argument" else {}
    prefix = f'q_learning_loss(..., loss="{loss}")' if how == "argument" else "q_learning_loss"
    results = [
        _loss_result(_call(call, q_learning_loss, tf.constant(case["q_values"]), tf.constant(case["actions"]),
                           tf.constant(case["targets"]), **kwargs), f"{prefix}, case '{case['label']}'")
        for case in cases]
    _report_loss(results, cases, loss, prefix, how)
    if how == "default":
        return
    _check_loss_gradients(q_learning_loss, call, cases[0], loss, prefix, kwargs)
    case = cases[3]
    where = f"{prefix} inside tf.function"

    got = _compiled(call, q_learning_loss, tf.constant(case["q_values"]), tf.constant(case["actions"]),
                    tf.constant(case["targets"]), **kwargs)
    _report_loss([_loss_result(got, f"{where}, case '{case['label']}'")], [case], loss, where, how)


def _loss_case_count(cases, how: str) -> int:
    return len(cases) if how == "default" else len(cases) + 2


def check_q_learning_loss(q_learning_loss, loss: str | None = None) -> None:
    """Check ``q_learning_loss(q_values, actions, targets, loss="huber") -> scalar``.

    Args:
        q_learning_loss: the learner's function: ``q_values`` [B, A] float32, ``actions`` [B]
            int32, ``targets`` [B] float32 (and optionally ``loss``, ``"huber"`` or ``"mse"``,
            default ``"huber"``, as :func:`lunar_lab.losses.q_learning_loss`) → a float32 scalar,
            the mean over the batch of the per-transition loss of y − Q(s, a), with Q(s, a)
            gathered by the action taken and no gradient through y.
        loss: None (default): if the function takes a ``loss`` argument, check both losses
            (``loss="huber"``, ``loss="mse"``) and that its default is Huber; if it takes three
            arguments, check it as Huber. ``"huber"`` (δ = 1) or ``"mse"`` (mean of
            (y − Q(s, a))², no ½): check only that loss.

    Compared with :func:`lunar_lab.losses.q_learning_loss` on :func:`loss_cases`, eagerly and
    inside ``tf.function(jit_compile=True)``; the gradients are checked with a
    ``tf.GradientTape``: d loss / d q_values as the reference's, and d loss / d targets None
    or zero.

    Raises:
        ValueError: ``loss`` is not None, "huber" or "mse".
        ExerciseFailed: wrong shape, dtype or value, or gradients in the wrong place — with the
            likely mistake (MSE vs Huber, the `loss` argument ignored, missing gather, gather
            along the wrong axis, reduce_sum instead of mean, gradient through the targets …).
        NotImplementedYet: the placeholder still raises NotImplementedError.

    Source: Mnih et al. (2015), Methods ("error clipping"); Huber (1964).
    """
    if loss is not None and loss not in LOSSES:
        raise ValueError(f"loss must be None or one of {LOSSES}, got {loss!r}")
    cases = loss_cases()
    takes_loss = _takes_loss_argument(q_learning_loss)
    if not takes_loss:
        modes = [(loss or "huber", "")]
    elif loss is not None:
        modes = [(loss, "argument")]
    else:
        modes = [("huber", "argument"), ("mse", "argument"), ("huber", "default")]
    losses = sorted({m for m, _ in modes}, key=["huber", "mse"].index)
    names = " and ".join({"huber": "Huber", "mse": "MSE"}[m] for m in losses)
    count = sum(_loss_case_count(cases, how) for _, how in modes)
    with exercise("q_learning_loss", passed=f"passed ({count} cases, {names})") as call:
        for mode, how in modes:   # how == "default": called as the agent does, loss_fn(q_values, actions, targets)
            _check_loss_mode(q_learning_loss, call, cases, mode, how)


# --------------------------------------------------------------------------------------------
# Exercise 3: ε-greedy action selection
# --------------------------------------------------------------------------------------------

#: The hand-made Q-values of the ε = 0 case: 6 sub-environments, 4 actions, no tie for the best
#: action; the greedy actions are [1, 2, 3, 0, 3, 1] (row 2: all negative; row 4: nearly equal values).
GREEDY_Q_VALUES = np.array([[1.0, 3.0, 2.0, 0.0],
                            [0.5, -1.0, 4.0, 2.0],
                            [-2.0, -3.0, -1.5, -1.0],
                            [7.0, 1.0, 1.0, 1.0],
                            [0.0, 0.1, 0.05, 0.2],
                            [2.0, 5.0, -5.0, 4.9]], np.float32)
GREEDY_Q_VALUES.flags.writeable = False   # read-only: every check sees the same values
#: The statistical cases: this many calls at each ε, on [16, 4] Q-values (16 sub-environments, as
#: Config's default num_envs, which notebook 01's DQN runs with), 16,000 actions per ε.
_CALLS, _NUM_ENVS, _NUM_ACTIONS = 1000, 16, 4
#: The intermediate ε of the statistical cases (with ε = 0 and ε = 1).
_INTERMEDIATE_EPSILONS = (0.2, 0.6)
#: How far an observed frequency over 16,000 actions may be from its expected value. The
#: standard deviation of such a frequency is at most 0.004, so 0.025 is more than 6 of them:
#: a correct function, whatever order it draws its random numbers in, fails with probability
#: below 1e-8 — and the known mistakes are all at least 0.05 away.
_FREQUENCY_TOLERANCE = 0.025


def greedy_probability(epsilon: float, num_actions: int) -> float:
    """P(the ε-greedy action is the greedy one) = 1 − ε + ε/A: greedy with probability 1 − ε, and a
    uniformly random action (all A of them, the greedy one included) with probability ε.

    Example:
        >>> greedy_probability(0.2, 4), greedy_probability(1.0, 4)
        (0.85, 0.25)
    """
    return 1.0 - epsilon + epsilon / num_actions


def _statistical_q_values(num_actions: int = _NUM_ACTIONS) -> np.ndarray:
    """[16, A] float32 Q-values without ties whose greedy actions cycle 0, 1, …, A − 1, 0, …"""
    rng = np.random.default_rng(11)
    q = rng.normal(0.0, 1.0, (_NUM_ENVS, num_actions)).round(2)
    q[np.arange(_NUM_ENVS), np.arange(_NUM_ENVS) % num_actions] += 5.0
    return q.astype(np.float32)


def _acting_hints(text: str) -> str:
    hints = []
    if "broadcast" in text or "shape mismatch" in text:
        hints.append("shapes do not line up: q_values is [N, A] (N sub-environments, A actions); "
                     "np.argmax(q_values, axis=-1) gives the N greedy actions — axis=0 would give A values — "
                     "rng.random(N) the N coins and rng.integers(0, A, size=N) the N random actions")
    if "positional argument" in text:
        hints.append("the agent calls epsilon_greedy_fn(q_values, epsilon, rng): three arguments, in this order")
    return text.strip() + ("\nhint: " + "\nhint: ".join(hints) if hints else "")


def _actions(call, epsilon_greedy, q_values: np.ndarray, epsilon: float, rng) -> np.ndarray:
    """The learner's actions for ``q_values`` [N, A], after checking type, dtype, shape and range."""
    num_envs, num_actions = q_values.shape
    where = f"epsilon_greedy(q_values [{num_envs}, {num_actions}], epsilon={epsilon:g}, rng)"
    try:
        got = call(epsilon_greedy, q_values.copy(), epsilon, rng)
    except NotImplementedYet:
        raise
    except ExerciseFailed as err:
        raise ExerciseFailed(_acting_hints(str(err))) from None
    if got is None:
        raise ExerciseFailed(f"{where}: your function returned None — did you forget `return`?")
    if isinstance(got, tf.Tensor):
        raise ExerciseFailed(f"{where}: returned a TensorFlow tensor — the agent acts on every env step in NumPy, "
                             "without TensorFlow: use np.argmax(q_values, axis=-1), rng.random and rng.integers")
    if isinstance(got, (int, float, np.generic)):
        got = np.asarray(got)   # one number: reported by its shape, [] (or its dtype)
    if not isinstance(got, np.ndarray):
        raise ExerciseFailed(f"{where}: returned {type(got).__name__} {str(got)[:60]}, expected a NumPy array of "
                             f"{num_envs} integer actions — the vector environment steps with an array: return "
                             "np.array(actions) (np.argmax and np.where already give arrays)")
    actions = got
    if actions.dtype == bool:
        raise ExerciseFailed(f"{where}: returned booleans — that is the coin (explore or not), not the actions: "
                             "return np.where(explore, random_actions, greedy_actions)")
    if np.issubdtype(actions.dtype, np.floating):
        if actions.shape == (num_envs,) and epsilon == 0 and np.allclose(actions, q_values.max(axis=-1)):
            raise ExerciseFailed(f"{where}: returned the greedy Q-VALUES max_a Q(s, a), not the actions — the action "
                                 "is the index of the best Q-value: np.argmax(q_values, axis=-1)")
        raise ExerciseFailed(
            f"{where}: returned floats (dtype {actions.dtype}), expected integer actions — an action indexes the "
            "action set: draw random actions with rng.integers(0, A, size=N) (rng.random()·A or rng.uniform give "
            "floats), and keep both branches of np.where integer (np.argmax already returns int64)")
    if not np.issubdtype(actions.dtype, np.integer):
        raise ExerciseFailed(f"{where}: returned dtype {actions.dtype}, expected a NumPy array of {num_envs} integer "
                             "actions")
    if actions.shape != (num_envs,):
        shape = list(actions.shape)
        if shape == [num_actions]:
            hint = ("you took the argmax over axis 0, the batch of sub-environments, which gives one index per "
                    "action; take it over the actions: np.argmax(q_values, axis=-1)")
        elif shape == []:
            hint = ("one action for the whole batch — np.argmax(q_values) without axis=-1 gives one index into the "
                    "flattened array; one action per sub-environment is needed")
        elif shape == [num_envs, num_actions]:
            hint = "one action per row is needed, not a row of A values: np.argmax(q_values, axis=-1) gives [N]"
        elif shape == [num_envs, 1]:
            hint = "drop the trailing axis: np.argmax(q_values, axis=-1) without keepdims gives [N]"
        elif shape == [_NUM_ENVS]:
            hint = (f"do not hardcode N = {_NUM_ENVS}: take the number of sub-environments from the Q-values, "
                    "N = len(q_values)")
        else:
            hint = "one action per sub-environment (per row of q_values) is needed"
        raise ExerciseFailed(f"{where}: the actions have shape {shape}, expected [{num_envs}] (N = {num_envs}) — {hint}")
    bad = np.flatnonzero((actions < 0) | (actions >= num_actions))
    if bad.size:
        i = int(bad[0])
        action = int(actions[i])
        if action < 0:
            hint = "actions are 0 … A − 1"
        elif num_actions != _NUM_ACTIONS and action < _NUM_ACTIONS:
            hint = (f"do not hardcode the lander's {_NUM_ACTIONS} actions: take A from the Q-values, "
                    f"A = q_values.shape[-1] (this case has A = {num_actions})")
        else:
            hint = ("actions are 0 … A − 1, and rng.integers(0, A) already excludes A (rng.integers(0, A + 1) or "
                    "rng.integers(1, A + 1) can give A)")
        raise ExerciseFailed(f"{where}: sub-environment {i} got action {action}, outside 0 … {num_actions - 1} "
                             f"(A = {num_actions}) — {hint}")
    return actions


class _Exploration:
    """Frequencies of the learner's actions in the statistical cases, for the tables of known mistakes.

    ``runs[ε]`` holds the actions [calls, N] of consecutive calls on one generator, on Q-values
    whose greedy actions are ``greedy`` [N]; ``epsilon`` is the intermediate ε being examined.
    """

    def __init__(self, runs: dict, greedy: np.ndarray, num_actions: int):
        self.runs, self.greedy, self.num_actions = runs, greedy, num_actions
        self.is_greedy = {eps: actions == greedy for eps, actions in runs.items()}
        self.epsilon = _INTERMEDIATE_EPSILONS[0]

    def greedy_frequency(self, epsilon: float) -> float:
        """The fraction of the actions at ``epsilon`` that were the greedy one."""
        return float(self.is_greedy[epsilon].mean())

    def near(self, value: float, target: float) -> bool:
        return abs(value - target) <= _FREQUENCY_TOLERANCE

    def action_frequencies(self, epsilon: float) -> np.ndarray:
        """[A]: the fraction of the actions at ``epsilon`` that were action 0, 1, …"""
        return np.bincount(self.runs[epsilon].reshape(-1), minlength=self.num_actions) / self.runs[epsilon].size

    def all_greedy_calls(self, epsilon: float) -> float:
        """The fraction of calls in which every sub-environment acted greedily."""
        return float(self.is_greedy[epsilon].all(axis=1).mean())

    def same_action_calls(self, epsilon: float) -> float:
        """The fraction of calls in which every sub-environment got the same action."""
        actions = self.runs[epsilon]
        return float((actions == actions[:, :1]).all(axis=1).mean())

    def repeated_calls(self, epsilon: float) -> float:
        """The fraction of calls that returned exactly the actions of the call before."""
        actions = self.runs[epsilon]
        return float((actions[1:] == actions[:-1]).all(axis=1).mean())

    def never_chosen(self, epsilon: float) -> list[int]:
        """The actions never taken at ``epsilon``."""
        return [int(a) for a in np.flatnonzero(self.action_frequencies(epsilon) == 0)]

    def draws(self, epsilon: float) -> str:
        return f"{self.runs[epsilon].size:,} actions at ε = {epsilon:g}"


class _Symptom(NamedTuple):
    """A known mistake of epsilon_greedy: ``present(stats)`` says whether the learner's actions
    (an :class:`_Exploration`) show it; ``message`` (a string, or a function of the stats) explains it."""

    message: Any
    present: Callable[[_Exploration], bool]


def _first_symptom(symptoms: Sequence[_Symptom], stats: _Exploration) -> str | None:
    """The message of the first of ``symptoms`` present in ``stats``, or None."""
    for symptom in symptoms:
        if symptom.present(stats):
            return symptom.message(stats) if callable(symptom.message) else symptom.message
    return None


_INVERTED = ("exploration is inverted: you explore when rng.random() > ε, which happens with probability 1 − ε "
             "(at ε = 0 almost always, at ε = 1 never) — explore where rng.random(N) < ε")


def _uniform(s: _Exploration) -> float:
    return 1 / s.num_actions


#: Why the actions at ε = 0 are not all greedy.
_MISTAKES_AT_0 = (
    _Symptom(_INVERTED, lambda s: s.near(s.greedy_frequency(0.0), _uniform(s)) and s.greedy_frequency(1.0) == 1.0),
    _Symptom(lambda s: f"the actions are random at ε = 0 ({s.greedy_frequency(0.0):.0%} of {s.draws(0.0)} were the "
                       "greedy one) as at ε = 1 — ε is the probability of a random action: explore where "
                       "rng.random(N) < ε, act greedily elsewhere",
             lambda s: s.near(s.greedy_frequency(0.0), _uniform(s)) and s.near(s.greedy_frequency(1.0), _uniform(s))),
)


def _left_out(s: _Exploration) -> str:
    action = s.never_chosen(1.0)[0]
    if action == s.num_actions - 1:
        return " — the upper bound is excluded, so rng.integers(0, A - 1) leaves out action A − 1"
    return " — rng.integers(1, A) leaves out action 0" if action == 0 else ""


#: What can be wrong at ε = 1 (every action uniformly random), most specific first.
_MISTAKES_AT_1 = (
    _Symptom(lambda s: f"at ε = 1 every action must be random, but all {s.draws(1.0)} were the greedy one — explore "
                       "where rng.random(N) < ε (at ε = 1: always)",
             lambda s: s.greedy_frequency(1.0) == 1.0),
    _Symptom(lambda s: f"at ε = 1 all {_NUM_ENVS} sub-environments got the same random action in "
                       f"{s.same_action_calls(1.0):.0%} of the calls: one random action was drawn for the whole batch "
                       "— draw one per sub-environment, rng.integers(0, A, size=N)",
             lambda s: s.same_action_calls(1.0) > 0.5),
    _Symptom(lambda s: f"at ε = 1 {s.repeated_calls(1.0):.0%} of the calls returned exactly the actions of the call "
                       "before: your function makes (or reseeds) a generator of its own — draw every random number "
                       "from the rng passed in, which moves on with each draw",
             lambda s: s.repeated_calls(1.0) > 0.5),
    _Symptom(lambda s: f"at ε = 1 action {s.never_chosen(1.0)[0]} was never chosen in {s.draws(1.0)} (expected 1/A = "
                       f"{_uniform(s):.0%}): random actions must come from all A = {s.num_actions} actions 0 … A − 1, "
                       f"rng.integers(0, A, size=N){_left_out(s)}",
             lambda s: bool(s.never_chosen(1.0))),
    _Symptom(lambda s: f"at ε = 1 the random action was never the greedy one ({s.draws(1.0)}; expected 1/A = "
                       f"{_uniform(s):.0%}): a random action is drawn uniformly from ALL A actions, the greedy one "
                       "included — excluding it makes the greedy probability 1 − ε instead of 1 − ε + ε/A",
             lambda s: s.greedy_frequency(1.0) == 0.0),
    _Symptom(lambda s: f"at ε = 1 the actions must be uniform over all A = {s.num_actions} actions ({_uniform(s):.0%} "
                       f"each, ± {_FREQUENCY_TOLERANCE:.1%}); in {s.draws(1.0)} they were "
                       + ", ".join(f"{a}: {f:.1%}" for a, f in enumerate(s.action_frequencies(1.0)))
                       + " — draw them with rng.integers(0, A, size=N)",
             lambda s: not all(s.near(f, _uniform(s)) for f in s.action_frequencies(1.0))),
    _Symptom(lambda s: f"at ε = 1 the greedy action was taken in {s.greedy_frequency(1.0):.1%} of {s.draws(1.0)}, "
                       f"expected 1/A = {_uniform(s):.0%} (± {_FREQUENCY_TOLERANCE:.1%}): at ε = 1 every action is "
                       "uniformly random, whatever the Q-values",
             lambda s: not s.near(s.greedy_frequency(1.0), _uniform(s))),
)


def _expected(s: _Exploration) -> float:
    return greedy_probability(s.epsilon, s.num_actions)


#: What can be wrong at an intermediate ε (``stats.epsilon``), most specific first.
_MISTAKES_BETWEEN = (
    _Symptom(lambda s: f"one coin for the whole batch: at ε = {s.epsilon:g}, in {s.all_greedy_calls(s.epsilon):.0%} of "
                       f"{_CALLS:,} calls ALL {_NUM_ENVS} sub-environments acted greedily together (with one coin "
                       f"each, expected {_expected(s) ** _NUM_ENVS:.0%}) — each sub-environment explores on its own: "
                       "explore = rng.random(N) < ε, not one rng.random() for the batch",
             lambda s: s.all_greedy_calls(s.epsilon) > _expected(s) ** _NUM_ENVS + 0.2),
    _Symptom(lambda s: f"{_INVERTED} (at ε = {s.epsilon:g} the greedy action was taken in "
                       f"{s.greedy_frequency(s.epsilon):.1%} of {s.draws(s.epsilon)}, expected {_expected(s):.1%})",
             lambda s: s.near(s.greedy_frequency(s.epsilon), greedy_probability(1 - s.epsilon, s.num_actions))),
    _Symptom(lambda s: f"at ε = {s.epsilon:g} the greedy action was taken in {s.greedy_frequency(s.epsilon):.1%} of "
                       f"{s.draws(s.epsilon)}, i.e. 1 − ε: a random action must be drawn from ALL A actions, the "
                       f"greedy one included, so the greedy probability is 1 − ε + ε/A = {_expected(s):.1%}",
             lambda s: s.near(s.greedy_frequency(s.epsilon), 1 - s.epsilon)),
    _Symptom(lambda s: f"at ε = {s.epsilon:g} the greedy action was taken in {s.greedy_frequency(s.epsilon):.1%} of "
                       f"{s.draws(s.epsilon)}, expected 1 − ε + ε/A = {_expected(s):.1%} (± "
                       f"{_FREQUENCY_TOLERANCE:.1%}) — explore with probability ε (rng.random(N) < ε), and then draw "
                       "uniformly from all A actions",
             lambda s: not s.near(s.greedy_frequency(s.epsilon), _expected(s))),
)


def _run(act, q_values: np.ndarray, epsilon: float, calls: int, seed: int) -> np.ndarray:
    """The learner's actions [calls, N] of ``calls`` consecutive calls on one generator."""
    rng = np.random.default_rng(seed)
    return np.stack([act(q_values, epsilon, rng) for _ in range(calls)])


def check_epsilon_greedy(epsilon_greedy) -> None:
    """Check ``epsilon_greedy(q_values, epsilon, rng) -> actions``, the agent's exploration rule.

    Args:
        epsilon_greedy: the learner's function: ``q_values`` [N, A] float32 (NumPy), ``epsilon``
            a float in [0, 1], ``rng`` a ``numpy.random.Generator`` → [N] integer actions (NumPy),
            each a uniformly random action (of all A) with probability ε, else argmax_a Q(s, a), with
            one coin per sub-environment and every random number drawn from ``rng``. Any order of
            draws is fine: the check is statistical, not a replay of the package's draws.

    The cases: ε = 0 on :data:`GREEDY_Q_VALUES` (exactly the argmax); the same seed twice (the
    same actions); 1,000 calls with 16 sub-environments and 4 actions at each of ε = 0, 0.2, 0.6
    and 1 (16,000 actions each), whose frequencies must be within ±2.5 % of the expected ones
    (each action 1/A of the time at ε = 1; the greedy one with probability 1 − ε + ε/A; all 16
    sub-environments greedy in one call no more often than 16 independent coins allow); ε = 1
    with A = 3 actions (no hardcoded 4). The rule is that of :func:`lunar_lab.exploration.epsilon_greedy`.

    Raises:
        ExerciseFailed: the wrong return (None, floats, booleans, a tensor, another shape, an
            action outside 0 … A − 1) or wrong frequencies — the message names the likely mistake:
            one coin for the whole batch, random actions from A − 1 actions or excluding the greedy
            one, the argmax over the wrong axis, an inverted comparison (rng.random() > ε), the
            same random action for every sub-environment, a generator other than ``rng`` …
        NotImplementedYet: the placeholder still raises NotImplementedError.

    Source: Sutton & Barto (2018), §2.2 (ε-greedy action selection); Mnih et al. (2015), Methods.
    """
    epsilons = (0.0, *_INTERMEDIATE_EPSILONS, 1.0)
    passed = f"passed (ε = {', '.join(f'{e:g}' for e in epsilons)}: {_CALLS * _NUM_ENVS:,} actions each)"
    with exercise("epsilon_greedy", passed=passed) as call:
        act = functools.partial(_actions, call, epsilon_greedy)
        hand = _run(act, GREEDY_Q_VALUES, 0.0, calls=3, seed=0)
        q_values = _statistical_q_values()
        runs = {eps: _run(act, q_values, eps, _CALLS, seed=100 + k) for k, eps in enumerate(epsilons)}
        _run(act, _statistical_q_values(3), 1.0, calls=50, seed=7)   # A = 3: only actions 0 … 2 are valid
        stats = _Exploration(runs, np.argmax(q_values, axis=-1), _NUM_ACTIONS)
        expected = np.argmax(GREEDY_Q_VALUES, axis=-1)
        wrong = np.argwhere(hand != expected)
        if wrong.size:
            c, i = (int(k) for k in wrong[0])
            detail = (f"epsilon_greedy(q_values {list(GREEDY_Q_VALUES.shape)}, epsilon=0, rng): at ε = 0 every action "
                      f"must be the greedy one, argmax_a Q(s, a); sub-environment {i} has Q(s, ·) = "
                      f"{GREEDY_Q_VALUES[i].tolist()}, got action {int(hand[c, i])}, expected {int(expected[i])}"
                      + (f" (call {c + 1})" if c else ""))
            if np.array_equal(hand[c], np.argmin(GREEDY_Q_VALUES, axis=-1)):
                found = "you took the argmin; the greedy action has the LARGEST Q-value, np.argmax(q_values, axis=-1)"
            else:
                found = _first_symptom(_MISTAKES_AT_0, stats)
            raise ExerciseFailed(f"{detail}\nlikely mistake: {found}" if found else
                                 f"{detail}\nexplore only where rng.random(N) < ε; elsewhere take "
                                 "np.argmax(q_values, axis=-1)")
        if not np.array_equal(*(_run(act, q_values, 0.5, calls=5, seed=2024) for _ in range(2))):
            raise ExerciseFailed(
                "epsilon_greedy: two generators with the same seed gave different actions — your function does not "
                "draw (only) from the rng it is given (np.random.random, np.random.randint or random.random use a "
                "global generator): use rng.random and rng.integers, so that a run is reproducible from its seed")
        if stats.greedy_frequency(0.0) < 1.0:
            raise ExerciseFailed(f"epsilon_greedy: at ε = 0 {1 - stats.greedy_frequency(0.0):.1%} of "
                                 f"{stats.draws(0.0)} were not the greedy action; at ε = 0 all must be, "
                                 "np.argmax(q_values, axis=-1)")
        found = _first_symptom(_MISTAKES_AT_1, stats)
        for epsilon in _INTERMEDIATE_EPSILONS:
            stats.epsilon = epsilon
            found = found or _first_symptom(_MISTAKES_BETWEEN, stats)
        if found:
            raise ExerciseFailed(f"epsilon_greedy: {found}")


# --------------------------------------------------------------------------------------------

def _call(call, fn, *args, **kwargs):
    """``call(fn, ...)``, eagerly, with hints for the crashes the exercises typically produce."""
    try:
        return call(fn, *args, **kwargs)
    except NotImplementedYet:
        raise
    except ExerciseFailed as err:
        raise ExerciseFailed(_with_hints(str(err), compiled=False)) from None


def _compiled(call, fn, *args, **kwargs):
    """``fn(...)`` inside the compiled learning step, with the same hints."""
    try:
        return call.compiled(fn, *args, **kwargs)
    except CompileFailed as err:
        raise ExerciseFailed(_with_hints(str(err), compiled=True)) from None


def _with_hints(text: str, compiled: bool) -> str:
    hints = []
    if compiled:
        hints.append("your function works on eager tensors but fails inside the compiled learning step "
                     "(tf.function): use TensorFlow ops (tf.reduce_max, tf.gather, tf.where …), not NumPy, "
                     "Python `if` on tensors or .numpy()")
    if "ncompatible shapes" in text or "broadcast" in text:
        hints.append("shapes do not line up: rewards and terminated are [B], next_q_values / q_values are "
                     "[B, A]; reduce or gather over the action axis (axis=-1) to get [B]")
    if "bool" in text and "float" in text:
        hints.append("terminated is a float32 tensor (1.0 = terminal): use 1.0 - terminated")
    if ("int32" in text or "int64" in text) and "float" in text:
        hints.append("mixing integer and float tensors: cast with tf.cast(..., tf.float32) (actions stay int32 "
                     "for tf.gather)")
    if "is not in [0," in text:
        hints.append("an index is out of range: tf.gather(q_values, actions) without axis=1 uses the actions as "
                     "ROW numbers (transitions); pick one entry per row with "
                     "tf.gather(q_values, actions, axis=1, batch_dims=1)")
    text = text.strip()
    return text + ("\nhint: " + "\nhint: ".join(hints) if hints else "")


def _require_float32(dtype, what: str, why: str) -> None:
    """Raise ExerciseFailed when ``dtype`` (anything tf.as_dtype takes, or None: unknown) is not float32."""
    try:
        dtype = None if dtype is None else tf.as_dtype(dtype)
    except TypeError:
        return
    if dtype is not None and dtype != tf.float32:
        raise ExerciseFailed(f"{what} dtype {dtype.name}, expected float32 — keep the computation in float32 "
                             f"({why}cast with tf.cast(..., tf.float32) if needed)")
