"""The Q-networks' Adam follows ``learning_rate_schedule``, through the agents' public API only.

Hand-computed case: learning_rate 0.01 → learning_rate_end 0.002 over 40 env steps with
train_every 4, i.e. over 10 gradient steps, so after k gradient steps the rate is
0.01 − 0.0008·min(k, 10): 0.01, 0.006 (k = 5), 0.0052 (k = 6), 0.002 (k ≥ 10).
"""

import numpy as np
import pytest

from lunar_lab.agents import make_agent
from lunar_lab.config import Config
from replay_batches import random_batches

OBS_DIM, NUM_ACTIONS, B = 8, 4, 16
LINEAR = dict(learning_rate_schedule="linear", learning_rate=0.01, learning_rate_end=0.002,
              learning_rate_decay_steps=40, train_every=4)


def hand_rate(k):
    """The linear rate after k gradient steps, computed by hand (10 gradient steps of decay)."""
    return 0.01 - (0.01 - 0.002) * min(k, 10) / 10


def agent(algo="dqn", jit_compile=False, **fields):
    return make_agent(Config(algo=algo, hidden_sizes=(8,), jit_compile=jit_compile, **fields))


def batches(num_batches, seed=0):
    return random_batches(num_batches, B, seed)


def rate(a):
    return float(a.optimizer.learning_rate.numpy())


def weights(a):
    return [w for net in a.q_networks for w in net.get_weights()]


@pytest.mark.parametrize("algo, jit_compile", [("dqn", False), ("dqn", True), ("sqn", True)])
def test_linear_rate_after_k_gradient_steps_before_at_and_after_the_end(algo, jit_compile):
    a = agent(algo, jit_compile, **LINEAR)
    assert rate(a) == pytest.approx(0.01, rel=1e-6)
    for call, k in enumerate((5, 10, 15)):  # calls of 5 gradient steps each
        a.learn(batches(5, seed=call))
        assert a.learner_steps == int(a.optimizer.iterations.numpy()) == k
        assert rate(a) == pytest.approx(hand_rate(k), rel=1e-6), k


def test_constant_schedule_keeps_exactly_the_learning_rate():
    a = agent(learning_rate=0.01, learning_rate_end=0.002, learning_rate_decay_steps=40, train_every=4)
    a.learn(batches(15))
    assert rate(a) == np.float32(0.01)


@pytest.mark.parametrize("k", [0, 5, 10, 20])
def test_the_gradient_step_uses_the_scheduled_rate(k):
    """From the same state (initial weights, zero Adam moments, Adam step count k), one gradient step of
    the linear agent moves the weights exactly as a constant-rate agent at the hand-computed rate does."""
    batch = batches(1)
    scheduled, constant, start = agent(**LINEAR), agent(learning_rate=hand_rate(k)), agent(learning_rate=0.01)
    for a in (scheduled, constant, start):
        a.optimizer.iterations.assign(k)
        a.learn(batch)
    for got, want in zip(weights(scheduled), weights(constant), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)
    differs_from_start_rate = max(np.abs(s - c).max() for s, c in zip(weights(scheduled), weights(start))) > 1e-4
    assert differs_from_start_rate == (k > 0)


@pytest.mark.parametrize("jit_compile", [False, True])
def test_a_resumed_agent_continues_the_schedule_where_it_was(tmp_path, jit_compile):
    first, second = batches(6, seed=1), batches(6, seed=2)
    whole = agent(jit_compile=jit_compile, **LINEAR)
    whole.learn(first)
    whole.save(tmp_path)
    state = whole.training_state()
    resumed = agent(jit_compile=jit_compile, **LINEAR)
    resumed.load(tmp_path)
    resumed.load_training_state(state)
    assert rate(resumed) == rate(whole) == pytest.approx(hand_rate(6), rel=1e-6)
    for a in (whole, resumed):
        a.learn(second)
        assert rate(a) == pytest.approx(hand_rate(12), rel=1e-6)
    for got, want in zip(weights(resumed), weights(whole), strict=True):
        np.testing.assert_array_equal(got, want)
