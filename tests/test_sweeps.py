"""Sweeps as a user runs them: specs, the local pool, resumption, failures, results, Ray."""

import csv
import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lunar_lab.cli import main
from lunar_lab.sweeps import backends, layout
from lunar_lab.sweeps.execution import run_sweep
from lunar_lab.sweeps.results import export_results, load_results
from lunar_lab.sweeps.spec import load_spec

TINY = """\
name = "{name}"
seeds = {seeds}
budget = 2000

[base]
hidden_sizes = [16]
learning_starts = 500
eval_interval = 1000
eval_episodes = 2
checkpoint_interval = 1000
buffer_capacity = 5000

[evaluation]
episodes = 3
seed = 7000

[[arms]]
label = "huber"

[[arms]]
label = "{second}"
{second_overrides}
"""


def write_spec(folder: Path, name="tiny", seeds="[0, 1]", second="mse", second_overrides='loss = "mse"') -> Path:
    path = folder / f"{name}.toml"
    path.write_text(TINY.format(name=name, seeds=seeds, second=second, second_overrides=second_overrides))
    return path


def without_wall_clock(path: Path) -> list:
    rows = list(csv.DictReader(path.open()))
    return [{k: v for k, v in row.items() if k != "wall_time"} for row in rows]


# -- the specification -----------------------------------------------------------------------------


@pytest.mark.parametrize("edit, message", [
    (('loss = "mse"', 'loss = "mae"'), "arm 'mse': loss must be one of 'huber', 'mse'; got 'mae'"),
    (('loss = "mse"', "gama = 0.9"), "arm 'mse': unknown Config field 'gama'"),
    (('label = "mse"', 'label = "huber"'), "arm labels must be unique, got 'huber' more than once"),
    (("seeds = [0, 1]", "seeds = []"), "seeds must be a non-empty list"),
    (("seeds = [0, 1]", "seeds = [0, 0]"), "seeds must not repeat"),
    (("hidden_sizes = [16]", "seed = 3"), "[base]: seed is set by the sweep's 'seeds'"),
    (('loss = "mse"', "total_steps = 10"), "arm 'mse': total_steps is set by the sweep's 'budget'"),
    (("budget = 2000", "budget = 0"), "budget must be an integer >= 1, got 0"),
    (("episodes = 3", "episodes = 3\nseeds = 4"), "[evaluation]: unknown key 'seeds'"),
    (('label = "mse"', 'label = "a/b"'), "arm label must be a folder name"),
    (("[[arms]]", "[[arms]\n"), "not valid TOML"),
    (('name = "tiny"', 'name = "tiny"\nbudgets = 3'), "unknown key 'budgets'"),
])
def test_a_bad_spec_names_the_file_the_arm_and_the_field(tmp_path, edit, message):
    path = write_spec(tmp_path)
    path.write_text(path.read_text().replace(*edit, 1))
    with pytest.raises(ValueError) as err:
        load_spec(path)
    assert str(path) in str(err.value) and message in str(err.value)


def test_each_arm_gets_base_then_its_overrides_then_seed_and_budget(tmp_path):
    spec = load_spec(write_spec(tmp_path))
    config = spec.config("mse", 1)
    assert (config.loss, config.hidden_sizes, config.seed, config.total_steps) == ("mse", (16,), 1, 2000)
    assert spec.config("huber", 0).loss == "huber"
    assert spec.runs() == [("huber", 0), ("mse", 0), ("huber", 1), ("mse", 1)]


def test_the_cli_refuses_a_bad_spec_before_creating_anything(tmp_path, capsys):
    path = write_spec(tmp_path, second_overrides='loss = "mae"')
    assert main(["sweep", str(path), "--root", str(tmp_path / "out"), "--quiet"]) == 2
    assert "error:" in capsys.readouterr().err and not (tmp_path / "out").exists()


# -- running, resuming, failing ---------------------------------------------------------------------


def test_a_sweep_runs_every_arm_and_seed_once_and_resumes_where_it_stopped(tmp_path):
    spec = load_spec(write_spec(tmp_path))
    first = run_sweep(spec, tmp_path / "out", max_runs=3, progress=False)
    assert first.ran and len(first.ran) == 3 and first.remaining == [("mse", 1)]
    finished = {run: (layout.run_dir(first.sweep_dir, *run) / "summary.json").stat().st_mtime_ns for run in first.ran}
    second = run_sweep(spec, tmp_path / "out", progress=False)
    assert sorted(second.done_before) == sorted(first.ran) and second.ran == [("mse", 1)]
    third = run_sweep(spec, tmp_path / "out", progress=False)
    assert third.ran == [] and len(third.done_before) == 4
    for run, mtime in finished.items():  # a finished run is never run or written again
        assert (layout.run_dir(first.sweep_dir, *run) / "summary.json").stat().st_mtime_ns == mtime
    for arm, seed in spec.runs():
        run = layout.run_dir(first.sweep_dir, arm, seed)
        assert json.loads((run / "config.json").read_text()) == spec.config(arm, seed).to_dict()
        final = list(csv.DictReader((run / layout.FINAL_EVALUATION_FILE).open()))
        assert [int(r["seed"]) for r in final] == [7000, 7001, 7002]
        assert not (run / "checkpoints").exists()
    lines = (first.sweep_dir / layout.SESSIONS_FILE).read_text().splitlines()
    assert [json.loads(line)["ran"] for line in lines] == [3, 1, 0]

    results = load_results(first.sweep_dir)
    table = results.table
    assert len(table[table.kind == "final"]) == 4 and set(table.arm) == {"huber", "mse"}
    periodic = table[table.kind == "periodic"]
    assert sorted(set(periodic.step)) == [1000, 2000] and (periodic.env_steps >= periodic.step).all()
    scores = results.final_scores()
    run = layout.run_dir(first.sweep_dir, "mse", 1)
    returns = [float(r["return"]) for r in csv.DictReader((run / layout.FINAL_EVALUATION_FILE).open())]
    assert scores.set_index(["arm", "seed"]).loc[("mse", 1), "score"] == pytest.approx(sum(returns) / 3)
    # the best checkpoint is scored on the same held-out seeds, and dated by its periodic evaluation
    best = results.best_scores().set_index(["arm", "seed"])
    assert len(best) == 4
    for arm, seed in spec.runs():
        run = layout.run_dir(first.sweep_dir, arm, seed)
        held_out = list(csv.DictReader((run / layout.BEST_EVALUATION_FILE).open()))
        assert [int(r["seed"]) for r in held_out] == [7000, 7001, 7002]
        assert best.loc[(arm, seed), "score"] == pytest.approx(sum(float(r["return"]) for r in held_out) / 3)
        evaluations = list(csv.DictReader((run / "evaluations.csv").open()))
        top = max(evaluations, key=lambda r: float(r["mean"]))  # max keeps the first of equal means
        assert best.loc[(arm, seed), "env_steps"] == int(top["env_steps"])


def test_a_run_killed_mid_training_resumes_exactly(tmp_path):
    """SIGKILL the sweep after a run's first checkpoint; the rerun resumes that run from it and
    gives the same episodes as a sweep that was never stopped."""
    path = write_spec(tmp_path, seeds="[3]")
    command = [sys.executable, "-m", "lunar_lab.cli", "sweep", str(path), "--root", str(tmp_path / "killed"),
               "--quiet", "--workers", "1"]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    checkpoint = layout.partial_dir(tmp_path / "killed" / "tiny", "huber", 3) / "checkpoints" / "latest" / "state.json"
    deadline = time.time() + 120
    while not checkpoint.is_file() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert checkpoint.is_file() and layout.run_status(tmp_path / "killed" / "tiny", "huber", 3) == "missing"
    spec = load_spec(path)
    resumed = run_sweep(spec, tmp_path / "killed", progress=False)
    assert sorted(resumed.ran) == [("huber", 3), ("mse", 3)]
    clean = run_sweep(spec, tmp_path / "clean", progress=False)
    for arm in ("huber", "mse"):
        for name in ("episodes.csv", "evaluations.csv"):
            assert without_wall_clock(layout.run_dir(resumed.sweep_dir, arm, 3) / name) == \
                without_wall_clock(layout.run_dir(clean.sweep_dir, arm, 3) / name), (arm, name)


def test_a_run_that_raises_is_recorded_and_the_others_go_on(tmp_path, capsys):
    path = write_spec(tmp_path, seeds="[0]", second="diverges", second_overrides="learning_rate = 1e30")
    assert main(["sweep", str(path), "--root", str(tmp_path / "out"), "--quiet"]) == 1
    assert "failed: diverges/seed-0: FloatingPointError" in capsys.readouterr().err
    sweep_dir = tmp_path / "out" / "tiny"
    assert layout.run_status(sweep_dir, "huber", 0) == "done"
    record = json.loads(layout.failed_file(sweep_dir, "diverges", 0).read_text())
    assert record["error"].startswith("FloatingPointError") and "learner step" in record["error"]
    results = load_results(sweep_dir)
    with pytest.raises(ValueError, match=r"1 of 2 runs are not done: diverges/seed-0: failed \(FloatingPointError"):
        results.require_complete()
    results.require_complete(allow_missing=True)
    again = run_sweep(load_spec(path), tmp_path / "out", progress=False)  # a failed run is retried
    assert list(again.failed) == [("diverges", 0)] and again.done_before == [("huber", 0)]


def test_a_folder_of_another_experiment_is_never_mixed(tmp_path):
    run_sweep(load_spec(write_spec(tmp_path, seeds="[0]")), tmp_path / "out", progress=False)
    before = sorted(p.relative_to(tmp_path) for p in (tmp_path / "out").rglob("*"))
    changed = load_spec(write_spec(tmp_path, seeds="[0]", second_overrides='loss = "mse"\ngamma = 0.9'))
    with pytest.raises(ValueError, match=r"different spec.*arm 'mse': gamma was 0.99, now 0.9"):
        run_sweep(changed, tmp_path / "out", progress=False)
    dropped = load_spec(write_spec(tmp_path, seeds="[1]"))
    with pytest.raises(ValueError, match=r"seeds \[0\] would be dropped"):
        run_sweep(dropped, tmp_path / "out", progress=False)
    assert sorted(p.relative_to(tmp_path) for p in (tmp_path / "out").rglob("*")) == before
    (tmp_path / "other" / "tiny").mkdir(parents=True)
    (tmp_path / "other" / "tiny" / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="not a sweep's folder"):
        run_sweep(changed, tmp_path / "other", progress=False)
    more = run_sweep(load_spec(write_spec(tmp_path, seeds="[0, 1]")), tmp_path / "out", max_runs=1, progress=False)
    assert len(more.done_before) == 2 and more.ran == [("huber", 1)]  # adding seeds extends the sweep


def test_an_exported_result_set_loads_as_the_same_table(tmp_path):
    spec_path = write_spec(tmp_path, seeds="[0]")
    report = run_sweep(load_spec(spec_path), tmp_path / "out", progress=False)
    dest = export_results(report.sweep_dir, tmp_path / "shipped", command="lunar-lab sweep tiny.toml")
    record = json.loads((dest / "RECORD.json").read_text())
    assert record["command"] == "lunar-lab sweep tiny.toml" and record["runs"] == 2 and record["cpu"]
    assert (dest / "spec.toml").read_text() == spec_path.read_text()
    shipped, live = load_results(dest), load_results(report.sweep_dir)
    assert shipped.identity == live.identity
    assert shipped.table.drop(columns="solved_at").equals(live.table.drop(columns="solved_at"))
    shutil.rmtree(layout.run_dir(report.sweep_dir, "mse", 0))
    with pytest.raises(ValueError, match="mse/seed-0: missing"):
        export_results(report.sweep_dir, tmp_path / "partial", command="x")


# -- Ray ----------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("address, message", [
    ("ray://somewhere", "address must be HOST:PORT"),
    ("127.0.0.1:99999", "address must be HOST:PORT"),
])
def test_a_malformed_address_is_a_clear_error(address, message):
    with pytest.raises(ValueError, match=message):
        backends.connect_ray(address)


requires_ray = pytest.mark.skipif(importlib.util.find_spec("ray") is None,
                                  reason="Ray is optional: pip install 'lunar_lab[ray]'")


@requires_ray
def test_an_address_with_no_cluster_fails_fast_and_creates_nothing(tmp_path):
    address = f"127.0.0.1:{free_port()}"
    start = time.perf_counter()
    with pytest.raises(ValueError, match=f"no Ray cluster at {address}: a TCP connection"):
        run_sweep(load_spec(write_spec(tmp_path)), tmp_path / "out", address=address, progress=False)
    assert time.perf_counter() - start < 30 and not (tmp_path / "out").exists()


@requires_ray
def test_a_port_that_is_not_a_ray_head_fails_within_the_bound(tmp_path):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        address = f"127.0.0.1:{listener.getsockname()[1]}"
        with pytest.raises(ValueError, match=f"no Ray cluster at {address}"):
            backends.connect_ray(address, timeout_s=10)


@pytest.fixture
def ray_head():
    port = free_port()
    ray_bin = Path(sys.executable).with_name("ray")
    subprocess.run([str(ray_bin), "start", "--head", f"--port={port}", "--num-cpus=2", "--include-dashboard=false",
                    "--disable-usage-stats"], check=True, capture_output=True)
    yield f"127.0.0.1:{port}"
    subprocess.run([str(ray_bin), "stop", "--force"], capture_output=True)


@requires_ray
def test_a_sweep_runs_on_a_ray_cluster(tmp_path, ray_head):
    report = run_sweep(load_spec(write_spec(tmp_path, seeds="[0]")), tmp_path / "out", address=ray_head, progress=False)
    assert sorted(report.ran) == [("huber", 0), ("mse", 0)] and not report.failed
    assert load_results(report.sweep_dir).final_scores().shape[0] == 2


# -- compare ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def finished_sweep(tmp_path_factory):
    folder = tmp_path_factory.mktemp("finished")
    return run_sweep(load_spec(write_spec(folder, seeds="[0, 1]")), folder / "out", progress=False).sweep_dir


def test_compare_reports_intervals_and_improvement_from_the_cli(finished_sweep, tmp_path, capsys):
    plot, table = tmp_path / "compare.png", tmp_path / "table.csv"
    assert main(["compare", str(finished_sweep), "--reps", "200", "--plot", str(plot), "--table", str(table)]) == 0
    out = capsys.readouterr().out
    assert "stratified-bootstrap interval" in out and "P(X > huber)" in out and "mse vs huber:" in out
    assert plot.stat().st_size > 10_000
    rows = list(csv.DictReader(table.open()))
    assert len(rows) == 2 * 2 * 4 and {r["kind"] for r in rows} == {"periodic", "final", "best"}  # 2 periodic, final, best
    assert main(["compare", str(finished_sweep), "--plot", str(plot)]) == 2  # never overwritten
    assert "exists already" in capsys.readouterr().err


def test_compare_computes_what_the_statistics_module_computes_on_the_runs(finished_sweep):
    from lunar_lab.sweeps import statistics
    from lunar_lab.sweeps.compare import compare

    comparison = compare(finished_sweep, baseline="mse", reps=200)
    final = load_results(finished_sweep).final_scores()
    expected = statistics.aggregate_scores(final.set_index("arm").loc[["mse", "huber"]].reset_index(), reps=200)
    assert list(comparison.scores.arm) == ["mse", "huber"]
    assert comparison.scores.iqm.tolist() == pytest.approx(expected.iqm.tolist())
    assert comparison.improvement.arm_x.tolist() == ["huber"] and comparison.improvement.arm_y.tolist() == ["mse"]
    with pytest.raises(ValueError, match="unknown arm 'dqn'"):
        compare(finished_sweep, baseline="dqn")


def test_compare_names_missing_runs_and_goes_on_only_when_asked(finished_sweep, tmp_path, capsys):
    copy = tmp_path / "copy"
    shutil.copytree(finished_sweep, copy)
    shutil.rmtree(layout.run_dir(copy, "mse", 1))
    (layout.run_dir(copy, "huber", 0) / "summary.json").unlink()  # never finished
    assert main(["compare", str(copy)]) == 2
    err = capsys.readouterr().err
    assert "2 of 4 runs are not done: huber/seed-0: missing; mse/seed-1: missing" in err
    assert main(["compare", str(copy), "--allow-missing", "--reps", "200"]) == 2  # 1 run per arm: no interval
    assert "has 1 run(s); each arm needs at least 2 runs" in capsys.readouterr().err
    shutil.copytree(layout.run_dir(copy, "mse", 0), layout.run_dir(copy, "mse", 1))  # a stand-in second run
    assert main(["compare", str(copy), "--allow-missing", "--reps", "200", "--baseline", "mse", "--arms", "mse"]) == 0
    assert "computed over the runs that are done; not done: huber/seed-0 (missing)" in capsys.readouterr().out
