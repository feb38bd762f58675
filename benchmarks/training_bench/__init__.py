"""Training-speed benchmark: lunar_lab's agents against the classic course loop and SB3 DQN.

One command runs every (agent, seed) in alternation on the same machine (for each seed:
lunar_lab's DQN, Double DQN, SQN, DQN run the straightforward way, the classic loop, SB3),
each in a fresh subprocess so that memory and TensorFlow state are independent, and writes
``training.json``, ``training.md`` and ``training_curves.png``::

    python benchmarks/bench_training.py            # the full benchmark (about 45 min, quiet 2-core CPU)
    python benchmarks/bench_training.py --smoke    # end to end on a tiny budget (under a minute)
    python benchmarks/bench_training.py --algos dqn --peers --no-straightforward --set learning_rate=0.003
                                                   # a Config change under the same protocol (temp folder)

Agents:

- ``lunar_lab/dqn``, ``lunar_lab/double_dqn``, ``lunar_lab/sqn``: ``lunar_lab.training.train``
  with ``Config(algo=…, seed=…)`` defaults (the fast path: 16 envs stepped by EnvPool where
  it is installed, 128 gradient steps per XLA-compiled call, learner in a background thread,
  NumPy acting).
- ``lunar_lab/dqn-straightforward``: the same DQN and hyperparameters run the straightforward
  way, ``Config(env_engine="gymnasium", num_envs=1, updates_per_call=1,
  jit_compile=False)``: one gymnasium env, one gradient step per (non-XLA) ``tf.function`` call. It shows what the fast path buys, and that it
  learns the same per env step.
- ``classic``: the Coursera lab loop (:mod:`classic_loop`).
- ``sb3``: Stable-Baselines3 DQN with the RL Baselines3 Zoo hyperparameters for LunarLander;
  optional (skipped, with a note in the results, when ``stable_baselines3`` is not importable).

Clock: training time runs from just before the agent is built to the end of training and is
paused during greedy evaluations. Every ``--eval-every`` env steps the greedy policy plays 20
held-out episodes; only if their mean is ≥ 200 does it play the other 80 of the standard 100,
and a mean ≥ 200 over those 100 is "solved". Budgets (README.md, "Budgets"): a lunar_lab run
stops when solved (the DQN pair only once it also has ``--curve-steps`` env steps, so that
fast and straightforward learning curves cover the same experience) or at ``--max-env-steps``;
a peer on seed s stops when solved or once its training time exceeds ``--peer-factor`` (20) ×
lunar_lab/dqn's time to solve on seed s, which is exactly what decides "≥ 20× faster".

Modules, one job each:

- :mod:`training_bench.protocol`: the agents, budgets, evaluation stages and targets, and
  the order and budget of every (agent, seed) job.
- :mod:`training_bench.harness`: one run in its own subprocess: the clock, the staged
  evaluation and the stop rule (:class:`~training_bench.harness.Tracker`), the worker.
- :mod:`training_bench.runners`: how each agent is trained under the tracker.
- :mod:`training_bench.stats`: ratios, bounded medians and verdicts (pure: no I/O, no TensorFlow).
- :mod:`training_bench.report`: machine and versions, Markdown, plot, README sections.
- :mod:`training_bench.cli`: the command line (``python benchmarks/bench_training.py``).
"""
