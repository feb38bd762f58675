"""Checks for notebook 04, "Double DQN".

The learner writes ``double_dqn_targets(rewards, terminated, next_q_values,
next_q_values_online, gamma)``: the Double DQN target of van Hasselt, Guez & Silver (2016),
eq. (4), in which the *online* network selects the next action and the *target* network
evaluates it. The reference is :func:`lunar_lab.targets.double_dqn_targets`. The agent
calls the function inside its compiled learning step, with keyword arguments, so the check
runs it eagerly and inside a ``tf.function(jit_compile=True)``.

Each wrong answer is diagnosed by computing what the usual mistakes would give:

- next action selected AND evaluated with the target network (the plain DQN target),
- selected and evaluated with the online network,
- selection and evaluation swapped (target network selects, online network evaluates),
- bootstrapping through a terminal transition, or using ``terminated`` instead of
  ``1 − terminated``,
- treating a time-limit truncation as a termination: a function that asks for ``done`` /
  ``dones`` (terminated OR truncated) instead of ``terminated``, or that takes a
  ``truncated`` argument and stops bootstrapping where it is set (the check passes
  ``truncated`` to such a function, on cases that contain time-limit cuts),
- a signature the agent cannot call (it passes the five arguments by keyword),
- forgetting γ, discounting the reward too, or using a fixed γ = 0.99 instead of the
  ``gamma`` argument (or only its first element),
- wrong shapes ([B, 1], [B, A], [B, B], a scalar) and dtypes (float64, None),
- the argmax over the batch axis instead of the action axis, which crashes with TensorFlow's
  ``InvalidArgumentError`` (in ``tf.gather(…, batch_dims=1)``, ``tf.one_hot`` products,
  ``tf.stack`` …): the check then runs the function on a batch with B = A, where it does not
  crash, and names that mistake when it gives that mistake's targets there, or, when it runs
  there but gives other numbers, says that an index runs along the wrong axis (most often
  that same argmax).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import tensorflow as tf

from lunar_lab.checks.compare import Mistake, close, compare_batch, on_case, returned_float32, to_numpy
from lunar_lab.checks.core import CompileFailed, ExerciseFailed, NotImplementedYet, exercise
from lunar_lab.targets import double_dqn_targets as _reference_targets

NAME = "double_dqn_targets"
_FORMULA = "y = r + γ·(1 − terminated)·Q′(s′, argmax_a′ Q(s′, a′))"


def _bootstrap(q_select: np.ndarray, q_evaluate: np.ndarray) -> np.ndarray:
    """Q_evaluate(s′, argmax_a′ Q_select(s′, a′)) per row, in float64."""
    actions = np.argmax(q_select, axis=-1)
    return q_evaluate.astype(np.float64)[np.arange(len(actions)), actions]


@dataclass
class _Case:
    label: str
    rewards: np.ndarray          # [B] float32
    terminated: np.ndarray       # [B] float32, 0/1
    next_q_values: np.ndarray    # [B, A] float32, target network Q′(s′, ·)
    next_q_values_online: np.ndarray  # [B, A] float32, online network Q(s′, ·)
    gamma: object                # Python float, or [B] float32 array
    compiled: bool = False
    # [B] float32, 0/1: transitions cut by the time limit (terminated = 0, they still bootstrap).
    # The agent never passes this; it is only handed to a learner's function that asks for it.
    truncated: np.ndarray = field(default=None)

    def __post_init__(self):
        if self.truncated is None:
            self.truncated = np.zeros_like(self.terminated)
        # the terms of the target, in float64, for the mistakes' answers
        self.r, self.live = self.rewards.astype(np.float64), 1.0 - self.terminated.astype(np.float64)
        self.g = np.broadcast_to(np.asarray(self.gamma, np.float64), self.r.shape)   # γ per transition
        self.double = _bootstrap(self.next_q_values_online, self.next_q_values)      # Q′(s′, argmax_a′ Q(s′, a′))

    @property
    def batch(self) -> int:
        return len(self.rewards)


def check_double_dqn_targets(double_dqn_targets: Callable) -> None:
    """Check ``double_dqn_targets(rewards, terminated, next_q_values, next_q_values_online, gamma) -> y``.

    Args:
        double_dqn_targets: the learner's function. It is called with keyword arguments, as
            the agent does: ``rewards`` [B] float32, ``terminated`` [B] float32 (1.0 where s′
            is a true terminal state), ``next_q_values`` [B, A] float32 (target network,
            Q′(s′, ·)), ``next_q_values_online`` [B, A] float32 (online network, Q(s′, ·)),
            ``gamma`` a Python float or a [B] float32 tensor (γ, or γⁿ per transition). It
            must return y [B] float32 with
            y = r + γ·(1 − terminated)·Q′(s′, argmax_a′ Q(s′, a′)).

    Cases: a hand-computed batch (B = 4, A = 3, a terminal transition at index 2, a
    time-limit cut at index 3 that must still bootstrap), the same
    with γ as a [B] tensor, random batches (A = 2, 4, 6; per-transition γ as in n-step
    returns; B = 1), and a batch of 64 inside a compiled ``tf.function(jit_compile=True)``
    like the agent's learning step. Expected values come from
    :func:`lunar_lab.targets.double_dqn_targets` (van Hasselt, Guez & Silver 2016, eq. 4).

    Raises:
        ExerciseFailed: which case, which element, expected vs got, the inputs of that
            element and the likely mistake; or a wrong shape / dtype / None result; or a
            signature the agent cannot call (e.g. ``dones`` instead of ``terminated``).
        NotImplementedYet: the placeholder still raises NotImplementedError.

    Example:
        >>> from lunar_lab.targets import double_dqn_targets
        >>> check_double_dqn_targets(double_dqn_targets)
        ✅ double_dqn_targets: passed (8 cases)
    """
    cases = _cases()
    with exercise(NAME, passed=f"passed ({len(cases)} cases)") as call:
        takes_truncated = _check_signature(double_dqn_targets)
        for case in cases:
            got = _run(call, double_dqn_targets, case, takes_truncated)
            _compare(case, got)


# ---------------------------------------------------------------------------------------
# cases


def _hand_case() -> _Case:
    # Online argmax (selection) and target argmax differ in every non-terminal row, so each
    # mistake gives a different number; index 2 is terminal (the lander crashed: −100);
    # index 3 was cut by the 1000-step time limit (truncated, terminated = 0): it bootstraps.
    return _Case(
        label="hand-computed batch (γ = 0.9, terminal transition at index 2, time-limit cut at index 3)",
        rewards=np.array([1.0, -0.5, -100.0, 0.25], np.float32),
        terminated=np.array([0.0, 0.0, 1.0, 0.0], np.float32),
        next_q_values=np.array([[2.0, 5.0, 1.0], [4.0, 0.0, 3.0], [7.0, 9.0, 8.0], [1.0, 3.0, 6.0]], np.float32),
        next_q_values_online=np.array([[6.0, 3.0, 1.0], [1.0, 2.0, 8.0], [3.0, 1.0, 2.0], [0.0, 4.0, 2.0]], np.float32),
        gamma=0.9,
        truncated=np.array([0.0, 0.0, 0.0, 1.0], np.float32),
    )


def _random_case(rng, label, batch, actions, gamma, compiled=False) -> _Case:
    ends = rng.random(batch)
    terminated = (ends < 0.3).astype(np.float32)
    truncated = (ends > 0.85).astype(np.float32)   # time-limit cuts: never also terminated here
    if batch > 1:  # at least one terminal and one non-terminal transition
        terminated[0], terminated[-1] = 0.0, 1.0
        truncated[0], truncated[-1] = 0.0, 0.0
    if callable(gamma):
        gamma = gamma(batch)
    return _Case(
        label=label,
        rewards=rng.normal(0.0, 2.0, batch).astype(np.float32),
        terminated=terminated,
        next_q_values=rng.normal(0.0, 5.0, (batch, actions)).astype(np.float32),
        next_q_values_online=rng.normal(0.0, 5.0, (batch, actions)).astype(np.float32),
        gamma=gamma,
        compiled=compiled,
        truncated=truncated,
    )


def _cases() -> list[_Case]:
    rng = np.random.default_rng(4)
    hand = _hand_case()
    hand_vector = replace(hand, label="hand-computed batch with γ as a [B] tensor (0.9, 0.5, 0.9, 0.5)",
                          gamma=np.array([0.9, 0.5, 0.9, 0.5], np.float32))
    n_step_gamma = lambda b: (0.99 ** rng.integers(1, 4, b)).astype(np.float32)  # noqa: E731  γⁿ, n ∈ {1, 2, 3}
    return [
        hand,
        hand_vector,
        _random_case(rng, "random batch (B = 7, A = 4, γ = 0.99)", 7, 4, 0.99),
        _random_case(rng, "random batch (B = 5, A = 2, γ = 0.5)", 5, 2, 0.5),
        _random_case(rng, "random batch (B = 9, A = 6, per-transition γⁿ as a [B] tensor)", 9, 6, n_step_gamma),
        _random_case(rng, "a batch of one transition (B = 1, A = 3, γ = 0.8)", 1, 3, 0.8),
        _random_case(rng, "random batch (B = 10, A = 4, γ = 1.0)", 10, 4, 1.0),
        _random_case(rng, "inside a compiled tf.function(jit_compile=True), as in the agent (B = 64, A = 4, [B] γ)",
                     64, 4, lambda b: np.full(b, 0.99, np.float32), compiled=True),
    ]


# ---------------------------------------------------------------------------------------
# running the learner's function


_ARGUMENTS = ("rewards", "terminated", "next_q_values", "next_q_values_online", "gamma")
_SIGNATURE = "double_dqn_targets(rewards, terminated, next_q_values, next_q_values_online, gamma)"


def _check_signature(fn: Callable) -> bool:
    """Raise ExerciseFailed if the agent could not call ``fn``; True if it takes ``truncated``."""
    try:
        parameters = inspect.signature(fn).parameters
    except (TypeError, ValueError):  # a builtin or an exotic callable: just try it
        return False
    names = set(parameters)
    var_keyword = any(p.kind is p.VAR_KEYWORD for p in parameters.values())
    done_names = sorted(names & {"done", "dones", "is_done", "episode_done"})
    if done_names and "terminated" not in names:
        raise ExerciseFailed(
            f"{NAME}: your function takes `{done_names[0]}`, but the agent calls it with `terminated` — and a "
            "`done` flag (terminated OR truncated) treats a time-limit truncation as a termination. A transition "
            "cut by the 1000-step limit has a future: its target must still bootstrap from Q′(s′, ·). Only a "
            f"true end of the episode stops bootstrapping. Use the signature {_SIGNATURE}.")
    missing = [n for n in _ARGUMENTS if n not in names]
    if missing and not var_keyword:
        raise ExerciseFailed(
            f"{NAME}: the agent calls your function with the keyword arguments {', '.join(_ARGUMENTS)}, but it has "
            f"no parameter named {', '.join(missing)}. Keep the signature {_SIGNATURE}.")
    required = [n for n, p in parameters.items() if n not in _ARGUMENTS and p.default is p.empty
                and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    if "truncated" in required:
        raise ExerciseFailed(
            f"{NAME}: your function needs a `truncated` argument, but the agent never passes one: the replay buffer "
            "stores a time-limit cut with terminated = 0 and its real final observation, so the target bootstraps "
            "there like anywhere else. Only `terminated` matters; remove `truncated`.")
    if required:
        raise ExerciseFailed(
            f"{NAME}: your function needs the argument(s) {', '.join(required)}, which the agent does not pass. "
            f"Keep the signature {_SIGNATURE}.")
    return "truncated" in names


def _inputs(case: _Case, truncated: bool = False) -> dict:
    gamma = case.gamma if isinstance(case.gamma, float) else tf.constant(case.gamma)
    inputs = dict(rewards=tf.constant(case.rewards), terminated=tf.constant(case.terminated),
                  next_q_values=tf.constant(case.next_q_values),
                  next_q_values_online=tf.constant(case.next_q_values_online), gamma=gamma)
    if truncated:
        inputs["truncated"] = tf.constant(case.truncated)
    return inputs


def _run(call, fn: Callable, case: _Case, takes_truncated: bool = False):
    kwargs = _inputs(case, truncated=takes_truncated)
    try:
        return call.compiled(fn, **kwargs) if case.compiled else call(fn, **kwargs)
    except CompileFailed as err:  # the learner's code runs eagerly but not in the compiled step
        raise ExerciseFailed(
            f"{NAME}, case '{case.label}': your function runs eagerly but fails inside the agent's compiled "
            f"learning step with {err.error}: {err.detail}\n"
            "Use TensorFlow ops only (tf.argmax, tf.gather, tf.reduce_max, tf.one_hot …): no .numpy(), "
            "no NumPy functions on tensors and no Python `if` on tensor values."
        ) from None
    except NotImplementedYet:
        raise
    except ExerciseFailed as crash:
        raise ExerciseFailed(str(crash) + _crash_diagnosis(call, fn, case, takes_truncated)) from None


#: A square batch (B = A = 3) whose online argmax over the actions (0, 0, 0) differs from the one
#: over the batch (0, 2, 2): the argmax over the batch axis crashes on any other batch, not on this one.
_SQUARE = _Case(label="B = A = 3", rewards=np.array([1.0, -0.5, 0.25], np.float32), terminated=np.zeros(3, np.float32),
                next_q_values=np.array([[2.0, 5.0, 1.0], [4.0, 0.0, 3.0], [1.0, 3.0, 6.0]], np.float32),
                next_q_values_online=np.array([[9.0, 1.0, 0.0], [8.0, 2.0, 1.0], [7.0, 3.0, 2.0]], np.float32),
                gamma=0.9)

_ACTION_AXIS = ("Take the argmax over the actions, tf.argmax(next_q_values_online, axis=-1) (axis=1 for these [B, A] "
                "tensors): one next-action index per transition, shape [B].")

_BATCH_AXIS_ARGMAX = (
    "\nlikely mistake: the argmax ran over the batch axis (axis=0) instead of the action axis: "
    "tf.argmax(next_q_values_online, axis=0) gives one index per ACTION ([A]: the best transition for each action), "
    "not one next action per transition, so it does not line up with the batch and TensorFlow stops. "
    + _ACTION_AXIS + " (On a batch with B = A, where your function does not crash, it returns exactly the targets "
    "of that mistake.)")

_ONLY_SQUARE = (
    "\nlikely mistake: an index or a reduction runs along the wrong axis. Your function crashes on this batch "
    "(B = {batch} transitions, A = {actions} actions) but runs on one with B = A = 3, so something computed along one "
    "axis is used along the other (a transition's index as an action, or [A] values where [B] belong). The usual cause is the argmax over the batch axis (axis=0), which gives "
    "one index per ACTION ([A]) instead of one per transition. " + _ACTION_AXIS)


def _crash_diagnosis(call, fn: Callable, case: _Case, takes_truncated: bool) -> str:
    """The mistake behind a crash on ``case``, if the function runs on :data:`_SQUARE` (B = A); else "".

    The argmax over the batch axis when the function gives that mistake's targets there; an
    index along the wrong axis, in plain words, when it gives anything else there.
    """
    if case.batch == case.next_q_values.shape[1]:
        return ""  # it crashed on a batch with B = A itself: another B = A batch tells nothing
    try:
        got = to_numpy(call(fn, **_inputs(_SQUARE, truncated=takes_truncated)), NAME)
    except ExerciseFailed:  # it crashes there too, or returns no numbers: not an axis mix-up
        return ""
    c = _SQUARE
    over_batch = np.argmax(c.next_q_values_online, axis=0)
    if close(got, c.r + c.g * c.live * c.next_q_values[np.arange(c.batch), over_batch]):
        return _BATCH_AXIS_ARGMAX
    return _ONLY_SQUARE.format(batch=case.batch, actions=case.next_q_values.shape[1])


# ---------------------------------------------------------------------------------------
# comparing and diagnosing


def _compare(case: _Case, result) -> None:
    where = f"{NAME}, case '{case.label}'"
    batch, actions = case.next_q_values.shape
    got = returned_float32(
        result, where, none="your function returned None — did you forget the `return` statement?",
        dtype="the targets have dtype {dtype}, expected float32 — the agent regresses float32 Q-values on them; keep "
              "the computation in float32 (no tf.float64 casts, no NumPy float64 arrays)",
        numbers="expected a [B] tensor of numbers")
    if got.shape != (batch,):
        raise ExerciseFailed(f"{where}: the targets have shape {list(got.shape)}, expected [B] = [{batch}] — "
                             + _shape_hint(got.shape, batch, actions))
    expected = _reference_targets(**_inputs(case)).numpy().astype(np.float64)
    compare_batch(where, got, expected, on_case(_MISTAKES, case), f"check the formula {_FORMULA}",
                  lambda i: _describe_row(case, i))


def _shape_hint(shape, batch, actions) -> str:
    shape = tuple(shape)
    if shape == ():
        return ("you returned a single number: a reduction (tf.reduce_max / tf.reduce_sum / tf.reduce_mean) "
                "ran over the whole batch; reduce over the action axis only (axis=-1)")
    if shape in ((batch, 1), (1, batch)):
        return "drop the extra axis (keepdims=False, or tf.squeeze(…, axis=-1)): the loss expects one target per transition"
    if shape == (batch, batch):
        return ("[B, B] is what tf.gather(next_q_values, next_actions, axis=1) gives without batch_dims=1: it "
                "takes column a′ᵢ of EVERY row; use tf.gather(next_q_values, next_actions, axis=1, batch_dims=1) "
                "to take one entry per row")
    if shape == (batch, actions):
        return ("[B, A] means a whole row of Q-values per transition was kept: tf.gather(next_q_values, next_actions) "
                "without axis=1 and batch_dims=1 picks ROWS; take one entry per row (tf.gather(…, axis=1, batch_dims=1), "
                "or tf.reduce_sum(next_q_values * tf.one_hot(next_actions, A), axis=-1))")
    if len(shape) == 1 and shape[0] == actions:
        return "a result of length A suggests the argmax or max ran over the batch axis (axis=0) instead of the action axis (axis=-1)"
    return "one target per transition is needed; check the axis of each argmax / max / gather"


#: The usual mistakes, most specific first: message, the targets it gives on a case[, the rows it concerns, their noun].
_MISTAKES = (
    Mistake("selected AND evaluated the next action with the target network: that is the plain DQN target "
            "max_a′ Q′(s′, a′). In Double DQN the ONLINE network selects (argmax over next_q_values_online) "
            "and the TARGET network evaluates (gather from next_q_values)",
            lambda c: c.r + c.g * c.live * c.next_q_values.max(-1)),
    Mistake("selected and evaluated the next action with the online network (max_a′ Q(s′, a′) over "
            "next_q_values_online): the online network must only SELECT; the value comes from the target "
            "network's next_q_values",
            lambda c: c.r + c.g * c.live * c.next_q_values_online.max(-1)),
    Mistake("selection and evaluation are swapped: you took the argmax of the target network (next_q_values) "
            "and read the value from the online network (next_q_values_online). Select with "
            "next_q_values_online, evaluate with next_q_values",
            lambda c: c.r + c.g * c.live * _bootstrap(c.next_q_values, c.next_q_values_online)),
    Mistake("bootstrapped through a terminal transition: where terminated = 1 the episode has ended and the "
            "target is just the reward; multiply the bootstrap term by (1 − terminated)",
            lambda c: c.r + c.g * c.double, lambda c: c.terminated, "terminal"),
    Mistake("used terminated where (1 − terminated) belongs: you bootstrap only from terminal states and "
            "never from the others",
            lambda c: c.r + c.g * (1.0 - c.live) * c.double),
    Mistake("treated truncation as termination: a transition cut by the time limit (truncated = 1, terminated = 0) "
            "still has a future — the lander was flying when the clock ran out — so its target must bootstrap "
            "from Q′(s′, a′). Stop bootstrapping only where terminated = 1 (the agent does not even pass `truncated`)",
            lambda c: c.r + c.g * np.clip(c.live - c.truncated, 0.0, 1.0) * c.double, lambda c: c.truncated,
            "time-limit cut"),
    Mistake("never bootstrapped: y = r everywhere; add γ·(1 − terminated)·Q′(s′, argmax_a′ Q(s′, a′))",
            lambda c: c.r),
    Mistake("forgot the discount γ in front of the bootstrap term", lambda c: c.r + c.live * c.double),
    Mistake("discounted the reward too: y = γ·(r + …); only the bootstrap term is discounted, "
            "y = r + γ·(1 − terminated)·…", lambda c: c.g * (c.r + c.live * c.double)),
    Mistake("left out the reward r", lambda c: c.g * c.live * c.double),
    Mistake("used a fixed γ = 0.99 instead of the gamma argument (the agent passes γ, or γⁿ per transition)",
            lambda c: c.r + 0.99 * c.live * c.double),
    Mistake("used only gamma[0] for every transition: gamma is a [B] tensor (γⁿ can differ per transition); "
            "multiply element-wise", lambda c: c.r + c.g[0] * c.live * c.double if np.ndim(c.gamma) == 1 else None),
)


def _describe_row(case: _Case, i: int) -> str:
    gamma = case.gamma if isinstance(case.gamma, float) else float(case.gamma[i])
    fmt = lambda row: "[" + ", ".join(f"{v:.4g}" for v in row) + "]"  # noqa: E731
    q_online = case.next_q_values_online[i]
    a = int(np.argmax(q_online))
    cut = ", truncated = 1 (time-limit cut: still bootstraps)" if case.truncated[i] > 0.5 else ""
    return (f"inputs of element [{i}]: reward = {case.rewards[i]:.4g}, terminated = {case.terminated[i]:.0f}{cut}, "
            f"γ = {gamma:.4g}, next_q_values (target Q′) = {fmt(case.next_q_values[i])}, "
            f"next_q_values_online (Q) = {fmt(q_online)} → online argmax a′ = {a}, Q′(s′, a′) = {case.next_q_values[i][a]:.4g}")
