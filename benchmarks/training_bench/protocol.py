"""The benchmark's protocol: its agents, evaluation stages, budgets and targets, and which
(agent, seed) jobs run in which order with which budget (README.md, "Budgets")."""

from __future__ import annotations

from pathlib import Path

#: The benchmarks folder: the results, the READMEs and :mod:`classic_loop` are found from here.
BENCHMARKS = Path(__file__).resolve().parents[1]
DEFAULT_OUT = BENCHMARKS / "results"
ALGOS = ("dqn", "double_dqn", "sqn")
PEERS = ("classic", "sb3")
#: The straightforward path of lunar_lab/dqn: same algorithm and hyperparameters, one gymnasium
#: env, one gradient step per compiled call, no XLA (what training.py allows; README.md, "Agents").
STRAIGHTFORWARD = "lunar_lab/dqn-straightforward"
STRAIGHTFORWARD_OVERRIDES = dict(env_engine="gymnasium", num_envs=1, updates_per_call=1, jit_compile=False)
REFERENCE = "lunar_lab/dqn"  # the agent whose time to solve sets the peers' budgets and the targets
#: Config fields every lunar_lab run gets from the benchmark (runners.lunar_lab_config), not from --set;
#: eval_episodes too: the benchmark's own evaluations run only while it is ≥ 1 (runners.run_lunar_lab).
BENCHMARK_FIELDS = ("algo", "seed", "total_steps", "eval_interval", "eval_episodes", "stop_when_solved")
SOLVED_RETURN = 200.0
SCREEN_EPISODES, FULL_EPISODES = 20, 100
#: The library an optional peer needs, and how to install it.
PEER_LIBRARIES = {"sb3": "stable_baselines3"}
SB3_INSTALL = ("pip install torch --index-url https://download.pytorch.org/whl/cpu && pip install stable-baselines3 "
               "(or the package's `bench` extra)")
#: RL Baselines3 Zoo, hyperparams/dqn.yml, LunarLander (n_timesteps 1e5).
SB3_ZOO = dict(policy="MlpPolicy", learning_rate=6.3e-4, batch_size=128, buffer_size=50_000, learning_starts=0,
               gamma=0.99, target_update_interval=250, train_freq=4, gradient_steps=-1, exploration_fraction=0.12,
               exploration_final_eps=0.1, policy_kwargs=dict(net_arch=[256, 256]))
SB3_ZOO_TIMESTEPS = 100_000
#: SB3 is asked for this many timesteps (the budget stops it long before), with its
#: exploration fraction scaled so that ε still falls 1 → 0.1 over the Zoo's first 12,000 steps.
SB3_MAX_TIMESTEPS = 10_000_000
CURVE_STEPS = (25_000, 50_000, 75_000, 100_000, 125_000, 150_000, 200_000, 250_000, 300_000)
TARGETS = dict(env_steps_per_s=10_000, solve_time_s=60.0, solve_ratio=20.0)
SMOKE = dict(max_env_steps=2_000, eval_every=1_000, screen_episodes=2, full_episodes=2, curve_steps=0,
             lunar_lab_max_minutes=1.0, peer_max_minutes=0.5, lunar_lab_overrides=dict(learning_starts=500))


def comparison_pairs(agents: list[str]) -> list[tuple[str, str]]:
    """(lunar_lab agent, comparison) pairs: every fast lunar_lab agent with every peer, and
    lunar_lab/dqn with its straightforward path.

    Example:
        >>> comparison_pairs(["lunar_lab/dqn", "lunar_lab/sqn", STRAIGHTFORWARD, "classic"])
        [('lunar_lab/dqn', 'classic'), ('lunar_lab/sqn', 'classic'), ('lunar_lab/dqn', 'lunar_lab/dqn-straightforward')]
    """
    fast = [a for a in agents if a.startswith("lunar_lab/") and a != STRAIGHTFORWARD]
    pairs = [(a, p) for a in fast for p in agents if p in PEERS]
    if REFERENCE in agents and STRAIGHTFORWARD in agents:
        pairs.append((REFERENCE, STRAIGHTFORWARD))
    return pairs


def available_peers(peers: list[str], importable: set[str]) -> tuple[list[str], dict[str, str]]:
    """The requested peers that can run, and {peer: why it is skipped} for the others.

    Args:
        peers: the requested peers (names of :data:`PEERS`, repeats allowed).
        importable: the libraries of :data:`PEER_LIBRARIES` that can be imported here.

    Example:
        >>> available_peers(["classic", "sb3", "classic"], importable={"stable_baselines3"})
        (['classic', 'sb3'], {})
    """
    peers, skipped = list(dict.fromkeys(peers)), {}
    if "sb3" in peers and PEER_LIBRARIES["sb3"] not in importable:
        skipped["sb3"] = f"stable_baselines3 is not importable; install it with `{SB3_INSTALL}`"
        peers.remove("sb3")
    return peers, skipped


def peer_budget_s(reference: dict | None, factor: float, cap_s: float) -> float:
    """A peer's training-time budget on one seed: ``factor`` × the reference run's time to
    solve on that seed (its whole training time if it did not solve), at most ``cap_s``.

    A peer that has not solved when this budget is spent is more than ``factor`` times
    slower to solve: the budget decides the "≥ factor×" question and no more.

    Example:
        >>> peer_budget_s(dict(status="ok", solved=True, solve_time_s=15.0, train_time_s=20.0), 20, 600)
        300.0
        >>> peer_budget_s(dict(status="ok", solved=False, solve_time_s=None, train_time_s=40.0), 20, 600)
        600
        >>> peer_budget_s(None, 20, 600)
        600
    """
    if reference is None or reference.get("status") != "ok":
        return cap_s
    return min(cap_s, factor * (reference["solve_time_s"] if reference["solved"] else reference["train_time_s"]))


def plan(settings: dict, agents: list[str]) -> list[tuple[str, int]]:
    """The (agent, seed) jobs in alternation order: every agent on seed 0, then on seed 1, …"""
    return [(agent, seed) for seed in settings["seeds"] for agent in agents]


def job_spec(agent: str, seed: int, settings: dict, runs: list[dict]) -> dict:
    """What the worker needs for one (agent, seed), the peers' budget from earlier ``runs``."""
    spec = dict(agent=agent, seed=seed, eval_every=settings["eval_every"], screen_episodes=settings["screen_episodes"],
                full_episodes=settings["full_episodes"], lunar_lab_overrides=settings["lunar_lab_overrides"])
    if agent in PEERS:
        cap = 60 * settings["peer_max_minutes"]
        if settings["peer_budget_minutes"] is not None:
            budget = 60 * settings["peer_budget_minutes"]
        else:
            reference = next((r for r in runs if r["agent"] == settings["reference"] and r["seed"] == seed), None)
            budget = peer_budget_s(reference, settings["peer_factor"], cap)
        return dict(spec, budget_s=budget, max_steps=settings["peer_max_env_steps"], min_steps=0)
    curve_pair = agent in (REFERENCE, STRAIGHTFORWARD)
    return dict(spec, budget_s=60 * settings["lunar_lab_max_minutes"], max_steps=settings["max_env_steps"],
                min_steps=settings["curve_steps"] if curve_pair else 0)
