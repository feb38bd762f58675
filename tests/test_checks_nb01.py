"""The checks of notebook 01: the references pass, each typical mistake is caught and named,
and the placeholder is reported as "not implemented yet"."""

import numpy as np
import pytest
import tensorflow as tf

from lunar_lab.checks.core import ExerciseFailed, NotImplementedYet
from lunar_lab.checks.nb01 import (HAND_GAMMA, HAND_Q_TABLE, HAND_TRANSITIONS, check_q_learning_loss,
                                   check_targets_by_hand, check_td_targets, hand_targets)
from lunar_lab.losses import q_learning_loss
from lunar_lab.targets import dqn_targets
from exercise_asserts import diagnosed


def placeholder(*args, **kwargs):
    raise NotImplementedError("exercise: placeholder")


# ---------------------------------------------------------------- targets by hand

def test_hand_targets_are_the_hand_computed_numbers():
    # by hand: 0 + 0.9·6, −1 + 0.9·4, 10, −10, −1 + 0.9·4 (truncated: still bootstraps)
    assert np.allclose(hand_targets(), [5.4, 2.6, 10.0, -10.0, 2.6])


def test_hand_targets_reference_passes(capsys):
    check_targets_by_hand(lambda: [5.4, 2.6, 10, -10, 2.6])
    assert capsys.readouterr().out.strip() == "✅ targets_by_hand: passed (5 transitions)"
    check_targets_by_hand(lambda: np.array([5.4, 2.6, 10.0, -10.0, 2.6]))   # arrays and tensors too
    check_targets_by_hand(lambda: tf.constant([5.4, 2.6, 10.0, -10.0, 2.6]))
    check_targets_by_hand(lambda: [5.401, 2.6, 10, -10, 2.599])            # hand rounding is fine


def test_hand_targets_placeholder():
    with pytest.raises(NotImplementedYet, match="not implemented yet"):
        check_targets_by_hand(placeholder)


def _hand(wrong: dict):
    values = [5.4, 2.6, 10.0, -10.0, 2.6]
    for i, v in wrong.items():
        values[i] = v
    return lambda: values


HAND_MISTAKES = {
    "bootstrapped through terminal": ({2: 14.5, 3: -2.8}, "transition 2", "bootstrapped through a terminal transition"),
    "truncation as termination": ({4: -1.0}, "transition 4", "treated truncation as termination"),
    "terminal gives 0": ({2: 0.0, 3: 0.0}, "transition 2", "the target of a terminal transition is r, not 0"),
    "no gamma": ({0: 6.0, 1: 3.0, 4: 3.0}, "transition 0", "forgot the discount γ"),
    "gamma on reward": ({1: 2.7, 2: 9.0, 3: -9.0, 4: 2.7}, "transition 1", "γ multiplies the reward too"),
    "min": ({0: -2.7, 1: 0.8, 4: 0.8}, "transition 0", "took the MIN"),
    "mean": ({0: 1.35, 1: 1.7, 4: 1.7}, "transition 0", "averaged Q(s′, ·)"),
    "row of s": ({0: 3.6}, "transition 0", "used the row of s instead of s′"),
    "Q(s, a) itself": ({1: 0.8, 4: 0.8}, "transition 1", "took the MIN"),   # here Q(high, fire) = min Q(high, ·)
    "no reward": ({0: 5.4, 1: 3.6}, "transition 1", "forgot the reward"),
}


@pytest.mark.parametrize("name", list(HAND_MISTAKES))
def test_hand_targets_mistakes_are_named(name):
    wrong, where, diagnosis = HAND_MISTAKES[name]
    diagnosed(check_targets_by_hand, _hand(wrong), where, diagnosis, "expected")


def test_hand_targets_truncation_message_is_precise():
    with pytest.raises(ExerciseFailed) as info:
        check_targets_by_hand(_hand({4: -1.0}))
    message = str(info.value)
    assert message.startswith("targets_by_hand: transition 4 (high, fire, r = -1 → high; truncated by the time "
                              "limit): y is -1, expected 2.6")
    assert "s′ = high still has a future" in message


def test_hand_targets_unknown_mistake_gets_the_formula():
    with pytest.raises(ExerciseFailed, match="compute y = r"):
        check_targets_by_hand(_hand({0: 42.0}))


@pytest.mark.parametrize("value, match", [
    (None, "forget `return`"),
    ([5.4, 2.6, 10.0, -10.0], "got 4 numbers, expected 5"),
    ("5.4 2.6", "return 5 numbers"),
    ([5.4, 2.6, float("nan"), -10.0, 2.6], "not finite"),
])
def test_hand_targets_bad_returns(value, match):
    with pytest.raises(ExerciseFailed, match=match):
        check_targets_by_hand(lambda: value)


def test_hand_data_matches_the_tiny_mdp():
    # the transitions follow the MDP of notebook 01: high -coast-> low (0), high -fire-> high (−1),
    # low -fire-> landed (+10, terminal), low -coast-> crashed (−10, terminal)
    model = {(0, 0): (0.0, 1, False), (0, 1): (-1.0, 0, False), (1, 1): (10.0, 2, True), (1, 0): (-10.0, 3, True)}
    for s, a, r, s2, term, trunc in HAND_TRANSITIONS:
        assert model[(s, a)] == (r, s2, term)
        assert not (term and trunc)
    assert HAND_Q_TABLE.shape == (4, 2) and HAND_GAMMA == 0.9


# ---------------------------------------------------------------- td_targets

def test_td_targets_reference_passes(capsys):
    check_td_targets(dqn_targets)
    assert capsys.readouterr().out.strip() == "✅ td_targets: passed (7 cases)"


def test_td_targets_plain_tf_solution_passes(capsys):
    def td_targets(rewards, terminated, next_q_values, gamma):
        return rewards + gamma * (1.0 - terminated) * tf.reduce_max(next_q_values, axis=1)

    check_td_targets(td_targets)
    assert "passed" in capsys.readouterr().out


def test_td_targets_placeholder():
    with pytest.raises(NotImplementedYet, match="not implemented yet"):
        check_td_targets(placeholder)


TD_MISTAKES = {
    "no terminal mask": (
        lambda r, d, q, g: r + g * tf.reduce_max(q, axis=-1),
        "bootstrapped through a terminal transition at index 2"),
    "terminal gives 0": (
        lambda r, d, q, g: (1.0 - d) * (r + g * tf.reduce_max(q, axis=-1)),
        "the target should be r, not 0"),
    "inverted mask": (
        lambda r, d, q, g: r + g * d * tf.reduce_max(q, axis=-1),
        "terminal mask is inverted"),
    "no gamma": (
        lambda r, d, q, g: r + (1.0 - d) * tf.reduce_max(q, axis=-1),
        "forgot the discount γ"),
    "gamma on reward": (
        lambda r, d, q, g: g * (r + (1.0 - d) * tf.reduce_max(q, axis=-1)),
        "γ multiplies the reward too"),
    "fixed gamma": (
        lambda r, d, q, g: r + 0.99 * (1.0 - d) * tf.reduce_max(q, axis=-1),
        "fixed γ = 0.99"),
    "mean over actions": (
        lambda r, d, q, g: r + g * (1.0 - d) * tf.reduce_mean(q, axis=-1),
        "averaged Q′(s′, ·) over the actions"),
    "min over actions": (
        lambda r, d, q, g: r + g * (1.0 - d) * tf.reduce_min(q, axis=-1),
        "took the MIN"),
    "no reward": (
        lambda r, d, q, g: g * (1.0 - d) * tf.reduce_max(q, axis=-1),
        "forgot the reward"),
}


@pytest.mark.parametrize("name", list(TD_MISTAKES))
def test_td_targets_mistakes_are_named(name):
    fn, diagnosis = TD_MISTAKES[name]
    diagnosed(check_td_targets, lambda rewards, terminated, next_q_values, gamma: fn(rewards, terminated, next_q_values, gamma),
              diagnosis, "case '", "expected")


def test_td_targets_first_case_message_is_precise():
    with pytest.raises(ExerciseFailed) as info:
        check_td_targets(lambda rewards, terminated, next_q_values, gamma:
                         rewards + gamma * tf.reduce_max(next_q_values, axis=-1))
    message = str(info.value)
    assert message.startswith("td_targets, case 'the 5 transitions you did by hand (γ = 0.9)': element [2] is 14.5, "
                              "expected 10")
    assert "terminated[2] = 1" in message


def test_td_targets_keepdims_broadcast_is_explained():
    with pytest.raises(ExerciseFailed, match="keepdims"):
        check_td_targets(lambda rewards, terminated, next_q_values, gamma:
                         rewards + gamma * (1.0 - terminated) * tf.reduce_max(next_q_values, axis=-1, keepdims=True))


def test_td_targets_batch_axis_is_explained():
    with pytest.raises(ExerciseFailed, match="axis=-1"):
        check_td_targets(lambda rewards, terminated, next_q_values, gamma:
                         rewards + gamma * (1.0 - terminated) * tf.reduce_max(next_q_values, axis=0))


def test_td_targets_float64_is_reported():
    def td_targets(rewards, terminated, next_q_values, gamma):
        y = dqn_targets(rewards, terminated, next_q_values, gamma)
        return tf.cast(y, tf.float64)

    with pytest.raises(ExerciseFailed, match="dtype float64, expected float32"):
        check_td_targets(td_targets)


def test_td_targets_none_is_reported():
    with pytest.raises(ExerciseFailed, match="forget `return`"):
        check_td_targets(lambda rewards, terminated, next_q_values, gamma: None)


def test_td_targets_numpy_fails_in_the_compiled_step():
    def td_targets(rewards, terminated, next_q_values, gamma):  # works eagerly, not in tf.function
        gamma = np.asarray(gamma, np.float32)
        return rewards.numpy() + gamma * (1.0 - terminated.numpy()) * next_q_values.numpy().max(axis=-1)

    with pytest.raises(ExerciseFailed) as info:
        check_td_targets(td_targets)
    assert "inside the compiled learning step" in str(info.value)
    assert "TensorFlow ops" in str(info.value)


# ---------------------------------------------------------------- q_learning_loss

def huber_solution(q_values, actions, targets):
    targets = tf.stop_gradient(targets)
    q_taken = tf.gather(q_values, actions, axis=1, batch_dims=1)
    error = targets - q_taken
    return tf.reduce_mean(tf.where(tf.abs(error) <= 1.0, 0.5 * tf.square(error), tf.abs(error) - 0.5))


def test_loss_reference_passes(capsys):
    check_q_learning_loss(q_learning_loss)   # takes `loss`: both losses and the default are checked
    assert capsys.readouterr().out.strip() == "✅ q_learning_loss: passed (16 cases, Huber and MSE)"
    check_q_learning_loss(q_learning_loss, loss="mse")
    assert capsys.readouterr().out.strip() == "✅ q_learning_loss: passed (6 cases, MSE)"
    check_q_learning_loss(lambda q, a, y: q_learning_loss(q, a, y, loss="huber"))   # three arguments: Huber
    assert capsys.readouterr().out.strip() == "✅ q_learning_loss: passed (6 cases, Huber)"
    check_q_learning_loss(lambda q, a, y: q_learning_loss(q, a, y, loss="mse"), loss="mse")
    assert capsys.readouterr().out.strip() == "✅ q_learning_loss: passed (6 cases, MSE)"


def test_loss_notebook_solution_passes(capsys):
    def solution(q_values, actions, targets, loss="huber"):
        targets = tf.stop_gradient(targets)
        q_taken = tf.gather(q_values, actions, axis=1, batch_dims=1)
        error = targets - q_taken
        if loss == "mse":
            return tf.reduce_mean(tf.square(error))
        abs_error = tf.abs(error)
        return tf.reduce_mean(tf.where(abs_error <= 1.0, 0.5 * tf.square(error), abs_error - 0.5))

    check_q_learning_loss(solution)
    assert "passed (16 cases, Huber and MSE)" in capsys.readouterr().out


def test_loss_ignoring_the_loss_argument_is_named():
    def always_huber(q_values, actions, targets, loss="huber"):
        return huber_solution(q_values, actions, targets)

    with pytest.raises(ExerciseFailed) as info:
        check_q_learning_loss(always_huber)
    message = str(info.value)
    assert message.startswith('q_learning_loss(..., loss="mse"), case')
    assert "must follow its `loss` argument" in message


def test_loss_mse_default_is_named():
    def mse_default(q_values, actions, targets, loss="mse"):
        return q_learning_loss(q_values, actions, targets, loss=loss)

    with pytest.raises(ExerciseFailed, match='the default must be loss="huber"'):
        check_q_learning_loss(mse_default)


def test_loss_float64_is_reported():
    with pytest.raises(ExerciseFailed, match="dtype float64, expected float32"):
        check_q_learning_loss(lambda q, a, y: tf.cast(huber_solution(q, a, y), tf.float64))


def test_loss_other_correct_solutions_pass():
    check_q_learning_loss(huber_solution)

    def keras_huber(q_values, actions, targets):
        q_taken = tf.reduce_sum(q_values * tf.one_hot(actions, tf.shape(q_values)[1]), axis=1)
        return tf.keras.losses.Huber()(tf.stop_gradient(targets), q_taken)

    check_q_learning_loss(keras_huber)


def test_loss_placeholder():
    with pytest.raises(NotImplementedYet, match="not implemented yet"):
        check_q_learning_loss(placeholder)


def test_loss_bad_loss_name():
    with pytest.raises(ValueError, match="loss must be None or one of"):
        check_q_learning_loss(huber_solution, loss="l1")


def _taken(q, a):
    return tf.gather(q, a, axis=1, batch_dims=1)


def _huber(e):
    return tf.where(tf.abs(e) <= 1.0, 0.5 * tf.square(e), tf.abs(e) - 0.5)


LOSS_MISTAKES = {
    "mse instead of huber": (
        lambda q, a, y: tf.reduce_mean(tf.square(tf.stop_gradient(y) - _taken(q, a))),
        "huber", "mean squared error"),
    "huber instead of mse": (huber_solution, "mse", "Huber loss"),
    "missing gather": (
        lambda q, a, y: tf.reduce_mean(_huber(tf.stop_gradient(y)[:, None] - q)),
        "huber", "forgot to gather Q(s, a)"),
    "missing gather (mse)": (
        lambda q, a, y: tf.reduce_mean(tf.square(tf.stop_gradient(y)[:, None] - q)),
        "mse", "forgot to gather Q(s, a)"),
    "reduce_sum": (
        lambda q, a, y: tf.reduce_sum(_huber(tf.stop_gradient(y) - _taken(q, a))),
        "huber", "tf.reduce_sum"),
    "one-hot mean over B·A": (
        lambda q, a, y: tf.reduce_mean(_huber(tf.one_hot(a, tf.shape(q)[1]) * (tf.stop_gradient(y)[:, None] - q))),
        "huber", "all B·A entries"),
    "max instead of gather": (
        lambda q, a, y: tf.reduce_mean(_huber(tf.stop_gradient(y) - tf.reduce_max(q, axis=1))),
        "huber", "max_a Q(s, a) instead of Q(s, a)"),
    "gather without batch_dims": (
        lambda q, a, y: tf.reduce_mean(_huber(tf.stop_gradient(y) - tf.gather(q, a, axis=1))),
        "huber", "without batch_dims=1"),
    "huber without the half": (
        lambda q, a, y: tf.reduce_mean(tf.where(tf.abs(y - _taken(q, a)) <= 1.0, tf.square(y - _taken(q, a)),
                                                tf.abs(y - _taken(q, a)) - 0.5)),
        "huber", "needs the factor ½"),
    "half mse": (
        lambda q, a, y: 0.5 * tf.reduce_mean(tf.square(tf.stop_gradient(y) - _taken(q, a))),
        "mse", "½·MSE"),
    "per-transition loss": (
        lambda q, a, y: _huber(tf.stop_gradient(y) - _taken(q, a)),
        "huber", "expected a scalar"),
}


@pytest.mark.parametrize("name", list(LOSS_MISTAKES))
def test_loss_mistakes_are_named(name):
    fn, loss, diagnosis = LOSS_MISTAKES[name]
    with pytest.raises(ExerciseFailed) as info:
        check_q_learning_loss(fn, loss=loss)
    assert not isinstance(info.value, NotImplementedYet)
    assert diagnosis in str(info.value), str(info.value)


def test_loss_mse_message_says_how_to_switch():
    with pytest.raises(ExerciseFailed) as info:
        check_q_learning_loss(LOSS_MISTAKES["mse instead of huber"][0])
    message = str(info.value)
    assert message.startswith("q_learning_loss, case 'hand-computed, B = 3, A = 3': loss is 3.08333, expected 0.875")
    assert 'check_q_learning_loss(q_learning_loss, loss="mse")' in message


def test_loss_gradient_through_targets_is_caught():
    def no_stop_gradient(q_values, actions, targets):  # right value, but y is not a constant
        return tf.reduce_mean(_huber(targets - _taken(q_values, actions)))

    with pytest.raises(ExerciseFailed) as info:
        check_q_learning_loss(no_stop_gradient)
    assert "gradient flows into the targets" in str(info.value)
    assert "tf.stop_gradient" in str(info.value)


@pytest.mark.parametrize("stopped", ["q_values", "q_taken"])
def test_loss_stop_gradient_on_the_q_values_is_named(stopped):
    def stop_gradient_on_q(q_values, actions, targets):  # right value, but the gradient stops at Q
        if stopped == "q_values":
            q_values = tf.stop_gradient(q_values)
        q_taken = _taken(q_values, actions)
        if stopped == "q_taken":
            q_taken = tf.stop_gradient(q_taken)
        return tf.reduce_mean(_huber(tf.stop_gradient(targets) - q_taken))

    message = diagnosed(check_q_learning_loss, stop_gradient_on_q, "no gradient reaches q_values",
                        "applies tf.stop_gradient to the Q-values", "blocks the gradient of the loss",
                        "tf.stop_gradient(targets)")
    assert "NumPy" not in message


def test_loss_numpy_is_caught():
    def numpy_loss(q_values, actions, targets):  # right value, but no gradient reaches Q
        q = q_values.numpy()
        err = targets.numpy() - q[np.arange(len(q)), actions.numpy()]
        return np.mean(np.where(np.abs(err) <= 1, 0.5 * err ** 2, np.abs(err) - 0.5))

    with pytest.raises(ExerciseFailed, match="TensorFlow ops"):
        check_q_learning_loss(numpy_loss)


def test_loss_crash_gives_a_message_not_a_traceback():
    def crashes(q_values, actions, targets):
        return tf.reduce_mean(targets - q_values)  # [B] − [B, A]: incompatible shapes

    with pytest.raises(ExerciseFailed) as info:
        check_q_learning_loss(crashes)
    assert "your code raised" in str(info.value)
    assert "axis=-1" in str(info.value)


def test_loss_gather_rows_crash_is_explained():
    def gather_rows(q_values, actions, targets, loss="huber"):  # tf.gather without axis=1: rows, not entries
        return tf.reduce_mean(_huber(tf.stop_gradient(targets) - tf.gather(q_values, actions)))

    with pytest.raises(ExerciseFailed) as info:
        check_q_learning_loss(gather_rows)
    message = str(info.value)
    assert "function_node" not in message
    assert "tf.gather(q_values, actions, axis=1, batch_dims=1)" in message
