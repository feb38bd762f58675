"""The training loop on tiny budgets, through its seams: reproducibility, truncation handling,
callbacks that watch and stop it, checkpoints, and exact resume."""

import json

import gymnasium as gym
import numpy as np
import pytest
import tensorflow as tf

from lunar_lab.agents import make_agent
from lunar_lab.callbacks import Callback, LambdaCallback
from lunar_lab.checkpoints import save_weights_dir
from lunar_lab.config import Config
from lunar_lab.envs import ENV_ID, OBS_DIM
from lunar_lab.evaluation import Evaluation
from lunar_lab.exploration import epsilon_greedy
from lunar_lab.nstep import n_step_windows_reference
from lunar_lab.replay import ReplayBuffer
from lunar_lab.runs import load_agent
from lunar_lab.training import EPISODE_COLUMNS, EVAL_COLUMNS, WALL_CLOCK_COLUMNS, TrainingInterrupted, train

TINY = dict(total_steps=1500, learning_starts=300, num_envs=2, hidden_sizes=(16,), eval_interval=0,
            epsilon_decay_steps=1000, batch_size=16, updates_per_call=4, checkpoint_interval=0)


def weights(agent):
    return [w for net in agent.q_networks + agent.target_networks for w in net.get_weights()]


def test_same_seed_same_episode_returns():
    a = train(Config(seed=3, **TINY), progress=False)
    b = train(Config(seed=3, **TINY), progress=False)
    assert len(a.episodes["return"]) >= 5
    assert a.episodes["return"] == b.episodes["return"]
    assert a.learner_steps == b.learner_steps > 0
    for wa, wb in zip(weights(a.agent), weights(b.agent)):
        np.testing.assert_array_equal(wa, wb)


def test_other_seed_other_returns():
    a = train(Config(seed=3, **TINY), progress=False)
    c = train(Config(seed=4, **TINY), progress=False)
    assert a.episodes["return"] != c.episodes["return"]


class Recorder(Callback):
    """Keeps every event the loop emits."""

    def __init__(self):
        self.events, self.steps, self.episodes, self.calls = [], [], [], []

    def on_train_begin(self, result):
        self.events.append("begin")

    def on_step(self, result, step):
        self.steps.append(step)

    def on_episode_end(self, result, episode):
        self.episodes.append(episode)

    def on_learner_call(self, result, call):
        self.calls.append(call)

    def on_evaluation(self, result, evaluation):
        self.events.append(("evaluation", result.env_steps, evaluation))

    def on_checkpoint(self, result, path):
        self.events.append(("checkpoint", result.env_steps, path.name))

    def on_train_end(self, result):
        self.events.append("end")


def test_replay_ratio_env_step_count_and_learner_calls():
    recorder = Recorder()
    r = train(Config(seed=0, **TINY), progress=False, callbacks=[recorder])
    assert 1500 <= r.env_steps < 1502  # a vector step adds up to num_envs
    assert r.env_steps == sum(int(step.live.sum()) for step in recorder.steps)
    # one gradient step per train_every env steps after learning_starts, in calls of updates_per_call = 4
    expected = (r.env_steps - 300) / 4
    assert expected - 4 <= r.learner_steps <= expected + 1
    assert [c.learner_steps for c in recorder.calls] == list(range(4, r.learner_steps + 1, 4))
    assert all(c.num_steps == 4 and np.isfinite(c.loss) and c.compute_seconds > 0 for c in recorder.calls)
    assert recorder.events == ["begin", "end"]


def test_episode_events_are_the_episode_log():
    recorder = Recorder()
    r = train(Config(seed=0, **TINY), progress=False, callbacks=[recorder])
    assert [e.ret for e in recorder.episodes] == r.episodes["return"]
    assert [e.episode for e in recorder.episodes] == list(range(1, len(r.episodes["return"]) + 1))
    assert set(r.episodes["end"]) <= {"terminated", "truncated"}  # no checkpoint cut: checkpoint_interval=0
    assert sum(r.episodes["length"]) <= r.env_steps


def short_time_limit_envs(num_envs=2, limit=7):
    """Real LunarLander sub-environments whose time limit is ``limit`` steps."""
    return gym.vector.SyncVectorEnv([lambda: gym.make(ENV_ID, max_episode_steps=limit)] * num_envs)


def test_truncated_transitions_bootstrap_from_the_real_final_observation():
    """A time-limit cut is stored as not terminal, with its real final observation; the step that
    only resets a sub-environment is not stored."""
    recorder, buffer = Recorder(), ReplayBuffer(1000, OBS_DIM)
    config = Config(seed=0, **{**TINY, "total_steps": 60, "learning_starts": 10**6})
    envs = short_time_limit_envs()
    train(config, envs=envs, replay_buffer=buffer, progress=False, callbacks=[recorder])
    stored = [(step, i) for step in recorder.steps for i in np.flatnonzero(step.live)]
    assert len(buffer) == len(stored) == 60
    truncated = [k for k, (step, i) in enumerate(stored) if step.truncated[i]]
    assert len(truncated) >= 6 and all(step.terminated[i] == 0 for step, i in (stored[k] for k in truncated))
    for k in truncated:
        step, i = stored[k]
        assert buffer.terminated[k] == 0.0 and buffer.discount[k] == pytest.approx(config.gamma)
        np.testing.assert_array_equal(buffer.next_obs[k], step.next_obs[i])  # not the next episode's first obs
    for before, after in zip(recorder.steps, recorder.steps[1:]):  # the step after an episode's end only resets
        np.testing.assert_array_equal(~after.live, (before.terminated | before.truncated) & before.live)
    assert {e.end for e in recorder.episodes} == {"truncated"} and {e.length for e in recorder.episodes} == {7}
    envs.close()


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


def test_best_and_final_weights_are_written(tmp_path):
    cfg = Config(seed=0, **{**TINY, "eval_interval": 1000, "eval_episodes": 2})
    r = train(cfg, progress=False, checkpoint_dir=tmp_path)
    assert len(r.evaluations["mean"]) == 1 and r.best_evaluation == r.evaluations["mean"][0]
    assert (tmp_path / "best" / "q_network.weights.h5").is_file()
    assert (tmp_path / "final" / "q_network.weights.h5").is_file()
    best = load_agent(tmp_path / "best")
    assert best.config.replace(jit_compile=cfg.jit_compile) == cfg  # loaded for acting, without XLA
    final = load_agent(tmp_path / "final")
    for w, w2 in zip(final.q_network.get_weights(), r.agent.q_network.get_weights()):
        np.testing.assert_array_equal(w, w2)


def test_evaluator_seam_and_the_hook_without_evaluation_episodes(tmp_path):
    """eval_episodes=0: on_evaluation runs every eval_interval env steps with None, no episode is played."""

    def no_episodes(policy, episodes):
        raise AssertionError("no evaluation episode may be played with eval_episodes=0")

    calls = []
    cfg = Config(seed=0, **{**TINY, "eval_interval": 500, "eval_episodes": 0})
    r = train(cfg, progress=False, checkpoint_dir=tmp_path, evaluator=no_episodes,
              on_evaluation=lambda result, evaluation: calls.append((result.env_steps, evaluation)))
    assert [evaluation for _, evaluation in calls] == [None, None, None]
    assert [steps // 500 for steps, _ in calls] == [1, 2, 3]  # 2 envs: the first step at or past each multiple
    assert r.evaluations["mean"] == [] and r.solved_at is None
    assert not (tmp_path / "best").exists() and (tmp_path / "final" / "q_network.weights.h5").is_file()


def test_the_evaluator_given_is_the_one_whose_scores_are_logged():
    scores = iter([-50.0, 250.0, 10.0])

    def fake(policy, episodes):
        assert episodes == 3
        return Evaluation(np.full(3, next(scores)), np.ones(3, int), np.arange(3))

    cfg = Config(seed=0, **{**TINY, "eval_interval": 500, "eval_episodes": 3, "stop_when_solved": True})
    r = train(cfg, progress=False, evaluator=fake)
    assert r.evaluations["mean"] == [-50.0, 250.0] and r.solved_at == r.evaluations["env_steps"][1]
    assert r.stop_reason == "solved" and r.env_steps < 1100 and r.best_evaluation == 250.0


def test_a_callback_stops_training_at_the_step_it_asks():
    stopper = LambdaCallback(on_episode_end=lambda result, episode: episode.episode == 3 and result.request_stop("3 episodes"))
    recorder = Recorder()
    r = train(Config(seed=0, **TINY), progress=False, callbacks=[stopper, recorder])
    assert r.stop_reason == "3 episodes" and len(r.episodes["return"]) == 3
    assert r.env_steps == r.episodes["env_steps"][-1] < 1500  # not one env step more
    assert recorder.events[-1] == "end" and r.learner_steps == r.agent.learner_steps
    with pytest.raises(ValueError, match="reason must be a non-empty string"):
        r.request_stop("")


def test_seams_refuse_what_does_not_fit():
    config = Config(seed=0, **TINY)
    agent = make_agent(config)
    with pytest.raises(ValueError, match="pass either agent or loss_fn"):
        train(config, agent=agent, loss_fn=lambda q, a, y: 0.0, progress=False)
    with pytest.raises(ValueError, match="agent.config must equal config"):
        train(config.replace(seed=1), agent=agent, progress=False)
    envs = short_time_limit_envs(num_envs=3)
    with pytest.raises(ValueError, match="envs has 3 sub-environments but config.num_envs is 2"):
        train(config, envs=envs, progress=False)
    envs.close()


class CountingRule:
    """A learner's epsilon_greedy that always picks action 0 (do nothing) and keeps what it was given."""

    def __init__(self):
        self.shapes, self.epsilons = [], []

    def __call__(self, q_values, epsilon, rng):
        self.shapes.append(q_values.shape)
        self.epsilons.append(epsilon)
        return np.zeros(len(q_values), np.int64)


def test_a_learners_epsilon_greedy_is_what_the_agent_explores_with():
    """Every action the loop takes, and every transition it stores, comes from the function passed to train:
    one call per vector step, on the Q-values of the num_envs sub-environments, with ε of the schedule."""
    rule, recorder, buffer = CountingRule(), Recorder(), ReplayBuffer(1000, OBS_DIM)
    config = Config(seed=0, **{**TINY, "total_steps": 400, "epsilon_decay_steps": 200})
    r = train(config, epsilon_greedy_fn=rule, replay_buffer=buffer, progress=False, callbacks=[recorder])
    assert len(rule.shapes) == len(recorder.steps) >= 200 and set(rule.shapes) == {(2, 4)}
    assert all((step.actions == 0).all() for step in recorder.steps)
    assert len(buffer) == r.env_steps >= 400 and (buffer.action[:len(buffer)] == 0).all()
    # ε of each vector step: linear from 1.0 to 0.05 over the first 200 env steps taken, then flat
    env_steps_before = np.cumsum([0] + [step.num_live for step in recorder.steps[:-1]])
    assert rule.epsilons == pytest.approx([max(0.05, 1.0 - 0.95 * n / 200) for n in env_steps_before])
    assert rule.epsilons[:2] == pytest.approx([1.0, 1.0 - 0.95 * 2 / 200]) and rule.epsilons[-1] == 0.05
    assert r.learner_steps > 0   # the run also learned (from transitions with action 0 only)


def test_the_package_epsilon_greedy_passed_in_gives_the_default_run():
    """Passing lunar_lab.exploration.epsilon_greedy (or the notebook's solution, which draws the same
    numbers) changes nothing: same actions at every step of a seeded run."""
    config = Config(seed=2, **{**TINY, "total_steps": 600, "learning_starts": 10**6})
    default, passed = Recorder(), Recorder()
    train(config, progress=False, callbacks=[default])
    train(config, epsilon_greedy_fn=lambda q, e, rng: epsilon_greedy(q, e, rng), progress=False, callbacks=[passed])
    assert len(default.steps) == len(passed.steps) >= 300
    for a, b in zip(default.steps, passed.steps):
        np.testing.assert_array_equal(a.actions, b.actions)
    assert len({int(x) for step in default.steps for x in step.actions}) == 4   # it explored


def test_epsilon_greedy_fn_is_refused_with_an_agent_or_sqn():
    config = Config(seed=0, **TINY)
    with pytest.raises(ValueError, match="pass either agent or epsilon_greedy_fn, not both"):
        train(config, agent=make_agent(config), epsilon_greedy_fn=CountingRule(), progress=False)
    with pytest.raises(TypeError, match="SQNAgent .* takes no epsilon_greedy_fn"):
        train(config.replace(algo="sqn"), epsilon_greedy_fn=CountingRule(), progress=False)


def test_a_learners_epsilon_greedy_returning_floats_stops_training_with_its_name():
    rule = lambda q_values, epsilon, rng: np.zeros(len(q_values))   # noqa: E731 — floats, not actions
    with pytest.raises(TypeError, match="epsilon_greedy_fn must return a NumPy array of N = 2 integer actions in "
                                        "0 … 3; it returned dtype float64"):
        train(Config(seed=0, **TINY), epsilon_greedy_fn=rule, progress=False)


def test_the_agent_given_is_the_one_trained():
    config = Config(seed=0, **TINY)
    agent = make_agent(config)
    before = [w.copy() for w in agent.q_network.get_weights()]
    r = train(config, agent=agent, progress=False)
    assert r.agent is agent and agent.learner_steps > 0
    assert any(not np.array_equal(a, b) for a, b in zip(before, agent.q_network.get_weights()))


def test_a_non_finite_loss_stops_training_and_names_the_learner_step():
    def exploding_loss(q_values, actions, targets):
        return tf.reduce_mean(q_values) * np.float32(np.inf)

    with pytest.raises(FloatingPointError, match=r"the loss became (inf|nan) in the learner call ending at learner step 4"):
        train(Config(seed=0, **{**TINY, "jit_compile": False}), loss_fn=exploding_loss, progress=False)


# -- checkpoints and exact resume ----------------------------------------------------------------

CKPT = dict(TINY, total_steps=3000, checkpoint_interval=1000, eval_interval=700, eval_episodes=2)


def comparable(result):
    """The run's logs without the wall-clock columns, and its weights."""
    episodes = {k: v for k, v in result.episodes.items() if k not in WALL_CLOCK_COLUMNS}
    evaluations = {k: v for k, v in result.evaluations.items() if k not in WALL_CLOCK_COLUMNS}
    return episodes, evaluations


@pytest.mark.parametrize("algo, extra", [("dqn", {}), ("sqn", {}), ("double_dqn", {"n_step": 3})])
def test_a_resumed_run_is_bit_identical_to_an_uninterrupted_one(tmp_path, algo, extra):
    config = Config(seed=5, algo=algo, **{**CKPT, **extra})
    whole = train(config, progress=False, checkpoint_dir=tmp_path / "whole")
    stopper = LambdaCallback(on_step=lambda result, step: result.env_steps >= 1700 and result.request_stop("test"))
    first = train(config, progress=False, checkpoint_dir=tmp_path / "part", callbacks=[stopper])
    assert first.stop_reason == "test" and first.checkpoint.name == "latest"
    state = json.loads((first.checkpoint / "state.json").read_text())
    assert 1000 <= state["env_steps"] < 1002 and state["checkpoint_index"] == 1
    resumed = train(config, progress=False, checkpoint_dir=tmp_path / "part", resume_from=tmp_path / "part")
    assert comparable(resumed) == comparable(whole)
    assert resumed.env_steps == whole.env_steps and resumed.learner_steps == whole.learner_steps
    for w, w2 in zip(weights(resumed.agent), weights(whole.agent)):
        np.testing.assert_array_equal(w, w2)
    if algo == "sqn":
        assert resumed.agent.temperature == whole.agent.temperature


def test_checkpoints_cut_every_episode_and_are_written_whole(tmp_path):
    recorder = Recorder()
    r = train(Config(seed=0, **CKPT), progress=False, checkpoint_dir=tmp_path, callbacks=[recorder])
    checkpoints = [e for e in recorder.events if e[0] == "checkpoint"]
    assert [(steps // 1000, name) for _, steps, name in checkpoints] == [(1, "latest"), (2, "latest"), (3, "latest")]
    cut = [i for i, end in enumerate(r.episodes["end"]) if end == "checkpoint"]
    assert len(cut) >= 4 and {r.episodes["env_steps"][i] // 1000 for i in cut} == {1, 2, 3}
    assert sorted(p.name for p in (tmp_path / "latest").iterdir()) == [
        "agent_state.npz", "config.json", "q_network.weights.h5", "replay.npz", "state.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["best", "final", "latest"]  # no temporary folder left
    state = json.loads((tmp_path / "latest" / "state.json").read_text())
    assert set(state["episodes"]) == set(EPISODE_COLUMNS) and set(state["evaluations"]) == set(EVAL_COLUMNS)
    assert state["episodes"]["return"] == [x for x, s in zip(r.episodes["return"], r.episodes["env_steps"])
                                           if s <= state["env_steps"]]


def test_a_run_killed_after_its_last_checkpoint_resumes_to_the_same_end(tmp_path):
    """3 envs never hit total_steps=3000 exactly: the last vector step ends at 3002, past total_steps, and the
    last checkpoint (due at 3000) is written there. A kill before the run's end leaves that checkpoint; resuming
    it with the same config takes no more env steps and ends as the uninterrupted run did."""
    config = Config(seed=1, **{**CKPT, "num_envs": 3})
    whole = train(config, progress=False, checkpoint_dir=tmp_path / "whole")
    assert whole.env_steps == 3002
    state = json.loads((tmp_path / "whole" / "latest" / "state.json").read_text())
    assert state["env_steps"] == 3002 > config.total_steps  # what a kill after the last checkpoint leaves
    resumed = train(config, progress=False, resume_from=tmp_path / "whole")
    assert resumed.env_steps == whole.env_steps and comparable(resumed) == comparable(whole)


def test_resume_refuses_another_config_and_a_missing_checkpoint(tmp_path):
    config = Config(seed=0, **{**CKPT, "total_steps": 1200})
    train(config, progress=False, checkpoint_dir=tmp_path)
    with pytest.raises(ValueError, match=r"another config \(learning_rate: 0.001 in the checkpoint, 0.002 now\)"):
        train(config.replace(learning_rate=0.002), progress=False, resume_from=tmp_path)
    with pytest.raises(ValueError, match=r"total_steps=500 is below the checkpoint's 100[01] env steps"):
        train(config.replace(total_steps=500), progress=False, resume_from=tmp_path)
    with pytest.raises(FileNotFoundError, match="holds no training checkpoint"):
        train(config, progress=False, resume_from=tmp_path / "best")
    state = tmp_path / "latest" / "state.json"
    state.write_text(json.dumps({**json.loads(state.read_text()), "format": 99}))
    with pytest.raises(ValueError, match="format 99; this lunar_lab reads format 1 only"):
        train(config, progress=False, resume_from=tmp_path)


def test_ctrl_c_hands_back_what_was_finished(tmp_path):
    def interrupt(result, step):
        if result.env_steps >= 1300:
            raise KeyboardInterrupt

    with pytest.raises(TrainingInterrupted) as info:
        train(Config(seed=0, **CKPT), progress=False, checkpoint_dir=tmp_path, callbacks=[LambdaCallback(on_step=interrupt)])
    result = info.value.result
    assert 1300 <= result.env_steps < 1302 and result.checkpoint == tmp_path / "latest"
    assert json.loads((tmp_path / "latest" / "state.json").read_text())["env_steps"] < 1002


@pytest.mark.parametrize("algo", ["dqn", "sqn"])
def test_a_weights_slot_is_replaced_with_every_weights_file(tmp_path, algo):
    """A second 'best' replaces the first whole, for SQN's two Q-networks as well."""
    agent = make_agent(Config(algo=algo, hidden_sizes=(4,), jit_compile=False))
    save_weights_dir(agent, tmp_path / "best")
    for net in agent.q_networks:
        net.set_weights([w + 1.0 for w in net.get_weights()])
    save_weights_dir(agent, tmp_path / "best")
    reloaded = load_agent(tmp_path / "best")
    for net, again in zip(agent.q_networks, reloaded.q_networks):
        for w, w2 in zip(net.get_weights(), again.get_weights()):
            np.testing.assert_array_equal(w, w2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["best"]
