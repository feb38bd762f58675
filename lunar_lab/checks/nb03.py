"""Checks for notebook 03, "Hard vs soft target updates".

The learner writes ``soft_update(target, online, tau)`` and ``hard_update(target, online)``
on lists of variables, as in :mod:`lunar_lab.updates` (the reference). Both run inside the
agent's compiled learning step, so they must change the target variables *in place* with
``Variable.assign``; the checks run them eagerly and inside a compiled ``tf.function``.

Each check recognises the usual mistakes by computing what they would give:

- τ mixing the wrong way round (τ weighting the *target* network),
- returning the new values instead of assigning them,
- aliasing: putting the online variable objects into the target list instead of copying values,
- updating only the first variable,
- a hard update that copies target → online,
- ignoring τ, dropping the (1 − τ)·θ′ term, or changing the online network,
- assigning a value of the wrong shape (reduced, reshaped, transposed, or from the wrong pair).

Sources: hard update, Mnih et al. (2015), "Human-level control through deep reinforcement
learning", Nature 518; soft (Polyak) update, Lillicrap et al. (2016), "Continuous control with
deep reinforcement learning", ICLR, arXiv:1509.02971.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import NamedTuple

import keras
import numpy as np
import tensorflow as tf

from lunar_lab import updates
from lunar_lab.checks.compare import Mistake, close, expect_close, likely_mistake, on_case, to_numpy
from lunar_lab.checks.core import CompileFailed, ExerciseFailed, exercise

#: The variable shapes of a tiny Q-network (8 → 16 → 4): kernel, bias, kernel, bias.
_NETWORK_SHAPES = ((8, 16), (16,), (16, 4), (4,))


def check_soft_update(soft_update: Callable) -> None:
    """Check ``soft_update(target, online, tau)``: θ′ ← τ·θ + (1 − τ)·θ′ in place, for every variable.

    Args:
        soft_update: the learner's function. It gets two lists of ``keras.Variable`` of equal
            shapes (float32; scalars, vectors [n] and matrices [m, n]) and a Python float τ in
            (0, 1], must ``assign`` the new values into the target variables and leave the
            online ones unchanged. Its return value is ignored.

    Cases: a hand-computed pair (τ = 0.25), τ = 1 (a hard copy), two soft updates in a row,
    the variables of a tiny Q-network with τ ∈ {0.005, 0.3}, and the same inside a compiled
    ``tf.function(jit_compile=True)`` like the agent's learning step. Expected values come
    from :func:`lunar_lab.updates.soft_update`.

    Raises:
        ExerciseFailed: which case, which variable and element, expected vs got, likely mistake.
        NotImplementedYet: the placeholder still raises NotImplementedError.
    """
    name = "soft_update"
    with exercise(name, passed="passed (6 cases)") as call:
        # 1. hand-computed: 0.25·online + 0.75·target
        target = [[10.0, 0.0], [[1.0, 2.0], [3.0, 4.0]], 8.0]
        online = [[0.0, 10.0], [[5.0, 6.0], [7.0, 8.0]], 4.0]
        _run_soft(call, soft_update, "hand-computed case (τ = 0.25)", target, online, 0.25,
                  expected=[[7.5, 2.5], [[2.0, 3.0], [4.0, 5.0]], 7.0])
        # 2. τ = 1 is a hard copy
        _run_soft(call, soft_update, "τ = 1 (must copy the online weights)", [[1.0, -1.0], 2.0], [[3.0, 5.0], -4.0], 1.0,
                  expected=[[3.0, 5.0], -4.0])
        # 3. two updates in a row: (1 − τ)² of the old target remains
        _run_soft(call, soft_update, "two soft updates in a row (τ = 0.2)", [[10.0, 0.0]], [[0.0, 10.0]], 0.2,
                  expected=[[6.4, 3.6]], repeats=2)
        # 4-5. a tiny Q-network's variables, random values
        rng = np.random.default_rng(3)
        for tau in (0.005, 0.3):
            target, online = _random_network(rng), _random_network(rng)
            _run_soft(call, soft_update, f"Q-network variables (4 variables, τ = {tau})", target, online, tau)
        # 6. inside a compiled learning step
        target, online = _random_network(rng), _random_network(rng)
        _run_soft(call, soft_update, "inside a compiled tf.function (τ = 0.005)", target, online, 0.005, compiled=True)


def check_hard_update(hard_update: Callable) -> None:
    """Check ``hard_update(target, online)``: θ′ ← θ in place, for every variable (copies, not aliases).

    Args:
        hard_update: the learner's function. It gets two lists of ``keras.Variable`` of equal
            shapes (float32) and must ``assign`` the online values into the target variables,
            leaving the online ones unchanged. Its return value is ignored.

    Cases: a hand-computed pair, the variables of a tiny Q-network, a check that the target
    holds a copy (changing the online network afterwards must not change it), and the same
    inside a compiled ``tf.function(jit_compile=True)``. Expected values come from
    :func:`lunar_lab.updates.hard_update`.

    Raises:
        ExerciseFailed: which case, which variable and element, expected vs got, likely mistake.
        NotImplementedYet: the placeholder still raises NotImplementedError.
    """
    name = "hard_update"
    with exercise(name, passed="passed (4 cases)") as call:
        _run_hard(call, hard_update, "hand-computed case", [[0.0, 0.0], [[1.0, 1.0]], 0.0],
                  [[3.0, 4.0], [[5.0, 6.0]], 7.0], expected=[[3.0, 4.0], [[5.0, 6.0]], 7.0])
        rng = np.random.default_rng(5)
        _run_hard(call, hard_update, "Q-network variables (4 variables)", _random_network(rng), _random_network(rng))
        _run_hard(call, hard_update, "copy, not alias (the online network changes afterwards)",
                  _random_network(rng), _random_network(rng), change_online_after=True)
        _run_hard(call, hard_update, "inside a compiled tf.function", _random_network(rng), _random_network(rng),
                  compiled=True)


# ---------------------------------------------------------------------------------------------
# running one case


def _random_network(rng) -> list[np.ndarray]:
    return [rng.normal(size=shape).astype(np.float32) for shape in _NETWORK_SHAPES]


def _variables(values) -> list:
    return [keras.Variable(np.asarray(v, np.float32)) for v in values]


def _values(variables) -> list[np.ndarray]:
    return [np.asarray(v.numpy(), np.float64) for v in variables]


_SHAPES = re.compile(r"variable\.shape=(\([^)]*\)), Received: value\.shape=(\([^)]*\))")
_TF_SHAPES = re.compile(r"variable shape (\([^)]*\)), and the assigned value shape (\([^)]*\))")


def _shape_mistake(case: str, err: Exception) -> ExerciseFailed | None:
    """An ExerciseFailed naming the shape mistake, if ``err`` is an assign of the wrong shape."""
    text = str(err)
    match = _SHAPES.search(text) or _TF_SHAPES.search(text)
    if match is None:
        if "shape" in text.lower() and ("incompatible" in text.lower() or "must match" in text.lower()):
            return ExerciseFailed(f"{case}: you assigned a value whose shape differs from the target variable's — "
                                  "the new value of each target variable must have that variable's own shape: "
                                  "combine each (target, online) pair element-wise")
        return None
    var_shape, value_shape = (tuple(int(d) for d in m.strip("()").split(",") if d.strip()) for m in match.groups())
    size = lambda shape: int(np.prod(shape)) if shape else 1  # noqa: E731
    if value_shape == () and var_shape != ():
        why = "you reduced it to a single number (tf.reduce_mean / tf.reduce_sum / a norm?): keep it element-wise"
    elif len(value_shape) != len(var_shape) and tuple(d for d in value_shape if d != 1) == tuple(
            d for d in var_shape if d != 1):
        why = "you added or removed a dimension of size 1 (o[None], tf.expand_dims, tf.squeeze, tf.stack?)"
    elif size(value_shape) == size(var_shape):
        why = "you reshaped, flattened or transposed it (tf.reshape, tf.transpose, .T?)"
    else:
        why = ("it comes from a variable of another shape: pair the variables by position, "
               "for t, o in zip(target, online) (not reversed, sorted or concatenated)")
    return ExerciseFailed(f"{case}: you assigned a value of shape {list(value_shape)} to a target variable of shape "
                          f"{list(var_shape)} — {why}; each target variable's new value has that variable's own shape")


def _shape_checked(fn, case: str):
    """``fn`` with assign-shape errors turned into an ExerciseFailed naming the mistake."""
    def wrapped(*args):
        try:
            return fn(*args)
        except (ValueError, tf.errors.InvalidArgumentError) as err:
            failure = _shape_mistake(case, err)
            if failure is None:
                raise
            raise failure from None
    return wrapped


def _call(call, fn, args, case: str, compiled: bool):
    """Run the learner's function eagerly, returning its result, or inside a compiled tf.function, returning
    None (the agent's learning step ignores the result)."""
    checked = _shape_checked(fn, case)
    if not compiled:
        return call(checked, *args)

    def step(*variables):
        checked(*variables)

    try:
        call.compiled(step, *args)
    except CompileFailed as err:  # works eagerly, fails when traced: NumPy/.numpy()/Python control flow
        raise ExerciseFailed(
            f"{case}: your function works eagerly but fails inside the compiled learning step "
            f"({err.error}: {err.detail}) — it runs inside tf.function, so use only TensorFlow "
            "operations and Variable.assign: no .numpy(), no np.* on the variables, no Python float() of a tensor"
        ) from None
    return None


class _Pair(NamedTuple):
    """The values of the target and online variables before one soft update with ``tau``."""

    target: list[np.ndarray]
    online: list[np.ndarray]
    tau: float

    def mix(self, online_weight: float, target_weight: float) -> list[np.ndarray]:
        return [online_weight * o + target_weight * t for t, o in zip(self.target, self.online)]


#: The usual mistakes of a soft update: message, the target values it gives (functions of the case's :class:`_Pair`).
_SOFT_MISTAKES = (
    Mistake("soft update mixed the wrong way round: τ weights the ONLINE network, θ′ ← τ·θ + (1 − τ)·θ′; "
            "you computed (1 − τ)·θ + τ·θ′ (τ on the target)", lambda p: p.mix(1 - p.tau, p.tau)),
    Mistake("you copied the online weights and ignored τ — that is the hard update; the soft update keeps "
            "(1 − τ) of the old target: θ′ ← τ·θ + (1 − τ)·θ′", lambda p: p.mix(1.0, 0.0)),
    Mistake("the (1 − τ)·θ′ term is missing: you assigned τ·θ only; the old target must keep weight (1 − τ)",
            lambda p: p.mix(p.tau, 0.0)),
    Mistake("the old target is not scaled: you computed τ·θ + θ′; it must be τ·θ + (1 − τ)·θ′",
            lambda p: p.mix(p.tau, 1.0)),
)


def _run_soft(call, fn, case, target, online, tau, expected=None, repeats=1, compiled=False):
    target_np = [np.asarray(t, np.float64) for t in target]
    online_np = [np.asarray(o, np.float64) for o in online]
    if expected is None:  # the package's reference, on separate variables
        ref_t, ref_o = _variables(target), _variables(online)
        for _ in range(repeats):
            updates.soft_update(ref_t, ref_o, tau)
        expected = _values(ref_t)
    expected = [np.asarray(e, np.float64) for e in expected]
    target_vars, online_vars = _variables(target), _variables(online)
    target_list = list(target_vars)  # the learner gets this list; we keep our own references
    returned = None
    for _ in range(repeats):
        returned = _call(call, fn, (target_list, online_vars, tau), f"soft_update, {case}", compiled)
    _check_list_identity("soft_update", case, target_list, target_vars, online_vars)
    got, online_after = _values(target_vars), _values(online_vars)
    label = f"soft_update, {case}"
    if not close(online_after, online_np):
        swapped = _Pair(online_np, target_np, tau).mix(tau, 1 - tau)  # the online network moved towards the target
        if repeats == 1 and close(online_after, swapped):
            raise ExerciseFailed(f"{label}: you updated the online network instead of the target — the target "
                                 "variables (first argument) move towards the online ones: "
                                 "target.assign(tau * online + (1 - tau) * target)")
        raise ExerciseFailed(f"{label}: the online network changed — a soft update only assigns to the target "
                             "variables (the first argument); the online ones are read, never written")
    if close(got, target_np) and not close(expected, target_np):
        _unchanged(label, returned, expected, fn_kind="soft")
    if repeats == 1:
        _diagnose(label, got, expected, target_np, on_case(_SOFT_MISTAKES, _Pair(target_np, online_np, tau)))
    _compare(label, got, expected, "θ′ ← τ·θ + (1 − τ)·θ′ for every variable, with τ weighting the online network")


def _run_hard(call, fn, case, target, online, expected=None, compiled=False, change_online_after=False):
    target_np = [np.asarray(t, np.float64) for t in target]
    online_np = [np.asarray(o, np.float64) for o in online]
    expected = online_np if expected is None else [np.asarray(e, np.float64) for e in expected]
    target_vars, online_vars = _variables(target), _variables(online)
    target_list = list(target_vars)
    returned = _call(call, fn, (target_list, online_vars), f"hard_update, {case}", compiled)
    _check_list_identity("hard_update", case, target_list, target_vars, online_vars)
    got, online_after = _values(target_vars), _values(online_vars)
    label = f"hard_update, {case}"
    if not close(online_after, online_np):
        if close(online_after, target_np):
            raise ExerciseFailed(f"{label}: you copied the wrong way, target → online (the online network now holds "
                                 "the old target weights) — hard_update copies online → target, θ′ ← θ: "
                                 "target_variable.assign(online_variable)")
        raise ExerciseFailed(f"{label}: the online network changed — a hard update only assigns to the target "
                             "variables (the first argument); the online ones are read, never written")
    if close(got, target_np):
        _unchanged(label, returned, expected, fn_kind="hard")
    _diagnose(label, got, expected, target_np, [])
    _compare(label, got, expected, "θ′ ← θ: assign each online variable's values into its target variable")
    if change_online_after:
        for o in online_vars:
            o.assign(o + 1.0)
        if not close(_values(target_vars), expected):
            raise ExerciseFailed(f"{label}: the target changed when the online network changed afterwards — it is an "
                                 "alias, not a copy; copy the values with target_variable.assign(online_variable)")


def _check_list_identity(fn_name, case, target_list, target_vars, online_vars) -> None:
    """The learner must change the variables, not the list that holds them."""
    for i, (now, original) in enumerate(zip(target_list, target_vars)):
        if now is original:
            continue
        if any(now is o for o in online_vars):
            raise ExerciseFailed(
                f"{fn_name}, {case}: variable {i} of the target list is now the online variable object itself "
                "(aliasing: target[i] = online[i] or target[:] = online) — the target network still holds its old "
                "weights, and the agent's compiled step keeps its own references to them; copy the VALUES with "
                "target[i].assign(online[i])")
        raise ExerciseFailed(
            f"{fn_name}, {case}: variable {i} of the target list was replaced by a new object — the target "
            "network's own variables were not changed (the agent keeps its own references to them); "
            "update them in place with target[i].assign(...)")
    if len(target_list) != len(target_vars):
        raise ExerciseFailed(f"{fn_name}, {case}: the target list now has {len(target_list)} entries instead of "
                             f"{len(target_vars)} — change the variables in place with .assign, not the list")


def _unchanged(label, returned, expected, fn_kind) -> None:
    """Every target variable still holds its old values: find out why."""
    assign = "target.assign(tau * online + (1 - tau) * target)" if fn_kind == "soft" else "target.assign(online)"
    if returned is not None and _matches_list(returned, expected):
        raise ExerciseFailed(
            f"{label}: the target variables are unchanged, but your function RETURNED the right new values — "
            f"the agent ignores the return value; write them into the variables in place: {assign}")
    raise ExerciseFailed(
        f"{label}: the target variables still hold their old values — rebinding a name (t = ...) or building a "
        f"new list does not change a variable; call {assign} for every pair in zip(target, online)")


def _diagnose(label, got, expected, target_np, mistakes: list) -> None:
    """Name the likely mistake when ``got`` (the values of every variable) matches one of ``mistakes``."""
    if close(got, expected):
        return
    found = likely_mistake(mistakes, got, expected)
    if found:
        raise ExerciseFailed(f"{label}: {found[0].message}")
    if len(got) > 1 and close(got[0], expected[0]):
        stale = [i for i in range(1, len(got)) if close(got[i], target_np[i]) and not close(got[i], expected[i])]
        if stale:
            raise ExerciseFailed(
                f"{label}: variable 0 was updated but variable {stale[0]} (shape {list(got[stale[0]].shape)}) was not — "
                "only the first variable was updated (a `return` inside the loop, or target[0] only?); "
                "loop over every pair: for t, o in zip(target, online)")


def _compare(label, got, expected, rule) -> None:
    for i, (g, e) in enumerate(zip(got, expected)):
        expect_close(f"{label}, variable {i} (shape {list(e.shape)})", g, e, hint=rule)


def _matches_list(returned, expected) -> bool:
    try:
        return close([to_numpy(r, "returned value") for r in returned], expected)
    except (TypeError, ExerciseFailed):
        return False
