"""ε schedules and hyperparameter validation."""

import re

import pytest

from lunar_lab.config import Config
from lunar_lab.schedules import exponential_epsilon, linear_epsilon


def test_linear_epsilon():
    assert linear_epsilon(0, 1.0, 0.05, 1000) == 1.0
    assert linear_epsilon(500, 1.0, 0.0, 1000) == pytest.approx(0.5)
    assert linear_epsilon(10_000, 1.0, 0.05, 1000) == 0.05


def test_exponential_epsilon_per_episode():
    assert exponential_epsilon(0, 1.0, 0.01, 0.995) == 1.0
    assert exponential_epsilon(3, 1.0, 0.01, 0.5) == pytest.approx(0.125)
    assert exponential_epsilon(1000, 1.0, 0.01, 0.995) == 0.01


@pytest.mark.parametrize("field, value, allowed", [
    ("gamma", 1.0, r"\[0, 1\)"), ("gamma", -0.1, r"\[0, 1\)"),
    ("tau", 0.0, r"\(0, 1\]"), ("tau", 1.01, r"\(0, 1\]"),
    ("batch_size", 0, ">= 1"), ("buffer_capacity", -5, ">= 1"), ("train_every", 0, ">= 1"),
    ("target_update_period", 0, ">= 1"), ("n_step", 0, ">= 1"), ("learning_rate", 0.0, "> 0"),
    ("eval_episodes", -1, ">= 0"),
    ("algo", "ppo", "'dqn', 'double_dqn', 'sqn'"), ("epsilon_schedule", "cosine", "'linear', 'exponential'"),
    ("loss", "l1", "huber"), ("target_update", "polyak", "'soft', 'hard'"),
])
def test_invalid_hyperparameters_name_field_value_and_range(field, value, allowed):
    with pytest.raises(ValueError) as info:
        Config(**{field: value})
    text = str(info.value)
    assert text.startswith(field) and f"got {value!r}" in text, text
    assert re.search(allowed, text), text


def test_batch_larger_than_capacity():
    with pytest.raises(ValueError, match="batch_size must be <= buffer_capacity, got batch_size=128 > buffer_capacity=100"):
        Config(batch_size=128, buffer_capacity=100)


@pytest.mark.parametrize("changes", [dict(eval_interval=0), dict(eval_episodes=0)])
def test_stop_when_solved_needs_evaluations(changes):
    with pytest.raises(ValueError, match=r"stop_when_solved=True needs greedy evaluations, got eval_interval=\d+ and eval_episodes=\d+"):
        Config(stop_when_solved=True, **changes)
    allowed = Config(stop_when_solved=False, **changes)  # without the stop rule, no evaluations is fine
    assert all(getattr(allowed, name) == value for name, value in changes.items())


def test_replace_and_round_trip():
    c = Config().replace(gamma=0.5, hidden_sizes=[32, 32])
    assert c.hidden_sizes == (32, 32)
    assert Config.from_dict(c.to_dict()) == c
    with pytest.raises(ValueError, match="unknown Config field 'gama'"):
        c.replace(gama=0.9)
