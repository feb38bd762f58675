"""The shipped sweep result sets (lunar_lab/experiments/): whole, true to their specs, reproducible."""

import json

import numpy as np
import pytest

from lunar_lab.sweeps.layout import identity_conflicts
from lunar_lab.provenance import cpu_kind
from lunar_lab.sweeps.results import COLUMNS, EXPERIMENTS_DIR, RECORD_FILE, load_results
from lunar_lab.sweeps.spec import load_spec
from lunar_lab.sweeps.verify import verify_run

SHIPPED = sorted(p for p in EXPERIMENTS_DIR.iterdir() if (p / "spec.toml").is_file())


@pytest.mark.parametrize("folder", SHIPPED, ids=lambda p: p.name)
def test_a_shipped_result_set_holds_every_run_of_its_spec(folder):
    spec = load_spec(folder / "spec.toml")
    assert spec.name == folder.name
    results = load_results(folder)
    # the configs it was run with are the spec's (a Config field added since counts at its default)
    assert identity_conflicts(results.identity, spec.identity()) == []
    assert list(results.identity["arms"]) == list(spec.labels) and results.identity["seeds"] == list(spec.seeds)
    assert (results.status.status == "done").all(), results.incomplete()
    table = results.table
    assert list(table.columns) == list(COLUMNS)
    final = table[table.kind == "final"]
    assert sorted(zip(final.arm, final.seed)) == sorted(spec.runs())  # every arm × seed, once
    assert (final.episodes == spec.eval_episodes).all() and (final.env_steps >= spec.budget).all()
    for (arm, seed), runs in table[table.kind == "periodic"].groupby(["arm", "seed"]):
        interval = spec.config(arm, seed).eval_interval
        assert runs.step.tolist() == list(range(interval, spec.budget + 1, interval)), (arm, seed)
        assert (runs.episodes == spec.config(arm, seed).eval_episodes).all()
    assert np.isfinite(table["mean"]).all()
    record = json.loads((folder / RECORD_FILE).read_text())
    assert f"scripts/make_experiment.py {folder.name}" in record["command"]
    for key in ("date", "cpu", "versions", "training_time_s"):
        assert record[key], key
    assert record["runs"] == len(spec.runs())


def test_a_capstone_run_rerun_at_full_budget_falls_inside_the_shipped_spread(tmp_path):
    """Run one (arm, seed) of the capstone again, as the sweep did (``lunar-lab verify``). On the kind of
    CPU it was made on (model and instruction-set flags), the score is the same to the last bit;
    elsewhere it is another draw of the same distribution, so it must fall inside the spread of the
    arm's seeds (min − IQR to max + IQR)."""
    folder = EXPERIMENTS_DIR / "capstone_agents"
    check = verify_run("capstone_agents", "dqn", 0, work_dir=tmp_path)
    shipped = load_results(folder).final_scores()
    scores = shipped[shipped.arm == "dqn"].set_index("seed").score
    assert check.shipped_score == scores[0]
    assert check.same_cpu == (cpu_kind() == json.loads((folder / RECORD_FILE).read_text())["cpu"])
    if check.same_cpu:
        assert check.score == pytest.approx(scores[0], abs=1e-9)
    iqr = scores.quantile(0.75) - scores.quantile(0.25)
    assert (check.low, check.high) == pytest.approx((scores.min() - iqr, scores.max() + iqr))
    assert check.low <= check.score <= check.high, (check.score, scores.tolist())
    assert check.passed and "verdict: PASS" in check.to_text()


def test_verify_names_the_arms_and_seeds_a_result_set_has():
    with pytest.raises(ValueError, match=r"arm must be one of \['dqn', 'double_dqn'.*got 'dqm'"):
        verify_run("capstone_agents", "dqm", 0)
    with pytest.raises(ValueError, match=r"seed must be one of \[0, 1, .*got 42"):
        verify_run("capstone_agents", "dqn", 42)
