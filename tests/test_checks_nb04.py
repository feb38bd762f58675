"""The notebook-04 check: the reference passes, each typical mistake gets its diagnosis."""

import numpy as np
import pytest
import tensorflow as tf

from lunar_lab.checks.core import ExerciseFailed, NotImplementedYet
from lunar_lab.checks.nb04 import check_double_dqn_targets
from lunar_lab.targets import double_dqn_targets
from exercise_asserts import diagnosed


def _gather(q, actions):
    return tf.gather(q, actions, axis=1, batch_dims=1)


def _argmax(q):
    return tf.argmax(q, axis=-1, output_type=tf.int32)


# --- correct implementations ------------------------------------------------------------


def learner_solution(rewards, terminated, next_q_values, next_q_values_online, gamma):
    next_actions = tf.argmax(next_q_values_online, axis=-1)
    next_values = tf.gather(next_q_values, next_actions, axis=1, batch_dims=1)
    return rewards + gamma * (1.0 - terminated) * next_values


def one_hot_solution(rewards, terminated, next_q_values, next_q_values_online, gamma):
    mask = tf.one_hot(tf.argmax(next_q_values_online, axis=-1), tf.shape(next_q_values)[-1])
    return rewards + gamma * (1.0 - terminated) * tf.reduce_sum(mask * next_q_values, axis=-1)


def ignores_truncated(rewards, terminated, next_q_values, next_q_values_online, gamma, truncated=None):
    return learner_solution(rewards, terminated, next_q_values, next_q_values_online, gamma)


def with_kwargs(rewards, terminated, next_q_values, gamma, **kwargs):
    return learner_solution(rewards, terminated, next_q_values, kwargs["next_q_values_online"], gamma)


@pytest.mark.parametrize("fn", [double_dqn_targets, learner_solution, one_hot_solution, ignores_truncated, with_kwargs])
def test_correct_implementations_pass(fn, capsys):
    check_double_dqn_targets(fn)
    assert capsys.readouterr().out.strip() == "✅ double_dqn_targets: passed (8 cases)"


# --- typical mistakes --------------------------------------------------------------------


def dqn_target(rewards, terminated, next_q_values, next_q_values_online, gamma):
    return rewards + gamma * (1.0 - terminated) * tf.reduce_max(next_q_values, axis=-1)


def online_online(rewards, terminated, next_q_values, next_q_values_online, gamma):
    return rewards + gamma * (1.0 - terminated) * tf.reduce_max(next_q_values_online, axis=-1)


def swapped(rewards, terminated, next_q_values, next_q_values_online, gamma):
    return rewards + gamma * (1.0 - terminated) * _gather(next_q_values_online, _argmax(next_q_values))


def through_terminal(rewards, terminated, next_q_values, next_q_values_online, gamma):
    return rewards + gamma * _gather(next_q_values, _argmax(next_q_values_online))


def inverted_mask(rewards, terminated, next_q_values, next_q_values_online, gamma):
    return rewards + gamma * terminated * _gather(next_q_values, _argmax(next_q_values_online))


def no_gamma(rewards, terminated, next_q_values, next_q_values_online, gamma):
    return rewards + (1.0 - terminated) * _gather(next_q_values, _argmax(next_q_values_online))


def discounted_reward(rewards, terminated, next_q_values, next_q_values_online, gamma):
    return gamma * (rewards + (1.0 - terminated) * _gather(next_q_values, _argmax(next_q_values_online)))


def fixed_gamma(rewards, terminated, next_q_values, next_q_values_online, gamma):
    return rewards + 0.99 * (1.0 - terminated) * _gather(next_q_values, _argmax(next_q_values_online))


def first_gamma_only(rewards, terminated, next_q_values, next_q_values_online, gamma):
    gamma = tf.reshape(tf.convert_to_tensor(gamma, tf.float32), [-1])[0]
    return rewards + gamma * (1.0 - terminated) * _gather(next_q_values, _argmax(next_q_values_online))


def truncation_as_termination(rewards, terminated, next_q_values, next_q_values_online, gamma, truncated=None):
    done = tf.maximum(terminated, truncated)   # "done = terminated or truncated"
    return rewards + gamma * (1.0 - done) * _gather(next_q_values, _argmax(next_q_values_online))


def never_bootstraps(rewards, terminated, next_q_values, next_q_values_online, gamma):
    return rewards + 0.0 * next_q_values[:, 0]


MISTAKES = [
    (truncation_as_termination, ["treated truncation as termination", "time-limit cut at index 3", "element [3]",
                                 "truncated = 1 (time-limit cut: still bootstraps)"]),
    (never_bootstraps, ["never bootstrapped"]),
    (dqn_target, ["element [0]", "selected AND evaluated the next action with the target network", "plain DQN target"]),
    (online_online, ["selected and evaluated the next action with the online network"]),
    (swapped, ["swapped"]),
    (through_terminal, ["element [2]", "bootstrapped through a terminal transition", "index 2", "expected -100"]),
    (inverted_mask, ["used terminated where (1 − terminated) belongs"]),
    (no_gamma, ["forgot the discount γ"]),
    (discounted_reward, ["discounted the reward too"]),
    (fixed_gamma, ["fixed γ = 0.99 instead of the gamma argument"]),
    (first_gamma_only, ["γ as a [B] tensor", "only gamma[0]"]),
]


@pytest.mark.parametrize("fn, phrases", MISTAKES, ids=[fn.__name__ for fn, _ in MISTAKES])
def test_mistake_is_diagnosed(fn, phrases):
    message = diagnosed(check_double_dqn_targets, fn, *phrases)
    assert "expected" in message and "inputs of element" in message


# --- shapes, dtypes, crashes, the placeholder ------------------------------------------------


def gather_rows(rewards, terminated, next_q_values, next_q_values_online, gamma):  # [B, A]
    values = tf.gather(next_q_values, tf.argmax(next_q_values_online, axis=-1))
    return rewards[:, None] + gamma * (1.0 - terminated[:, None]) * values[:, :1] * tf.ones_like(next_q_values)


def gather_without_batch_dims(rewards, terminated, next_q_values, next_q_values_online, gamma):  # [B, B]
    values = tf.gather(next_q_values, tf.argmax(next_q_values_online, axis=-1), axis=1)
    return rewards[None, :] + values


def keepdims(rewards, terminated, next_q_values, next_q_values_online, gamma):  # [B, 1]
    mask = tf.one_hot(tf.argmax(next_q_values_online, axis=-1), tf.shape(next_q_values)[-1])
    values = tf.reduce_sum(mask * next_q_values, axis=-1, keepdims=True)
    return rewards[:, None] + gamma * (1.0 - terminated[:, None]) * values


def reduce_all(rewards, terminated, next_q_values, next_q_values_online, gamma):  # scalar
    return tf.reduce_mean(learner_solution(rewards, terminated, next_q_values, next_q_values_online, gamma))


def float64(rewards, terminated, next_q_values, next_q_values_online, gamma):
    return tf.cast(learner_solution(rewards, terminated, next_q_values, next_q_values_online, gamma), tf.float64)


def returns_none(rewards, terminated, next_q_values, next_q_values_online, gamma):
    learner_solution(rewards, terminated, next_q_values, next_q_values_online, gamma)


def numpy_inside(rewards, terminated, next_q_values, next_q_values_online, gamma):
    actions = np.argmax(next_q_values_online.numpy(), axis=-1)
    values = next_q_values.numpy()[np.arange(len(actions)), actions]
    return tf.constant(rewards.numpy() + np.float32(gamma) * (1.0 - terminated.numpy()) * values, tf.float32)


def crashes(rewards, terminated, next_q_values, next_q_values_online, gamma):
    return rewards + tf.gather(next_q_values, [[5]])


SHAPE_MISTAKES = [
    (gather_rows, ["shape [4, 3]", "expected [B] = [4]", "picks ROWS"]),
    (gather_without_batch_dims, ["shape [4, 4]", "batch_dims=1"]),
    (keepdims, ["shape [4, 1]", "keepdims"]),
    (reduce_all, ["shape []", "single number"]),
    (float64, ["dtype float64", "float32"]),
    (returns_none, ["returned None", "return"]),
    (numpy_inside, ["compiled", "TensorFlow ops only"]),
    (crashes, ["your code raised"]),
]


def dones_instead_of_terminated(rewards, dones, next_q_values, next_q_values_online, gamma):
    return learner_solution(rewards, dones, next_q_values, next_q_values_online, gamma)


def requires_truncated(rewards, terminated, next_q_values, next_q_values_online, gamma, truncated):
    return learner_solution(rewards, terminated, next_q_values, next_q_values_online, gamma)


def other_names(r, term, q_next, q_next_online, g):
    return learner_solution(r, term, q_next, q_next_online, g)


SIGNATURE_MISTAKES = [
    (dones_instead_of_terminated, ["takes `dones`", "treats a time-limit truncation as a termination",
                                   "double_dqn_targets(rewards, terminated, next_q_values, next_q_values_online, gamma)"]),
    (requires_truncated, ["`truncated` argument", "never passes one"]),
    (other_names, ["no parameter named rewards, terminated, next_q_values, next_q_values_online, gamma"]),
]


MESSAGE_MISTAKES = SHAPE_MISTAKES + SIGNATURE_MISTAKES


@pytest.mark.parametrize("fn, phrases", MESSAGE_MISTAKES, ids=[fn.__name__ for fn, _ in MESSAGE_MISTAKES])
def test_shape_dtype_and_signature_mistakes_get_a_message(fn, phrases):
    assert "Traceback" not in diagnosed(check_double_dqn_targets, fn, *phrases)


def argmax_over_batch(rewards, terminated, next_q_values, next_q_values_online, gamma):  # axis=0: [A], not [B]
    next_actions = tf.argmax(next_q_values_online, axis=0, output_type=tf.int32)
    return rewards + gamma * (1.0 - terminated) * tf.gather(next_q_values, next_actions, axis=1, batch_dims=1)


def argmax_over_batch_one_hot(rewards, terminated, next_q_values, next_q_values_online, gamma):
    mask = tf.one_hot(tf.argmax(next_q_values_online, axis=0), tf.shape(next_q_values)[-1])
    return rewards + gamma * (1.0 - terminated) * tf.reduce_sum(mask * next_q_values, axis=-1)


@pytest.mark.parametrize("fn", [argmax_over_batch, argmax_over_batch_one_hot])
def test_argmax_over_the_batch_axis_is_named(fn):
    # the function crashes (the [A] actions do not line up with the [B] batch); the check says why
    message = diagnosed(check_double_dqn_targets, fn, "your code raised InvalidArgumentError",
                        "the argmax ran over the batch axis (axis=0) instead of the action axis",
                        "tf.argmax(next_q_values_online, axis=-1)", "axis=1",
                        "one next-action index per transition, shape [B]")
    assert "function_node" not in message and "[Op:" not in message


def argmax_over_batch_no_gamma(rewards, terminated, next_q_values, next_q_values_online, gamma):
    # two mistakes at once: on a batch with B = A it runs, but its targets are not those of the axis=0 argmax alone
    next_actions = tf.argmax(next_q_values_online, axis=0, output_type=tf.int32)
    return rewards + (1.0 - terminated) * tf.gather(next_q_values, next_actions, axis=1, batch_dims=1)


def argmax_over_batch_no_batch_dims(rewards, terminated, next_q_values, next_q_values_online, gamma):  # [B, A] if B = A
    next_actions = tf.argmax(next_q_values_online, axis=0)
    return rewards + gamma * (1.0 - terminated) * tf.gather(next_q_values, next_actions, axis=1)


@pytest.mark.parametrize("fn", [argmax_over_batch_no_gamma, argmax_over_batch_no_batch_dims])
def test_a_crash_only_when_the_batch_is_not_square_names_the_axis(fn):
    # TensorFlow's InvalidArgumentError alone says nothing about axes; the check adds what is wrong in plain words
    message = diagnosed(check_double_dqn_targets, fn, "your code raised InvalidArgumentError",
                        "runs along the wrong axis", "B = 4 transitions, A = 3 actions", "B = A = 3",
                        "the argmax over the batch axis (axis=0)", "tf.argmax(next_q_values_online, axis=-1)",
                        "axis=1", "one next-action index per transition, shape [B]")
    assert "function_node" not in message and "[Op:" not in message


def test_placeholder_is_not_implemented_yet():
    def placeholder(rewards, terminated, next_q_values, next_q_values_online, gamma):
        raise NotImplementedError("exercise: double_dqn_targets")

    with pytest.raises(NotImplementedYet, match="not implemented yet"):
        check_double_dqn_targets(placeholder)


def test_failure_renders_without_traceback_in_jupyter():
    with pytest.raises(ExerciseFailed) as info:
        check_double_dqn_targets(dqn_target)
    lines = info.value._render_traceback_()
    assert lines[0].startswith("❌ double_dqn_targets")
