"""The checks of notebook 03 accept the reference and name each typical mistake."""

import numpy as np
import pytest
import tensorflow as tf

from lunar_lab import updates
from lunar_lab.checks.core import ExerciseFailed, NotImplementedYet
from lunar_lab.checks.nb03 import check_hard_update, check_soft_update
from exercise_asserts import diagnosed

# ---------------------------------------------------------------------------------------------
# soft_update(target, online, tau): typical wrong implementations


def soft_wrong_way(target, online, tau):
    for t, o in zip(target, online):
        t.assign((1.0 - tau) * o + tau * t)


def soft_returns_values(target, online, tau):
    return [tau * o + (1.0 - tau) * t for t, o in zip(target, online)]


def soft_aliasing(target, online, tau):
    for i in range(len(target)):
        target[i] = online[i]


def soft_only_first(target, online, tau):
    for t, o in zip(target, online):
        t.assign(tau * o + (1.0 - tau) * t)
        return


def soft_ignores_tau(target, online, tau):
    for t, o in zip(target, online):
        t.assign(o)


def soft_forgets_one_minus_tau(target, online, tau):
    for t, o in zip(target, online):
        t.assign(tau * o)


def soft_unscaled_target(target, online, tau):
    for t, o in zip(target, online):
        t.assign(tau * o + t)


def soft_updates_online(target, online, tau):
    for t, o in zip(target, online):
        o.assign(tau * t + (1.0 - tau) * o)


def soft_rebinds(target, online, tau):
    target = [tau * o + (1.0 - tau) * t for t, o in zip(target, online)]  # noqa: F841


def soft_uses_numpy(target, online, tau):
    for t, o in zip(target, online):
        t.assign(tau * o.numpy() + (1.0 - tau) * t.numpy())


def soft_flattens(target, online, tau):
    for t, o in zip(target, online):
        t.assign(tf.reshape(tau * o + (1.0 - tau) * t, [-1]))


def soft_reduces(target, online, tau):
    for t, o in zip(target, online):
        t.assign(tf.reduce_mean(tau * o + (1.0 - tau) * t))


def soft_misaligned_pairs(target, online, tau):
    for t, o in zip(target, reversed(online)):
        t.assign(tau * o + (1.0 - tau) * t)


def soft_placeholder(target, online, tau):
    raise NotImplementedError("exercise: soft_update")


def test_soft_reference_passes(capsys):
    check_soft_update(updates.soft_update)
    assert "✅ soft_update: passed (6 cases)" in capsys.readouterr().out


def test_soft_alternative_form_passes(capsys):
    def lerp(target, online, tau):  # θ′ + τ(θ − θ′) is the same update
        for t, o in zip(target, online):
            t.assign(t + tau * (o - t))
    check_soft_update(lerp)
    assert "passed" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, diagnosis", [
    (soft_wrong_way, "mixed the wrong way round: τ weights the ONLINE network"),
    (soft_returns_values, "RETURNED the right new values"),
    (soft_aliasing, "aliasing"),
    (soft_only_first, "only the first variable was updated"),
    (soft_ignores_tau, "ignored τ"),
    (soft_forgets_one_minus_tau, "the (1 − τ)·θ′ term is missing"),
    (soft_unscaled_target, "the old target is not scaled"),
    (soft_updates_online, "you updated the online network instead of the target"),
    (soft_rebinds, "still hold their old values"),
    (soft_uses_numpy, "fails inside the compiled learning step"),
    (soft_flattens, "you reshaped, flattened or transposed it"),
    (soft_reduces, "you reduced it to a single number"),
    (soft_misaligned_pairs, "pair the variables by position"),
])
def test_soft_mistakes_are_diagnosed(wrong, diagnosis):
    assert diagnosed(check_soft_update, wrong, diagnosis).startswith("soft_update, ")  # names the function and the case


def test_soft_wrong_way_names_the_case():
    with pytest.raises(ExerciseFailed, match=r"hand-computed case \(τ = 0.25\)"):
        check_soft_update(soft_wrong_way)


def test_soft_placeholder_is_not_implemented_yet():
    with pytest.raises(NotImplementedYet, match="soft_update: not implemented yet"):
        check_soft_update(soft_placeholder)


def test_soft_crash_gives_a_message_not_a_traceback():
    def crashes(target, online, tau):
        return target[5]
    with pytest.raises(ExerciseFailed, match="your code raised IndexError"):
        check_soft_update(crashes)


# ---------------------------------------------------------------------------------------------
# hard_update(target, online): typical wrong implementations


def hard_target_to_online(target, online):
    for t, o in zip(target, online):
        o.assign(t)


def hard_returns_values(target, online):
    return [o + 0.0 for o in online]


def hard_aliasing_slice(target, online):
    target[:] = online


def hard_aliasing_items(target, online):
    for i, o in enumerate(online):
        target[i] = o


def hard_only_first(target, online):
    target[0].assign(online[0])


def hard_rebinds(target, online):
    for t, o in zip(target, online):
        t = o  # noqa: F841


def hard_uses_numpy(target, online):
    for t, o in zip(target, online):
        t.assign(o.numpy())


def hard_transposes(target, online):
    for t, o in zip(target, online):
        t.assign(tf.transpose(o))


def hard_adds_axis(target, online):
    for t, o in zip(target, online):
        t.assign(o[None])


def hard_placeholder(target, online):
    raise NotImplementedError("exercise: hard_update")


def test_hard_reference_passes(capsys):
    check_hard_update(updates.hard_update)
    assert "✅ hard_update: passed (4 cases)" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, diagnosis", [
    (hard_target_to_online, "you copied the wrong way, target → online"),
    (hard_returns_values, "RETURNED the right new values"),
    (hard_aliasing_slice, "aliasing"),
    (hard_aliasing_items, "aliasing"),
    (hard_only_first, "only the first variable was updated"),
    (hard_rebinds, "still hold their old values"),
    (hard_uses_numpy, "fails inside the compiled learning step"),
    (hard_transposes, "you reshaped, flattened or transposed it"),
    (hard_adds_axis, "you added or removed a dimension of size 1"),
])
def test_hard_mistakes_are_diagnosed(wrong, diagnosis):
    assert diagnosed(check_hard_update, wrong, diagnosis).startswith("hard_update, ")


def test_hard_placeholder_is_not_implemented_yet():
    with pytest.raises(NotImplementedYet, match="hard_update: not implemented yet"):
        check_hard_update(hard_placeholder)


def test_soft_update_with_tau_passed_to_hard_check_is_reported():
    # a learner who passes the soft function to the hard check gets a message, not a traceback
    with pytest.raises(ExerciseFailed, match="your code raised TypeError"):
        check_hard_update(updates.soft_update)


def test_shape_message_names_both_shapes():
    with pytest.raises(ExerciseFailed, match=r"value of shape \[4\] to a target variable of shape \[2, 2\]"):
        check_soft_update(soft_flattens)


def soft_reduces_when_compiled(target, online, tau):  # right eagerly; traced, it assigns a single number
    for t, o in zip(target, online):
        new = tau * o + (1.0 - tau) * t
        t.assign(new if tf.executing_eagerly() else tf.reduce_mean(new))


def test_shape_mistake_inside_compiled_step_is_named():
    # a shape mistake that only appears when traced is reported as such, not as a StagingError
    message = diagnosed(check_soft_update, soft_reduces_when_compiled, "inside a compiled tf.function",
                        "you reduced it to a single number")
    assert "StagingError" not in message
