"""The two training engines keep one contract: observation layout, seeding, time limit,
terminated/truncated flags, next-step autoreset, and the same return distribution of fixed
policies (EnvPool seeds its terrain differently, so distributions are compared, not episodes).

The EnvPool tests run where EnvPool is installed (Linux x86_64, Python >= 3.11: CI's machine).
"""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
from scipy import stats

from lunar_lab.config import Config
from lunar_lab.engines import (ENGINES, ENVPOOL_SEED_MODULUS, EnvPoolVectorEnv, engine_problem, envpool_seeds,
                               envpool_supported)
from lunar_lab.envs import OBS_DIM, make_vector_env

HAS_ENVPOOL = importlib.util.find_spec("envpool") is not None
needs_envpool = pytest.mark.skipif(not HAS_ENVPOOL, reason="envpool is not installed on this machine")
ENGINES_HERE = ["gymnasium"] + (["envpool"] if HAS_ENVPOOL else [])


def random_returns(engine: str, episodes: int, seed: int, policy=None, num_envs: int = 8) -> np.ndarray:
    """Returns of ``episodes`` full episodes of ``policy(obs [N, 8], rng) -> actions [N]`` (default: uniform)."""
    envs = make_vector_env(num_envs, seed=seed, engine=engine)
    rng = np.random.default_rng(seed)
    policy = policy or (lambda obs, rng: rng.integers(0, 4, size=len(obs)))
    obs, _ = envs.reset(seed=seed)
    resetting, ret, done = np.zeros(num_envs, bool), np.zeros(num_envs), []
    while len(done) < episodes:
        obs, reward, terminated, truncated, _ = envs.step(policy(obs, rng))
        live = ~resetting
        ret[live] += reward[live]
        ended = (terminated | truncated) & live
        done += list(ret[ended])
        ret[ended] = 0.0
        resetting = ended
    envs.close()
    return np.array(done[:episodes])


def main_engine_only(obs, rng):
    return np.full(len(obs), 2)


@needs_envpool
@pytest.mark.parametrize("policy", [None, main_engine_only], ids=["uniform random", "main engine only"])
def test_return_distributions_agree(policy):
    """300 episodes per engine: the means lie within each other's 95 % intervals' reach (Welch
    t-test does not reject at 1 %) and the distributions are alike (KS test, 1 %)."""
    gym_returns = random_returns("gymnasium", 300, seed=11, policy=policy)
    pool_returns = random_returns("envpool", 300, seed=11, policy=policy)
    assert stats.ttest_ind(gym_returns, pool_returns, equal_var=False).pvalue > 0.01
    assert stats.ks_2samp(gym_returns, pool_returns).pvalue > 0.01


@needs_envpool
def test_a_policy_that_changes_the_returns_is_detected():
    """The parity test has power: uniform random and main-engine-only differ on one engine."""
    a = random_returns("envpool", 300, seed=11)
    b = random_returns("envpool", 300, seed=11, policy=main_engine_only)
    assert stats.ks_2samp(a, b).pvalue < 1e-6


@pytest.mark.parametrize("engine", ENGINES_HERE)
def test_observation_layout_and_ranges(engine):
    envs = make_vector_env(3, seed=0, engine=engine)
    obs, _ = envs.reset(seed=0)
    assert obs.shape == (3, OBS_DIM) and obs.dtype == np.float32
    assert np.allclose(obs[:, 1], 1.41, atol=0.03)  # starts at the top of the screen, legs in the air
    assert np.all(obs[:, 6:] == 0.0)
    for _ in range(200):
        obs, reward, terminated, truncated, _ = envs.step(np.zeros(3, dtype=np.int64))
        assert reward.dtype == np.float64 and terminated.dtype == bool and truncated.dtype == bool
        assert np.all(np.isin(obs[:, 6:], (0.0, 1.0)))  # leg contacts are flags
        assert np.all(np.abs(obs[:, 0]) <= 1.5)
    envs.close()


@pytest.mark.parametrize("engine", ENGINES_HERE)
def test_seeding_contract(engine):
    """reset(seed=s) seeds sub-env i with s + i: the same as reset(seed=[s, s + 1]); another seed differs."""
    envs = make_vector_env(2, engine=engine)
    first, _ = envs.reset(seed=5)
    listed, _ = envs.reset(seed=[5, 6])
    shifted, _ = envs.reset(seed=[6, 7])
    assert np.array_equal(first, listed)
    assert np.array_equal(first[1], shifted[0]) and not np.array_equal(first[0], shifted[0])
    envs.close()


@needs_envpool
def test_time_limit_truncates_and_next_step_autoresets():
    """At the time limit: truncated, not terminated; the next step resets (reward 0, flags off)."""
    envs = EnvPoolVectorEnv(2, max_episode_steps=5)
    obs, _ = envs.reset(seed=3)
    start = obs.copy()
    for t in range(5):
        obs, reward, terminated, truncated, _ = envs.step(np.array([0, 2]))
        assert not terminated.any()
        assert truncated.all() == (t == 4)
    obs, reward, terminated, truncated, _ = envs.step(np.array([0, 2]))
    assert np.array_equal(reward, [0.0, 0.0]) and not (terminated | truncated).any()
    assert np.allclose(obs[:, 1], 1.41, atol=0.03) and not np.array_equal(obs, start)  # a new episode, new seed
    envs.close()


@pytest.mark.parametrize("engine", ENGINES_HERE)
def test_a_crash_terminates_and_autoresets(engine):
    envs = make_vector_env(1, engine=engine)
    envs.reset(seed=0)
    for t in range(1000):
        obs, reward, terminated, truncated, _ = envs.step(np.array([0]))  # engines off: it falls and crashes
        if terminated[0]:
            break
    assert terminated[0] and not truncated[0] and reward[0] == -100.0 and t < 200
    obs, reward, terminated, truncated, _ = envs.step(np.array([0]))
    assert reward[0] == 0.0 and obs[0, 1] > 1.3  # the next step only reset it
    envs.close()


def test_envpool_seeds_fit_int32():
    assert envpool_seeds([0, 7, ENVPOOL_SEED_MODULUS + 3, 2**32 - 1]) == [0, 7, 3, 1]


def test_asking_for_envpool_where_it_cannot_run_is_a_clear_error():
    assert "not available on Darwin arm64" in engine_problem("envpool", supported=False, installed=False,
                                                             where="Darwin arm64")
    assert "pip install envpool" in engine_problem("envpool", supported=True, installed=False)
    assert engine_problem("envpool", supported=True, installed=True) is None
    with pytest.raises(ValueError, match="env_engine must be one of 'gymnasium', 'envpool'; got 'box2d'"):
        Config(env_engine="box2d")


@pytest.mark.skipif(HAS_ENVPOOL, reason="envpool is installed here")
def test_envpool_missing_is_refused_not_replaced():
    with pytest.raises(ValueError, match="envpool"):
        make_vector_env(2, engine="envpool")


TINY = dict(total_steps=3_000, learning_starts=500, num_envs=8, updates_per_call=8, hidden_sizes=(16,),
            eval_interval=0, checkpoint_interval=1_000)


@pytest.mark.parametrize("engine", ENGINES_HERE)
def test_the_fast_path_trains_and_reproduces_on_each_engine(engine):
    from lunar_lab.training import train

    config = Config(env_engine=engine, **TINY)
    first, second = train(config, progress=False), train(config, progress=False)
    assert first.env_steps >= 3_000 and first.learner_steps > 0
    assert first.episodes["return"] == second.episodes["return"]
    assert first.episodes["end"].count("checkpoint") >= 8  # every sub-env cut at each checkpoint
    assert first.learner_steps == second.learner_steps


@needs_envpool
def test_the_engines_give_different_episodes_for_one_seed():
    """The engine is part of the run: same config and seed, other engine, other episodes."""
    from lunar_lab.training import train

    runs = [train(Config(env_engine=e, **TINY), progress=False) for e in ("gymnasium", "envpool")]
    assert runs[0].episodes["return"][:5] != runs[1].episodes["return"][:5]


@needs_envpool
@pytest.mark.parametrize("name", ["dqn", "sqn"])
def test_a_pretrained_agent_lands_on_the_engine_it_was_not_trained_on_alike(name):
    """A pretrained agent lands on the other engine than the one its config.json says it was
    trained on, and its greedy returns on the two engines agree (60 episodes each: Welch t-test
    does not reject at 1 %)."""
    from lunar_lab.runs import load_agent

    agent = load_agent(name)
    policy = lambda obs, rng: agent.greedy_actions(obs)  # noqa: E731
    returns = {engine: random_returns(engine, 60, seed=3_500_000, policy=policy) for engine in ENGINES}
    (other,) = set(ENGINES) - {agent.config.env_engine}
    assert returns[other].mean() >= 200.0, f"{name}, trained on {agent.config.env_engine}, on {other}: {returns[other].mean():.1f}"
    assert stats.ttest_ind(*returns.values(), equal_var=False).pvalue > 0.01


def test_training_defaults_to_envpool_where_it_is_installed_and_old_records_read_as_gymnasium():
    expected = "envpool" if HAS_ENVPOOL and envpool_supported() else "gymnasium"
    assert Config().env_engine == expected and Config().replace(seed=3).env_engine == expected
    recorded_before_the_field = {k: v for k, v in Config().to_dict().items() if k != "env_engine"}
    assert Config.from_dict(recorded_before_the_field).env_engine == "gymnasium"
    assert Config.from_dict(Config(env_engine="envpool").to_dict()).env_engine == "envpool"  # recorded: kept
