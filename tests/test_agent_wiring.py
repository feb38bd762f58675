"""The agents wire the pure functions the right way round, through their public API only.

Which network bootstraps (DQN: the target network), which selects and which evaluates
(Double DQN), the twin minimum of SQN's two target networks, how far the target networks
lag (Polyak with τ after every step; hard copies at steps C, 2C, …), and that a function
passed in (TD target, loss, target update, temperature loss) is the one whose outputs
train the agent, and that an ε-greedy rule passed in is the one the agent acts with (while the
default draws its random numbers exactly as the former inline rule did). Every expectation is
computed here from the networks' outputs and weights read before and after single learning
steps. Last, the n = 1 path through the n-step accumulators stores exactly the one-step
transitions.
"""

import numpy as np
import pytest
import tensorflow as tf

from lunar_lab.agents import make_agent
from lunar_lab.nstep import n_step_windows_reference
from lunar_lab.config import Config
from lunar_lab.nstep import EpisodeNStepAccumulator, NStepAccumulator
from lunar_lab.replay import ReplayBuffer
from lunar_lab.targets import double_dqn_targets, soft_q_targets
from lunar_lab.training import train
from replay_batches import random_batches

OBS_DIM, NUM_ACTIONS, B = 8, 4, 16
ROWS = np.arange(B)


def _agent(algo="dqn", jit_compile=False, **fields_and_functions):
    """A tiny agent: hidden_sizes (8,), a large learning rate so one step moves every weight visibly."""
    functions = {k: fields_and_functions.pop(k) for k in list(fields_and_functions) if k.endswith("_fn")}
    config = Config(**{"algo": algo, "hidden_sizes": (8,), "jit_compile": jit_compile, "learning_rate": 0.01,
                       **fields_and_functions})
    return make_agent(config, **functions)


def _batches(num_batches, seed=0):
    return random_batches(num_batches, B, seed)


def _call(batches, k, length=1):
    """Batches k … k + length − 1 of a [K, B, ...] dict, still stacked ([length, B, ...])."""
    return {name: value[k:k + length] for name, value in batches.items()}


def _weights(networks):
    return [net.get_weights() for net in networks]


def _assert_weights(networks, expected, exact=False):
    for net, weights in zip(networks, expected, strict=True):
        for got, want in zip(net.get_weights(), weights, strict=True):
            if exact:
                np.testing.assert_array_equal(got, want, err_msg=net.name)
            else:
                np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6, err_msg=net.name)


def _differ(a, b):
    """Whether two lists of networks' weights differ by more than rounding."""
    return max(np.abs(x - y).max() for ws, vs in zip(a, b) for x, y in zip(ws, vs)) > 1e-4


def _q(network, obs):
    return network(obs).numpy()


def _negated_output_layer(network):
    """The network's weights with the output layer negated: Q(s, ·) becomes −Q(s, ·)."""
    weights = network.get_weights()
    return weights[:-2] + [-weights[-2], -weights[-1]]


def _mse(q_taken, targets):
    return np.mean((targets - q_taken) ** 2)


def _huber(q_taken, targets):
    error = np.abs(targets - q_taken)
    quadratic = np.minimum(error, 1.0)
    return np.mean(0.5 * quadratic**2 + error - quadratic)


def _soft_max(q, alpha):
    """α·logsumexp(q/α) over actions, the soft value of the Boltzmann policy."""
    top = q.max(axis=-1)
    return top + alpha * np.log(np.exp((q - top[:, None]) / alpha).sum(axis=-1))


class _Recorder:
    """A td_target_fn that keeps the tensors the agent passes it (in variables: it runs inside the
    agent's tf.function) and returns the package function's targets."""

    def __init__(self, fn, **shapes):
        self.fn = fn
        self.seen = {name: tf.Variable(tf.zeros(shape)) for name, shape in shapes.items()}

    def __call__(self, **kwargs):
        for name, variable in self.seen.items():
            variable.assign(tf.cast(kwargs[name], tf.float32))
        return self.fn(**kwargs)

    def __getitem__(self, name):
        return self.seen[name].numpy()


# --- which network's outputs make the TD target ---------------------------------------------


@pytest.mark.parametrize("algo", ["double_dqn", "sqn"])
def test_td_target_fn_receives_the_batch_and_the_target_networks_values(algo):
    """A learner's td_target_fn gets the batch's rewards, terminated flags and discounts, and Q′(s′, ·)
    of the target networks (Double DQN: also Q(s′, ·) of the online network; SQN: also α_H).
    DQN passes what Double DQN does but the online values."""
    q_names = {"double_dqn": ["next_q_values", "next_q_values_online"],
               "sqn": ["next_q_values_1", "next_q_values_2"]}[algo]
    package_fn = {"double_dqn": double_dqn_targets, "sqn": soft_q_targets}[algo]
    shapes = dict(rewards=[B], terminated=[B], gamma=[B], **{name: [B, NUM_ACTIONS] for name in q_names})
    spy = _Recorder(package_fn, **shapes, **({"temperature": []} if algo == "sqn" else {}))
    agent = _agent(algo, False, temperature=0.5, td_target_fn=spy)
    for target, online in zip(agent.target_networks, agent.q_networks):
        target.set_weights(_negated_output_layer(online))  # the target networks now differ from the online ones
    batches = _batches(1)
    batch = {name: value[0] for name, value in batches.items()}
    next_obs = batch["next_obs"]
    expected = {"rewards": batch["reward"], "terminated": batch["terminated"], "gamma": batch["discount"]}
    if algo == "sqn":
        expected.update(next_q_values_1=_q(agent.target_networks[0], next_obs),
                        next_q_values_2=_q(agent.target_networks[1], next_obs), temperature=np.float32(0.5))
    else:
        expected["next_q_values"] = _q(agent.target_network, next_obs)
        if algo == "double_dqn":
            expected["next_q_values_online"] = _q(agent.q_network, next_obs)
    agent.learn(batches)
    for name, value in expected.items():
        np.testing.assert_allclose(spy[name], value, rtol=1e-5, atol=1e-6, err_msg=name)


@pytest.mark.parametrize("algo, loss, jit_compile", [("dqn", "huber", True), ("double_dqn", "mse", False)])
def test_dqn_loss_bootstraps_from_the_right_network(algo, loss, jit_compile):
    """With Q′(s′, ·) = −Q(s′, ·) the online and target networks pick different next actions, so
    DQN, Double DQN, bootstrapping from the online network and Double DQN with the roles swapped
    all give different losses; learn() returns the one of the configured algorithm."""
    agent = _agent(algo, jit_compile, loss=loss)
    agent.target_network.set_weights(_negated_output_layer(agent.q_network))
    batches = _batches(1)
    batch = {name: value[0] for name, value in batches.items()}
    online_next, target_next = _q(agent.q_network, batch["next_obs"]), _q(agent.target_network, batch["next_obs"])
    np.testing.assert_allclose(target_next, -online_next, rtol=1e-6)
    assert (online_next.argmax(1) != target_next.argmax(1)).all()
    bootstrap = {
        "dqn": target_next.max(1),
        "double_dqn": target_next[ROWS, online_next.argmax(1)],   # online selects, target evaluates
        "dqn bootstrapping from the online network": online_next.max(1),
        "double dqn with selection and evaluation swapped": online_next[ROWS, target_next.argmax(1)],
    }
    q_taken = _q(agent.q_network, batch["obs"])[ROWS, batch["action"]]
    loss_of = _mse if loss == "mse" else _huber
    losses = {name: loss_of(q_taken, batch["reward"] + batch["discount"] * (1 - batch["terminated"]) * value)
              for name, value in bootstrap.items()}
    expected = losses[algo]
    assert all(abs(other - expected) > 1e-3 * expected for name, other in losses.items() if name != algo)
    assert agent.learn(batches) == pytest.approx(expected, rel=1e-5)


def test_sqn_loss_uses_the_minimum_of_both_target_networks():
    """Q′₂ = Q′₁ + (2, −2, 2, −2): the twin minimum takes actions 0 and 2 from Q′₁ and 1 and 3
    from Q′₂, so it differs from either network alone and from their maximum."""
    alpha = 0.5
    agent = _agent("sqn", False, loss="mse", temperature=alpha)
    first = _negated_output_layer(agent.q_networks[0])
    agent.target_networks[0].set_weights(first)
    agent.target_networks[1].set_weights(first[:-1] + [first[-1] + np.array([2, -2, 2, -2], np.float32)])
    batches = _batches(1)
    batch = {name: value[0] for name, value in batches.items()}
    next_1, next_2 = (_q(net, batch["next_obs"]) for net in agent.target_networks)
    q_taken = [_q(net, batch["obs"])[ROWS, batch["action"]] for net in agent.q_networks]
    candidates = {"minimum": np.minimum(next_1, next_2), "first only": next_1, "second only": next_2,
                  "maximum": np.maximum(next_1, next_2)}
    losses = {}
    for name, next_q in candidates.items():
        targets = batch["reward"] + batch["discount"] * (1 - batch["terminated"]) * _soft_max(next_q, alpha)
        losses[name] = sum(_mse(q, targets) for q in q_taken)  # both online networks regress to one target
    expected = losses["minimum"]
    assert all(abs(other - expected) > 1e-3 * expected for name, other in losses.items() if name != "minimum")
    assert agent.learn(batches) == pytest.approx(expected, rel=1e-5)


# --- how the target networks follow the online ones -------------------------------------------


@pytest.mark.parametrize("algo, update, jit_compile", [("dqn", "soft", False), ("sqn", "soft", False),
                                                       ("dqn", "hard", True), ("sqn", "hard", False)])
def test_target_networks_follow_the_online_ones(algo, update, jit_compile):
    """Soft: after every step θ′ₖ = τθₖ + (1 − τ)θ′ₖ₋₁ (θ′₀ = θ₀). Hard (C = 3): θ′ is θ as it was
    at steps 3 and 6, exactly, and unchanged in between. One learn() of K = 7 steps leaves both
    networks where seven learn() calls of one step do."""
    tau, period, steps = 0.3, 3, 7
    fields = dict(target_update=update, tau=tau, target_update_period=period)
    stepwise, at_once = _agent(algo, jit_compile, **fields), _agent(algo, jit_compile, **fields)
    batches = _batches(steps)
    expected = _weights(stepwise.q_networks)
    for step in range(1, steps + 1):
        before = _weights(stepwise.q_networks)
        stepwise.learn(_call(batches, step - 1))
        online = _weights(stepwise.q_networks)
        assert _differ(online, before)  # the online weights moved, so a missed or extra update shows
        if update == "soft":
            expected = [[tau * w + (1 - tau) * t for w, t in zip(ws, ts)] for ws, ts in zip(online, expected)]
        elif step % period == 0:
            expected = online
        _assert_weights(stepwise.target_networks, expected, exact=update == "hard")
    assert stepwise.learner_steps == steps
    at_once.learn(batches)
    assert at_once.learner_steps == steps
    _assert_weights(at_once.q_networks, online)
    _assert_weights(at_once.target_networks, expected)


# --- a function passed in is the one that trains -----------------------------------------------


def _half_squared_error(q_values, actions, targets):
    return 0.5 * tf.reduce_mean(tf.square(targets - tf.gather(q_values, actions, axis=-1, batch_dims=1)))


def _constant_targets(rewards, **_):
    return tf.zeros_like(rewards) + 5.0


@pytest.mark.parametrize("algo", ["dqn", "sqn"])
def test_passed_in_td_target_and_loss_are_what_learn_returns_and_trains(algo):
    """Constant targets 5 and half the squared error: learn() returns ½·mean((5 − Q(s, a))²) (the
    package's Huber loss or TD targets would give another number) and training drives Q(s, a) to 5."""
    steps = 150
    agent = _agent(algo, False, learning_rate=0.05, td_target_fn=_constant_targets, loss_fn=_half_squared_error)
    batches = _batches(steps)
    first = _call(batches, 0)
    q_taken = [_q(net, first["obs"][0])[ROWS, first["action"][0]] for net in agent.q_networks]
    assert agent.learn(first) == pytest.approx(sum(0.5 * _mse(q, 5.0) for q in q_taken), rel=1e-5)
    for k in range(1, steps):
        agent.learn(_call(batches, k))
    last = {name: value[-1] for name, value in batches.items()}
    for net in agent.q_networks:
        np.testing.assert_allclose(_q(net, last["obs"])[ROWS, last["action"]], 5.0, atol=0.3)


@pytest.mark.parametrize("algo, update", [("dqn", "hard"), ("sqn", "soft")])
def test_passed_in_target_update_is_what_the_target_weights_show(algo, update):
    """A target update that sets θ′ ← 2θ: after it runs (every step, or at step C = 2) the
    target networks hold twice the online weights, and until then the initial copy."""
    extra_arguments = []

    def doubled(target, online, *tau):
        extra_arguments.append(tau)
        for t, o in zip(target, online):
            t.assign(2.0 * o)

    agent = _agent(algo, False, target_update=update, tau=0.3, target_update_period=2, target_update_fn=doubled)
    batches = _batches(2)
    initial = _weights(agent.q_networks)
    agent.learn(_call(batches, 0))
    twice = [[2.0 * w for w in ws] for ws in _weights(agent.q_networks)]
    _assert_weights(agent.target_networks, twice if update == "soft" else initial)
    agent.learn(_call(batches, 1))
    _assert_weights(agent.target_networks, [[2.0 * w for w in ws] for ws in _weights(agent.q_networks)])
    assert extra_arguments and set(extra_arguments) == {(0.3,) if update == "soft" else ()}  # τ for soft only


def test_passed_in_temperature_loss_is_what_moves_the_temperature():
    """L(log α) = −log α has the constant gradient −1, so each Adam step raises log α by lr:
    after k steps α = α₀·exp(k·lr). The package's loss would lower α here (the policy's entropy
    is above H̄). The loss gets log π = log softmax(Q₁(s, ·)/α) and H̄."""
    alpha, lr, steps = 0.5, 0.01, 3
    seen_log_policy, seen_entropy = tf.Variable(tf.zeros([B, NUM_ACTIONS])), tf.Variable(0.0)

    def raise_temperature(log_temperature, log_policy, target_entropy):
        seen_log_policy.assign(log_policy)
        seen_entropy.assign(target_entropy)
        return -log_temperature

    agent = _agent("sqn", False, temperature=alpha, learn_temperature=True, temperature_learning_rate=lr,
                   temperature_loss_fn=raise_temperature)
    batches = _batches(steps)
    logits = _q(agent.q_networks[0], batches["obs"][0]) / alpha
    agent.learn(_call(batches, 0))
    log_policy = logits - logits.max(1, keepdims=True)
    log_policy -= np.log(np.exp(log_policy).sum(1, keepdims=True))
    np.testing.assert_allclose(seen_log_policy.numpy(), log_policy, rtol=1e-5, atol=1e-5)
    target_entropy = agent.config.resolved_target_entropy(NUM_ACTIONS)
    assert seen_entropy.numpy() == pytest.approx(target_entropy, rel=1e-6)
    assert -(np.exp(log_policy) * log_policy).sum(1).mean() > target_entropy
    for k in range(1, steps):
        agent.learn(_call(batches, k))
    assert agent.temperature == pytest.approx(alpha * np.exp(steps * lr), rel=1e-5)


# --- the action rule passed in is the one the agent acts with ------------------------------------


class _ActionRecorder:
    """An epsilon_greedy_fn that keeps what the agent passes it and returns fixed actions."""

    def __init__(self, actions):
        self.actions, self.calls = actions, []

    def __call__(self, q_values, epsilon, rng):
        self.calls.append((q_values.copy(), epsilon, rng))
        return self.actions


@pytest.mark.parametrize("algo", ["dqn", "double_dqn"])
def test_passed_in_epsilon_greedy_gets_the_acting_q_values_and_is_what_act_returns(algo):
    obs = np.random.default_rng(1).normal(size=(3, OBS_DIM)).astype(np.float32)
    rule = _ActionRecorder(np.array([3, 0, 2], np.int32))
    agent = _agent(algo, epsilon_greedy_fn=rule)
    rng = np.random.default_rng(0)
    actions = agent.act(obs, rng, 0.25)
    assert actions.tolist() == [3, 0, 2] and actions.dtype == np.int64
    (q_values, epsilon, passed_rng), = rule.calls
    np.testing.assert_allclose(q_values, _q(agent.q_network, obs), rtol=1e-5, atol=1e-6)  # the online network's Q(s, ·)
    assert epsilon == 0.25 and passed_rng is rng


def test_default_acting_is_the_former_inline_rule_draw_for_draw():
    """DQNAgent.act used to be: greedy = argmax Q; explore = rng.random(N) < ε; np.where(explore,
    rng.integers(0, A, size=N), greedy). Its default rule must draw the same numbers in the same order."""
    agent = _agent("dqn")
    obs = np.random.default_rng(2).normal(size=(16, OBS_DIM)).astype(np.float32)
    rng, former = np.random.default_rng(9), np.random.default_rng(9)
    for epsilon in (1.0, 0.5, 0.05, 0.0):
        greedy = np.argmax(agent.policy_network(obs), axis=-1)
        explore = former.random(len(greedy)) < epsilon
        expected = np.where(explore, former.integers(0, NUM_ACTIONS, size=len(greedy)), greedy)
        actions = agent.act(obs, rng, epsilon)
        np.testing.assert_array_equal(actions, expected)
        assert actions.dtype == expected.dtype == np.int64
    assert rng.bit_generator.state == former.bit_generator.state


@pytest.mark.parametrize("returned, error, match", [
    ([0, 1, 2], TypeError, r"NumPy array of N = 3 integer actions in 0 … 3; it returned list"),
    (np.array([0.0, 1.0, 2.0]), TypeError, "it returned dtype float64"),
    (np.array([0, 1]), ValueError, r"it returned shape \[2\]"),
    (np.array([0, 4, 1]), ValueError, r"it returned \[0, 4, 1\]"),
    (np.array([-1, 0, 1]), ValueError, r"it returned \[-1, 0, 1\]"),
])
def test_a_passed_in_epsilon_greedy_that_returns_no_actions_is_named(returned, error, match):
    agent = _agent("dqn", epsilon_greedy_fn=lambda q_values, epsilon, rng: returned)
    with pytest.raises(error, match=r"epsilon_greedy_fn must return .*" + match):
        agent.act(np.zeros((3, OBS_DIM), np.float32), np.random.default_rng(0), 0.1)


def test_sqn_takes_no_epsilon_greedy():
    with pytest.raises(TypeError, match="SQNAgent .* takes no epsilon_greedy_fn; it takes td_target_fn, loss_fn, "
                                        "target_update_fn, temperature_loss_fn — SQN samples its actions"):
        _agent("sqn", epsilon_greedy_fn=lambda q_values, epsilon, rng: np.zeros(len(q_values), np.int64))
    with pytest.raises(TypeError, match="DQNAgent .* takes no temperature_loss_fn"):
        _agent("dqn", temperature_loss_fn=lambda *args: 0.0)


# --- n = 1 through the n-step accumulators is the one-step transition --------------------------

GAMMA = 0.9
# (obs, action, reward, next_obs, terminated, truncated) of one sub-environment: an episode cut
# by the time limit (its real final observation 3), one that terminates, one still running
STREAM = [(0, 1, 1.0, 1, False, False), (1, 0, -2.0, 2, False, False), (2, 3, 0.5, 3, False, True),
          (10, 2, 4.0, 11, False, False), (11, 1, -1.0, 12, True, False),
          (20, 0, 3.0, 21, False, False), (21, 2, 2.0, 22, False, False)]
ONE_STEP = [(s, a, r, s2, term, GAMMA) for s, a, r, s2, term, _ in STREAM]


def test_streaming_accumulator_with_n1_emits_each_one_step_transition_at_once():
    acc = NStepAccumulator(n_step=1, gamma=GAMMA)
    for step, transition in zip(STREAM, ONE_STEP):
        assert acc.step(*step[:4], terminated=step[4], truncated=step[5]) == [transition]
    assert len(acc.window) == 0


@pytest.mark.parametrize("block", [1, 3, 64])
def test_episode_accumulator_with_n1_gives_the_one_step_transitions(block):
    """Same transitions in the same order, with the bootstrap factor discount·(1 − terminated);
    only the running episode's last steps (fewer than a block) are still held back."""
    acc = EpisodeNStepAccumulator(n_step_windows_reference, n_step=1, gamma=GAMMA, block=block)
    out = [t for s, a, r, s2, term, trunc in STREAM for t in acc.step(s, a, r, s2, terminated=term, truncated=trunc)]
    held_back = ONE_STEP[len(out):]
    assert len(held_back) < block and all(t[0] >= 20 for t in held_back)  # the running episode only
    assert [t[:5] for t in out] == [t[:5] for t in ONE_STEP[:len(out)]]
    assert [t[5] * (1 - t[4]) for t in out] == pytest.approx([t[5] * (1 - t[4]) for t in ONE_STEP[:len(out)]])


def _transitions(buffer):
    """Every stored transition as a hashable tuple, with the bootstrap factor discount·(1 − terminated)."""
    return [(buffer.obs[i].tobytes(), int(buffer.action[i]), float(buffer.reward[i]), buffer.next_obs[i].tobytes(),
             float(buffer.terminated[i]), float(buffer.discount[i] * (1 - buffer.terminated[i])))
            for i in range(len(buffer))]


def test_training_with_the_n1_episode_accumulator_stores_the_fast_paths_transitions():
    """Same seed and no learning, so both runs play the same episodes; the fast path stores one-step
    transitions directly, the other run through EpisodeNStepAccumulator(n = 1). Every transition of
    the second is one of the first; the first's extra ones are the running episodes' last steps."""
    config = Config(seed=3, total_steps=2000, num_envs=2, hidden_sizes=(8,), learning_starts=10**6,
                    eval_interval=0, jit_compile=False)
    fast, accumulated = ReplayBuffer(4000, OBS_DIM), ReplayBuffer(4000, OBS_DIM)
    result = train(config, replay_buffer=fast, progress=False)
    train(config, replay_buffer=accumulated, n_step_fn=n_step_windows_reference, progress=False)
    ours, theirs = _transitions(fast), _transitions(accumulated)
    assert len(ours) == result.env_steps and len(set(ours)) == len(ours)
    assert len(set(theirs)) == len(theirs) and not set(theirs) - set(ours)
    held_back = set(ours) - set(theirs)
    block = EpisodeNStepAccumulator(n_step_windows_reference, 1, config.gamma).block
    assert len(held_back) < config.num_envs * block
    successor = {t[0]: t for t in ours}  # obs → the transition that continues from it
    # only the tail of a running episode waits: never a terminal step, nor one followed by a stored one
    for t in held_back:
        assert t[4] == 0.0 and (t[3] not in successor or successor[t[3]] in held_back)
    assert sum(t[4] == 1.0 for t in theirs) >= 5  # terminal transitions were compared
