"""Running a sweep: every (arm, seed) not yet done, in parallel, each run resumable.

:func:`run_sweep` checks the specification against the folder's record, then hands each
missing run to a backend (:mod:`lunar_lab.sweeps.backends`: a local process pool, or a Ray
cluster). A run (:func:`execute_run`, in a worker) trains with checkpoints in its working
folder, resuming from its last checkpoint if an earlier attempt was interrupted, evaluates
the final greedy policy on the held-out seeds and returns its files; the sweep writes them
and renames the folder into place, the one step that makes the run done. A run that raises
is recorded as failed with its error and the others go on; the next sweep retries it.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
import traceback
from concurrent.futures import as_completed
from dataclasses import dataclass, field
from pathlib import Path

from lunar_lab.engines import check_engine
from lunar_lab.sweeps import layout
from lunar_lab.sweeps.spec import SweepSpec

#: Files of a finished run that a worker sends back (its checkpoints stay behind).
_CHECKPOINTS = "checkpoints"
#: The subfolder of ``train(checkpoint_dir=...)`` holding the weights of the best periodic evaluation.
_BEST = "best"


@dataclass
class SweepReport:
    """What one call of :func:`run_sweep` did.

    Attributes:
        sweep_dir: the sweep's folder.
        done_before: (arm, seed) runs that were already done and were skipped.
        ran: runs finished by this call, in the order they finished.
        failed: runs that raised, with the error text.
        remaining: runs neither done nor failed when the call returned (``max_runs``, Ctrl-C).
        env_steps: env steps of the runs finished by this call.
        wall_time: seconds this call took.
    """

    sweep_dir: Path
    done_before: list = field(default_factory=list)
    ran: list = field(default_factory=list)
    failed: dict = field(default_factory=dict)
    remaining: list = field(default_factory=list)
    env_steps: int = 0
    wall_time: float = 0.0


def prepare_sweep_dir(spec: SweepSpec, root: str | Path = layout.SWEEPS_DIR) -> Path:
    """Create or check ``root/spec.name`` for ``spec`` and record it; returns the folder.

    Raises:
        ValueError: the folder holds another experiment (the message lists what differs), or
            is not empty and not a sweep's folder, or cannot be written. Nothing is changed then.
    """
    sweep_dir = Path(root) / spec.name
    new = spec.identity()
    old = layout.read_identity(sweep_dir)
    if old is not None:
        conflicts = layout.identity_conflicts(old, new)
        if conflicts:
            raise ValueError(f"{sweep_dir} holds the results of a different spec, which would be mixed with this one's "
                             f"(nothing was run or changed): {'; '.join(conflicts)}. Give the sweep another name, "
                             "or move the folder away")
    elif sweep_dir.is_dir() and any(sweep_dir.iterdir()):
        raise ValueError(f"{sweep_dir} is not empty and has no {layout.SPEC_FILE}: it is not a sweep's folder "
                         "(nothing was run or changed); give the sweep another name or --root")
    try:
        sweep_dir.mkdir(parents=True, exist_ok=True)
        layout.write_atomic(sweep_dir / layout.SPEC_FILE, json.dumps(new, indent=2) + "\n")
        if spec.path is not None:
            layout.write_atomic(sweep_dir / layout.SPEC_TOML, Path(spec.path).read_text())
    except OSError as err:
        raise ValueError(f"cannot write the sweep's folder {sweep_dir}: {err.strerror or err}") from None
    return sweep_dir


def plan_runs(spec: SweepSpec, sweep_dir: str | Path) -> tuple[list, list]:
    """Split the spec's runs into (done, to run), each a list of (arm, seed) in the spec's order."""
    done, todo = [], []
    for arm, seed in spec.runs():
        (done if layout.run_status(sweep_dir, arm, seed) == "done" else todo).append((arm, seed))
    return done, todo


def run_task(spec: SweepSpec, sweep_dir: str | Path, arm: str, seed: int) -> dict:
    """The JSON-serialisable description of one run that a worker needs (:func:`execute_run`)."""
    return {"arm": arm, "seed": seed, "config": spec.config(arm, seed).to_dict(),
            "eval_episodes": spec.eval_episodes, "eval_seed": spec.eval_seed,
            "work_dir": str(Path(sweep_dir).resolve() / layout.partial_dir("", arm, seed))}


def execute_run(task: dict) -> dict:
    """Train and evaluate one run of a sweep (in a worker process); returns its files.

    Trains ``task["config"]`` with full checkpoints in ``task["work_dir"]/checkpoints`` (a
    scratch folder on a cluster node that cannot create it),
    continuing from the last one if an earlier attempt left one (the result is then the same
    as an uninterrupted run's), then plays ``eval_episodes`` greedy episodes on seeds
    ``eval_seed`` onwards with the final weights and, if the run evaluated periodically, with
    its ``best`` checkpoint (the weights of its best periodic evaluation: the selection rule of
    the notebooks' promises), on the same seeds.

    Returns:
        ``{"files": {relative path: bytes}, "env_steps": int}``: the run directory's files
        (config.json, weights, episodes.csv, evaluations.csv, final_evaluation.csv,
        best_evaluation.csv if there is a best checkpoint, summary.json).
    """
    from lunar_lab.config import Config
    from lunar_lab.evaluation import evaluate
    from lunar_lab.runs import load_agent, save_run
    from lunar_lab.training import LATEST, train

    config = Config.from_dict(task["config"])
    work_dir = Path(task["work_dir"])
    try:
        work_dir.mkdir(parents=True, exist_ok=True)
    except OSError:  # another machine of a cluster, without the sweep's folder: work in a scratch folder
        work_dir = Path(tempfile.mkdtemp(prefix=f"lunar-lab-{task['arm']}-seed{task['seed']}-"))
    checkpoint_dir = work_dir / _CHECKPOINTS
    resume = checkpoint_dir if (checkpoint_dir / LATEST / "state.json").is_file() else None
    result = train(config, progress=False, checkpoint_dir=checkpoint_dir, resume_from=resume)
    save_run(result, work_dir)
    policies = {layout.FINAL_EVALUATION_FILE: result.agent}
    if (checkpoint_dir / _BEST / "config.json").is_file():  # a run with periodic evaluations kept its best
        policies[layout.BEST_EVALUATION_FILE] = load_agent(checkpoint_dir / _BEST)
    for name, agent in policies.items():
        held_out = evaluate(agent.greedy_actions, episodes=task["eval_episodes"], seed=task["eval_seed"])
        rows = "".join(f"{s},{r!r},{n}\n" for s, r, n in zip(held_out.seeds.tolist(), held_out.returns.tolist(),
                                                           held_out.lengths.tolist()))
        (work_dir / name).write_text("seed,return,length\n" + rows)
    files = {p.name: p.read_bytes() for p in work_dir.iterdir() if p.is_file() and not p.name.startswith(".")}
    return {"files": files, "env_steps": result.env_steps}


def commit_run(sweep_dir: str | Path, arm: str, seed: int, files: dict) -> Path:
    """Write a finished run's files and rename its folder into place: the run is then done.

    Raises:
        FileExistsError: the run is done already (a sweep never overwrites a finished run).
    """
    final = layout.run_dir(sweep_dir, arm, seed)
    if final.exists():
        raise FileExistsError(f"{final} exists already; a finished run is never overwritten")
    partial = layout.partial_dir(sweep_dir, arm, seed)
    partial.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (partial / name).write_bytes(data)
    shutil.rmtree(partial / _CHECKPOINTS, ignore_errors=True)
    os.rename(partial, final)
    layout.failed_file(sweep_dir, arm, seed).unlink(missing_ok=True)
    return final


def record_failure(sweep_dir: str | Path, arm: str, seed: int, error: BaseException) -> str:
    """Write ``ARM/seed-N.failed.json`` with the error and its traceback; returns the error text."""
    text = f"{type(error).__name__}: {error}"
    record = {"arm": arm, "seed": seed, "error": text, "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
              "traceback": "".join(traceback.format_exception(type(error), error, error.__traceback__))}
    path = layout.failed_file(sweep_dir, arm, seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    layout.write_atomic(path, json.dumps(record, indent=2) + "\n")
    return text


def run_sweep(spec: SweepSpec, root: str | Path = layout.SWEEPS_DIR, *, workers: int | None = None,
              address: str | None = None, max_runs: int | None = None, progress: bool = True) -> SweepReport:
    """Run every run of ``spec`` that is not done yet, into ``root/spec.name``.

    Args:
        spec: the sweep (:func:`lunar_lab.sweeps.spec.load_spec`).
        root: parent folder of sweep results.
        workers: parallel runs on the local process pool (default: the usable cores); with
            ``address``, at most this many at a time on the cluster (default: no limit).
        address: ``HOST:PORT`` of a running Ray cluster (``ray start --head``): run there
            instead of locally (:func:`lunar_lab.sweeps.backends.connect_ray`).
        max_runs: run at most this many of the remaining runs, then return (None: all).
        progress: show a tqdm bar of finished runs (and their env steps).

    Returns:
        a :class:`SweepReport`.

    Raises:
        ValueError: bad ``workers`` / ``max_runs`` / ``address``, an unreachable cluster, or a
            folder holding another experiment; raised before any run starts.
        KeyboardInterrupt: Ctrl-C; finished runs stay done, interrupted ones resume next time.
    """
    from lunar_lab.sweeps import backends

    for name, value in (("workers", workers), ("max_runs", max_runs)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise ValueError(f"{name} must be None or an integer >= 1, got {value!r}")
    if address is None:  # a cluster's machines check their own engine when they build the environments
        for engine in sorted({spec.config(label, spec.seeds[0]).env_engine for label in spec.labels}):
            check_engine(engine)
    start = time.perf_counter()
    backend = backends.connect_ray(address, workers) if address else backends.LocalPool(workers)
    where = backend.describe()
    try:
        sweep_dir = prepare_sweep_dir(spec, root)
    except ValueError:
        backend.shutdown()
        raise
    done, todo = plan_runs(spec, sweep_dir)
    report = SweepReport(sweep_dir, done_before=done)
    batch = todo if max_runs is None else todo[:max_runs]
    report.remaining = [run for run in todo if run not in batch]
    bar = _progress_bar(len(spec.runs()), len(done), where, progress)
    futures = {}
    try:
        futures = {backend.submit(execute_run, run_task(spec, sweep_dir, arm, seed)): (arm, seed) for arm, seed in batch}
        for future in as_completed(futures):
            arm, seed = futures.pop(future)
            try:
                outcome = future.result()
                commit_run(sweep_dir, arm, seed, outcome["files"])
                report.ran.append((arm, seed))
                report.env_steps += outcome["env_steps"]
            except Exception as err:  # a run that raises is recorded; the others go on
                report.failed[(arm, seed)] = record_failure(sweep_dir, arm, seed, err)
                print(f"run {arm}/seed-{seed} failed: {report.failed[(arm, seed)]}", file=sys.stderr)
            if bar is not None:
                bar.update(1)
                bar.set_postfix_str(f"{report.env_steps:,} env steps, {len(report.failed)} failed")
    except KeyboardInterrupt:
        report.remaining += list(futures.values())
        backend.shutdown(cancel=True)
        raise
    finally:
        if bar is not None:
            bar.close()
        report.wall_time = time.perf_counter() - start
        _log_session(sweep_dir, report, where)
    backend.shutdown()
    return report


def _log_session(sweep_dir: Path, report: SweepReport, where: str) -> None:
    """Append this call's line to ``sessions.jsonl`` (when, where, what it ran, how long)."""
    line = {"ended": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "backend": where, "ran": len(report.ran),
            "failed": len(report.failed), "env_steps": report.env_steps, "wall_time_s": round(report.wall_time, 1)}
    with open(sweep_dir / layout.SESSIONS_FILE, "a") as f:
        f.write(json.dumps(line) + "\n")


def _progress_bar(total: int, done: int, where: str, enabled: bool):
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=done, unit="run", desc=f"sweep on {where}", dynamic_ncols=True)
