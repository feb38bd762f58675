"""The checks of notebook 01: the references pass, each typical mistake is caught and named,
and the placeholder is reported as "not implemented yet". The ε-greedy check is statistical: other
correct solutions (other orders of random draws) pass too."""

import nbformat
import numpy as np
import pytest
import tensorflow as tf

from lunar_lab.checks.core import ExerciseFailed, NotImplementedYet
from lunar_lab.checks.nb01 import (GREEDY_Q_VALUES, HAND_GAMMA, HAND_Q_TABLE, HAND_TRANSITIONS, check_epsilon_greedy,
                                   check_q_learning_loss, check_targets_by_hand, check_td_targets, greedy_probability,
                                   hand_targets)
from lunar_lab.exploration import epsilon_greedy
from lunar_lab.learner import NOTEBOOKS_DIR
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
                        "applies tf.stop_gradient to the predicted Q-values", "the gradient tape sees no path",
                        "stop_gradient belongs on the targets, not on Q(s, a)", "tf.stop_gradient(targets)")
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


def test_loss_stop_gradient_message_is_not_the_numpy_one():
    def stop_gradient_on_q(q_values, actions, targets):
        q_taken = _taken(tf.stop_gradient(q_values), actions)
        return tf.reduce_mean(_huber(tf.stop_gradient(targets) - q_taken))

    message = diagnosed(check_q_learning_loss, stop_gradient_on_q)
    assert message.startswith("q_learning_loss, case 'hand-computed, B = 3, A = 3': your loss has the right value, "
                              "but no gradient reaches q_values")
    assert "the gradient tape sees no path from the loss to the network's weights" in message
    assert "stop_gradient belongs on the targets, not on Q(s, a)" in message
    assert "NumPy" not in message and ".numpy()" not in message


@pytest.mark.parametrize("how", ["numpy result", "tf.constant of numpy", "q_values.numpy()"])
def test_loss_numpy_message_is_not_the_stop_gradient_one(how):
    def numpy_loss(q_values, actions, targets):  # the right value, computed off the tape
        if how == "q_values.numpy()":
            return tf.reduce_mean(_huber(tf.stop_gradient(targets) - _taken(tf.constant(q_values.numpy()), actions)))
        q = q_values.numpy()
        err = targets.numpy() - q[np.arange(len(q)), actions.numpy()]
        value = np.mean(np.where(np.abs(err) <= 1, 0.5 * err ** 2, np.abs(err) - 0.5))
        return value if how == "numpy result" else tf.constant(value, tf.float32)

    message = diagnosed(check_q_learning_loss, numpy_loss, "TensorFlow ops only")
    assert "NumPy" in message and "stop_gradient" not in message
    if how == "numpy result":   # nothing on the tape at all: the loss is not a tensor
        assert "could not differentiate your loss (AttributeError)" in message
    else:
        assert "no gradient reaches q_values — compute the loss with TensorFlow ops only" in message


# ---------------------------------------------------------------- epsilon_greedy

def _greedy(q):
    return np.argmax(q, axis=-1)


def _coins(q, epsilon, rng):
    return rng.random(len(q)) < epsilon


def _random(q, rng, low=0, high=None):
    return rng.integers(low, q.shape[-1] if high is None else high, size=len(q))


def notebook_solution(q_values, epsilon, rng):
    """The worked solution of notebook 01 (keep in sync): the package's rule, in the package's draw order."""
    num_landers, num_actions = q_values.shape
    greedy_actions = np.argmax(q_values, axis=-1)
    explore = rng.random(num_landers) < epsilon
    random_actions = rng.integers(0, num_actions, size=num_landers)
    return np.where(explore, random_actions, greedy_actions)


def per_row_loop(q_values, epsilon, rng):
    """Correct, with another order of draws: a coin, then (only if it explores) a random action, row by row."""
    actions = []
    for row in q_values:
        actions.append(rng.integers(len(row)) if rng.random() < epsilon else np.argmax(row))
    return np.array(actions)


def random_only_where_exploring(q_values, epsilon, rng):
    actions = np.argmax(q_values, axis=-1)
    explore = rng.random(len(q_values)) < epsilon
    actions[explore] = rng.choice(q_values.shape[-1], size=int(explore.sum()))
    return actions.astype(np.int32)


def test_epsilon_greedy_reference_and_other_correct_solutions_pass(capsys):
    for fn in (epsilon_greedy, notebook_solution, per_row_loop, random_only_where_exploring):
        check_epsilon_greedy(fn)
        assert capsys.readouterr().out.strip() == ("✅ epsilon_greedy: passed (ε = 0, 0.2, 0.6, 1: 16,000 actions "
                                                   "each)"), fn.__name__


def _worked_solution_in_the_notebook():
    """epsilon_greedy as defined in the worked notebook 01 itself."""
    cells = nbformat.read(NOTEBOOKS_DIR / "01_bellman_targets.ipynb", as_version=4).cells
    source, = [cell.source for cell in cells if cell.cell_type == "code" and cell.source.startswith("def epsilon_greedy(")]
    namespace = {"np": np}
    exec(source, namespace)
    return namespace["epsilon_greedy"]


@pytest.mark.parametrize("solution", [notebook_solution, "the notebook's cell"])
def test_notebook_solution_draws_exactly_like_the_package(solution):
    """So that the notebook's full-mode run, trained with the worked solution, is the package's run (and the
    numbers its prose reports still hold)."""
    solution = _worked_solution_in_the_notebook() if isinstance(solution, str) else solution
    q = np.random.default_rng(0).normal(size=(16, 4)).astype(np.float32)
    rng_a, rng_b = np.random.default_rng(5), np.random.default_rng(5)
    for epsilon in (1.0, 0.5, 0.05, 0.0):
        np.testing.assert_array_equal(solution(q, epsilon, rng_a), epsilon_greedy(q, epsilon, rng_b))
    assert rng_a.bit_generator.state == rng_b.bit_generator.state


def test_epsilon_greedy_placeholder():
    with pytest.raises(NotImplementedYet, match="epsilon_greedy: not implemented yet"):
        check_epsilon_greedy(placeholder)


def test_greedy_probability_and_the_hand_q_values():
    assert greedy_probability(0.2, 4) == pytest.approx(0.85)   # 1 − 0.2 + 0.2/4
    assert greedy_probability(1.0, 4) == 0.25 and greedy_probability(0.0, 3) == 1.0
    assert np.argmax(GREEDY_Q_VALUES, axis=-1).tolist() == [1, 2, 3, 0, 3, 1]
    assert all((row == row.max()).sum() == 1 for row in GREEDY_Q_VALUES)   # no tie for the greedy action


EPSILON_GREEDY_MISTAKES = {
    "one coin for the batch (if)": (
        lambda q, e, r: _random(q, r) if r.random() < e else _greedy(q),
        "epsilon_greedy: one coin for the whole batch: at ε = 0.2, in 8", "ALL 16 sub-environments acted greedily "
        "together (with one coin each, expected 7%)", "explore = rng.random(N) < ε, not one rng.random() for the batch"),
    "one coin for the batch (np.where)": (
        lambda q, e, r: np.where(r.random() < e, _random(q, r), _greedy(q)),
        "epsilon_greedy: one coin for the whole batch"),
    "random from A − 1 actions": (
        lambda q, e, r: np.where(_coins(q, e, r), _random(q, r, high=q.shape[-1] - 1), _greedy(q)),
        "epsilon_greedy: at ε = 1 action 3 was never chosen in 16,000 actions at ε = 1 (expected 1/A = 25%)",
        "rng.integers(0, A - 1) leaves out action A − 1"),
    "random from 1 … A − 1": (
        lambda q, e, r: np.where(_coins(q, e, r), _random(q, r, low=1), _greedy(q)),
        "at ε = 1 action 0 was never chosen", "rng.integers(1, A) leaves out action 0"),
    "random excluding the greedy one": (
        lambda q, e, r: np.where(_coins(q, e, r), (_greedy(q) + _random(q, r, low=1)) % q.shape[-1], _greedy(q)),
        "epsilon_greedy: at ε = 1 the random action was never the greedy one", "the greedy one included",
        "1 − ε instead of 1 − ε + ε/A"),
    "argmax over axis 0": (
        lambda q, e, r: (lambda g: np.where(r.random(len(g)) < e, r.integers(0, q.shape[-1], size=len(g)), g))(
            np.argmax(q, axis=0)),
        "epsilon_greedy(q_values [6, 4], epsilon=0, rng): the actions have shape [4], expected [6]",
        "you took the argmax over axis 0", "np.argmax(q_values, axis=-1)"),
    "argmax over axis 0, broadcast against [N]": (
        lambda q, e, r: np.where(_coins(q, e, r), _random(q, r), np.argmax(q, axis=0)),
        "your code raised ValueError: operands could not be broadcast", "axis=0 would give A values"),
    "argmax without axis": (
        lambda q, e, r: np.argmax(q) if r.random() >= e else r.integers(0, q.shape[-1]),
        "the actions have shape [], expected [6]", "without axis=-1"),
    "inverted comparison": (
        lambda q, e, r: np.where(r.random(len(q)) > e, _random(q, r), _greedy(q)),
        "epsilon_greedy(q_values [6, 4], epsilon=0, rng): at ε = 0 every action must be the greedy one",
        "likely mistake: exploration is inverted: you explore when rng.random() > ε"),
    "floats": (
        lambda q, e, r: np.where(_coins(q, e, r), np.floor(r.random(len(q)) * q.shape[-1]), _greedy(q)),
        "returned floats (dtype float64), expected integer actions", "rng.integers(0, A, size=N)"),
    "max instead of argmax": (
        lambda q, e, r: np.where(_coins(q, e, r), _random(q, r), np.max(q, axis=-1)),
        "returned the greedy Q-VALUES max_a Q(s, a), not the actions"),
    "the coins, not the actions": (lambda q, e, r: _coins(q, e, r), "returned booleans — that is the coin"),
    "a list": (lambda q, e, r: list(epsilon_greedy(q, e, r)), "returned list", "expected a NumPy array"),
    "a tensor": (lambda q, e, r: tf.argmax(q, axis=-1), "returned a TensorFlow tensor"),
    "no return": (lambda q, e, r: None, "did you forget `return`?"),
    "argmin": (
        lambda q, e, r: np.where(_coins(q, e, r), _random(q, r), np.argmin(q, axis=-1)),
        "got action 3, expected 1", "likely mistake: you took the argmin"),
    "ε ignored, always random": (lambda q, e, r: _random(q, r), "likely mistake: the actions are random at ε = 0"),
    "ε ignored, always greedy": (lambda q, e, r: _greedy(q), "at ε = 1 every action must be random, but all 16,000"),
    "the same random action for every sub-environment": (
        lambda q, e, r: np.where(_coins(q, e, r), r.integers(0, q.shape[-1]), _greedy(q)),
        "at ε = 1 all 16 sub-environments got the same random action in 100% of the calls"),
    "a global generator": (
        lambda q, e, r: np.where(np.random.random(len(q)) < e, np.random.randint(0, q.shape[-1], len(q)), _greedy(q)),
        "two generators with the same seed gave different actions", "use rng.random and rng.integers"),
    "a generator of its own": (
        lambda q, e, r: epsilon_greedy(q, e, np.random.default_rng(0)),
        "returned exactly the actions of the call before", "makes (or reseeds) a generator of its own"),
    "hardcoded 4 actions": (
        lambda q, e, r: np.where(_coins(q, e, r), r.integers(0, 4, size=len(q)), _greedy(q)),
        "epsilon_greedy(q_values [16, 3], epsilon=1, rng)", "do not hardcode the lander's 4 actions"),
    "hardcoded 16 sub-environments": (
        lambda q, e, r: np.where(r.random(16) < e, r.integers(0, q.shape[-1], 16), _greedy(q)[0]),
        "the actions have shape [16], expected [6]", "do not hardcode N = 16"),
    "random actions up to A": (
        lambda q, e, r: np.where(_coins(q, e, r), _random(q, r, high=q.shape[-1] + 1), _greedy(q)),
        "outside 0 … 3 (A = 4)", "rng.integers(0, A) already excludes A"),
    "explores with probability ε/2": (
        lambda q, e, r: np.where(r.random(len(q)) < e / 2, _random(q, r), _greedy(q)),
        "at ε = 1 the greedy action was taken in 6", "expected 1/A = 25%"),
    "two arguments": (lambda q, e: _greedy(q), "takes 2 positional arguments",
                      "the agent calls epsilon_greedy_fn(q_values, epsilon, rng)"),
}


@pytest.mark.parametrize("name", list(EPSILON_GREEDY_MISTAKES))
def test_epsilon_greedy_mistakes_are_named(name):
    wrong, *phrases = EPSILON_GREEDY_MISTAKES[name]
    diagnosed(check_epsilon_greedy, wrong, *phrases)


def test_epsilon_greedy_excluding_the_greedy_action_only_in_between_is_named():
    """Right at ε = 0 and ε = 1, but greedy with probability 1 − ε in between."""
    def sometimes_excluding(q, e, r):
        if e in (0.0, 1.0):
            return epsilon_greedy(q, e, r)
        return np.where(_coins(q, e, r), (_greedy(q) + _random(q, r, low=1)) % q.shape[-1], _greedy(q))

    diagnosed(check_epsilon_greedy, sometimes_excluding, "epsilon_greedy: at ε = 0.2 the greedy action was taken in",
              "of 16,000 actions at ε = 0.2, i.e. 1 − ε", "the greedy one included", "1 − ε + ε/A = 85.0%")
