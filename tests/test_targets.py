"""TD targets on hand-computed batches, including terminated and truncated transitions."""

import numpy as np
import pytest
import tensorflow as tf

from lunar_lab.targets import double_dqn_targets, dqn_targets, soft_q_targets

# Three transitions: ordinary, terminal (lander crashed), and cut by the time limit.
# A truncated transition is stored with terminated = 0, so it bootstraps.
REWARDS = [1.0, -100.0, -0.3]
TERMINATED = [0.0, 1.0, 0.0]
NEXT_Q = [[0.0, 2.0, -1.0], [50.0, 60.0, 70.0], [10.0, 4.0, 3.0]]


def test_dqn_targets_hand_computed():
    y = dqn_targets(REWARDS, TERMINATED, NEXT_Q, gamma=0.9).numpy()
    # 1 + 0.9·2 = 2.8;  −100 (terminal: no bootstrap);  −0.3 + 0.9·10 = 8.7 (truncated still bootstraps)
    np.testing.assert_allclose(y, [2.8, -100.0, 8.7], rtol=1e-6)
    assert y.dtype == np.float32


def test_dqn_targets_per_transition_discount_for_n_step():
    y = dqn_targets([1.0, 1.0], [0.0, 0.0], [[1.0], [1.0]], gamma=[0.5, 0.25]).numpy()
    np.testing.assert_allclose(y, [1.5, 1.25])


def test_double_dqn_selects_with_online_evaluates_with_target():
    online = [[0.0, 0.0, 1.0], [0.0, 0.0, 0.0], [0.0, 9.0, 0.0]]  # picks actions 2, 0, 1
    y = double_dqn_targets(REWARDS, TERMINATED, NEXT_Q, online, gamma=0.9).numpy()
    # 1 + 0.9·(−1) = 0.1;  −100;  −0.3 + 0.9·4 = 3.3
    np.testing.assert_allclose(y, [0.1, -100.0, 3.3], rtol=1e-5)


def test_double_dqn_equals_dqn_when_online_is_target():
    q = np.random.default_rng(0).normal(size=(16, 4)).astype(np.float32)
    r = np.random.default_rng(1).normal(size=16).astype(np.float32)
    t = (np.arange(16) % 3 == 0).astype(np.float32)
    np.testing.assert_allclose(double_dqn_targets(r, t, q, q, 0.99), dqn_targets(r, t, q, 0.99), rtol=1e-6)


def test_bool_terminated_accepted():
    y = dqn_targets([0.0, 0.0], [True, False], [[1.0], [1.0]], gamma=0.5).numpy()
    np.testing.assert_allclose(y, [0.0, 0.5])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(rewards=[1.0, 2.0], terminated=[0.0], next_q_values=[[1.0], [1.0]], gamma=0.9), "terminated has shape [1]"),
        (dict(rewards=[1.0], terminated=[0.0], next_q_values=[1.0], gamma=0.9), "next_q_values has shape [1]"),
        (dict(rewards=[[1.0]], terminated=[0.0], next_q_values=[[1.0]], gamma=0.9), "rewards has shape [1, 1]"),
        (dict(rewards=[1.0], terminated=[0.0], next_q_values=[[1.0]], gamma=[0.9, 0.9]), "gamma has shape [2]"),
    ],
)
def test_mismatched_shapes_raise_clear_error(kwargs, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        dqn_targets(**kwargs)


def test_targets_work_inside_tf_function():
    f = tf.function(lambda r, t, q: dqn_targets(r, t, q, 0.5), jit_compile=True)
    y = f(tf.constant([1.0]), tf.constant([0.0]), tf.constant([[4.0, 2.0]]))
    np.testing.assert_allclose(y.numpy(), [3.0])


# --- terminal transitions are exactly r, whatever the next Q-values hold ---------------------------------------

INF, NAN = float("inf"), float("nan")


# The three target functions, each on (rewards, terminated, next_q, gamma); the online / second network
# sees the same next Q-values, and the soft target uses α_H = 0.5.
TARGETS = {
    "dqn": lambda r, t, q, gamma: dqn_targets(r, t, q, gamma),
    "double_dqn": lambda r, t, q, gamma: double_dqn_targets(r, t, q, q, gamma),
    "soft_q": lambda r, t, q, gamma: soft_q_targets(r, t, q, q, 0.5, gamma),
}


@pytest.mark.parametrize("bad", [INF, -INF, NAN])
def test_terminal_target_is_exactly_r_whatever_next_q_holds(bad):
    # Both transitions are terminal; 0·inf or 0·NaN would make them NaN.
    for name, targets in TARGETS.items():
        y = targets([-100.0, 7.5], [1.0, True], [[bad, 0.0], [bad, bad]], 0.99)
        assert y.numpy().tolist() == [-100.0, 7.5], name


def test_terminal_target_is_exactly_r_inside_xla():
    f = tf.function(lambda r, t, q: double_dqn_targets(r, t, q, q, gamma=0.9), jit_compile=True)
    y = f(tf.constant([3.0, 1.0]), tf.constant([1.0, 0.0]), tf.constant([[INF, NAN], [2.0, 4.0]]))
    assert y.numpy().tolist() == pytest.approx([3.0, 1.0 + 0.9 * 4.0])


def test_non_terminal_target_keeps_a_non_finite_next_q():
    # A diverging network must stay visible: only terminal targets ignore the next Q-values.
    for name, targets in TARGETS.items():
        y = targets([1.0, 1.0], [0.0, 1.0], [[INF, 0.0], [INF, 0.0]], 0.9).numpy()
        assert not np.isfinite(y[0]) and y[1] == 1.0, name


# --- values outside their domain are refused when known at call time -------------------------------------------

GAMMA_DOMAIN = r"gamma must be in \[0, 1\] \(the bootstrap discount γ, or γⁿ\), got "
TERMINATED_DOMAIN = r"terminated must be 0 or 1 \(1 where s′ is a true terminal state\), got "
TEMPERATURE_DOMAIN = r"temperature must be a finite number > 0 \(the entropy temperature α_H\), got "


@pytest.mark.parametrize("function", TARGETS)
@pytest.mark.parametrize("gamma, got", [
    (1.5, "1.5"), (-0.1, "-0.1"), (NAN, "nan"), (INF, "inf"),
    ([0.9, 1.01], r"gamma\[1\] = 1.01"), (tf.constant([-1.0, 2.0]), r"gamma\[0\] = -1, gamma\[1\] = 2"),
])
def test_gamma_outside_0_1_refused(function, gamma, got):
    with pytest.raises(ValueError, match=GAMMA_DOMAIN + got + "$"):
        TARGETS[function]([1.0, 1.0], [0.0, 0.0], [[1.0], [1.0]], gamma)


@pytest.mark.parametrize("function", TARGETS)
@pytest.mark.parametrize("terminated, got", [
    ([0.5, 0.0], r"terminated\[0\] = 0.5"), ([0.0, 2.0], r"terminated\[1\] = 2"), ([-1, 1], r"terminated\[0\] = -1"),
    ([NAN, 0.0], r"terminated\[0\] = nan"),
])
def test_terminated_outside_0_1_refused(function, terminated, got):
    with pytest.raises(ValueError, match=TERMINATED_DOMAIN + got + "$"):
        TARGETS[function]([1.0, 1.0], terminated, [[1.0], [1.0]], 0.9)


def test_bad_values_message_lists_three_and_counts_the_rest():
    with pytest.raises(ValueError, match=TERMINATED_DOMAIN + (
            r"terminated\[1\] = 0.5, terminated\[3\] = 2, terminated\[4\] = 3 \(and 1 more\)$")):
        dqn_targets(np.zeros(6), [0.0, 0.5, 1.0, 2.0, 3.0, 4.0], np.zeros((6, 2)), 0.9)


@pytest.mark.parametrize("temperature, got", [
    (0.0, "0"), (-0.0, "-?0"), (-1.0, "-1"), (NAN, "nan"), (INF, "inf"), (tf.constant(-2.0), "-2"), (np.float64(0), "0"),
])
def test_temperature_not_positive_and_finite_refused(temperature, got):
    with pytest.raises(ValueError, match=TEMPERATURE_DOMAIN + got + "$"):
        soft_q_targets([0.0], [0.0], [[1.0, 2.0]], [[1.0, 2.0]], temperature=temperature, gamma=0.9)


@pytest.mark.parametrize("temperature, shape", [([0.5, 0.5], r"\[2\]"), ([0.5], r"\[1\]"), ([[0.5]], r"\[1, 1\]")])
def test_temperature_must_be_a_scalar(temperature, shape):
    with pytest.raises(ValueError, match=rf"^temperature has shape {shape} but must be a scalar \(rank 0\)$"):
        soft_q_targets([0.0, 0.0], [0.0, 0.0], [[1.0], [1.0]], [[1.0], [1.0]], temperature=temperature, gamma=0.9)


def test_domain_boundaries_accepted():
    # γ = 0: y = r; γ = 1: y = r + max Q′; terminated as bool; a small positive temperature.
    np.testing.assert_allclose(dqn_targets([1.0, 2.0], [False, True], [[3.0], [3.0]], 0.0), [1.0, 2.0])
    np.testing.assert_allclose(dqn_targets([1.0, 2.0], [0, 1], [[3.0], [3.0]], 1.0), [4.0, 2.0])
    y = soft_q_targets([0.0], [0.0], [[1.0, 3.0]], [[1.0, 3.0]], temperature=1e-6, gamma=1.0)
    np.testing.assert_allclose(y, [3.0])


def test_constants_inside_a_graph_are_checked_when_traced():
    f = tf.function(lambda r, t, q: soft_q_targets(r, t, q, q, temperature=0.0, gamma=0.9), jit_compile=True)
    with pytest.raises(ValueError, match=TEMPERATURE_DOMAIN + "0$"):
        f(tf.constant([0.0]), tf.constant([0.0]), tf.constant([[1.0, 2.0]]))


def test_xla_compiles_with_a_learned_temperature_as_the_sqn_agent_passes_it():
    # The SQN agent calls soft_q_targets(temperature=exp(log α)) inside tf.function(jit_compile=True):
    # the values are unknown at trace time, so nothing is checked and nothing breaks compilation.
    log_temperature = tf.Variable(np.log(0.5), dtype=tf.float32)
    f = tf.function(lambda r, t, q1, q2, g: soft_q_targets(r, t, q1, q2, tf.exp(log_temperature), g), jit_compile=True)
    y = f(tf.constant([0.0, 2.0]), tf.constant([0.0, 1.0]), tf.constant([[1.0, 1.0], [1.0, 1.0]]),
          tf.constant([[2.0, 3.0], [0.0, 0.0]]), tf.constant([1.0, 0.5]))
    np.testing.assert_allclose(y.numpy(), [1.0 + 0.5 * np.log(2.0), 2.0], rtol=1e-6)   # π = (½, ½), H = log 2

