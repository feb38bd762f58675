"""The results as a reader sees them: the machine and library versions, the Markdown report,
the learning-curve plot, and the results sections of the READMEs."""

from __future__ import annotations

import json
import os
import platform
import re
import statistics
import subprocess
from importlib import metadata
from pathlib import Path

from lunar_lab.provenance import cpu_kind
from training_bench.formatting import fmt_number, fmt_ratio
from training_bench.protocol import BENCHMARKS, CURVE_STEPS, REFERENCE, SOLVED_RETURN, STRAIGHTFORWARD
from training_bench.stats import curve_means


def machine_info() -> dict:
    """CPU model, core counts, memory, OS, Python and the load average before the run."""
    meminfo = Path("/proc/meminfo").read_text().split() if Path("/proc/meminfo").is_file() else []
    return dict(cpu_model=cpu_kind(),
                logical_cores=os.cpu_count(),
                usable_cores=len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
                memory_gib=round(int(meminfo[1]) / 2**20, 1) if meminfo[:1] == ["MemTotal:"] else None,
                platform=platform.platform(), python=platform.python_version(),
                load_average_at_start=[round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None)


def versions() -> dict:
    """Installed versions of the packages involved (None: not installed), and the git commit."""
    def version(*names):
        for name in names:
            try:
                return metadata.version(name)
            except metadata.PackageNotFoundError:
                pass
        return None

    found = {name: version(*dists) for name, dists in (
        ("lunar_lab", ["lunar_lab"]), ("tensorflow", ["tensorflow-cpu", "tensorflow"]), ("keras", ["keras"]),
        ("numpy", ["numpy"]), ("gymnasium", ["gymnasium"]), ("box2d", ["box2d", "box2d-py"]),
        ("stable_baselines3", ["stable-baselines3"]), ("torch", ["torch"]))}
    git = subprocess.run(["git", "-C", str(BENCHMARKS), "describe", "--always", "--dirty"], capture_output=True, text=True)
    found["git"] = git.stdout.strip() if git.returncode == 0 else None
    return found


def plot_curves(runs: list[dict], path: Path, agents=(REFERENCE, STRAIGHTFORWARD)) -> Path | None:
    """PNG of learning per env step for ``agents`` (fast and straightforward DQN), one line per
    seed: left, the mean return of the last 100 training episodes; right, the greedy
    evaluations. None (nothing written) when neither agent ran."""
    shown = [r for r in runs if r["agent"] in agents and r["status"] == "ok"]
    if not shown:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    from lunar_lab.plots import rolling_mean

    colors = dict(zip(agents, ("tab:blue", "tab:orange")))
    styles = ("-", "--", ":", "-.")
    seeds = sorted({r["seed"] for r in shown})
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.4), sharey=True)
    for r in shown:
        style = styles[seeds.index(r["seed"]) % len(styles)]
        label = f"{r['agent']}, seed {r['seed']}"
        left.plot(r["curve"]["env_steps"], rolling_mean(r["curve"]["return"], 100), color=colors[r["agent"]],
                  linestyle=style, linewidth=1.6, label=label)
        evals = r["evaluations"]
        right.plot([e["env_steps"] for e in evals], [e["mean"] for e in evals], color=colors[r["agent"]],
                   linestyle=style, marker="o", markersize=3, linewidth=1.2, label=label)
        if r["solved"]:
            right.plot([r["solve_env_steps"]], [next(e["mean"] for e in evals if e["env_steps"] == r["solve_env_steps"])],
                       marker="*", markersize=13, color=colors[r["agent"]], markeredgecolor="black", linestyle="none")
    for ax, title in ((left, "training: mean return of the last 100 episodes (ε-greedy)"),
                      (right, "greedy evaluations (20 episodes; 100 when the 20 reach 200; ★ solved)")):
        ax.axhline(SOLVED_RETURN, color="black", linestyle="--", linewidth=1)
        ax.set_xlabel("env steps")
        ax.set_title(title, fontsize=10)
        ax.grid(alpha=0.3)
        ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda x, _: f"{x / 1000:g}k" if x else "0"))
    left.set_ylabel("return")
    left.set_ylim(bottom=max(-400, left.get_ylim()[0]))
    right.legend(fontsize=8, loc="lower right")
    fig.suptitle("Same DQN, same hyperparameters: fast path (4 envs, 32 gradient steps per XLA call) "
                 "vs straightforward path (1 env, 1 step per call, no XLA)", fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def markdown(results: dict) -> str:
    """The results as Markdown: setting, targets, ratios, runs, learning per env step."""
    meta, s = results["meta"], results["meta"]["settings"]
    m, v = meta["machine"], meta["versions"]
    peers_budget = (f"{s['peer_budget_minutes']} min of training" if s["peer_budget_minutes"] is not None else
                    f"{s['peer_factor']:g} × {s['reference']}'s time to solve on the same seed (at most {s['peer_max_minutes']:g} min)")
    lines = [
        "# Training speed: lunar_lab against the classic course loop and Stable-Baselines3 DQN", "",
        f"{meta['date']} · {m['cpu_model']}, {m['logical_cores']} logical cores ({m['usable_cores']} usable), "
        f"{fmt_number(m['memory_gib'], 1)} GiB, load average at start {m['load_average_at_start']} · {m['platform']} · "
        f"Python {m['python']} · whole benchmark {fmt_number(meta['wall_time_s'] / 60, 1)} min", "",
        "Versions: " + ", ".join(f"{k} {val}" for k, val in v.items() if val), "",
        f"Command: `{meta['command']}`", "",
        f"Seeds {s['seeds']}, every agent on each, in alternation. Greedy evaluation every {s['eval_every']:,} env steps "
        f"({s['screen_episodes']} held-out episodes, then {s['full_episodes']} if their mean is ≥ 200); solved = greedy "
        f"mean ≥ 200 over {s['full_episodes']} episodes. Times are training time (clock paused during evaluations). "
        f"Budgets: lunar_lab runs stop when solved (the DQN pair not before {s['curve_steps']:,} env steps) or at "
        f"{s['max_env_steps']:,} env steps; a peer stops when solved or after {peers_budget}.", ""]
    if s.get("smoke"):
        lines += ["**Smoke run** (tiny budget): the numbers only show that the benchmark works.", ""]
    if s.get("overrides"):
        changes = ", ".join(f"`{k}={json.dumps(v)}`" for k, v in s["overrides"].items())
        lines += [f"**Config changed** for every lunar_lab run: {changes}; the targets below are about these settings, "
                  "not the package's defaults.", ""]
    for agent, reason in results["skipped"].items():
        lines += [f"Skipped: **{agent}**: {reason}", ""]
    lines += ["## Targets", "", "| target | measured | verdict |", "|---|--:|---|"]
    lines += [f"| {t['target']} | {t['measured']} | {t['verdict']} |" for t in results["targets"]]
    lines += ["", "## lunar_lab ÷ comparison, median over seeds (> 1: lunar_lab is better)", "",
              "`> N×`/`≥ N×`: a lower bound (the comparison had not solved after N times lunar_lab's time or env steps to "
              "solve); `< N×`/`≤ N×`: an upper bound (lunar_lab did not solve); —: neither solved. Per-seed ratios: "
              "[below](#per-seed-ratios).", ""]
    header = ("| lunar_lab | comparison | seed | env steps/s | gradient steps/s | time to solve | env steps to solve "
              "| peak memory |", "|---|---|---|--:|--:|--:|--:|--:|")

    def ratio_row(p):
        solve = [fmt_ratio(p[f"{n}_ratio"], p[f"{n}_relation"], p.get(f"{n}_high")) for n in ("time_to_solve", "env_steps_to_solve")]
        return (f"| {p['lunar_lab']} | {p['peer']} | {p['seed']} | {fmt_ratio(p['env_steps_per_s_ratio'], '=')} | "
                f"{fmt_ratio(p['gradient_steps_per_s_ratio'], '=')} | {solve[0]} | {solve[1]} | {fmt_ratio(p['memory_ratio'], '=')} |")

    lines += [*header, *map(ratio_row, results["ratio_summary"])]
    lines += ["", "## Runs", "",
              "| agent | seed | env steps/s | gradient steps/s | solved in (s) | solved in (env steps) | best greedy mean "
              "| training time (s) | env steps | stopped by | peak RSS (MiB) |", "|---|---|--:|--:|--:|--:|--:|--:|--:|---|--:|"]
    for r in results["runs"]:
        if r["status"] != "ok":
            lines.append(f"| {r['agent']} | {r['seed']} | {r['status']} |" + " |" * 8)
            continue
        lines.append(f"| {r['agent']} | {r['seed']} | {fmt_number(r['env_steps_per_s'])} | {fmt_number(r['gradient_steps_per_s'])} | "
                     f"{fmt_number(r['solve_time_s'], 1) if r['solved'] else 'not solved'} | {fmt_number(r['solve_env_steps'])} | "
                     f"{fmt_number(r['best_eval_mean'], 1)} | {fmt_number(r['train_time_s'], 1)} | {fmt_number(r['env_steps'])} | "
                     f"{r['stop_reason']} | {fmt_number(r['peak_rss_mib'])} |")
    lines += ["", "## Learning per env step: fast and straightforward path", "",
              f"Same DQN, same hyperparameters and replay ratio (1 gradient step of batch 64 per 4 env steps); "
              f"`{STRAIGHTFORWARD}` = `Config(env_engine='gymnasium', num_envs=1, updates_per_call=1, jit_compile=False)`. Mean return of the last "
              "100 training episodes (ε-greedy, so below the greedy evaluations) finished by each env step; — once the "
              "run had stopped.", ""]
    if results.get("curves_png"):
        lines += [f"![learning curves per env step]({results['curves_png']})", ""]
    lines += ["| agent | seed | " + " | ".join(f"{k // 1000}k" for k in CURVE_STEPS) + " |",
              "|---|---|" + "--:|" * len(CURVE_STEPS)]
    for agent in dict.fromkeys(r["agent"] for r in results["runs"] if r["status"] == "ok"):
        rows = [r for r in results["runs"] if r["agent"] == agent and r["status"] == "ok"]
        for r in rows:
            lines.append(f"| {agent} | {r['seed']} | " + " | ".join(fmt_number(x, 1) for x in curve_means(r)) + " |")
        if len(rows) > 1:
            columns = list(zip(*(curve_means(r) for r in rows)))
            lines.append(f"| {agent} | mean | " + " | ".join(
                fmt_number(statistics.fmean(c), 1) if None not in c else "—" for c in columns) + " |")
    lines += ["", "## Per-seed ratios", "", *header, *map(ratio_row, results["ratios"]), ""]
    return "\n".join(lines)


README_BEGIN, README_END = "<!-- results:begin -->", "<!-- results:end -->"


def summary(md: str) -> str:
    r"""The head of the results Markdown ``md`` (machine, targets, median ratios) for the
    project README, with a link to the full results in benchmarks/README.md.

        >>> print(summary("# T\n\n## Targets\n\nok\n\n## Runs\n\nlong table\n"))
        # T
        <BLANKLINE>
        ## Targets
        <BLANKLINE>
        ok
        <BLANKLINE>
        Per-run numbers, learning curves per env step and where the time goes: [benchmarks/README.md](benchmarks/README.md#results).
        <BLANKLINE>
    """
    head = md.split("\n## Runs\n", 1)[0].rstrip().replace("[below](#per-seed-ratios)", "[benchmarks/README.md](benchmarks/README.md#per-seed-ratios)")
    return f"{head}\n\nPer-run numbers, learning curves per env step and where the time goes: [benchmarks/README.md](benchmarks/README.md#results).\n"


def update_readme(readme: Path, md: str, images: str = "results/") -> bool:
    """Put ``md`` (headings one level down, image paths under ``images``) between the
    README's results markers; False (README unchanged) when the markers are missing."""
    text = readme.read_text()
    if README_BEGIN not in text or README_END not in text:
        return False
    body = md.split("\n", 1)[1].lstrip("\n")  # drop the H1 title
    body = re.sub(r"^(#+) ", r"#\1 ", body, flags=re.M).replace("](training_curves.png)", f"]({images}training_curves.png)")
    head, rest = text.split(README_BEGIN, 1)
    readme.write_text(f"{head}{README_BEGIN}\n{body.rstrip()}\n{README_END}{rest.split(README_END, 1)[1]}")
    return True
