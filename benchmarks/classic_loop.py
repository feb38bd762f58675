"""The classic course DQN loop for LunarLander, as a baseline for the speed benchmark.

Written from the well-known description of the Coursera Machine Learning Specialization
lab "Deep Q-Learning – Lunar Lander" (course 3, week 3), kept faithful on purpose: the point
is to measure what learners otherwise use, not a tuned version of it.

- Q-network and target network: Keras ``Sequential`` 64 → 64 → 4 (relu, linear output).
- Replay memory: ``collections.deque(maxlen=100_000)`` of ``Experience`` namedtuples,
  sampled with ``random.sample`` (mini-batch 64) and converted to tensors on every update.
- Acting: one eager Keras call ``q_network(state)`` per env step, ε-greedy.
- Learning: a ``tf.function`` step every ``NUM_STEPS_FOR_UPDATE`` = 4 env steps of an
  episode, once the memory holds more than a mini-batch: MSE on
  y = r + γ (1 − done) max_a′ Q_target(s′, a′), Adam 1e-3, then a soft update of the target
  network with τ = 1e-3. γ = 0.995.
- ε starts at 1.0 and is multiplied by 0.995 after every episode, down to 0.01; episodes
  are capped at 1000 steps.

Differences from the lab, all outside the measured computation: gymnasium's
LunarLander-v3 instead of gym's v2 (``done = terminated or truncated`` replaces the old
single ``done``), Keras 3 names, seeding through ``keras.utils.set_random_seed``, and a
``callback`` through which the benchmark evaluates and stops the run (the lab's own stop,
mean of the last 100 training episodes ≥ 200, is not the benchmark's definition of solved),
and ``wrap``, through which the profiler times the loop's steps.

This module does not import ``lunar_lab``.
"""

from __future__ import annotations

import random
from collections import deque, namedtuple
from collections.abc import Callable

import gymnasium as gym
import keras
import numpy as np
import tensorflow as tf

ENV_ID = "LunarLander-v3"
STATE_SIZE = 8
NUM_ACTIONS = 4
MEMORY_SIZE = 100_000  # size of the replay memory
GAMMA = 0.995  # discount factor γ
ALPHA = 1e-3  # learning rate
NUM_STEPS_FOR_UPDATE = 4  # learn every 4 env steps
MINIBATCH_SIZE = 64
TAU = 1e-3  # soft-update coefficient τ
E_DECAY = 0.995  # ε multiplier per episode
E_MIN = 0.01  # ε floor
NUM_EPISODES = 2000
MAX_NUM_TIMESTEPS = 1000

#: Hyperparameters of the loop, as recorded by the benchmark.
HYPERPARAMETERS = dict(hidden_sizes=[64, 64], memory_size=MEMORY_SIZE, gamma=GAMMA, learning_rate=ALPHA,
                       num_steps_for_update=NUM_STEPS_FOR_UPDATE, minibatch_size=MINIBATCH_SIZE, tau=TAU,
                       epsilon_start=1.0, epsilon_decay=E_DECAY, epsilon_min=E_MIN, num_episodes=NUM_EPISODES,
                       max_num_timesteps=MAX_NUM_TIMESTEPS, loss="mse")

Experience = namedtuple("Experience", field_names=["state", "action", "reward", "next_state", "done"])


def build_q_network() -> keras.Model:
    """The lab's Q-network: [B, 8] float32 states → [B, 4] Q-values (Dense 64, 64 relu, 4 linear)."""
    return keras.Sequential([
        keras.Input(shape=(STATE_SIZE,)),
        keras.layers.Dense(units=64, activation="relu"),
        keras.layers.Dense(units=64, activation="relu"),
        keras.layers.Dense(units=NUM_ACTIONS, activation="linear"),
    ])


def compute_loss(experiences, gamma, q_network, target_q_network):
    """MSE between Q(s, a) and y = r + γ (1 − done) max_a′ Q_target(s′, a′).

    Args:
        experiences: tuple (states [B, 8], actions [B], rewards [B], next_states [B, 8],
            done_vals [B]) of float32 tensors, as made by :func:`get_experiences`.
        gamma: discount factor γ.
        q_network, target_q_network: Keras models [B, 8] → [B, 4].

    Returns:
        scalar float32 loss.
    """
    states, actions, rewards, next_states, done_vals = experiences
    max_qsa = tf.reduce_max(target_q_network(next_states), axis=-1)
    y_targets = rewards + (gamma * max_qsa * (1 - done_vals))
    q_values = q_network(states)
    q_values = tf.gather_nd(q_values, tf.stack([tf.range(q_values.shape[0]), tf.cast(actions, tf.int32)], axis=1))
    return keras.losses.mean_squared_error(y_targets, q_values)


def update_target_network(q_network, target_q_network) -> None:
    """Soft update: w_target ← τ w + (1 − τ) w_target, weight by weight."""
    for target_weights, q_net_weights in zip(target_q_network.weights, q_network.weights):
        target_weights.assign(TAU * q_net_weights + (1.0 - TAU) * target_weights)


def make_agent_learn(q_network, target_q_network, optimizer) -> Callable:
    """The lab's ``agent_learn(experiences, gamma)``: one ``tf.function`` gradient step on
    :func:`compute_loss`, followed by :func:`update_target_network`."""

    @tf.function
    def agent_learn(experiences, gamma):
        with tf.GradientTape() as tape:
            loss = compute_loss(experiences, gamma, q_network, target_q_network)
        gradients = tape.gradient(loss, q_network.trainable_variables)
        optimizer.apply_gradients(zip(gradients, q_network.trainable_variables))
        update_target_network(q_network, target_q_network)

    return agent_learn


def get_experiences(memory_buffer: deque) -> tuple:
    """A mini-batch of ``MINIBATCH_SIZE`` experiences drawn with ``random.sample``, as float32 tensors."""
    experiences = random.sample(memory_buffer, k=MINIBATCH_SIZE)
    states = tf.convert_to_tensor(np.array([e.state for e in experiences if e is not None]), dtype=tf.float32)
    actions = tf.convert_to_tensor(np.array([e.action for e in experiences if e is not None]), dtype=tf.float32)
    rewards = tf.convert_to_tensor(np.array([e.reward for e in experiences if e is not None]), dtype=tf.float32)
    next_states = tf.convert_to_tensor(np.array([e.next_state for e in experiences if e is not None]), dtype=tf.float32)
    done_vals = tf.convert_to_tensor(np.array([e.done for e in experiences if e is not None]).astype(np.uint8),
                                     dtype=tf.float32)
    return states, actions, rewards, next_states, done_vals


def check_update_conditions(t: int, num_steps_upd: int, memory_buffer: deque) -> bool:
    """Learn at every ``num_steps_upd``-th step of an episode once the memory exceeds a mini-batch."""
    return (t + 1) % num_steps_upd == 0 and len(memory_buffer) > MINIBATCH_SIZE


def get_new_eps(epsilon: float) -> float:
    """ε after one more episode: ``max(E_MIN, E_DECAY · ε)``."""
    return max(E_MIN, E_DECAY * epsilon)


def get_action(q_values, epsilon: float = 0.0) -> int:
    """ε-greedy action from Q-values [1, 4] of one state (Python ``random``)."""
    if random.random() > epsilon:
        return np.argmax(q_values.numpy()[0])
    return random.choice(np.arange(NUM_ACTIONS))


#: The steps of the loop that ``train``'s ``wrap`` can replace, in the order of one env step.
STEPS = ("q_network", "get_action", "env.step", "get_experiences", "agent_learn")


def train(seed: int = 0, callback: Callable | None = None, num_episodes: int = NUM_EPISODES,
          max_num_timesteps: int = MAX_NUM_TIMESTEPS, wrap: Callable[[str, Callable], Callable] | None = None) -> dict:
    """Run the lab's training loop on LunarLander-v3.

    Args:
        seed: seeds Python ``random``, NumPy and TensorFlow (``keras.utils.set_random_seed``)
            and the first ``env.reset``.
        callback: ``callback(q_network, env_steps, gradient_steps, episode_return)`` is
            called after every env step; ``episode_return`` is the episode's return when the
            step ended it, else None. A true result stops training.
        num_episodes, max_num_timesteps: episodes at most, env steps per episode at most.
        wrap: ``wrap(name, fn) → fn'``, called once per name of :data:`STEPS` with the loop's
            function of that name (``q_network`` is the acting call of the Q-network,
            ``env.step`` the environment's); the loop then calls ``fn'``, which must take the same
            arguments and return the same result, e.g. ``fn`` timed (benchmarks/profile_training.py).
            Default: the functions themselves.

    Returns:
        dict with ``q_network``, ``total_point_history`` (return of each finished episode),
        ``env_steps`` and ``gradient_steps``.
    """
    random.seed(seed)
    keras.utils.set_random_seed(seed)
    env = gym.make(ENV_ID)
    q_network, target_q_network = build_q_network(), build_q_network()
    optimizer = keras.optimizers.Adam(learning_rate=ALPHA)
    agent_learn = make_agent_learn(q_network, target_q_network, optimizer)
    target_q_network.set_weights(q_network.get_weights())
    wrap = wrap or (lambda name, fn: fn)
    act_q, choose, env_step, sample, learn = (wrap(name, fn) for name, fn in zip(STEPS, (
        q_network, get_action, env.step, get_experiences, agent_learn)))
    memory_buffer = deque(maxlen=MEMORY_SIZE)
    epsilon = 1.0
    total_point_history = []
    env_steps = gradient_steps = 0
    stop = False
    for i in range(num_episodes):
        state, _ = env.reset(seed=seed if i == 0 else None)
        total_points = 0.0
        for t in range(max_num_timesteps):
            state_qn = np.expand_dims(state, axis=0)
            q_values = act_q(state_qn)
            action = choose(q_values, epsilon)
            next_state, reward, terminated, truncated, _ = env_step(action)
            # The classic loop's bug, kept on purpose: a time-limit truncation counts as
            # `done`, so the target of that transition does not bootstrap (y = r).
            done = terminated or truncated
            memory_buffer.append(Experience(state, action, reward, next_state, done))
            if check_update_conditions(t, NUM_STEPS_FOR_UPDATE, memory_buffer):
                learn(sample(memory_buffer), GAMMA)
                gradient_steps += 1
            state = next_state.copy()
            total_points += reward
            env_steps += 1
            if done:
                total_point_history.append(total_points)
            if callback is not None and callback(q_network, env_steps, gradient_steps, total_points if done else None):
                stop = True
            if done or stop:
                break
        epsilon = get_new_eps(epsilon)
        if stop:
            break
    env.close()
    return dict(q_network=q_network, total_point_history=total_point_history, env_steps=env_steps,
                gradient_steps=gradient_steps)
