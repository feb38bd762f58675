"""The training loop on tiny budgets: reproducibility, truncation handling, checkpoints."""

import numpy as np
import pytest

from lunar_lab.config import Config
from lunar_lab.agents import make_agent
from lunar_lab.checks.nb05 import n_step_windows_reference
from lunar_lab.training import _accumulators, _save_checkpoint, _store, train
from lunar_lab.replay import ReplayBuffer
from lunar_lab.runs import load_agent

TINY = dict(total_steps=1500, learning_starts=300, num_envs=2, hidden_sizes=(16,), eval_interval=0,
            epsilon_decay_steps=1000, batch_size=16, updates_per_call=4)


def test_same_seed_same_episode_returns():
    a = train(Config(seed=3, **TINY), progress=False)
    b = train(Config(seed=3, **TINY), progress=False)
    assert len(a.episodes["return"]) >= 5
    assert a.episodes["return"] == b.episodes["return"]
    assert a.learner_steps == b.learner_steps > 0
    for wa, wb in zip(a.agent.q_network.get_weights(), b.agent.q_network.get_weights()):
        np.testing.assert_array_equal(wa, wb)


def test_other_seed_other_returns():
    a = train(Config(seed=3, **TINY), progress=False)
    c = train(Config(seed=4, **TINY), progress=False)
    assert a.episodes["return"] != c.episodes["return"]


def test_replay_ratio_and_env_step_count():
    r = train(Config(seed=0, **TINY), progress=False)
    assert r.env_steps == 1500 or 1500 <= r.env_steps < 1502  # a vector step adds num_envs
    # one gradient step per train_every env steps after learning_starts, in calls of 4
    expected = (r.env_steps - 300) / 4
    assert expected - 4 <= r.learner_steps <= expected + 1


def _step(store_args, n_step=1, gamma=0.9):
    buf = ReplayBuffer(10, 2)
    cfg = Config(n_step=n_step, gamma=gamma)
    _store(buf, _accumulators(cfg, None), cfg, *store_args)
    return buf


def test_truncated_transition_is_stored_with_real_final_obs_and_not_terminal():
    obs, next_obs = np.array([[1.0, 1.0]]), np.array([[7.0, 7.0]])
    args = (obs, np.array([2]), np.array([-0.5]), next_obs, np.array([False]), np.array([True]), np.array([True]))
    buf = _step(args)
    assert len(buf) == 1
    assert buf.terminated[0] == 0.0  # truncation is not termination: it bootstraps
    assert buf.next_obs[0].tolist() == [7.0, 7.0]
    assert buf.discount[0] == pytest.approx(0.9)


def test_resetting_sub_env_step_is_not_stored():
    obs = np.zeros((2, 2))
    args = (obs, np.array([0, 1]), np.array([1.0, 0.0]), obs + 1, np.array([True, False]),
            np.array([False, False]), np.array([True, False]))
    buf = _step(args)
    assert len(buf) == 1 and buf.terminated[0] == 1.0 and buf.reward[0] == 1.0


def _stored(buffer):
    """{(obs, action): (reward sum, next_obs, discount · (1 − terminated))} of a buffer's transitions."""
    return {(buffer.obs[i].tobytes(), int(buffer.action[i])):
            (float(buffer.reward[i]), buffer.next_obs[i].tobytes(), float(buffer.discount[i] * (1 - buffer.terminated[i])))
            for i in range(len(buffer))}


def test_n_step_fn_stores_the_package_n_step_transitions():
    """An episode function (here the reference n_step_windows) makes the same 3-step transitions
    as the streaming accumulator: same seed, no learning, so both runs see the same episodes."""
    cfg = Config(seed=1, **{**TINY, "total_steps": 2500, "learning_starts": 10**6, "n_step": 3})
    package, function = ReplayBuffer(5000, 8), ReplayBuffer(5000, 8)
    train(cfg, replay_buffer=package, progress=False)
    train(cfg, replay_buffer=function, n_step_fn=n_step_windows_reference, progress=False)
    ours, theirs = _stored(package), _stored(function)
    waiting = len(package) - len(function)  # the function's accumulators hold back unfinished blocks
    assert 0 <= waiting <= cfg.num_envs * (64 + 2) and len(package) > 2000
    for key, (reward_sum, next_obs, factor) in theirs.items():
        assert ours[key][1] == next_obs
        assert ours[key][0] == pytest.approx(reward_sum, rel=1e-5, abs=1e-4)  # float32 sums in another order
        assert ours[key][2] == pytest.approx(factor)
    assert sum(value[2] == 0.0 for value in theirs.values()) >= 5  # terminal windows were among them


def test_checkpoints_written(tmp_path):
    cfg = Config(seed=0, **{**TINY, "eval_interval": 1000, "eval_episodes": 2})
    r = train(cfg, progress=False, checkpoint_dir=tmp_path)
    assert len(r.evaluations["mean"]) == 1
    assert (tmp_path / "best" / "q_network.weights.h5").is_file()
    assert (tmp_path / "final" / "q_network.weights.h5").is_file()
    best = load_agent(tmp_path / "best")
    assert best.config.replace(jit_compile=cfg.jit_compile) == cfg  # loaded for acting, without XLA


def test_hook_without_evaluation_episodes(tmp_path, monkeypatch):
    """eval_episodes=0: the hook runs every eval_interval env steps with evaluation=None, no episode is played."""
    import lunar_lab.training as training

    def no_episodes(*args, **kwargs):
        raise AssertionError("no evaluation episode may be played with eval_episodes=0")

    monkeypatch.setattr(training, "evaluate", no_episodes)
    calls = []
    cfg = Config(seed=0, **{**TINY, "eval_interval": 500, "eval_episodes": 0})
    r = train(cfg, progress=False, checkpoint_dir=tmp_path,
              on_evaluation=lambda result, evaluation: calls.append((result.env_steps, evaluation)))
    assert [evaluation for _, evaluation in calls] == [None, None, None]
    assert [steps // 500 for steps, _ in calls] == [1, 2, 3]  # 2 envs: the first step at or past each multiple
    assert r.evaluations["mean"] == [] and r.solved_at is None
    assert not (tmp_path / "best").exists() and (tmp_path / "final" / "q_network.weights.h5").is_file()


@pytest.mark.parametrize("algo", ["dqn", "sqn"])
def test_checkpoint_slot_is_replaced_with_every_weights_file(tmp_path, algo):
    """A second 'best' checkpoint replaces the first, for SQN's two Q-networks as well."""
    agent = make_agent(Config(algo=algo, hidden_sizes=(4,), jit_compile=False))
    _save_checkpoint(agent, tmp_path / "best")
    for net in agent.q_networks:
        net.set_weights([w + 1.0 for w in net.get_weights()])
    _save_checkpoint(agent, tmp_path / "best")
    reloaded = make_agent(Config(algo=algo, hidden_sizes=(4,), jit_compile=False))
    reloaded.load(tmp_path / "best")
    for net, again in zip(agent.q_networks, reloaded.q_networks):
        for w, w2 in zip(net.get_weights(), again.get_weights()):
            np.testing.assert_array_equal(w, w2)


def test_learner_target_function_is_used():
    calls = []

    def my_targets(rewards, terminated, next_q_values, gamma):
        calls.append(1)
        return rewards * 0.0

    train(Config(seed=0, **{**TINY, "jit_compile": False}), td_target_fn=my_targets, progress=False)
    assert calls  # traced at least once by tf.function
