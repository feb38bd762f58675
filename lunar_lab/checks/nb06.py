"""Checks for notebook 06, "Soft Q-learning (SQN)".

Two exercises, both run inside the SQN agent's compiled learning step:

``soft_q_targets(rewards, terminated, next_q_values_1, next_q_values_2, temperature, gamma)``
    The soft TD target with the clipped double-Q minimum (SQN preprint, seed 002,
    Algorithm 1 lines 11–12): with Q̃′ = min(Q′₁, Q′₂) and π = softmax(Q̃′/α_H),
    y = r + γ·(1 − terminated)·Σ_a π(a|s′)·(Q̃′(s′, a) − α_H·log π(a|s′)).
    Reference: :func:`lunar_lab.targets.soft_q_targets`.

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

from lunar_lab.checks.core import ExerciseFailed, NotImplementedYet, exercise
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

    Cases: two hand-computed batches (B = 4, A = 3, a terminal transition at index 2; α_H = 0.5
    with γ a float, α_H = 2 with γ a [B] tensor), random batches (α_H from 0.1 to 5, A = 2, 4,
    6, B = 1), Q ≈ ±10⁴ with α_H = 10⁻³ (Q/α_H ≈ 10⁷: a naive exp or log of a zero probability
    gives inf or NaN), and a batch of 64 inside a compiled ``tf.function(jit_compile=True)``
    as in the agent. Expected values come from :func:`lunar_lab.targets.soft_q_targets`.

    Raises:
        ExerciseFailed: which case, which element, expected vs got, the inputs of that element
            and the likely mistake; or a wrong shape / dtype / None / non-finite result.
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
            _compare_soft(case, _run_soft(call, soft_q_targets, case))


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


def _run_soft(call, fn: Callable, case: _SoftCase):
    kwargs = _soft_inputs(case)
    if not case.compiled:
        return call(fn, **kwargs)
    compiled = tf.function(lambda **kw: fn(**kw), jit_compile=True)
    try:
        return call(compiled, **kwargs)
    except NotImplementedYet:
        raise
    except ExerciseFailed as err:
        raise ExerciseFailed(f"{err}\n(case: {case.label}.) Your function runs eagerly but not inside the agent's "
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
    bad = ~_close(got, expected)
    if not bad.any():
        return
    i = int(np.flatnonzero(bad)[0])
    mistake = _diagnose(_soft_wrong_answers(case), got, expected, i)
    if not mistake and case.stability:
        mistake = ("likely mistake: your function loses precision for large Q/α_H; compute log π with "
                   "tf.nn.log_softmax(min Q′ / α_H, axis=-1) and π = tf.exp(log π) (no clipping, no added ε)")
    raise ExerciseFailed(
        f"{where}: element [{i}] is {got[i]:.6g}, expected {expected[i]:.6g}"
        + (f" — {mistake}" if mistake else
           " — check the formula y = r + γ·(1 − terminated)·Σ_a π(a|s′)·(min Q′(s′, a) − α_H·log π(a|s′))")
        + _terminal_note(case.terminated, got, expected, mistake)
        + "\n" + _describe_soft_row(case, i)
    )


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


def _np_soft_value(q: np.ndarray, temperature: float) -> np.ndarray:
    """Σ_a π (q − α log π) with π = softmax(q/α), computed stably in float64: [B]."""
    log_pi = _np_log_softmax(q / temperature)
    return (np.exp(log_pi) * (q - temperature * log_pi)).sum(-1)


def _np_log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(-1, keepdims=True)
    return z - np.log(np.exp(z).sum(-1, keepdims=True))


def _soft_wrong_answers(case: _SoftCase) -> list[tuple[str, np.ndarray]]:
    """(likely mistake, what it would give) for the usual mistakes, most specific first."""
    r = case.rewards.astype(np.float64)
    done = case.terminated.astype(np.float64)
    live = 1.0 - done
    gamma = np.broadcast_to(np.asarray(case.gamma, np.float64), r.shape)
    alpha = float(np.float32(case.temperature))
    q1, q2 = case.next_q_values_1.astype(np.float64), case.next_q_values_2.astype(np.float64)
    q = np.minimum(q1, q2)
    log_pi = _np_log_softmax(q / alpha)
    pi = np.exp(log_pi)
    soft = _np_soft_value(q, alpha)

    def y(value):
        return r + gamma * live * value

    log_pi_plain = _np_log_softmax(q)  # softmax(Q) without the temperature
    log_pi_times = _np_log_softmax(q * alpha)
    log_pi_q1 = _np_log_softmax(q1 / alpha)
    return [
        ("used the hard max: max_a′ min Q′(s′, a′) is the DQN target (the limit α_H → 0); the soft value is the "
         "expectation under π = softmax(min Q′/α_H) of min Q′ − α_H·log π, i.e. the max plus an entropy bonus",
         y(q.max(-1))),
        ("used only next_q_values_1: take the element-wise minimum of the two twins, min Q′ = "
         "tf.minimum(next_q_values_1, next_q_values_2), before the softmax and the soft value", y(_np_soft_value(q1, alpha))),
        ("used only next_q_values_2: take the element-wise minimum of the two twins, min Q′ = "
         "tf.minimum(next_q_values_1, next_q_values_2)", y(_np_soft_value(q2, alpha))),
        ("used the mean of the two twins: averaging keeps part of the maximisation bias (notebook 04) — the clipped "
         "double-Q target uses their element-wise MINIMUM, tf.minimum(next_q_values_1, next_q_values_2)",
         y(_np_soft_value((q1 + q2) / 2, alpha))),
        ("used the element-wise MAXIMUM of the two twins (tf.maximum): that adds to the overestimation; the clipped "
         "double-Q target takes the minimum, tf.minimum(next_q_values_1, next_q_values_2)",
         y(_np_soft_value(np.maximum(q1, q2), alpha))),
        ("took the minimum of the two soft values, min(V₁(s′), V₂(s′)); the reference takes the element-wise minimum "
         "of the Q-values first, min Q′ = tf.minimum(next_q_values_1, next_q_values_2), then ONE softmax and one soft "
         "value of that minimum", y(np.minimum(_np_soft_value(q1, alpha), _np_soft_value(q2, alpha)))),
        ("forgot the −α_H·log π term: Σ_a π(a|s′)·min Q′(s′, a) is the plain expected value under π; the soft value "
         "adds the entropy bonus, Σ_a π·(min Q′ − α_H·log π) = Σ_a π·min Q′ + α_H·H(π)", y((pi * q).sum(-1))),
        ("sign error on the entropy term: you computed Σ_a π·(min Q′ + α_H·log π), which SUBTRACTS α_H·H(π); the "
         "soft value adds the entropy bonus: Σ_a π·(min Q′ − α_H·log π)", y((pi * (q + alpha * log_pi)).sum(-1))),
        ("the entropy term is missing the temperature: use −α_H·log π, not −log π",
         y((pi * (q - log_pi)).sum(-1))),
        ("forgot to divide by the temperature inside the softmax: π = softmax(min Q′ / α_H), not softmax(min Q′)",
         y((np.exp(log_pi_plain) * (q - alpha * log_pi_plain)).sum(-1))),
        ("multiplied by the temperature inside the softmax: π = softmax(min Q′ / α_H), not softmax(min Q′ · α_H)",
         y((np.exp(log_pi_times) * (q - alpha * log_pi_times)).sum(-1))),
        ("computed π from next_q_values_1 alone: the policy inside the target is softmax(min Q′ / α_H) of the SAME "
         "clipped values min Q′ that it weights", y((np.exp(log_pi_q1) * (q - alpha * log_pi_q1)).sum(-1))),
        ("forgot the factor α_H in front of the log-sum-exp: the soft maximum is α_H·logsumexp(min Q′ / α_H)",
         y(soft / alpha)),
        ("bootstrapped through a terminal transition: where terminated = 1 the episode has ended and the target is "
         "just the reward; multiply the bootstrap term by (1 − terminated)", r + gamma * soft),
        ("used terminated where (1 − terminated) belongs: you bootstrap only from terminal states",
         r + gamma * done * soft),
        ("forgot the discount γ in front of the soft value", r + live * soft),
        ("discounted the reward too: y = γ·(r + …); only the bootstrap term is discounted", gamma * (r + live * soft)),
        ("no bootstrap at all: y = r for every transition, as if every transition ended its episode. Only "
         "terminated = 1 stops bootstrapping; a transition cut by the time limit (truncated) is stored with "
         "terminated = 0 and MUST bootstrap from its real next state — treating truncation as termination is this "
         "same mistake for those transitions", r),
        ("left out the reward r", gamma * live * soft),
        ("used a fixed γ = 0.99 instead of the gamma argument", r + 0.99 * live * soft),
    ] + ([("used only gamma[0] for every transition: gamma is a [B] tensor; multiply element-wise",
           r + float(gamma[0]) * live * soft)] if np.ndim(case.gamma) == 1 else [])


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

    if case.compiled:
        compiled = tf.function(lambda lt, lp, h: fn(lt, lp, h), jit_compile=True)
        try:
            loss = call(compiled, log_temperature, log_policy, target)
        except NotImplementedYet:
            raise
        except ExerciseFailed as err:
            raise ExerciseFailed(f"{err}\n(case: {case.label}.) Your function runs eagerly but not inside the agent's "
                                 f"compiled learning step: {_TF_ONLY}") from None
        value = _temperature_value(where, loss, case)
        if not _close(value, ref_value):
            raise ExerciseFailed(f"{where}: the loss is {value:.6g}, expected {ref_value:.6g} — "
                                 + (_diagnose_temperature(case, value) or "check L = log α_H · mean_s(H(π(·|s)) − H̄)")
                                 + "\n" + _describe_temperature_case(case))
        return

    with tf.GradientTape(persistent=True) as tape:
        tape.watch(log_policy)
        loss = call(fn, log_temperature, log_policy, target)
    value = _temperature_value(where, loss, case)
    if not _close(value, ref_value):
        raise ExerciseFailed(f"{where}: the loss is {value:.6g}, expected {ref_value:.6g} — "
                             + (_diagnose_temperature(case, value) or "check L = log α_H · mean_s(H(π(·|s)) − H̄)")
                             + "\n" + _describe_temperature_case(case))
    grad_temperature = tape.gradient(loss, log_temperature) if tf.is_tensor(loss) else None
    grad_policy = tape.gradient(loss, log_policy) if tf.is_tensor(loss) else None
    del tape
    if grad_temperature is None:
        raise ExerciseFailed(
            f"{where}: the value is right, but no gradient reaches log_temperature — the loss must be a TensorFlow "
            "expression of the variable log_temperature (no float(), .numpy() or tf.stop_gradient on it), otherwise "
            "the optimiser cannot move α_H\n" + _describe_temperature_case(case))
    grad_temperature = float(grad_temperature.numpy())
    if not _close(grad_temperature, ref_grad):
        hint = _diagnose_temperature_gradient(case, grad_temperature)
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


def _entropies(case: _TemperatureCase) -> np.ndarray:
    log_pi = case.log_policy.astype(np.float64)
    return -(np.exp(log_pi) * log_pi).sum(-1)


def _temperature_wrong_answers(case: _TemperatureCase) -> list[tuple[str, float]]:
    """(likely mistake, loss value it would give), most specific first."""
    log_pi = case.log_policy.astype(np.float64)
    pi = np.exp(log_pi)
    log_alpha = float(np.float32(case.log_temperature))
    alpha = math.exp(log_alpha)
    target = float(np.float32(case.target_entropy))
    entropy = _entropies(case)
    gap = entropy.mean() - target
    mean_h, batch, actions = entropy.mean(), *case.probs.shape
    direction = "above" if gap > 0 else "below"
    return [
        (f"wrong sign: you computed log α_H · (H̄ − mean H) (or −L). Here the entropy ({mean_h:.4f}) is {direction} the "
         f"target ({target:.4f}), so α_H should {'fall' if gap > 0 else 'rise'}; gradient descent on your loss makes it "
         f"{'rise' if gap > 0 else 'fall'}: α_H moves AWAY from the target and the policy drifts to "
         f"{'uniform' if gap > 0 else 'greedy'}. (Algorithm 1 line 16 of the preprint, read literally, has the same "
         "flipped sign.) Use L = log α_H · mean_s(H(π(·|s)) − H̄)", -log_alpha * gap),
        (_ALPHA_MESSAGE.format(alpha=alpha, log_alpha=log_alpha, gap=gap), alpha * gap),
        ("α_H instead of log α_H AND a flipped sign; use L = log α_H · mean_s(H(π(·|s)) − H̄)", -alpha * gap),
        (f"the entropy was summed over the BATCH instead of over the actions (reduce_sum(…, axis=0)): H(π(·|s)) = "
         f"−Σ_a π(a|s)·log π(a|s) is a sum over the {actions} actions of ONE state (axis=-1); then average over the "
         f"{batch} states", log_alpha * ((-(pi * log_pi).sum(0)).mean() - target)),
        ("the entropy was summed over the batch AND the actions (tf.reduce_sum with no axis): sum −π·log π over the "
         "actions only (axis=-1), then take the MEAN over the states", log_alpha * ((-(pi * log_pi)).sum() - target)),
        ("summed over the batch instead of averaging: L = log α_H · MEAN_s(H(π(·|s)) − H̄) (tf.reduce_mean), so that "
         "the step does not grow with the batch size", log_alpha * (entropy - target).sum()),
        ("the entropy is missing its minus sign: H(π) = −Σ_a π·log π (positive); Σ_a π·log π is its negative",
         log_alpha * (-entropy.mean() - target)),
        ("the entropy is missing the weights π: H(π) = −Σ_a π(a|s)·log π(a|s), not −Σ_a log π(a|s)",
         log_alpha * ((-log_pi.sum(-1)).mean() - target)),
        ("the entropy is missing the weights π: H(π) = −Σ_a π(a|s)·log π(a|s), not −mean_a log π(a|s)",
         log_alpha * ((-log_pi.mean(-1)).mean() - target)),
        ("averaged −π·log π over the actions (tf.reduce_mean) instead of summing: H(π) = −Σ_a π(a|s)·log π(a|s)",
         log_alpha * ((-(pi * log_pi).mean(-1)).mean() - target)),
        ("added the target entropy instead of subtracting it: the gap is mean_s H − H̄",
         log_alpha * (mean_h + target)),
        ("forgot the target entropy H̄: the loss is log α_H · (mean_s H − H̄)", log_alpha * mean_h),
        ("squared the gap: the dual step is linear in log α_H, L = log α_H · (mean_s H − H̄)", log_alpha * gap ** 2),
    ]


_ALPHA_MESSAGE = (
    "used α_H = exp(log α_H) instead of log α_H: L = α_H·(H − H̄) (the preprint's eq. 19 with the expectation "
    "over actions done exactly). Both losses have the same sign and the same fixed point (mean entropy = H̄), but "
    "not the same gradient: ∂(α_H·gap)/∂log α_H = α_H·gap, here {alpha:.4g} × {gap:.4g}, instead of gap — α_H times "
    "the package's, so with plain gradient descent the temperature would move 1/α_H times slower at small α_H (100× "
    "slower at α_H = 0.01; Adam normalises the gradient's scale, which hides much of this in training). The package and the agent use "
    "the log parameterisation (it also keeps α_H > 0): use L = log α_H · mean_s(H(π(·|s)) − H̄) with "
    "log_temperature itself, not tf.exp(log_temperature)"
)


def _diagnose_temperature(case: _TemperatureCase, value: float) -> str:
    _, ref_grad = _reference_value_and_grad(case)
    reference = case.log_temperature * ref_grad
    for msg, wrong in _temperature_wrong_answers(case):
        if not _close(wrong, reference) and _close(value, wrong):
            return f"likely mistake: {msg}"
    return ""


def _diagnose_temperature_gradient(case: _TemperatureCase, grad: float) -> str:
    entropy = _entropies(case)
    gap = entropy.mean() - float(np.float32(case.target_entropy))
    if _close(grad, -gap):
        return "the gradient has the wrong sign: gradient descent would move α_H away from the target"
    if _close(grad, 0.0):
        return "log_temperature receives no gradient: do not wrap it in tf.stop_gradient"
    return "the loss must be linear in log α_H: L = log α_H · mean_s(H(π(·|s)) − H̄)"


def _describe_temperature_case(case: _TemperatureCase) -> str:
    entropy = _entropies(case)
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
    if result is None:
        raise ExerciseFailed(f"{where}: your function returned None — did you forget the `return` statement?")
    dtype = getattr(result, "dtype", None)
    dtype_name = getattr(dtype, "name", str(dtype))
    if dtype is not None and dtype_name != "float32":
        raise ExerciseFailed(f"{where}: {what} dtype is {dtype_name}, expected float32 — keep the computation in "
                             "float32 (no tf.float64 casts, no NumPy float64 arrays)")
    try:
        return np.asarray(result.numpy() if hasattr(result, "numpy") else result, dtype=np.float64)
    except (TypeError, ValueError):
        raise ExerciseFailed(f"{where}: expected a tensor of numbers, got {type(result).__name__}") from None


def _close(a, b):
    return np.isclose(a, b, atol=1e-4, rtol=1e-4)


def _diagnose(answers, got: np.ndarray, expected: np.ndarray, i: int) -> str:
    answers = [(msg, values) for msg, values in answers if not _close(values, expected).all()]
    for msg, values in answers:  # the whole batch matches one mistake
        if _close(got, values).all():
            return f"likely mistake: {msg}"
    for msg, values in answers:  # the first wrong element matches one mistake
        if _close(got[i], values[i]) and not _close(values[i], expected[i]):
            return f"likely mistake (at this element): {msg}"
    return ""


def _terminal_note(terminated: np.ndarray, got, expected, msg: str) -> str:
    if "terminal" not in msg:
        return ""
    idx = [int(j) for j in np.flatnonzero(terminated > 0.5) if not _close(got[j], expected[j])]
    return f" (terminal transition{'s' if len(idx) > 1 else ''} at index {', '.join(map(str, idx))})" if idx else ""


def _fmt(row, digits: int = 4) -> str:
    return "[" + ", ".join(f"{v:.{digits}g}" for v in np.asarray(row, np.float64)) + "]"
