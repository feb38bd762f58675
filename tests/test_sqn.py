"""SQN: soft targets, the temperature loss, and the agent's twin networks and temperature."""

import math

import numpy as np
import pytest
import tensorflow as tf

from lunar_lab.agents import SQNAgent, make_agent
from lunar_lab.config import Config
from lunar_lab.losses import policy_entropy, temperature_loss
from lunar_lab.targets import dqn_targets, soft_q_targets


def test_soft_targets_hand_computed_with_clipped_minimum():
    q1 = [[1.0, 0.0], [5.0, 5.0]]
    q2 = [[2.0, 0.0], [0.0, 9.0]]          # minimum: [[1, 0], [0, 5]]
    alpha = 1.0
    y = soft_q_targets([0.5, 1.0], [0.0, 1.0], q1, q2, temperature=alpha, gamma=0.9).numpy()
    soft_value = math.log(math.exp(1.0) + math.exp(0.0))  # α·logsumexp(min Q / α)
    assert y[0] == pytest.approx(0.5 + 0.9 * soft_value, rel=1e-5)
    assert y[1] == pytest.approx(1.0)      # terminated: no bootstrap


def test_soft_value_is_expectation_minus_alpha_log_pi():
    rng = np.random.default_rng(0)
    q = rng.normal(size=(5, 4)).astype(np.float32)
    alpha = 0.7
    log_pi = q / alpha - np.log(np.exp(q / alpha).sum(-1, keepdims=True))
    expected = (np.exp(log_pi) * (q - alpha * log_pi)).sum(-1)
    y = soft_q_targets(np.zeros(5), np.zeros(5), q, q + 1.0, temperature=alpha, gamma=1.0).numpy()
    np.testing.assert_allclose(y, expected, rtol=1e-5)


def test_small_temperature_recovers_the_dqn_target_of_the_minimum():
    q1, q2 = [[1.0, 3.0, 2.0]], [[2.0, 2.5, 0.0]]
    y = soft_q_targets([1.0], [0.0], q1, q2, temperature=1e-4, gamma=0.9).numpy()
    np.testing.assert_allclose(y, dqn_targets([1.0], [0.0], np.minimum(q1, q2), 0.9).numpy(), atol=1e-3)


def test_no_nan_for_large_q_over_temperature():
    y = soft_q_targets([0.0], [0.0], [[1e4, -1e4]], [[1e4, -1e4]], temperature=1e-3, gamma=0.5).numpy()
    assert np.isfinite(y).all() and y[0] == pytest.approx(5e3)


def test_temperature_loss_gradient_sign():
    log_alpha = tf.Variable(0.0)
    random_policy = np.log(np.full((2, 4), 0.25, np.float32))   # H = log 4, above target
    with tf.GradientTape() as tape:
        loss = temperature_loss(log_alpha, random_policy, target_entropy=0.5)
    grad = tape.gradient(loss, log_alpha)
    assert float(grad) == pytest.approx(math.log(4) - 0.5, rel=1e-5)  # descent lowers α
    greedy = np.log(np.array([[1.0 - 3e-6, 1e-6, 1e-6, 1e-6]], np.float32))
    with tf.GradientTape() as tape:
        loss = temperature_loss(log_alpha, greedy, target_entropy=0.5)
    assert float(tape.gradient(loss, log_alpha)) < 0                 # descent raises α


def test_policy_entropy():
    np.testing.assert_allclose(policy_entropy(np.log([[0.5, 0.5], [1.0, 1e-30]])).numpy(), [math.log(2), 0.0], atol=1e-6)


def test_agent_has_twin_networks_and_learns_temperature():
    cfg = Config(algo="sqn", hidden_sizes=(8,), jit_compile=False, temperature=0.5, temperature_learning_rate=0.1)
    agent = make_agent(cfg)
    assert isinstance(agent, SQNAgent) and len(agent.q_networks) == 2
    w1, w2 = agent.q_networks[0].get_weights()[0], agent.q_networks[1].get_weights()[0]
    assert not np.allclose(w1, w2)  # independently initialised
    rng = np.random.default_rng(0)
    batch = {"obs": rng.normal(size=(2, 16, 8)).astype(np.float32), "action": rng.integers(0, 4, (2, 16)).astype(np.int32),
             "reward": rng.normal(size=(2, 16)).astype(np.float32), "next_obs": rng.normal(size=(2, 16, 8)).astype(np.float32),
             "terminated": np.zeros((2, 16), np.float32), "discount": np.full((2, 16), 0.99, np.float32)}
    before = agent.temperature
    agent.learn(batch)
    assert agent.learner_steps == 2 and agent.temperature != before


def test_sampling_follows_the_boltzmann_policy():
    agent = SQNAgent(Config(algo="sqn", hidden_sizes=(8,), jit_compile=False, temperature=1.0))
    obs = np.zeros((20_000, 8), np.float32)
    q = agent.q_values(obs[:1])[0]
    probs = np.exp(q - q.max()) / np.exp(q - q.max()).sum()
    counts = np.bincount(agent.act(obs, np.random.default_rng(0)), minlength=4) / len(obs)
    np.testing.assert_allclose(counts, probs, atol=0.015)


def test_bad_target_entropy():
    with pytest.raises(ValueError, match=r"target_entropy must be None or a finite number in \[0, log 4 = 1.3863\], got 2.0"):
        SQNAgent(Config(algo="sqn", target_entropy=2.0, hidden_sizes=(8,)))
