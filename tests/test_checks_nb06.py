"""The notebook-06 checks: the references pass, each typical mistake gets its diagnosis."""

import re

import numpy as np
import pytest
import tensorflow as tf

from lunar_lab.checks.core import ExerciseFailed, NotImplementedYet
from lunar_lab.checks.nb06 import check_soft_q_targets, check_temperature_loss
from lunar_lab.losses import policy_entropy, temperature_loss
from lunar_lab.targets import soft_q_targets
from exercise_asserts import diagnosed

# =======================================================================================
# soft_q_targets


def _min_q(next_q_values_1, next_q_values_2):
    return tf.minimum(next_q_values_1, next_q_values_2)


def _soft_value(q, temperature):
    log_pi = tf.nn.log_softmax(q / temperature, axis=-1)
    return tf.reduce_sum(tf.exp(log_pi) * (q - temperature * log_pi), axis=-1)


def _y(rewards, terminated, gamma, value):
    return rewards + gamma * (1.0 - terminated) * value


# --- correct implementations ------------------------------------------------------------


def learner_solution(rewards, terminated, next_q_values_1, next_q_values_2, temperature, gamma):
    q = tf.minimum(next_q_values_1, next_q_values_2)
    log_pi = tf.nn.log_softmax(q / temperature, axis=-1)
    soft_value = tf.reduce_sum(tf.exp(log_pi) * (q - temperature * log_pi), axis=-1)
    return rewards + gamma * (1.0 - terminated) * soft_value


def logsumexp_solution(rewards, terminated, next_q_values_1, next_q_values_2, temperature, gamma):
    q = tf.minimum(next_q_values_1, next_q_values_2)
    return rewards + gamma * (1.0 - terminated) * temperature * tf.reduce_logsumexp(q / temperature, axis=-1)


@pytest.mark.parametrize("fn", [soft_q_targets, learner_solution, logsumexp_solution])
def test_soft_targets_correct_implementations_pass(fn, capsys):
    check_soft_q_targets(fn)
    assert capsys.readouterr().out.strip() == "✅ soft_q_targets: passed (8 cases)"


# --- typical mistakes --------------------------------------------------------------------


def hard_max(rewards, terminated, next_q_values_1, next_q_values_2, temperature, gamma):
    return _y(rewards, terminated, gamma, tf.reduce_max(_min_q(next_q_values_1, next_q_values_2), axis=-1))


def only_first(rewards, terminated, next_q_values_1, next_q_values_2, temperature, gamma):
    return _y(rewards, terminated, gamma, _soft_value(next_q_values_1, temperature))


def only_second(rewards, terminated, next_q_values_1, next_q_values_2, temperature, gamma):
    return _y(rewards, terminated, gamma, _soft_value(next_q_values_2, temperature))


def twin_mean(rewards, terminated, next_q_values_1, next_q_values_2, temperature, gamma):
    return _y(rewards, terminated, gamma, _soft_value((next_q_values_1 + next_q_values_2) / 2, temperature))


def twin_max(rewards, terminated, next_q_values_1, next_q_values_2, temperature, gamma):
    return _y(rewards, terminated, gamma, _soft_value(tf.maximum(next_q_values_1, next_q_values_2), temperature))


def min_of_soft_values(rewards, terminated, next_q_values_1, next_q_values_2, temperature, gamma):
    value = tf.minimum(_soft_value(next_q_values_1, temperature), _soft_value(next_q_values_2, temperature))
    return _y(rewards, terminated, gamma, value)


def plain_expectation(rewards, terminated, next_q_values_1, next_q_values_2, temperature, gamma):
    q = _min_q(next_q_values_1, next_q_values_2)
    return _y(rewards, terminated, gamma, tf.reduce_sum(tf.nn.softmax(q / temperature) * q, axis=-1))


def entropy_sign(rewards, terminated, next_q_values_1, next_q_values_2, temperature, gamma):
    q = _min_q(next_q_values_1, next_q_values_2)
    log_pi = tf.nn.log_softmax(q / temperature, axis=-1)
    return _y(rewards, terminated, gamma, tf.reduce_sum(tf.exp(log_pi) * (q + temperature * log_pi), axis=-1))


def no_temperature_in_softmax(rewards, terminated, next_q_values_1, next_q_values_2, temperature, gamma):
    q = _min_q(next_q_values_1, next_q_values_2)
    log_pi = tf.nn.log_softmax(q, axis=-1)
    return _y(rewards, terminated, gamma, tf.reduce_sum(tf.exp(log_pi) * (q - temperature * log_pi), axis=-1))


def through_terminal(rewards, terminated, next_q_values_1, next_q_values_2, temperature, gamma):
    return rewards + gamma * _soft_value(_min_q(next_q_values_1, next_q_values_2), temperature)


def inverted_mask(rewards, terminated, next_q_values_1, next_q_values_2, temperature, gamma):
    return rewards + gamma * terminated * _soft_value(_min_q(next_q_values_1, next_q_values_2), temperature)


def no_bootstrap(rewards, terminated, next_q_values_1, next_q_values_2, temperature, gamma):  # all "done"
    return tf.identity(rewards)


def log_of_softmax(rewards, terminated, next_q_values_1, next_q_values_2, temperature, gamma):  # NaN for large Q/α
    q = _min_q(next_q_values_1, next_q_values_2)
    pi = tf.nn.softmax(q / temperature, axis=-1)
    return _y(rewards, terminated, gamma, tf.reduce_sum(pi * (q - temperature * tf.math.log(pi)), axis=-1))


def naive_exp(rewards, terminated, next_q_values_1, next_q_values_2, temperature, gamma):  # exp overflows
    q = _min_q(next_q_values_1, next_q_values_2)
    return _y(rewards, terminated, gamma, temperature * tf.math.log(tf.reduce_sum(tf.exp(q / temperature), axis=-1)))


SOFT_MISTAKES = [
    (hard_max, ["element [0]", "used the hard max", "DQN target"]),
    (only_first, ["used only next_q_values_1", "tf.minimum"]),
    (only_second, ["used only next_q_values_2"]),
    (twin_mean, ["used the mean of the two twins", "MINIMUM"]),
    (twin_max, ["element-wise MAXIMUM"]),
    (min_of_soft_values, ["minimum of the two soft values"]),
    (plain_expectation, ["forgot the −α_H·log π term", "plain expected value"]),
    (entropy_sign, ["sign error on the entropy term"]),
    (no_temperature_in_softmax, ["forgot to divide by the temperature"]),
    (through_terminal, ["element [2]", "bootstrapped through a terminal transition", "index 2", "expected -100"]),
    (inverted_mask, ["used terminated where (1 − terminated) belongs"]),
    (no_bootstrap, ["no bootstrap at all", "truncated", "terminated = 0"]),
    (log_of_softmax, ["is nan", "numerically unstable", "underflowed to 0", "tf.nn.log_softmax"]),
    (naive_exp, ["is inf", "numerically unstable", "overflows"]),
]


def preprint_policy(rewards, terminated, next_q_values_1, next_q_values_2, temperature, gamma):
    # the SQN preprint's reading: Algorithm 1 line 11 with its acting policy softmax(Q₁/α_H) of eq. 20
    q = _min_q(next_q_values_1, next_q_values_2)
    log_pi = tf.nn.log_softmax(next_q_values_1 / temperature, axis=-1)
    return _y(rewards, terminated, gamma, tf.reduce_sum(tf.exp(log_pi) * (q - temperature * log_pi), axis=-1))


def test_the_preprints_policy_is_told_what_differs_not_called_a_mistake():
    message = diagnosed(check_soft_q_targets, preprint_policy, "element [0]", "what differs: the policy inside the target",
                        "softmax(next_q_values_1 / α_H)", "eq. 20", "Algorithm 1 line 11",
                        "softmax(min Q′ / α_H)", "α_H·KL(π₁ ‖ softmax(min Q′ / α_H))", "inputs of element [0]")
    assert "mistake" not in message, message
    # the gap it names is the gap in the soft value: expected − got = γ·α_H·KL at that element
    expected, got, kl = (float(re.search(pattern, message).group(1)) for pattern in
                         (r"expected (-?[0-9.e+-]+) —", r"element \[0\] is (-?[0-9.e+-]+),", r"\(here (-?[0-9.e+-]+), before"))
    assert expected - got == pytest.approx(0.9 * kl, rel=1e-3)


@pytest.mark.parametrize("fn, phrases", SOFT_MISTAKES, ids=[fn.__name__ for fn, _ in SOFT_MISTAKES])
def test_soft_targets_mistake_is_diagnosed(fn, phrases):
    message = diagnosed(check_soft_q_targets, fn, *phrases)
    assert "expected" in message and "inputs of element" in message


VALUE_MISTAKES = [(fn, phrases) for fn, phrases in SOFT_MISTAKES if "numerically unstable" not in phrases]


@pytest.mark.parametrize("fn, phrases", VALUE_MISTAKES, ids=[fn.__name__ for fn, _ in VALUE_MISTAKES])
def test_every_soft_mistake_shows_on_the_first_hand_computed_batch(fn, phrases):
    """The first hand-computed batch already tells each usual mistake from the reference."""
    message = diagnosed(check_soft_q_targets, fn, *phrases)
    assert message.startswith("soft_q_targets, case 'hand-computed batch (α_H = 0.5, γ = 0.9"), message


# --- shapes, dtypes, crashes, the placeholder ------------------------------------------------


def keep_actions(rewards, terminated, next_q_values_1, next_q_values_2, temperature, gamma):  # [B, A]
    q = _min_q(next_q_values_1, next_q_values_2)
    log_pi = tf.nn.log_softmax(q / temperature, axis=-1)
    return rewards[:, None] + gamma * tf.exp(log_pi) * (q - temperature * log_pi)


def keepdims(rewards, terminated, next_q_values_1, next_q_values_2, temperature, gamma):  # [B, 1]
    return learner_solution(rewards, terminated, next_q_values_1, next_q_values_2, temperature, gamma)[:, None]


def reduce_all(rewards, terminated, next_q_values_1, next_q_values_2, temperature, gamma):  # scalar
    return tf.reduce_mean(learner_solution(rewards, terminated, next_q_values_1, next_q_values_2, temperature, gamma))


def float64(rewards, terminated, next_q_values_1, next_q_values_2, temperature, gamma):
    return tf.cast(learner_solution(rewards, terminated, next_q_values_1, next_q_values_2, temperature, gamma),
                   tf.float64)


def returns_none(rewards, terminated, next_q_values_1, next_q_values_2, temperature, gamma):
    learner_solution(rewards, terminated, next_q_values_1, next_q_values_2, temperature, gamma)


def numpy_inside(rewards, terminated, next_q_values_1, next_q_values_2, temperature, gamma):
    q = np.minimum(next_q_values_1.numpy(), next_q_values_2.numpy())
    return learner_solution(rewards, terminated, q, q, temperature, gamma)


def crashes(rewards, terminated, next_q_values_1, next_q_values_2, temperature, gamma):
    return rewards + tf.gather(next_q_values_1, [[7]])


SOFT_SHAPE_MISTAKES = [
    (keep_actions, ["shape [4, 3]", "expected [B] = [4]", "SUM over actions"]),
    (keepdims, ["shape [4, 1]", "keepdims"]),
    (reduce_all, ["shape []", "single number"]),
    (float64, ["dtype is float64", "float32"]),
    (returns_none, ["returned None", "return"]),
    (numpy_inside, ["compiled", "TensorFlow ops only"]),
    (crashes, ["your code raised"]),
]


@pytest.mark.parametrize("fn, phrases", SOFT_SHAPE_MISTAKES, ids=[fn.__name__ for fn, _ in SOFT_SHAPE_MISTAKES])
def test_soft_targets_shape_and_dtype_mistakes_get_a_message(fn, phrases):
    assert "Traceback" not in diagnosed(check_soft_q_targets, fn, *phrases)


def test_soft_targets_placeholder_is_not_implemented_yet():
    def placeholder(rewards, terminated, next_q_values_1, next_q_values_2, temperature, gamma):
        raise NotImplementedError("exercise: soft_q_targets")

    with pytest.raises(NotImplementedYet, match="not implemented yet"):
        check_soft_q_targets(placeholder)


def test_soft_targets_failure_renders_without_traceback_in_jupyter():
    with pytest.raises(ExerciseFailed) as info:
        check_soft_q_targets(hard_max)
    assert info.value._render_traceback_()[0].startswith("❌ soft_q_targets")


# =======================================================================================
# temperature_loss


def _entropy(log_policy):
    return -tf.reduce_sum(tf.exp(log_policy) * log_policy, axis=-1)


# --- correct implementations ------------------------------------------------------------


def temperature_solution(log_temperature, log_policy, target_entropy):
    entropy = -tf.reduce_sum(tf.exp(log_policy) * log_policy, axis=-1)
    return log_temperature * tf.reduce_mean(tf.stop_gradient(entropy - target_entropy))


def sac_style_solution(log_temperature, log_policy, target_entropy):  # −log α · E[log π + H̄]
    log_policy = tf.stop_gradient(log_policy)
    expected_log_pi = tf.reduce_sum(tf.exp(log_policy) * log_policy, axis=-1)
    return -tf.reduce_mean(log_temperature * (expected_log_pi + target_entropy))


@pytest.mark.parametrize("fn", [temperature_loss, temperature_solution, sac_style_solution])
def test_temperature_loss_correct_implementations_pass(fn, capsys):
    check_temperature_loss(fn)
    assert capsys.readouterr().out.strip() == "✅ temperature_loss: passed (6 cases)"


# --- typical mistakes --------------------------------------------------------------------


def wrong_sign(log_temperature, log_policy, target_entropy):
    return log_temperature * tf.reduce_mean(tf.stop_gradient(target_entropy - _entropy(log_policy)))


def alpha_not_log_alpha(log_temperature, log_policy, target_entropy):
    return tf.exp(log_temperature) * tf.reduce_mean(tf.stop_gradient(_entropy(log_policy) - target_entropy))


def gradient_into_policy(log_temperature, log_policy, target_entropy):
    return log_temperature * tf.reduce_mean(policy_entropy(log_policy) - target_entropy)


def entropy_over_batch(log_temperature, log_policy, target_entropy):
    log_policy = tf.stop_gradient(log_policy)
    entropy = -tf.reduce_sum(tf.exp(log_policy) * log_policy, axis=0)  # [A]: summed over the batch
    return log_temperature * tf.reduce_mean(entropy - target_entropy)


def entropy_over_everything(log_temperature, log_policy, target_entropy):
    log_policy = tf.stop_gradient(log_policy)
    return log_temperature * (-tf.reduce_sum(tf.exp(log_policy) * log_policy) - target_entropy)


def sum_over_batch(log_temperature, log_policy, target_entropy):
    return log_temperature * tf.reduce_sum(tf.stop_gradient(_entropy(log_policy) - target_entropy))


def no_minus(log_temperature, log_policy, target_entropy):
    entropy = tf.reduce_sum(tf.exp(log_policy) * log_policy, axis=-1)
    return log_temperature * tf.reduce_mean(tf.stop_gradient(entropy - target_entropy))


def unweighted(log_temperature, log_policy, target_entropy):
    return log_temperature * tf.reduce_mean(tf.stop_gradient(-tf.reduce_sum(log_policy, axis=-1) - target_entropy))


def no_target(log_temperature, log_policy, target_entropy):
    return log_temperature * tf.reduce_mean(tf.stop_gradient(_entropy(log_policy)))


def stopped_temperature(log_temperature, log_policy, target_entropy):
    return tf.stop_gradient(log_temperature) * tf.reduce_mean(tf.stop_gradient(_entropy(log_policy) - target_entropy))


def per_state(log_temperature, log_policy, target_entropy):  # [B]
    return log_temperature * tf.stop_gradient(_entropy(log_policy) - target_entropy)


def per_action(log_temperature, log_policy, target_entropy):  # [A]
    return log_temperature * tf.stop_gradient(-tf.reduce_sum(tf.exp(log_policy) * log_policy, axis=0))


TEMPERATURE_MISTAKES = [
    (wrong_sign, ["wrong sign", "AWAY from the target", "ABOVE the target"]),
    (alpha_not_log_alpha, ["used α_H = exp(log α_H) instead of log α_H", "same fixed point", "not the same gradient"]),
    (gradient_into_policy, ["a gradient flows into log_policy", "tf.stop_gradient"]),
    (entropy_over_batch, ["summed over the BATCH instead of over the actions"]),
    (entropy_over_everything, ["summed over the batch AND the actions"]),
    (sum_over_batch, ["summed over the batch instead of averaging"]),
    (no_minus, ["missing its minus sign"]),
    (unweighted, ["missing the weights π"]),
    (no_target, ["forgot the target entropy"]),
    (stopped_temperature, ["no gradient reaches log_temperature"]),
    (per_state, ["shape [3]", "average over the batch"]),
    (per_action, ["shape [4]", "ACTION"]),
]


@pytest.mark.parametrize("fn, phrases", TEMPERATURE_MISTAKES, ids=[fn.__name__ for fn, _ in TEMPERATURE_MISTAKES])
def test_temperature_loss_mistake_is_diagnosed(fn, phrases):
    assert "Traceback" not in diagnosed(check_temperature_loss, fn, *phrases)


def test_temperature_loss_numpy_inside_fails_in_the_compiled_case():
    def numpy_inside(log_temperature, log_policy, target_entropy):
        p = np.exp(log_policy.numpy())
        gap = float((-(p * log_policy.numpy()).sum(-1)).mean() - float(target_entropy))
        return log_temperature * gap

    with pytest.raises(ExerciseFailed, match="compiled"):
        check_temperature_loss(numpy_inside)


def test_temperature_loss_placeholder_is_not_implemented_yet():
    def placeholder(log_temperature, log_policy, target_entropy):
        raise NotImplementedError("exercise: temperature_loss")

    with pytest.raises(NotImplementedYet, match="not implemented yet"):
        check_temperature_loss(placeholder)


def test_temperature_loss_float64_and_none_get_a_message():
    with pytest.raises(ExerciseFailed, match="float64"):
        check_temperature_loss(lambda lt, lp, h: tf.cast(temperature_solution(lt, lp, h), tf.float64))
    with pytest.raises(ExerciseFailed, match="returned None"):
        check_temperature_loss(lambda lt, lp, h: None)
