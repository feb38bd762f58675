"""The training-speed benchmark and the profiler end to end on a tiny budget, the benchmark's
ratio, median, budget and curve logic on hand-checked inputs, its runners' wiring into
``lunar_lab.training.train``, and the classic loop's learning step and seam.

No timing is asserted: timings depend on the machine and its load.
"""

import importlib.util
import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lunar_lab.config import Config

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import classic_loop  # noqa: E402
from training_bench import harness, protocol, report, runners, stats  # noqa: E402
from training_bench.formatting import fmt_ratio  # noqa: E402

RUN_KEYS = {"agent", "seed", "status", "env_steps", "gradient_steps", "train_time_s", "eval_time_s", "budget_s",
            "max_env_steps", "min_env_steps", "stop_reason", "learning_start", "env_steps_per_s", "gradient_steps_per_s",
            "solved", "solve_env_steps", "solve_time_s", "best_eval_mean", "evaluations", "curve", "peak_rss_mib",
            "hyperparameters"}
INF = math.inf


# --------------------------------------------------------------------------- end to end (smoke)


def test_smoke_run_writes_json_markdown_and_plot(tmp_path):
    done = subprocess.run([sys.executable, str(BENCHMARKS / "bench_training.py"), "--smoke", "--algos", "dqn",
                           "--set", "hidden_sizes=[32, 32]", "--out", str(tmp_path)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    results = json.loads((tmp_path / "training.json").read_text())
    assert set(results) == {"meta", "skipped", "runs", "ratios", "ratio_summary", "targets", "curves_png"}
    assert {"date", "command", "machine", "versions", "settings", "wall_time_s"} <= set(results["meta"])
    assert results["meta"]["machine"]["logical_cores"] >= 1 and results["meta"]["settings"]["smoke"]
    assert "--smoke" in results["meta"]["command"]

    has_sb3 = "sb3" not in results["skipped"]
    agents = ["lunar_lab/dqn", protocol.STRAIGHTFORWARD, "classic"] + (["sb3"] if has_sb3 else [])
    assert [r["agent"] for r in results["runs"]] == agents  # one seed, in alternation order
    for run in results["runs"]:
        assert set(run) == RUN_KEYS, run["agent"]
        assert run["status"] == "ok" and run["seed"] == 0
        assert run["gradient_steps"] > 0 and run["env_steps_per_s"] > 0 and run["gradient_steps_per_s"] > 0
        assert run["stop_reason"] in ("max_env_steps", "budget", "solved")
        if run["stop_reason"] == "max_env_steps":
            assert run["env_steps"] >= protocol.SMOKE["max_env_steps"]
            vector_step = run["hyperparameters"].get("num_envs", 1)  # evaluations come at the first vector step past
            assert [e["env_steps"] for e in run["evaluations"]][:2] == pytest.approx([1000, 2000], abs=vector_step)
        assert all(e["episodes"] == 2 for e in run["evaluations"])
        assert len(run["curve"]["env_steps"]) == len(run["curve"]["return"]) >= 1
        assert run["peak_rss_mib"] > 0
    straightforward = results["runs"][1]["hyperparameters"]
    assert (straightforward["num_envs"], straightforward["updates_per_call"], straightforward["jit_compile"]) == (1, 1, False)
    assert results["runs"][0]["hyperparameters"]["updates_per_call"] == Config().updates_per_call  # the defaults
    assert results["runs"][0]["hyperparameters"]["hidden_sizes"] == straightforward["hidden_sizes"] == [32, 32]  # --set
    if not has_sb3:
        assert "pip install" in results["skipped"]["sb3"] and "stable-baselines3" in results["skipped"]["sb3"]

    pairs = {(p["lunar_lab"], p["peer"]) for p in results["ratios"]}
    assert pairs == {("lunar_lab/dqn", peer) for peer in agents[1:]}
    runs = {r["agent"]: r for r in results["runs"]}
    for p in results["ratios"]:
        assert p["env_steps_per_s_ratio"] == pytest.approx(runs[p["lunar_lab"]]["env_steps_per_s"] / runs[p["peer"]]["env_steps_per_s"])
    assert len(results["ratio_summary"]) == len(pairs)
    assert [t["verdict"] for t in results["targets"]][0] in ("met", "not met")

    md = (tmp_path / "training.md").read_text()
    assert md.startswith("# Training speed") and "## Targets" in md and "Smoke run" in md
    assert "**Config changed** for every lunar_lab run: `hidden_sizes=[32, 32]`" in md
    assert "| lunar_lab/dqn | classic | 0 |" in md and f"| {protocol.STRAIGHTFORWARD} | 0 |" in md
    assert results["curves_png"] == "training_curves.png" and "](training_curves.png)" in md
    assert (tmp_path / "training_curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_profiler_writes_its_report(tmp_path):
    out = tmp_path / "profile.md"
    done = subprocess.run([sys.executable, str(BENCHMARKS / "profile_training.py"), "--paths", "fast", "classic",
                           "--warmup", "1200", "--steps", "1200", "--classic-steps", "100", "--out", str(out)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    md = out.read_text()
    assert md.startswith("# Where training time goes") and "| component | fast | classic |" in md
    rows = {cells[0]: cells[1:] for cells in (line.strip("| ").split(" | ") for line in md.splitlines() if line.startswith("| "))}
    measured = lambda cell: re.fullmatch(r"[0-9,]+ µs \([0-9]+ %\)", cell.strip()) is not None  # noqa: E731
    # (fast, classic) measured or "—": every timed seam of train() and of the classic loop reports
    expected = {"env stepping (Box2D, in the path's engine)": (True, True), "acting (Q-values, ε-greedy)": (True, True),
                "replay: store": (True, False), "replay: sample": (True, True),
                "learning: main thread waiting for the learner (classic: the learning step)": (True, True),
                "acting copy refresh (NumPy weights)": (True, False), "other Python (loop)": (True, True),
                "learner thread busy (overlaps the above)": (True, False)}
    assert {name: tuple(map(measured, rows[name])) for name in expected} == expected, md
    assert all(rows[name][1] == "—" for name, (_, classic) in expected.items() if not classic), md
    assert re.search(r"\| window \| 1,2(0[0-9]|1[0-5]) env steps, [0-9.]+ s \| 100 env steps, [0-9.]+ s \|", md), md
    # the fast path's learning call is timed alone too; the classic loop has no separate learner
    assert re.search(r"\| learner: µs per gradient step, same call alone \| [0-9,]+ µs \| — \|", md), md


# --------------------------------------------------------------------------- ratios, medians, budgets


def run(agent, seed, solved, solve_time=None, train_time=100.0, solve_steps=None, env_steps=300_000, rate=1_000.0,
        grad_rate=250.0, rss=500.0, status="ok"):
    """A synthetic run record with the fields the parent side reads."""
    return dict(agent=agent, seed=seed, status=status, solved=solved, solve_time_s=solve_time, train_time_s=train_time,
                solve_env_steps=solve_steps, env_steps=env_steps, env_steps_per_s=rate, gradient_steps_per_s=grad_rate,
                peak_rss_mib=rss)


def test_solve_ratio_bounds():
    solved = dict(solved=True, solve_time_s=10.0, train_time_s=12.0)
    unsolved = dict(solved=False, solve_time_s=None, train_time_s=120.0)
    ratio = lambda a, b: stats.solve_ratio(a, b, "solve_time_s", "train_time_s")  # noqa: E731
    assert ratio(solved, dict(solved, solve_time_s=50.0)) == (5.0, "=")
    assert ratio(solved, unsolved) == (12.0, ">")  # the peer spent 120 s unsolved: at least 12× slower
    assert ratio(unsolved, solved) == (10.0 / 120.0, "<")
    assert ratio(unsolved, unsolved) == (None, None)


def test_pair_ratios_by_hand():
    runs = [run("lunar_lab/dqn", 0, True, solve_time=15.0, solve_steps=150_000, rate=10_000.0, grad_rate=2_500.0, rss=800.0),
            run("classic", 0, False, train_time=315.0, env_steps=85_000, rate=270.0, grad_rate=67.5, rss=1_000.0),
            run("lunar_lab/dqn", 1, True, solve_time=20.0, solve_steps=200_000),
            run("classic", 1, True, solve_time=300.0, solve_steps=250_000),
            run("lunar_lab/dqn", 2, True, solve_time=20.0, solve_steps=200_000),
            run("classic", 2, False, status="failed")]  # a failed peer run gives no pair
    pairs = stats.pair_ratios(runs, [("lunar_lab/dqn", "classic")])
    assert [p["seed"] for p in pairs] == [0, 1]
    p0, p1 = pairs
    assert p0["env_steps_per_s_ratio"] == pytest.approx(10_000 / 270)
    assert p0["gradient_steps_per_s_ratio"] == pytest.approx(2_500 / 67.5)
    assert (p0["time_to_solve_ratio"], p0["time_to_solve_relation"]) == (pytest.approx(21.0), ">")  # 315 s / 15 s
    assert (p0["env_steps_to_solve_ratio"], p0["env_steps_to_solve_relation"]) == (pytest.approx(85_000 / 150_000), ">")
    assert p0["memory_ratio"] == pytest.approx(1.25)  # the peer's peak RSS ÷ ours
    assert (p1["time_to_solve_ratio"], p1["time_to_solve_relation"]) == (pytest.approx(15.0), "=")
    assert (p1["env_steps_to_solve_ratio"], p1["env_steps_to_solve_relation"]) == (pytest.approx(1.25), "=")


@pytest.mark.parametrize("values, relations, expected", [
    ([30.0, 25.0, 21.0], [">", "=", ">"], (25.0, INF)),  # lower bounds: the median is at least 25
    ([10.0, 12.0, 50.0], ["=", "=", ">"], (12.0, 12.0)),  # a lower bound above the median does not matter
    ([10.0, 12.0, 50.0], ["<", "=", ">"], (12.0, 12.0)),  # one below, one above: the median is exactly 12
    ([5.0, 40.0, 30.0], ["<", ">", "="], (30.0, 30.0)),
    ([5.0, 8.0, 30.0], ["<", "<", "="], (0.0, 8.0)),  # upper bounds: the median is at most 8
    ([21.0, 19.0, 30.0], [">", ">", "<"], (19.0, INF)),  # two unbounded above: so is the median
    ([21.0, 5.0, 30.0], [">", "<", "="], (21.0, 30.0)),  # only an interval is known: min(≥ 21, 30)
    ([10.0, 20.0], ["=", ">"], (15.0, INF)),  # even count: mean of the middle two
    ([10.0, None, 30.0], ["=", None, "="], (20.0, 20.0)),  # None (neither solved) is left out
    ([None], [None], (None, None)),
])
def test_median_interval_by_hand(values, relations, expected):
    assert stats.median_interval(values, relations) == expected


def test_relation_of_and_verdict():
    assert stats.relation_of(25.0, INF) == (25.0, "≥")
    assert stats.relation_of(12.0, 12.0) == (12.0, "=")
    assert stats.relation_of(0.0, 8.0) == (8.0, "≤")
    assert stats.relation_of(19.0, 30.0) == (19.0, "~")
    assert stats.relation_of(None, None) == (None, None)
    assert stats.verdict(20.0, INF, 20, at_least=True) == "met"  # exactly the target counts
    assert stats.verdict(19.0, 30.0, 20, at_least=True) == "undecided"
    assert stats.verdict(0.0, 8.0, 20, at_least=True) == "not met"
    assert stats.verdict(None, None, 20, at_least=True) == "undecided"
    assert stats.verdict(48.0, 48.0, 60, at_least=False) == "met"
    assert stats.verdict(55.0, INF, 60, at_least=False) == "undecided"  # unsolved after 55 s: could be more than 60
    assert stats.verdict(61.0, INF, 60, at_least=False) == "not met"


def test_summary_takes_medians_and_bounds_per_pair():
    pairs = [dict(lunar_lab="lunar_lab/dqn", peer="classic", seed=s, env_steps_per_s_ratio=r, gradient_steps_per_s_ratio=g,
                  memory_ratio=m, time_to_solve_ratio=t, time_to_solve_relation=tr, env_steps_to_solve_ratio=e,
                  env_steps_to_solve_relation=er)
             for s, r, g, m, t, tr, e, er in [(0, 30.0, 30.0, 1.0, 21.0, ">", 0.6, ">"),
                                              (1, 40.0, 40.0, 2.0, 25.0, "=", 1.5, "="),
                                              (2, 35.0, 36.0, 3.0, 30.0, ">", 0.8, ">")]]
    (row,) = stats.summarize_ratios(pairs)
    assert (row["seed"], row["seeds"]) == ("median", 3)
    assert (row["env_steps_per_s_ratio"], row["gradient_steps_per_s_ratio"], row["memory_ratio"]) == (35.0, 36.0, 2.0)
    assert (row["time_to_solve_low"], row["time_to_solve_high"]) == (25.0, INF)
    assert (row["time_to_solve_ratio"], row["time_to_solve_relation"]) == (25.0, "≥")
    assert (row["env_steps_to_solve_ratio"], row["env_steps_to_solve_relation"]) == (0.8, "≥")
    assert fmt_ratio(row["time_to_solve_ratio"], row["time_to_solve_relation"]) == "≥ 25.0×"
    assert fmt_ratio(19.0, "~", 30.0) == "19.0–30.0×" and fmt_ratio(0.5, "<") == "< 0.50×"


def test_targets_from_a_synthetic_run():
    runs = [run("lunar_lab/dqn", 0, True, solve_time=15.0, solve_steps=150_000, rate=9_000.0),
            run("lunar_lab/dqn", 1, True, solve_time=40.0, solve_steps=200_000, rate=11_000.0),
            run("lunar_lab/dqn", 2, False, train_time=70.0, rate=12_000.0),
            run("classic", 0, False, train_time=300.0), run("classic", 1, False, train_time=800.0),
            run("classic", 2, True, solve_time=1_000.0, solve_steps=280_000)]
    results = dict(runs=runs, ratio_summary=stats.summarize_ratios(stats.pair_ratios(runs, [("lunar_lab/dqn", "classic")])))
    rate, solve, ratio = stats.targets(results)
    assert (rate["measured"], rate["verdict"]) == ("11,000", "met")
    assert (solve["measured"], solve["verdict"]) == ("40.0 s", "met")  # median of 15, 40 and "> 70" is 40
    # per seed: 300/15 = 20 (">"), 800/40 = 20 (">"), 1000/70 = 14.3 ("<"): medians 20 … 20 → exactly bounded below by 20
    assert ratio["verdict"] == "met" and ratio["measured"] == "≥ 20.0×"


def test_peer_budget_is_factor_times_reference_solve_time():
    ref = run("lunar_lab/dqn", 0, True, solve_time=15.0, train_time=20.0)
    assert protocol.peer_budget_s(ref, 20, 600) == 300.0
    assert protocol.peer_budget_s(dict(ref, solve_time_s=40.0), 20, 600) == 600  # capped
    assert protocol.peer_budget_s(run("lunar_lab/dqn", 0, False, train_time=25.0), 20, 600) == 500.0  # unsolved: its whole time
    assert protocol.peer_budget_s(None, 20, 600) == 600
    assert protocol.peer_budget_s(dict(ref, status="failed"), 20, 600) == 600


def _settings(**changes):
    settings = dict(seeds=[0, 1], eval_every=10_000, max_env_steps=300_000, curve_steps=150_000, lunar_lab_max_minutes=10.0,
                    peer_factor=20.0, peer_max_minutes=10.0, peer_budget_minutes=None, peer_max_env_steps=None,
                    screen_episodes=20, full_episodes=100, lunar_lab_overrides={}, reference="lunar_lab/dqn")
    return dict(settings, **changes)


def test_job_specs_and_alternation_order():
    settings = _settings()
    agents = ["lunar_lab/dqn", "lunar_lab/sqn", protocol.STRAIGHTFORWARD, "classic"]
    assert protocol.plan(settings, agents) == [(a, 0) for a in agents] + [(a, 1) for a in agents]
    runs = [run("lunar_lab/dqn", 0, True, solve_time=12.0), run("lunar_lab/dqn", 1, False, train_time=40.0)]
    assert protocol.job_spec("classic", 0, settings, runs)["budget_s"] == pytest.approx(240.0)
    assert protocol.job_spec("classic", 1, settings, runs)["budget_s"] == pytest.approx(600.0)  # 20 × 40 s capped at 10 min
    assert protocol.job_spec("classic", 0, _settings(peer_budget_minutes=3.0), runs)["budget_s"] == pytest.approx(180.0)
    dqn, sqn, straight = (protocol.job_spec(a, 0, settings, []) for a in ("lunar_lab/dqn", "lunar_lab/sqn", protocol.STRAIGHTFORWARD))
    assert dqn["min_steps"] == straight["min_steps"] == 150_000 and sqn["min_steps"] == 0
    assert dqn["max_steps"] == 300_000 and dqn["budget_s"] == 600.0


def test_straightforward_config_changes_only_the_speed_switches():
    spec = dict(agent=protocol.STRAIGHTFORWARD, seed=3, max_steps=300_000, eval_every=10_000, lunar_lab_overrides={})
    fast = runners.lunar_lab_config(dict(spec, agent="lunar_lab/dqn")).to_dict()
    straight = runners.lunar_lab_config(spec).to_dict()
    assert {k for k in fast if fast[k] != straight[k]} == set(protocol.STRAIGHTFORWARD_OVERRIDES)
    assert straight["algo"] == "dqn" and straight["seed"] == 3 and straight["train_every"] == 4 and straight["batch_size"] == 64


def test_sb3_keeps_the_zoo_exploration_per_env_step():
    hp = runners.sb3_hyperparameters()
    assert hp["exploration_fraction"] * protocol.SB3_MAX_TIMESTEPS == pytest.approx(0.12 * 100_000)  # ε: 1 → 0.1 over 12,000 steps
    assert {k: v for k, v in hp.items() if k != "exploration_fraction"} == {k: v for k, v in protocol.SB3_ZOO.items()
                                                                          if k != "exploration_fraction"}


def test_sb3_is_skipped_with_a_note_when_missing():
    peers, skipped = protocol.available_peers(["classic", "sb3", "classic"], importable=set())
    assert peers == ["classic"] and set(skipped) == {"sb3"} and "pip install" in skipped["sb3"]
    assert protocol.available_peers(["sb3", "classic"], importable={"stable_baselines3"}) == (["sb3", "classic"], {})


# --------------------------------------------------------------------------- the tracker's evaluation and stop rule


def _fake_evaluate(solved_from, screen_only_from=None):
    """An ``evaluate`` whose episodes return 250 once ``tracker.env_steps >= solved_from``; from
    ``screen_only_from`` on, only the first 2 episodes (the screen) return 250, the rest 100."""
    from lunar_lab.evaluation import EVAL_SEED, Evaluation

    state = {}

    def evaluate(policy, episodes=100, seed=EVAL_SEED):
        steps = state["tracker"].env_steps
        first = seed - EVAL_SEED
        good = [steps >= solved_from or (screen_only_from is not None and steps >= screen_only_from and first + i < 2)
                for i in range(episodes)]
        returns = np.where(good, 250.0, 100.0 if screen_only_from is not None and steps >= screen_only_from else -100.0)
        return Evaluation(returns, np.full(episodes, 300), seed + np.arange(episodes))

    return state, evaluate


def test_tracker_screens_then_solves_then_runs_on_to_min_steps():
    state, evaluate = _fake_evaluate(solved_from=40, screen_only_from=20)
    tracker = state["tracker"] = harness.Tracker(eval_every=10, budget_s=1e9, max_steps=None, min_steps=60,
                                                 screen_episodes=2, full_episodes=4, evaluate=evaluate)
    stopped_at = next(step for step in range(1, 200) if tracker.tick(step, step // 4, lambda: None))
    assert stopped_at == 60  # solved at 40, then on (without evaluations) to min_steps
    assert [(e["env_steps"], e["mean"], e["episodes"]) for e in tracker.evaluations] == [
        (10, -100.0, 2),  # the screen fails: 2 episodes only
        (20, 175.0, 4), (30, 175.0, 4),  # the screen passes (250, 250) but the full 4 do not: (2·250 + 2·100)/4
        (40, 250.0, 4)]  # solved; no evaluation is played after that
    report = tracker.report()
    assert (report["solved"], report["solve_env_steps"], report["stop_reason"]) == (True, 40, "solved")
    assert report["best_eval_mean"] == 250.0 and report["learning_start"]["env_steps"] == 4


def test_tracker_stops_unsolved_runs_at_max_steps_and_evaluates_at_the_end():
    state, evaluate = _fake_evaluate(solved_from=10**9)
    tracker = state["tracker"] = harness.Tracker(eval_every=10, budget_s=1e9, max_steps=25, screen_episodes=2,
                                                 full_episodes=4, evaluate=evaluate)
    stopped_at = next(step for step in range(1, 200) if tracker.tick(step, 0, lambda: None))
    tracker.finish(lambda: None)
    assert stopped_at == 25 and [e["env_steps"] for e in tracker.evaluations] == [10, 20, 25]
    report = tracker.report()
    assert (report["solved"], report["stop_reason"], report["env_steps_per_s"]) == (False, "max_env_steps", None)
    assert harness.Tracker(eval_every=10, budget_s=0.0).stop_reason() == "budget"


def test_lunar_lab_run_is_evaluated_and_stopped_by_the_tracker():
    """The tracker is train's evaluator and its stop rule ends the run through the callback: a
    fake evaluation that scores 250 solves the run at its first evaluation, 500 env steps in,
    long before the 3,000 env steps of total_steps."""
    state, evaluate = _fake_evaluate(solved_from=0)
    tracker = state["tracker"] = harness.Tracker(eval_every=500, budget_s=1e9, max_steps=3_000, screen_episodes=2,
                                                 full_episodes=4, evaluate=evaluate)
    spec = dict(agent="lunar_lab/dqn", seed=0, max_steps=3_000, eval_every=500,
                lunar_lab_overrides=dict(learning_starts=200, hidden_sizes=[16, 16], num_envs=4, updates_per_call=32))
    hyperparameters = runners.run_lunar_lab(spec, tracker)
    run = tracker.report()
    assert hyperparameters["total_steps"] == 3_000 and hyperparameters["hidden_sizes"] == [16, 16]
    assert 500 <= run["env_steps"] < 504 and (run["stop_reason"], run["solve_env_steps"]) == ("solved", run["env_steps"])
    assert [(e["env_steps"], e["mean"], e["episodes"]) for e in run["evaluations"]] == [(run["env_steps"], 250.0, 4)]
    # the first sample: once 32 gradient steps (one call) are owed, 1 per 4 env steps from the first
    # vector step at ≥ 200 env steps on (it counts too): at 200 + 31 · 4 = 324 env steps or later
    assert 324 <= run["learning_start"]["env_steps"] < 500 and run["gradient_steps"] % 32 == 0 < run["gradient_steps"]
    assert run["curve"]["env_steps"] == sorted(run["curve"]["env_steps"]) and all(s <= 503 for s in run["curve"]["env_steps"])


def test_peers_get_tensorflow_defaults_after_importing_lunar_lab():
    """A peer's process imports lunar_lab (for its evaluation) yet keeps no TensorFlow setting of it."""
    names = ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "TF_ENABLE_ONEDNN_OPTS", "KERAS_BACKEND")
    env = {k: v for k, v in os.environ.items() if k not in names} | dict(PYTHONPATH=str(BENCHMARKS))
    code = ("import os, sys; from training_bench.harness import keep_tensorflow_defaults; keep_tensorflow_defaults(); "
            f"print('lunar_lab' in sys.modules, [n for n in {names!r} if n in os.environ])")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert done.stdout.split("\n")[0] == "True []", done.stdout + done.stderr


# --------------------------------------------------------------------------- learning curves and report


def test_curve_means_use_the_last_100_episodes():
    steps = [100 * (i + 1) for i in range(150)]  # episode i ends at 100(i + 1) env steps with return i
    r = dict(env_steps=15_000, curve={"env_steps": steps, "return": [float(i) for i in range(150)]})
    # by 5,000 env steps: episodes 0..49 → mean 24.5; by 12,000: episodes 20..119 → mean 69.5
    assert stats.curve_means(r, points=(50, 5_000, 12_000, 15_000, 15_001)) == [None, 24.5, 69.5, 99.5, None]




def test_update_readme_replaces_only_the_marked_section(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{report.README_BEGIN}\nold\n{report.README_END}\noutro\n")
    assert report.update_readme(readme, "# Title\n\n## Targets\n\n![c](training_curves.png)\n")
    assert readme.read_text() == f"intro\n{report.README_BEGIN}\n### Targets\n\n![c](results/training_curves.png)\n{report.README_END}\noutro\n"
    (tmp_path / "other.md").write_text("no markers")
    assert report.update_readme(readme, "# Title\n\n![c](training_curves.png)\n", images="benchmarks/results/")
    assert "![c](benchmarks/results/training_curves.png)" in readme.read_text()
    assert not report.update_readme(tmp_path / "other.md", "# T\n")


# --------------------------------------------------------------------------- the classic loop


def _constant_q_network(q_values):
    """A classic-loop Q-network whose output is ``q_values`` [4] for every state."""
    net = classic_loop.build_q_network()
    weights = [np.zeros_like(w) for w in net.get_weights()]
    weights[-1] = np.asarray(q_values, np.float32)
    net.set_weights(weights)
    return net


def _batch(rewards, done):
    n = len(rewards)
    f = lambda x: np.asarray(x, np.float32)  # noqa: E731
    return (f(np.zeros((n, 8))), f([1, 3]), f(rewards), f(np.ones((n, 8))), f(done))


def test_classic_loss_on_a_hand_computed_batch():
    q_network = _constant_q_network([0.5, 1.0, 1.5, 2.0])
    target_q_network = _constant_q_network([1.0, 5.0, 2.0, 0.0])
    # y = r + γ(1 − done)·max Q_target(s′) = [1 + 0.9·5, −2] = [5.5, −2]: done=1 does not bootstrap
    # Q(s, a) for a = [1, 3] = [1.0, 2.0]; MSE = ((5.5 − 1)² + (−2 − 2)²) / 2 = 18.125
    loss = classic_loop.compute_loss(_batch([1.0, -2.0], [0.0, 1.0]), 0.9, q_network, target_q_network)
    assert float(loss) == pytest.approx(18.125)


def test_classic_learning_step_descends_then_soft_updates_the_target():
    import keras

    q_network = _constant_q_network([0.5, 1.0, 1.5, 2.0])
    target_q_network = _constant_q_network([1.0, 5.0, 2.0, 0.0])
    before_target = target_q_network.get_weights()
    agent_learn = classic_loop.make_agent_learn(q_network, target_q_network, keras.optimizers.Adam(learning_rate=0.1))
    batch = _batch([1.0, -2.0], [0.0, 1.0])
    loss_before = float(classic_loop.compute_loss(batch, 0.9, q_network, target_q_network))
    agent_learn(batch, 0.9)
    online = q_network.get_weights()
    assert not np.allclose(online[-1], [0.5, 1.0, 1.5, 2.0])  # Adam moved the output bias
    for new, old, w in zip(target_q_network.get_weights(), before_target, online):
        np.testing.assert_allclose(new, classic_loop.TAU * w + (1 - classic_loop.TAU) * old, atol=1e-6)
    target_q_network.set_weights(before_target)
    assert float(classic_loop.compute_loss(batch, 0.9, q_network, target_q_network)) < loss_before


def test_classic_loop_runs_every_step_through_wrap():
    """Each step named in STEPS goes through ``wrap``: acting and env steps once per env step, a
    mini-batch and a learning step at every 4th step of the episode once the memory exceeds 64."""
    calls = dict.fromkeys(classic_loop.STEPS, 0)

    def wrap(name, fn):
        def counted(*args):
            calls[name] += 1
            return fn(*args)
        return counted

    out = classic_loop.train(0, num_episodes=1, max_num_timesteps=80, wrap=wrap)
    steps = out["env_steps"]
    # memory holds t + 1 transitions at step t: learning at t = 67, 71, 75, 79 (t + 1 ≡ 0 mod 4, > 64)
    expected_learning = sum(1 for t in range(steps) if (t + 1) % 4 == 0 and t + 1 > classic_loop.MINIBATCH_SIZE)
    assert calls == {"q_network": steps, "get_action": steps, "env.step": steps,
                     "get_experiences": expected_learning, "agent_learn": expected_learning}
    assert out["gradient_steps"] == expected_learning >= 1


def test_classic_update_and_epsilon_rules():
    memory = [None] * (classic_loop.MINIBATCH_SIZE + 1)
    assert classic_loop.check_update_conditions(3, 4, memory) and not classic_loop.check_update_conditions(4, 4, memory)
    assert not classic_loop.check_update_conditions(3, 4, memory[:classic_loop.MINIBATCH_SIZE])
    assert classic_loop.get_new_eps(1.0) == pytest.approx(0.995) and classic_loop.get_new_eps(0.01) == 0.01


@pytest.mark.parametrize("readme, summarize, images", [
    (BENCHMARKS / "README.md", False, "results/"),
    (BENCHMARKS.parent / "README.md", True, "benchmarks/results/"),
])
def test_readmes_show_the_committed_results(tmp_path, readme, summarize, images):
    """The results sections of both READMEs are what the benchmark wrote from results/training.md."""
    md = (BENCHMARKS / "results" / "training.md").read_text()
    copy = tmp_path / "README.md"
    copy.write_text(readme.read_text())
    assert report.update_readme(copy, report.summary(md) if summarize else md, images)
    assert copy.read_text() == readme.read_text()


def test_the_sweep_benchmark_reports_one_and_two_workers(tmp_path):
    """``benchmarks/bench_sweep.py --smoke`` runs the sweep with 1 and 2 workers and reports both."""
    script = Path(__file__).parents[1] / "benchmarks" / "bench_sweep.py"
    done = subprocess.run([sys.executable, str(script), "--smoke", "--out", str(tmp_path / "s.md")],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    rows = [line for line in (tmp_path / "s.md").read_text().splitlines() if line.startswith("| 1 |") or line.startswith("| 2 |")]
    assert len(rows) == 2 and rows[0].endswith("| 1.00× |")


@pytest.mark.parametrize("field", ["seed=3", "eval_interval=5000", "eval_episodes=0", "total_steps=10"])
def test_fields_the_benchmark_sets_itself_are_refused_by_set(field):
    import argparse

    from training_bench.cli import config_override

    with pytest.raises(argparse.ArgumentTypeError, match="is set by the benchmark itself"):
        config_override(field)


@pytest.mark.skipif(importlib.util.find_spec("envpool") is None, reason="envpool is not installed on this machine")
def test_the_engine_benchmark_reports_both_paths_and_the_targets(tmp_path):
    """``benchmarks/bench_engines.py --smoke`` measures both paths and states both targets with a verdict."""
    script = Path(__file__).parents[1] / "benchmarks" / "bench_engines.py"
    done = subprocess.run([sys.executable, str(script), "--smoke", "--out", str(tmp_path / "e.md")],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    text = (tmp_path / "e.md").read_text()
    rows = [line for line in text.splitlines() if line.startswith("| old: gymnasium | 0 |") or line.startswith("| new: envpool | 0 |")]
    assert len(rows) == 2
    for row in rows:  # path, seed, then random actions, learning, gradient steps/s, learner alone: all measured
        cells = row.strip("| ").split(" | ")
        assert len(cells) == 6 and all(float(cell.replace(",", "")) > 0 for cell in cells[2:]), row
    assert text.count("| met |") + text.count("| not met |") == 2
    assert "**The learner's arithmetic.**" in text and "MFLOP" in text and "GFLOP/s" in text
