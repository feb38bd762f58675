"""Checks for notebook 06, "Soft Q-learning (SQN)".

Two exercises, both run inside the SQN agent's compiled learning step:

``soft_q_targets(rewards, terminated, next_q_values_1, next_q_values_2, temperature, gamma)``
    The soft TD target with the clipped double-Q minimum, as the package's SQN agent computes
    it: with Q̃′ = min(Q′₁, Q′₂) and π = softmax(Q̃′/α_H),
    y = r + γ·(1 − terminated)·Σ_a π(a|s′)·(Q̃′(s′, a) − α_H·log π(a|s′)).
    Reference: :func:`lunar_lab.targets.soft_q_targets`. It differs from the SQN preprint
    (seed 002, Algorithm 1 lines 11–12) in the policy inside the target: the preprint uses its
    acting policy softmax(Q₁/α_H) (eq. 20) and a sampled next action, this target the
    Boltzmann policy of Q̃′ itself and the exact expectation over the next action, which makes
    V(s′) the soft maximum α_H·logsumexp(Q̃′/α_H). A function that uses the preprint's policy
    (with ``next_q_values_1`` for Q₁) is told what differs, not that it made a mistake.

``temperature_loss(log_temperature, log_policy, target_entropy)``
    The dual step on the temperature (Haarnoja et al. 2018b, eq. 18; seed 002, eq. 19):
    L = log α_H · mean_s(H(π(·|s)) − H̄), the entropy term a constant.
    Reference: :func:`lunar_lab.losses.temperature_loss`.

Each wrong answer is diagnosed by computing what the usual mistakes would give (max instead
of the soft value, one twin only, no −α log π term, a sign error, bootstrapping through a
terminal, overflow for large Q/α; a flipped sign or α instead of log α in the temperature
loss, a gradient into log π, the entropy summed over the batch …) and matching them.

Truncation: ``soft_q_targets`` receives only ``terminated`` (the training loop stores a
time-limit cut with ``terminated = 0`` and its real final observation), so it cannot tell a
truncated transition from any other; the one way to "treat truncation as termination" inside
it is not to bootstrap at all, which the check names. Notebook 06 shows the difference on a
truncated transition with the learner's own function.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import tensorflow as tf

from lunar_lab.checks.compare import (Mistake, close, compare_batch, likely_mistake, mismatches, on_case,
                                      returned_float32)
from lunar_lab.checks.core import CompileFailed, ExerciseFailed, exercise
from lunar_lab.losses import temperature_loss as _reference_temperature_loss
from lunar_lab.targets import soft_q_targets as _reference_soft_q_targets

SOFT_NAME = "soft_q_targets"
TEMPERATURE_NAME = "temperature_loss"

_TF_ONLY = ("use TensorFlow ops only (tf.minimum, tf.nn.log_softmax, tf.exp, tf.reduce_sum …), no .numpy(), "
            "no NumPy functions and no Python `if` on tensor values.")


# =======================================================================================
# exercise 1: soft Q targets


@dataclass
class _SoftCase:
    label: str
    rewards: np.ndarray       # [B] float32
    terminated: np.ndarray    # [B] float32, 0/1
    next_q_values_1: np.ndarray  # [B, A] float32, Q′₁(s′, ·)
    next_q_values_2: np.ndarray  # [B, A] float32, Q′₂(s′, ·)
    temperature: float        # α_H > 0
    gamma: object             # Python float, or [B] float32 array
    temperature_as_tensor: bool = True
    compiled: bool = False
    stability: bool = False

    def __post_init__(self):  # the terms of the target, in float64, for the mistakes' answers
        self.alpha = float(np.float32(self.temperature))
        self.q1, self.q2 = self.next_q_values_1.astype(np.float64), self.next_q_values_2.astype(np.float64)
        self.q = np.minimum(self.q1, self.q2)                        # min Q′, the clipped double-Q values
        self.log_pi = _np_log_softmax(self.q / self.alpha)
        self.soft = _np_soft_value(self.q, self.alpha)                # the right soft value V(s′)
        self.g = np.broadcast_to(np.asarray(self.gamma, np.float64), self.rewards.shape)   # γ per transition

    def y(self, value: np.ndarray, reward: float = 1.0, gamma=None, mask=None) -> np.ndarray:
        """reward·r + γ·mask·value, by default with the case's γ and mask = 1 − terminated."""
        gamma = self.g if gamma is None else gamma
        mask = 1.0 - self.terminated.astype(np.float64) if mask is None else mask
        return reward * self.rewards.astype(np.float64) + gamma * mask * value


def check_soft_q_targets(soft_q_targets: Callable) -> None:
    """Check ``soft_q_targets(rewards, terminated, next_q_values_1, next_q_values_2, temperature, gamma) -> y``.

    Args:
        soft_q_targets: the learner's function, called with keyword arguments as the SQN agent
            does: ``rewards`` [B] float32, ``terminated`` [B] float32 (1.0 where s′ is a true
            terminal state), ``next_q_values_1`` and ``next_q_values_2`` [B, A] float32 (the two
            target networks, Q′₁(s′, ·) and Q′₂(s′, ·)), ``temperature`` α_H > 0 (a scalar
            float32 tensor or a Python float), ``gamma`` a Python float or a [B] float32 tensor.
            It must return y [B] float32 with, for Q̃′ = min(Q′₁, Q′₂) element-wise and
            π = softmax(Q̃′/α_H) over the actions,
            y = r + γ·(1 − terminated)·Σ_a π(a|s′)·(Q̃′(s′, a) − α_H·log π(a|s′)).
            (The preprint's Algorithm 1 puts its acting policy softmax(Q₁/α_H), eq. 20, where
            this π is; the check says so when it meets that policy.)

    Cases: two hand-computed batches (B = 4, A = 3, a terminal transition at index 2; α_H = 0.5
    with γ a float, α_H = 2 with γ a [B] tensor), random batches (α_H from 0.1 to 5, A = 2, 4,
    6, B = 1), Q ≈ ±10⁴ with α_H = 10⁻³ (Q/α_H ≈ 10⁷: a naive exp or log of a zero probability
    gives inf or NaN), and a batch of 64 inside a compiled ``tf.function(jit_compile=True)``
    as in the agent. Expected values come from :func:`lunar_lab.targets.soft_q_targets`.

    Raises:
        ExerciseFailed: which case, which element, expected vs got, the inputs of that element
            and the likely mistake (or, for the preprint's policy softmax(Q′₁/α_H) inside the
            target, how it differs from this one); or a wrong shape / dtype / None / non-finite
            result.
        NotImplementedYet: the placeholder still raises NotImplementedError.

    Sources: SQN preprint (Liu, Gu, Liu & Zhang 2021, seed 002), eq. (12)–(13) and Algorithm 1;
    Haarnoja et al. (2017), "Reinforcement Learning with Deep Energy-Based Policies" (soft
    value); Fujimoto, van Hoof & Meger (2018), TD3 (clipped double-Q).

    Example:
        >>> from lunar_lab.targets import soft_q_targets
        >>> check_soft_q_targets(soft_q_targets)
        ✅ soft_q_targets: passed (8 cases)
    """
    cases = _soft_cases()
    with exercise(SOFT_NAME, passed=f"passed ({len(cases)} cases)") as call:
        for case in cases:
            _compare_soft(case, _run(call, soft_q_targets, case.compiled, case.label, **_soft_inputs(case)))


def _soft_hand_case() -> _SoftCase:
    # Q′₁ and Q′₂ differ in every row and neither is always the smaller one, so the minimum,
    # either twin alone, their mean and their maximum all give different targets.
    return _SoftCase(
        label="hand-computed batch (α_H = 0.5, γ = 0.9, terminal transition at index 2)",
        rewards=np.array([1.0, -0.5, -100.0, 0.25], np.float32),
        terminated=np.array([0.0, 0.0, 1.0, 0.0], np.float32),
        next_q_values_1=np.array([[2.0, 5.0, 1.0], [4.0, 0.0, 3.0], [7.0, 9.0, 8.0], [1.0, 3.0, 6.0]], np.float32),
        next_q_values_2=np.array([[3.0, 4.0, 0.5], [4.5, 1.0, 2.5], [6.0, 9.5, 8.0], [1.5, 2.0, 5.0]], np.float32),
        temperature=0.5,
        gamma=0.9,
        temperature_as_tensor=False,
    )


def _soft_random_case(rng, label, batch, actions, temperature, gamma, scale=3.0, compiled=False) -> _SoftCase:
    terminated = (rng.random(batch) < 0.3).astype(np.float32)
    if batch > 1:  # at least one terminal and one non-terminal transition
        terminated[0], terminated[-1] = 0.0, 1.0
    q1 = rng.normal(0.0, scale, (batch, actions)).astype(np.float32)
    return _SoftCase(
        label=label,
        rewards=rng.normal(0.0, 2.0, batch).astype(np.float32),
        terminated=terminated,
        next_q_values_1=q1,
        next_q_values_2=(q1 + rng.normal(0.0, scale / 2, (batch, actions))).astype(np.float32),
        temperature=temperature,
        gamma=gamma(batch) if callable(gamma) else gamma,
        compiled=compiled,
    )


def _soft_stability_case() -> _SoftCase:
    big = 1e4
    return _SoftCase(
        label="large Q/α_H: Q ≈ ±10⁴ with α_H = 10⁻³ (Q/α_H ≈ 10⁷; γ = 0.99)",
        rewards=np.array([1.0, -2.0, 0.5, 3.0], np.float32),
        terminated=np.array([0.0, 0.0, 0.0, 1.0], np.float32),
        next_q_values_1=np.array([[big, big - 3.0, big + 2.0], [-big, -big - 4.0, -big + 1.0],
                                  [big, -big, 0.0], [big, big, big]], np.float32),
        next_q_values_2=np.array([[big + 1.0, big - 1.0, big + 5.0], [-big + 2.0, -big, -big + 1.0],
                                  [big + 1.0, -big, 1.0], [big, big, big]], np.float32),
        temperature=1e-3,
        gamma=0.99,
        stability=True,
    )


def _soft_cases() -> list[_SoftCase]:
    rng = np.random.default_rng(6)
    hand = _soft_hand_case()
    hand_vector = replace(hand, label="hand-computed batch (α_H = 2 as a scalar tensor, γ as a [B] tensor (0.9, 0.5, 0.9, 0.5))",
                          temperature=2.0, gamma=np.array([0.9, 0.5, 0.9, 0.5], np.float32), temperature_as_tensor=True)
    full_gamma = lambda b: np.full(b, 0.99, np.float32)  # noqa: E731  the agent passes γ per transition
    return [
        hand,
        hand_vector,
        _soft_random_case(rng, "random batch (B = 7, A = 4, α_H = 0.1, γ = 0.99)", 7, 4, 0.1, 0.99),
        _soft_random_case(rng, "random batch (B = 5, A = 2, α_H = 5, γ = 0.5)", 5, 2, 5.0, 0.5),
        _soft_random_case(rng, "random batch (B = 9, A = 6, α_H = 1, γ as a [B] tensor)", 9, 6, 1.0, full_gamma),
        _soft_random_case(rng, "a batch of one transition (B = 1, A = 3, α_H = 0.3, γ = 0.8)", 1, 3, 0.3, 0.8),
        _soft_stability_case(),
        _soft_random_case(rng, "inside a compiled tf.function(jit_compile=True), as in the agent "
                          "(B = 64, A = 4, α_H = 0.05, [B] γ)", 64, 4, 0.05, full_gamma, scale=20.0, compiled=True),
    ]


def _soft_inputs(case: _SoftCase) -> dict:
    gamma = case.gamma if isinstance(case.gamma, float) else tf.constant(case.gamma)
    temperature = tf.constant(case.temperature, tf.float32) if case.temperature_as_tensor else case.temperature
    return dict(rewards=tf.constant(case.rewards), terminated=tf.constant(case.terminated),
                next_q_values_1=tf.constant(case.next_q_values_1), next_q_values_2=tf.constant(case.next_q_values_2),
                temperature=temperature, gamma=gamma)


def _run(call, fn: Callable, compiled: bool, label: str, *args, **kwargs):
    """The learner's function, eagerly or inside the compiled learning step."""
    if not compiled:
        return call(fn, *args, **kwargs)
    try:
        return call.compiled(fn, *args, **kwargs)
    except CompileFailed as err:
        raise ExerciseFailed(f"{err}\n(case: {label}.) Your function runs eagerly but not inside the agent's "
                             f"compiled learning step: {_TF_ONLY}") from None


def _compare_soft(case: _SoftCase, result) -> None:
    where = f"{SOFT_NAME}, case '{case.label}'"
    batch, actions = case.next_q_values_1.shape
    got = _as_float32_array(where, result, "the targets'")
    if got.shape != (batch,):
        raise ExerciseFailed(f"{where}: the targets have shape {list(got.shape)}, expected [B] = [{batch}] — "
                             + _soft_shape_hint(got.shape, batch, actions))
    expected = _reference_soft_q_targets(**_soft_inputs(case)).numpy().astype(np.float64)
    if not np.isfinite(got).all():
        i = int(np.flatnonzero(~np.isfinite(got))[0])
        raise ExerciseFailed(f"{where}: element [{i}] is {got[i]}, expected {expected[i]:.6g} — " + _unstable_hint(case, i, got[i])
                             + "\n" + _describe_soft_row(case, i))
    fallback = ("likely mistake: your function loses precision for large Q/α_H; compute log π with "
                "tf.nn.log_softmax(min Q′ / α_H, axis=-1) and π = tf.exp(log π) (no clipping, no added ε)"
                if case.stability else
                "check the formula y = r + γ·(1 − terminated)·Σ_a π(a|s′)·(min Q′(s′, a) − α_H·log π(a|s′))")
    _name_preprint_policy(where, case, got, expected)
    compare_batch(where, got, expected, on_case(_SOFT_MISTAKES, case), fallback, lambda i: _describe_soft_row(case, i))


def _preprint_policy_targets(case: _SoftCase) -> np.ndarray:
    """The targets with the preprint's policy inside: Σ_a π₁·(min Q′ − α_H·log π₁), π₁ = softmax(Q′₁/α_H): [B]."""
    return case.y(_np_soft_value(case.q, case.alpha, _np_log_softmax(case.q1 / case.alpha)))


def _name_preprint_policy(where: str, case: _SoftCase, got: np.ndarray, expected: np.ndarray) -> None:
    """Raise ExerciseFailed saying what differs when ``got`` is the target with the preprint's policy softmax(Q′₁/α_H).

    That is the SQN preprint's own reading (Algorithm 1 line 11 with the policy of eq. 20), not a
    slip, so the message says how it differs from this exercise's target instead of calling it a mistake.
    """
    preprint = _preprint_policy_targets(case)
    if close(preprint, expected) or not close(got, preprint):
        return
    i = int(np.flatnonzero(mismatches(got, expected))[0])
    log_pi_1 = _np_log_softmax(case.q1[i] / case.alpha)
    kl = float((np.exp(log_pi_1) * (log_pi_1 - case.log_pi[i])).sum())
    raise ExerciseFailed(
        f"{where}: element [{i}] is {got[i]:.6g}, expected {expected[i]:.6g} — what differs: the policy inside the "
        "target. You weighted min Q′ − α_H·log π with π₁ = softmax(next_q_values_1 / α_H), the policy of the SQN "
        "preprint (eq. 20: softmax(Q₁/α_H), the policy SQN acts with, which Algorithm 1 line 11 also puts in the "
        "target; here the target network's Q′₁ stands in for Q₁). This exercise, like the package's SQN agent, uses "
        "π = softmax(min Q′ / α_H), the Boltzmann policy of the same clipped values min Q′ that it weights, so that "
        "V(s′) = α_H·logsumexp(min Q′ / α_H), the soft maximum. With π₁ the soft value is lower by α_H·KL(π₁ ‖ softmax(min Q′ / α_H)) "
        f"(here {case.alpha * kl:.4g}, before the factor γ·(1 − terminated)); the two agree only where "
        "next_q_values_1 and min Q′ differ by the same amount for every action. To match this exercise, compute "
        "log π = tf.nn.log_softmax(min Q′ / α_H, axis=-1) and π = tf.exp(log π)\n" + _describe_soft_row(case, i))


def _soft_shape_hint(shape, batch, actions) -> str:
    shape = tuple(shape)
    if shape == ():
        return ("you returned a single number: a reduction ran over the whole batch; sum over the action axis only "
                "(tf.reduce_sum(…, axis=-1))")
    if shape in ((batch, 1), (1, batch)):
        return "drop the extra axis (keepdims=False, or tf.squeeze(…, axis=-1)): the loss expects one target per transition"
    if shape == (batch, actions):
        return ("[B, A]: the expectation over the next action is missing; the soft value is a SUM over actions, "
                "V(s′) = tf.reduce_sum(π · (min Q′ − α_H·log π), axis=-1)")
    if len(shape) == 1 and shape[0] == actions:
        return "a result of length A suggests a reduction over the batch axis (axis=0) instead of the action axis (axis=-1)"
    return "one target per transition is needed; check the axis of each reduction (axis=-1 is the action axis)"


def _unstable_hint(case: _SoftCase, i: int, value: float) -> str:
    q = np.minimum(case.next_q_values_1[i], case.next_q_values_2[i]).astype(np.float64)
    z = q / case.temperature
    spread = float(z.max() - z.min())
    what = "nan" if np.isnan(value) else "inf"
    scale = ("for large Q/α_H (here Q ≈ ±10⁴ and α_H = 10⁻³, so Q/α_H ≈ ±10⁷)" if case.stability else
             f"(in this row Q/α_H reaches {np.abs(z).max():.4g} and the actions differ by up to {spread:.4g} in Q/α_H)")
    return (f"numerically unstable {scale}: the {what} comes from tf.exp(Q/α_H), which overflows to inf in float32 "
            "beyond Q/α_H ≈ 88, or from tf.math.log(softmax(…)) of an action whose probability underflowed to 0 "
            "(a gap of ≈ 100 in Q/α_H is enough): log 0 = −inf and π·log π = 0·(−inf) = nan. Compute "
            "log π = tf.nn.log_softmax(min Q′ / α_H, axis=-1) and π = tf.exp(log π): every term stays finite")


def _np_soft_value(q: np.ndarray, temperature: float, log_pi: np.ndarray | None = None) -> np.ndarray:
    """Σ_a π (q − α log π) with π = softmax(q/α) (or given as ``log_pi``), computed stably in float64: [B]."""
    log_pi = _np_log_softmax(q / temperature) if log_pi is None else log_pi
    return (np.exp(log_pi) * (q - temperature * log_pi)).sum(-1)


def _np_log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(-1, keepdims=True)
    return z - np.log(np.exp(z).sum(-1, keepdims=True))


#: The usual mistakes, most specific first: message, the targets it gives on a case[, the rows it concerns, their noun].
_SOFT_MISTAKES = (
    Mistake("used the hard max: max_a′ min Q′(s′, a′) is the DQN target (the limit α_H → 0); the soft value is the "
            "expectation under π = softmax(min Q′/α_H) of min Q′ − α_H·log π, i.e. the max plus an entropy bonus",
            lambda c: c.y(c.q.max(-1))),
    Mistake("used only next_q_values_1: take the element-wise minimum of the two twins, min Q′ = "
            "tf.minimum(next_q_values_1, next_q_values_2), before the softmax and the soft value",
            lambda c: c.y(_np_soft_value(c.q1, c.alpha))),
    Mistake("used only next_q_values_2: take the element-wise minimum of the two twins, min Q′ = "
            "tf.minimum(next_q_values_1, next_q_values_2)", lambda c: c.y(_np_soft_value(c.q2, c.alpha))),
    Mistake("used the mean of the two twins: averaging keeps part of the maximisation bias (notebook 04) — the clipped "
            "double-Q target uses their element-wise MINIMUM, tf.minimum(next_q_values_1, next_q_values_2)",
            lambda c: c.y(_np_soft_value((c.q1 + c.q2) / 2, c.alpha))),
    Mistake("used the element-wise MAXIMUM of the two twins (tf.maximum): that adds to the overestimation; the clipped "
            "double-Q target takes the minimum, tf.minimum(next_q_values_1, next_q_values_2)",
            lambda c: c.y(_np_soft_value(np.maximum(c.q1, c.q2), c.alpha))),
    Mistake("took the minimum of the two soft values, min(V₁(s′), V₂(s′)); the reference takes the element-wise "
            "minimum of the Q-values first, min Q′ = tf.minimum(next_q_values_1, next_q_values_2), then ONE softmax "
            "and one soft value of that minimum",
            lambda c: c.y(np.minimum(_np_soft_value(c.q1, c.alpha), _np_soft_value(c.q2, c.alpha)))),
    Mistake("forgot the −α_H·log π term: Σ_a π(a|s′)·min Q′(s′, a) is the plain expected value under π; the soft "
            "value adds the entropy bonus, Σ_a π·(min Q′ − α_H·log π) = Σ_a π·min Q′ + α_H·H(π)",
            lambda c: c.y((np.exp(c.log_pi) * c.q).sum(-1))),
    Mistake("sign error on the entropy term: you computed Σ_a π·(min Q′ + α_H·log π), which SUBTRACTS α_H·H(π); the "
            "soft value adds the entropy bonus: Σ_a π·(min Q′ − α_H·log π)",
            lambda c: c.y(_np_soft_value(c.q, -c.alpha, c.log_pi))),
    Mistake("the entropy term is missing the temperature: use −α_H·log π, not −log π",
            lambda c: c.y(_np_soft_value(c.q, 1.0, c.log_pi))),
    Mistake("forgot to divide by the temperature inside the softmax: π = softmax(min Q′ / α_H), not softmax(min Q′)",
            lambda c: c.y(_np_soft_value(c.q, c.alpha, _np_log_softmax(c.q)))),
    Mistake("multiplied by the temperature inside the softmax: π = softmax(min Q′ / α_H), not softmax(min Q′ · α_H)",
            lambda c: c.y(_np_soft_value(c.q, c.alpha, _np_log_softmax(c.q * c.alpha)))),
    Mistake("forgot the factor α_H in front of the log-sum-exp: the soft maximum is α_H·logsumexp(min Q′ / α_H)",
            lambda c: c.y(c.soft / c.alpha)),
    Mistake("bootstrapped through a terminal transition: where terminated = 1 the episode has ended and the target "
            "is just the reward; multiply the bootstrap term by (1 − terminated)",
            lambda c: c.y(c.soft, mask=1.0), lambda c: c.terminated, "terminal transition"),
    Mistake("used terminated where (1 − terminated) belongs: you bootstrap only from terminal states",
            lambda c: c.y(c.soft, mask=c.terminated), lambda c: c.terminated, "terminal transition"),
    Mistake("forgot the discount γ in front of the soft value", lambda c: c.y(c.soft, gamma=1.0)),
    Mistake("discounted the reward too: y = γ·(r + …); only the bootstrap term is discounted",
            lambda c: c.g * c.y(c.soft, gamma=1.0)),
    Mistake("no bootstrap at all: y = r for every transition, as if every transition ended its episode. Only "
            "terminated = 1 stops bootstrapping; a transition cut by the time limit (truncated) is stored with "
            "terminated = 0 and MUST bootstrap from its real next state — treating truncation as termination is this "
            "same mistake for those transitions", lambda c: c.y(c.soft, mask=0.0)),
    Mistake("left out the reward r", lambda c: c.y(c.soft, reward=0.0)),
    Mistake("used a fixed γ = 0.99 instead of the gamma argument", lambda c: c.y(c.soft, gamma=0.99)),
    Mistake("used only gamma[0] for every transition: gamma is a [B] tensor; multiply element-wise",
            lambda c: c.y(c.soft, gamma=c.g[0]) if np.ndim(c.gamma) == 1 else None),
)


def _describe_soft_row(case: _SoftCase, i: int) -> str:
    gamma = case.gamma if isinstance(case.gamma, float) else float(case.gamma[i])
    alpha = case.temperature
    q1, q2 = case.next_q_values_1[i].astype(np.float64), case.next_q_values_2[i].astype(np.float64)
    q = np.minimum(q1, q2)
    pi = np.exp(_np_log_softmax(q[None] / alpha))[0]
    return (f"inputs of element [{i}]: reward = {case.rewards[i]:.4g}, terminated = {case.terminated[i]:.0f}, "
            f"γ = {gamma:.4g}, α_H = {alpha:.4g}, next_q_values_1 = {_fmt(q1)}, next_q_values_2 = {_fmt(q2)} → "
            f"min Q′ = {_fmt(q)}, π = softmax(min Q′/α_H) = {_fmt(pi, 3)}, "
            f"soft value V(s′) = {_np_soft_value(q[None], alpha)[0]:.6g}")


# =======================================================================================
# exercise 2: temperature loss


@dataclass
class _TemperatureCase:
    label: str
    log_temperature: float     # log α_H
    probs: np.ndarray          # [B, A] π(·|s), rows sum to 1
    target_entropy: float      # H̄ in nats
    target_as_tensor: bool = False
    compiled: bool = False

    @property
    def log_policy(self) -> np.ndarray:
        return np.log(self.probs).astype(np.float32)

    def __post_init__(self):  # the terms of the loss, in float64 from the float32 inputs, for the mistakes' answers
        self.log_pi = self.log_policy.astype(np.float64)
        self.log_alpha, self.target = float(np.float32(self.log_temperature)), float(np.float32(self.target_entropy))
        self.entropy = -(np.exp(self.log_pi) * self.log_pi).sum(-1)   # H(π(·|s)) per state, [B]
        self.gap = self.entropy.mean() - self.target                   # mean_s H − H̄, the right ∂L/∂log α_H

    def loss(self, entropy) -> float:
        """log α_H · (entropy − H̄), for a (wrong) entropy term."""
        return self.log_alpha * (entropy - self.target)


def check_temperature_loss(temperature_loss: Callable) -> None:
    """Check ``temperature_loss(log_temperature, log_policy, target_entropy) -> L``.

    Args:
        temperature_loss: the learner's function, called as the SQN agent does (positionally):
            ``log_temperature`` a scalar float32 ``tf.Variable`` (log α_H), ``log_policy`` [B, A]
            float32 (log π(·|s) at the batch states), ``target_entropy`` H̄ in nats (a Python
            float; in one case a scalar tensor). It must return a scalar float32
            L = log α_H · mean_s(H(π(·|s)) − H̄) with H(π(·|s)) = −Σ_a π(a|s)·log π(a|s), the
            entropy term a constant (``tf.stop_gradient``): ∂L/∂log α_H = mean_s H − H̄ and no
            gradient into ``log_policy``.

    Cases: three hand-made batches (entropy above the target, below it, a mix; B = 3, A = 4),
    random batches (A = 4 and 6, H̄ as a tensor), and a batch of 64 inside a compiled
    ``tf.function(jit_compile=True)``. In each eager case the check compares the value of L,
    its gradient with respect to log α_H and its gradient with respect to log π with those of
    :func:`lunar_lab.losses.temperature_loss`.

    Raises:
        ExerciseFailed: which case, expected vs got (value or gradient), the mean entropy and
            the target, how α_H would move, and the likely mistake; or a wrong shape / dtype.
        NotImplementedYet: the placeholder still raises NotImplementedError.

    Sources: Haarnoja et al. (2018b), "Soft Actor-Critic Algorithms and Applications", §5 and
    eq. (18); SQN preprint (seed 002), eq. (19) and Algorithm 1 line 16.

    Example:
        >>> from lunar_lab.losses import temperature_loss
        >>> check_temperature_loss(temperature_loss)
        ✅ temperature_loss: passed (6 cases)
    """
    cases = _temperature_cases()
    with exercise(TEMPERATURE_NAME, passed=f"passed ({len(cases)} cases)") as call:
        for case in cases:
            _check_temperature_case(call, temperature_loss, case)


def _softmax(logits: np.ndarray) -> np.ndarray:
    return np.exp(_np_log_softmax(logits))


def _temperature_cases() -> list[_TemperatureCase]:
    rng = np.random.default_rng(60)
    log4 = math.log(4.0)
    return [
        _TemperatureCase("hand-made batch, entropy ABOVE the target (α_H = 0.05, H̄ = 0.15·log 4)", math.log(0.05),
                         np.array([[0.97, 0.01, 0.01, 0.01], [0.25, 0.25, 0.25, 0.25], [0.5, 0.3, 0.15, 0.05]]),
                         0.15 * log4),
        _TemperatureCase("hand-made batch, entropy BELOW the target (α_H = 0.2, H̄ = 0.5)", math.log(0.2),
                         np.array([[0.97, 0.01, 0.01, 0.01], [0.02, 0.94, 0.02, 0.02], [0.05, 0.05, 0.1, 0.8]]), 0.5),
        _TemperatureCase("hand-made batch (α_H = 3, H̄ = 1.0)", math.log(3.0),
                         np.array([[0.7, 0.1, 0.1, 0.1], [0.4, 0.4, 0.1, 0.1], [0.85, 0.05, 0.05, 0.05]]), 1.0),
        _TemperatureCase("random batch (B = 8, A = 4, α_H = 0.01)", math.log(0.01),
                         _softmax(rng.normal(0.0, 2.0, (8, 4))), 0.3),
        _TemperatureCase("random batch (B = 5, A = 6, α_H = 0.5, H̄ as a scalar tensor)", math.log(0.5),
                         _softmax(rng.normal(0.0, 1.0, (5, 6))), 1.2, target_as_tensor=True),
        _TemperatureCase("inside a compiled tf.function(jit_compile=True), as in the agent (B = 64, A = 4, α_H = 0.1)",
                         math.log(0.1), _softmax(rng.normal(0.0, 3.0, (64, 4))), 0.15 * log4, compiled=True),
    ]


def _check_temperature_case(call, fn: Callable, case: _TemperatureCase) -> None:
    where = f"{TEMPERATURE_NAME}, case '{case.label}'"
    log_temperature = tf.Variable(case.log_temperature, dtype=tf.float32, name="log_temperature")
    log_policy = tf.constant(case.log_policy)
    target = tf.constant(case.target_entropy, tf.float32) if case.target_as_tensor else float(case.target_entropy)
    ref_value, ref_grad = _reference_value_and_grad(case)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(log_policy)
        loss = _run(call, fn, case.compiled, case.label, log_temperature, log_policy, target)
    value = _temperature_value(where, loss, case)
    if not close(value, ref_value):
        found = likely_mistake(on_case(_TEMPERATURE_MISTAKES, case), value, ref_value)
        raise ExerciseFailed(f"{where}: the loss is {value:.6g}, expected {ref_value:.6g} — "
                             + (f"likely mistake: {found[0].message}" if found else
                                "check L = log α_H · mean_s(H(π(·|s)) − H̄)")
                             + "\n" + _describe_temperature_case(case))
    if case.compiled:  # gradients are checked eagerly
        return
    grad_temperature = tape.gradient(loss, log_temperature) if tf.is_tensor(loss) else None
    grad_policy = tape.gradient(loss, log_policy) if tf.is_tensor(loss) else None
    del tape
    if grad_temperature is None:
        raise ExerciseFailed(
            f"{where}: the value is right, but no gradient reaches log_temperature — the loss must be a TensorFlow "
            "expression of the variable log_temperature (no float(), .numpy() or tf.stop_gradient on it), otherwise "
            "the optimiser cannot move α_H\n" + _describe_temperature_case(case))
    grad_temperature = float(grad_temperature.numpy())
    if not close(grad_temperature, ref_grad):
        found = likely_mistake(on_case(_GRADIENT_MISTAKES, case), grad_temperature, ref_grad)
        hint = found[0].message if found else "the loss must be linear in log α_H: L = log α_H · mean_s(H(π(·|s)) − H̄)"
        raise ExerciseFailed(f"{where}: the value is right, but ∂L/∂log α_H is {grad_temperature:.6g}, expected "
                             f"{ref_grad:.6g} (= mean_s H − H̄) — {hint}\n" + _describe_temperature_case(case))
    if grad_policy is not None and np.any(np.abs(grad_policy.numpy()) > 1e-7):
        g = np.asarray(grad_policy.numpy(), np.float64)
        idx = tuple(int(k) for k in np.argwhere(np.abs(g) > 1e-7)[0])
        raise ExerciseFailed(
            f"{where}: value and ∂L/∂log α_H are right, but a gradient flows into log_policy (∂L/∂log π{list(idx)} = "
            f"{g[idx]:.4g}, expected 0) — wrap the entropy term in tf.stop_gradient: this loss must move only the "
            "temperature. (The SQN agent computes log_policy outside the Q-networks' tape, so training would not change "
            "here; but where log π comes from a network being trained, as in SAC, this gradient would move that "
            "network too: descending log α_H·H(π) in π changes the entropy in a direction set by the sign of "
            "log α_H — more random whenever α_H < 1 — whatever the target H̄.)\n"
            + _describe_temperature_case(case))


def _temperature_value(where: str, loss, case: _TemperatureCase) -> float:
    got = _as_float32_array(where, loss, "the loss's")
    batch, actions = case.probs.shape
    if got.shape != ():
        shape = tuple(got.shape)
        if shape == (batch,):
            hint = ("one value per state: average over the batch (tf.reduce_mean) to get the scalar "
                    "log α_H · mean_s(H(π(·|s)) − H̄)")
        elif shape == (actions,):
            hint = ("one value per ACTION: the entropy of π(·|s) sums over the actions of one state (axis=-1), "
                    "then the loss averages over the states")
        elif shape == (batch, actions):
            hint = "[B, A]: sum −π·log π over the actions (axis=-1) and average over the batch"
        else:
            hint = "the loss must be a single number"
        raise ExerciseFailed(f"{where}: the loss has shape {list(shape)}, expected a scalar [] — {hint}")
    value = float(got)
    if not math.isfinite(value):
        raise ExerciseFailed(f"{where}: the loss is {value}, not a finite number — take the entropy from log_policy "
                             "as −Σ_a exp(log π)·log π (log_policy is already a log; do not take its log again)\n"
                             + _describe_temperature_case(case))
    return value


def _reference_value_and_grad(case: _TemperatureCase) -> tuple[float, float]:
    log_temperature = tf.Variable(case.log_temperature, dtype=tf.float32)
    with tf.GradientTape() as tape:
        loss = _reference_temperature_loss(log_temperature, tf.constant(case.log_policy), case.target_entropy)
    return float(loss), float(tape.gradient(loss, log_temperature))


def _wrong_sign(c: _TemperatureCase) -> str:
    falls = c.gap > 0
    return (f"wrong sign: you computed log α_H · (H̄ − mean H) (or −L). Here the entropy ({c.entropy.mean():.4f}) is "
            f"{'above' if falls else 'below'} the target ({c.target:.4f}), so α_H should {'fall' if falls else 'rise'}; "
            f"gradient descent on your loss makes it {'rise' if falls else 'fall'}: α_H moves AWAY from the target and "
            f"the policy drifts to {'uniform' if falls else 'greedy'}. (Algorithm 1 line 16 of the preprint, read "
            "literally, has the same flipped sign.) Use L = log α_H · mean_s(H(π(·|s)) − H̄)")


_ALPHA_MESSAGE = (
    "used α_H = exp(log α_H) instead of log α_H: L = α_H·(H − H̄) (the preprint's eq. 19 with the expectation "
    "over actions done exactly). Both losses have the same sign and the same fixed point (mean entropy = H̄), but "
    "not the same gradient: ∂(α_H·gap)/∂log α_H = α_H·gap, here {alpha:.4g} × {gap:.4g}, instead of gap — α_H times "
    "the package's, so with plain gradient descent the temperature would move 1/α_H times slower at small α_H (100× "
    "slower at α_H = 0.01; Adam normalises the gradient's scale, which hides much of this in training). The package and the agent use "
    "the log parameterisation (it also keeps α_H > 0): use L = log α_H · mean_s(H(π(·|s)) − H̄) with "
    "log_temperature itself, not tf.exp(log_temperature)"
)

#: The usual mistakes, most specific first: message, the loss it gives on a case.
_TEMPERATURE_MISTAKES = (
    Mistake(_wrong_sign, lambda c: -c.log_alpha * c.gap),
    Mistake(lambda c: _ALPHA_MESSAGE.format(alpha=math.exp(c.log_alpha), gap=c.gap),
            lambda c: math.exp(c.log_alpha) * c.gap),
    Mistake("α_H instead of log α_H AND a flipped sign; use L = log α_H · mean_s(H(π(·|s)) − H̄)",
            lambda c: -math.exp(c.log_alpha) * c.gap),
    Mistake(lambda c: f"the entropy was summed over the BATCH instead of over the actions (reduce_sum(…, axis=0)): "
                      f"H(π(·|s)) = −Σ_a π(a|s)·log π(a|s) is a sum over the {c.probs.shape[1]} actions of ONE state "
                      f"(axis=-1); then average over the {c.probs.shape[0]} states",
            lambda c: c.loss((-(np.exp(c.log_pi) * c.log_pi).sum(0)).mean())),
    Mistake("the entropy was summed over the batch AND the actions (tf.reduce_sum with no axis): sum −π·log π over the "
            "actions only (axis=-1), then take the MEAN over the states",
            lambda c: c.loss((-(np.exp(c.log_pi) * c.log_pi)).sum())),
    Mistake("summed over the batch instead of averaging: L = log α_H · MEAN_s(H(π(·|s)) − H̄) (tf.reduce_mean), so "
            "that the step does not grow with the batch size", lambda c: c.loss(c.entropy).sum()),
    Mistake("the entropy is missing its minus sign: H(π) = −Σ_a π·log π (positive); Σ_a π·log π is its negative",
            lambda c: c.loss(-c.entropy.mean())),
    Mistake("the entropy is missing the weights π: H(π) = −Σ_a π(a|s)·log π(a|s), not −Σ_a log π(a|s)",
            lambda c: c.loss((-c.log_pi.sum(-1)).mean())),
    Mistake("the entropy is missing the weights π: H(π) = −Σ_a π(a|s)·log π(a|s), not −mean_a log π(a|s)",
            lambda c: c.loss((-c.log_pi.mean(-1)).mean())),
    Mistake("averaged −π·log π over the actions (tf.reduce_mean) instead of summing: H(π) = −Σ_a π(a|s)·log π(a|s)",
            lambda c: c.loss((-(np.exp(c.log_pi) * c.log_pi).mean(-1)).mean())),
    Mistake("added the target entropy instead of subtracting it: the gap is mean_s H − H̄",
            lambda c: c.log_alpha * (c.entropy.mean() + c.target)),
    Mistake("forgot the target entropy H̄: the loss is log α_H · (mean_s H − H̄)",
            lambda c: c.log_alpha * c.entropy.mean()),
    Mistake("squared the gap: the dual step is linear in log α_H, L = log α_H · (mean_s H − H̄)",
            lambda c: c.log_alpha * c.gap ** 2),
)

#: The usual mistakes in ∂L/∂log α_H of a loss with the right value: message, the gradient it gives.
_GRADIENT_MISTAKES = (
    Mistake("the gradient has the wrong sign: gradient descent would move α_H away from the target", lambda c: -c.gap),
    Mistake("log_temperature receives no gradient: do not wrap it in tf.stop_gradient", 0.0),
)


def _describe_temperature_case(case: _TemperatureCase) -> str:
    entropy = case.entropy
    gap = entropy.mean() - case.target_entropy
    alpha = math.exp(case.log_temperature)
    step = 0.1
    new_alpha = math.exp(case.log_temperature - step * gap)
    rows = "; ".join(_fmt(row, 3) for row in case.probs[:3]) + (" …" if len(case.probs) > 3 else "")
    return (f"inputs: log_temperature = {case.log_temperature:.4g} (α_H = {alpha:.4g}), π(·|s) = {rows}, "
            f"H(π(·|s)) = {_fmt(entropy[:3], 4)}{' …' if len(entropy) > 3 else ''}, mean entropy = {entropy.mean():.4f}, "
            f"target H̄ = {case.target_entropy:.4f} → expected L = {case.log_temperature * gap:.6g}, ∂L/∂log α_H = "
            f"{gap:.6g}; one gradient-descent step of size {step} moves α_H from {alpha:.4g} to {new_alpha:.4g} "
            f"({'down: too random' if gap > 0 else 'up: too greedy'})")


# =======================================================================================
# shared helpers


def _as_float32_array(where: str, result, what: str) -> np.ndarray:
    return returned_float32(result, where, none="your function returned None — did you forget the `return` statement?",
                            dtype=f"{what} dtype is {{dtype}}, expected float32 — keep the computation in float32 "
                                  "(no tf.float64 casts, no NumPy float64 arrays)")


def _fmt(row, digits: int = 4) -> str:
    return "[" + ", ".join(f"{v:.{digits}g}" for v in np.asarray(row, np.float64)) + "]"
