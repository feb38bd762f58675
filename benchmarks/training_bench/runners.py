"""How each agent is trained under the benchmark's :class:`~training_bench.harness.Tracker`:
lunar_lab through :func:`lunar_lab.training.train`'s seams (the tracker as its evaluator, a
callback for the stop rule), the classic loop and SB3 through their own callbacks.

Every runner takes the job's spec and the tracker, starts the tracker's clock just before
the agent is built, and returns the hyperparameters it used. lunar_lab, TensorFlow and the
peers' libraries are imported inside the runners: a peer's process must not import lunar_lab
before :func:`training_bench.harness.keep_tensorflow_defaults` runs.
"""

from __future__ import annotations

from training_bench.protocol import SB3_MAX_TIMESTEPS, SB3_ZOO, SB3_ZOO_TIMESTEPS, STRAIGHTFORWARD, STRAIGHTFORWARD_OVERRIDES


def lunar_lab_config(spec: dict):
    """The :class:`lunar_lab.config.Config` of a lunar_lab run: the package defaults for its
    algorithm and seed, the straightforward switches for ``lunar_lab/dqn-straightforward``."""
    from lunar_lab.config import Config

    overrides = dict(spec["lunar_lab_overrides"])
    if spec["agent"] == STRAIGHTFORWARD:
        overrides.update(STRAIGHTFORWARD_OVERRIDES)
    algo = spec["agent"].split("/")[1].split("-")[0]
    return Config(algo=algo, seed=spec["seed"], total_steps=spec["max_steps"], eval_interval=spec["eval_every"],
                  stop_when_solved=False, **overrides)


def run_lunar_lab(spec: dict, tracker) -> dict:
    """Train a lunar_lab agent with :func:`lunar_lab.training.train`; returns its hyperparameters.

    ``train``'s own periodic evaluation (every ``eval_every`` env steps, learner joined) is the
    tracker's (staged, clock paused; ``train``'s ``config.eval_episodes`` is not used); after
    each, a callback asks ``train`` to stop when the tracker's stop rule says so. A replay
    buffer subclass notes the first sample (the learning start).
    """
    from lunar_lab.callbacks import Callback
    from lunar_lab.envs import NUM_ACTIONS, OBS_DIM
    from lunar_lab.replay import ReplayBuffer
    from lunar_lab.training import train

    class LearningStartBuffer(ReplayBuffer):
        def sample(self, *args, **kwargs):
            tracker.mark_learning_start()
            return super().sample(*args, **kwargs)

    class TrackerCallback(Callback):
        def on_step(self, result, step):
            tracker.env_steps = result.env_steps

        def on_evaluation(self, result, evaluation):
            reason = tracker.stop_reason()
            if reason is not None:
                result.request_stop(reason)

    config = lunar_lab_config(spec)
    tracker.start()
    result = train(config, replay_buffer=LearningStartBuffer(config.buffer_capacity, OBS_DIM, seed=config.seed,
                                                             num_actions=NUM_ACTIONS),
                   evaluator=lambda policy, episodes: tracker.evaluate(policy), callbacks=[TrackerCallback()],
                   progress=False)
    tracker.gradient_steps = result.learner_steps
    tracker.finish(lambda: result.agent.greedy_actions)
    for steps, episode_return in zip(result.episodes["env_steps"], result.episodes["return"]):
        tracker.episode(steps, episode_return)
    return config.to_dict()


def run_classic(spec: dict, tracker) -> dict:
    """Train the classic course loop (:mod:`classic_loop`); greedy evaluation through a NumPy copy."""
    import classic_loop
    import numpy as np
    from lunar_lab.networks import NumpyQNetwork

    def greedy(q_network):
        net = NumpyQNetwork(q_network)
        return lambda obs: np.argmax(net(obs), axis=-1)

    def callback(q_network, env_steps, gradient_steps, episode_return):
        if episode_return is not None:
            tracker.episode(env_steps, episode_return)
        return tracker.tick(env_steps, gradient_steps, lambda: greedy(q_network))

    tracker.start()
    q_network = classic_loop.train(spec["seed"], callback=callback)["q_network"]
    tracker.finish(lambda: greedy(q_network))
    return classic_loop.HYPERPARAMETERS


def sb3_hyperparameters() -> dict:
    """The Zoo hyperparameters as passed to SB3's ``DQN`` for a ``SB3_MAX_TIMESTEPS`` run:
    the exploration fraction is rescaled so that ε decays over the same 12,000 env steps."""
    return dict(SB3_ZOO, exploration_fraction=SB3_ZOO["exploration_fraction"] * SB3_ZOO_TIMESTEPS / SB3_MAX_TIMESTEPS)


def run_sb3(spec: dict, tracker) -> dict:
    """Train Stable-Baselines3 DQN with the Zoo hyperparameters; greedy evaluation through ``predict``.

    Gradient steps are counted by a post-step hook on the policy's PyTorch optimizer (one
    ``optimizer.step()`` per gradient step).
    """
    import gymnasium as gym
    from stable_baselines3 import DQN
    from stable_baselines3.common.callbacks import BaseCallback
    from stable_baselines3.common.monitor import Monitor

    gradient_steps = 0

    def count_gradient_step(optimizer, args, kwargs):
        nonlocal gradient_steps
        gradient_steps += 1

    class Callback(BaseCallback):
        def _on_step(self) -> bool:  # SB3's override point: False stops training
            for info in self.locals["infos"]:
                if "episode" in info:
                    tracker.episode(self.num_timesteps, info["episode"]["r"])
            return not tracker.tick(self.num_timesteps, gradient_steps, lambda: greedy)

    def greedy(obs):
        return model.predict(obs, deterministic=True)[0]

    tracker.start()
    model = DQN(env=Monitor(gym.make("LunarLander-v3")), seed=spec["seed"], verbose=0, **sb3_hyperparameters())
    model.policy.optimizer.register_step_post_hook(count_gradient_step)
    model.learn(total_timesteps=SB3_MAX_TIMESTEPS, callback=Callback())
    tracker.finish(lambda: greedy)
    return dict(SB3_ZOO, zoo_n_timesteps=SB3_ZOO_TIMESTEPS, total_timesteps=SB3_MAX_TIMESTEPS,
                exploration_fraction_used=sb3_hyperparameters()["exploration_fraction"])


#: The runner of each peer; every lunar_lab agent runs with :func:`run_lunar_lab`.
RUNNERS = {"classic": run_classic, "sb3": run_sb3}
