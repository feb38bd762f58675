"""ε schedules and hyperparameter validation."""

import json
import math
import os
import re

import numpy as np
import pytest

from lunar_lab.config import ACTIVATIONS, BYTES_PER_TRANSITION, Config
from lunar_lab.schedules import exponential_epsilon, linear_epsilon

INF, NAN = float("inf"), float("nan")


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
    # flags are real bools: the string "False" is truthy
    ("learn_temperature", "False", "True or False"), ("jit_compile", "no", "True or False"),
    ("stop_when_solved", 1, "True or False"), ("jit_compile", None, "True or False"),
    ("hidden_sizes", "abc", "non-empty list or tuple of integers >= 1"), ("hidden_sizes", [None], "integers >= 1"),
    ("hidden_sizes", [INF], "integers >= 1"), ("hidden_sizes", 64, "list or tuple"), ("hidden_sizes", [], "non-empty"),
    ("hidden_sizes", [64.0], "integers >= 1"), ("hidden_sizes", [0], "integers >= 1"), ("hidden_sizes", [True], "integers"),
    # every number field refuses inf, NaN and strings
    ("learning_rate", INF, "finite number > 0"), ("learning_rate", NAN, "finite number > 0"),
    ("learning_rate", "1e-3", "finite number > 0"), ("temperature", INF, "finite number > 0"),
    ("temperature_learning_rate", NAN, "finite number > 0"), ("max_grad_norm", INF, "None or a finite number > 0"),
    ("max_grad_norm", NAN, "None or a finite number > 0"), ("max_grad_norm", 0, "> 0"), ("gamma", NAN, r"\[0, 1\)"),
    ("tau", INF, r"finite number in \(0, 1\]"), ("epsilon_start", NAN, r"\[0, 1\]"), ("epsilon_end", -INF, r"\[0, 1\]"),
    ("epsilon_decay", NAN, r"\(0, 1\]"), ("gamma", True, r"\[0, 1\)"),
    ("activation", "gelu", "'relu', 'tanh', 'elu'"), ("activation", None, "'relu', 'tanh', 'elu'"),
    ("target_entropy", 0.5, "None unless algo='sqn'"),
    ("seed", 2**32, r"integer in \[0, 2\*\*32 - 1\]"), ("seed", -1, r"\[0, 2\*\*32 - 1\]"), ("seed", 1.0, "integer"),
    ("total_steps", 1e5, "integer >= 1"), ("num_envs", True, "integer >= 1"),
    ("checkpoint_interval", -1, "integer >= 0"), ("checkpoint_interval", 2.5, "integer >= 0"),
    ("learning_rate_schedule", "cosine", "'constant', 'linear'"), ("learning_rate_schedule", None, "'constant', 'linear'"),
    ("learning_rate_end", 0.0, "finite number > 0"), ("learning_rate_end", INF, "finite number > 0"),
    ("learning_rate_end", NAN, "finite number > 0"), ("learning_rate_end", "1e-4", "finite number > 0"),
    ("learning_rate_decay_steps", 0, "integer >= 1"), ("learning_rate_decay_steps", 1e5, "integer >= 1"),
])
def test_invalid_hyperparameters_name_field_value_and_range(field, value, allowed):
    for make in (Config, Config.from_dict):  # from_dict (config.json files) gives the same message
        with pytest.raises(ValueError) as info:
            make(**{field: value}) if make is Config else make({field: value})
        text = str(info.value)
        assert text.startswith(field) and f"got {value!r}" in text, text
        assert re.search(allowed, text), text


@pytest.mark.parametrize("value", [-0.01, math.log(4) + 1e-9, NAN, INF, "0.5", True])
def test_sqn_target_entropy_is_none_or_in_zero_to_log_4(value):
    with pytest.raises(ValueError, match=re.escape(f"target_entropy must be None or a finite number in "
                                                   f"[0, log 4 = 1.3863], got {value!r}")):
        Config(algo="sqn", target_entropy=value)


def test_sqn_target_entropy_bounds_are_allowed():
    assert Config(algo="sqn", target_entropy=0).resolved_target_entropy(4) == 0.0
    assert Config(algo="sqn", target_entropy=math.log(4)).target_entropy == math.log(4)
    assert Config(algo="dqn", target_entropy=None).target_entropy is None


def test_largest_seed_is_allowed():
    assert Config(seed=2**32 - 1).seed == 2**32 - 1


def test_numpy_values_are_stored_as_python_numbers():
    c = Config(seed=np.int64(3), learning_rate=np.float32(0.5), hidden_sizes=[np.int64(16)], gamma=0, checkpoint_interval=0)
    assert (c.seed, c.learning_rate, c.hidden_sizes, c.gamma, c.checkpoint_interval) == (3, 0.5, (16,), 0.0, 0)
    assert [type(v) for v in (c.seed, c.learning_rate, c.hidden_sizes[0], c.gamma)] == [int, float, int, float]
    assert Config.from_dict(json.loads(c.to_json())) == c


def test_bytes_per_transition_is_the_replay_buffers():
    from lunar_lab.envs import OBS_DIM
    from lunar_lab.replay import ReplayBuffer

    assert BYTES_PER_TRANSITION == ReplayBuffer(1, OBS_DIM).bytes_per_transition() == 2 * 8 * 4 + 4 * 4


@pytest.mark.skipif(not hasattr(os, "sysconf"), reason="no os.sysconf: the memory check is skipped")
def test_replay_buffer_larger_than_physical_memory_is_refused():
    memory = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    fits = memory // 80
    assert Config(buffer_capacity=fits).buffer_capacity == fits  # only checked: nothing is allocated
    with pytest.raises(ValueError) as info:
        Config(buffer_capacity=fits + 1)
    text = str(info.value)
    assert text.startswith(f"buffer_capacity must be <= {fits:,} on this machine") and f"got {fits + 1}" in text, text
    assert f"needs {(fits + 1) * 80:,} bytes" in text and f"{memory:,} bytes of physical memory" in text, text


def test_every_config_activation_builds_a_network_and_its_numpy_copy():
    from lunar_lab.networks import NumpyQNetwork, build_q_network

    obs = np.linspace(-2, 2, 16, dtype=np.float32).reshape(2, 8)
    for activation in ACTIVATIONS:
        net = build_q_network(8, 4, Config(activation=activation, hidden_sizes=[4]).hidden_sizes, activation, seed=0)
        assert np.allclose(NumpyQNetwork(net)(obs), net(obs).numpy(), atol=1e-5), activation


def test_from_dict_needs_a_dict():
    with pytest.raises(ValueError, match=r"a Config must be given as a dict \(a JSON object\) of field: value, got list"):
        Config.from_dict([["gamma", 0.5]])


def test_default_learning_rate_schedule_is_constant_also_for_configs_saved_before_it():
    assert (Config().learning_rate_schedule, Config().learning_rate_end, Config().learning_rate_decay_steps) == (
        "constant", 1e-4, 300_000)
    saved = {k: v for k, v in Config(learning_rate=3e-5).to_dict().items() if not k.startswith("learning_rate_")}
    assert Config.from_dict(saved).learning_rate_schedule == "constant"  # learning_rate < the default end is fine


def test_linear_learning_rate_end_above_the_start_is_refused():
    with pytest.raises(ValueError, match=re.escape("learning_rate_end must be <= learning_rate with "
                                                   "learning_rate_schedule='linear', got learning_rate_end=0.002 > "
                                                   "learning_rate=0.001")):
        Config(learning_rate_schedule="linear", learning_rate=1e-3, learning_rate_end=2e-3)
    flat = Config(learning_rate_schedule="linear", learning_rate=1e-3, learning_rate_end=1e-3)  # end = start: allowed
    assert flat.learning_rate_end == flat.learning_rate


@pytest.mark.parametrize("decay_steps, train_every, gradient_steps", [(40, 4, 10), (43, 4, 10), (3, 4, 1), (5, 1, 5)])
def test_learning_rate_decay_is_counted_in_gradient_steps(decay_steps, train_every, gradient_steps):
    config = Config(learning_rate_schedule="linear", learning_rate_decay_steps=decay_steps, train_every=train_every)
    assert config.learning_rate_decay_gradient_steps() == gradient_steps


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
