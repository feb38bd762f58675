"""Atomic replacement of checkpoint folders, and the agent's learner state round trip."""

import numpy as np
import pytest

from lunar_lab.agents import make_agent
from lunar_lab.checkpoints import recover_dir, replace_dir, staging_dir
from lunar_lab.config import Config


def _folder(path, text):
    path.mkdir()
    (path / "file.txt").write_text(text)
    return path


def test_replace_dir_swaps_whole_folders_and_leaves_nothing_behind(tmp_path):
    final = tmp_path / "latest"
    replace_dir(_folder(tmp_path / "one", "1"), final)
    replace_dir(_folder(tmp_path / "two", "2"), final)
    assert (final / "file.txt").read_text() == "2"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest"]


def test_a_kill_between_the_two_renames_leaves_the_previous_folder_whole(tmp_path):
    """The state a kill leaves after ``final`` was renamed aside and before the new one moved in."""
    final = tmp_path / "latest"
    replace_dir(_folder(tmp_path / "one", "1"), final)
    final.rename(tmp_path / ".latest.old")          # the first rename happened, the second did not
    staged = _folder(tmp_path / ".latest.tmp-123", "half-written")
    assert (recover_dir(final) / "file.txt").read_text() == "1"
    fresh = staging_dir(final)                      # the next checkpoint clears the stale staging folder
    assert not staged.exists() and fresh.is_dir() and not any(fresh.iterdir())


def test_a_staged_folder_is_never_mistaken_for_the_checkpoint(tmp_path):
    final = tmp_path / "latest"
    replace_dir(_folder(tmp_path / "one", "1"), final)
    staged = staging_dir(final)
    (staged / "file.txt").write_text("unfinished")  # killed while writing the next one
    assert (recover_dir(final) / "file.txt").read_text() == "1"


@pytest.mark.parametrize("algo", ["dqn", "sqn"])
def test_the_learner_state_round_trips_and_refuses_another_agent(algo):
    config = Config(algo=algo, hidden_sizes=(4,), jit_compile=False)
    agent = make_agent(config)
    rng = np.random.default_rng(0)
    batches = {"obs": rng.normal(size=(3, 8, 8)).astype(np.float32), "action": rng.integers(0, 4, (3, 8)).astype(np.int32),
               "reward": rng.normal(size=(3, 8)).astype(np.float32), "next_obs": rng.normal(size=(3, 8, 8)).astype(np.float32),
               "terminated": np.zeros((3, 8), np.float32), "discount": np.full((3, 8), 0.99, np.float32)}
    agent.learn(batches)
    state = agent.training_state()
    assert int(state["learner_steps"]) == 3 and any(k.startswith("optimizer/") for k in state)
    twin = make_agent(config)
    twin.q_network.set_weights(agent.q_network.get_weights())
    if algo == "sqn":
        twin.q_networks[1].set_weights(agent.q_networks[1].get_weights())
    twin.load_training_state(state)
    assert twin.learner_steps == 3
    agent.learn(batches), twin.learn(batches)  # the same next steps: Adam's moments came along
    for w, w2 in zip(agent.q_network.get_weights() + agent.target_network.get_weights(),
                     twin.q_network.get_weights() + twin.target_network.get_weights()):
        np.testing.assert_array_equal(w, w2)
    other = make_agent(config.replace(hidden_sizes=(5,)))
    with pytest.raises(ValueError, match="has shape"):
        other.load_training_state(state)


def test_the_checkpoint_benchmark_reports_every_file(tmp_path):
    """``benchmarks/bench_checkpoint.py --smoke`` writes its report with a row per algorithm and per file."""
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).parents[1] / "benchmarks" / "bench_checkpoint.py"
    done = subprocess.run([sys.executable, str(script), "--smoke", "--out", str(tmp_path / "c.md")],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    report = (tmp_path / "c.md").read_text()
    assert "Replay buffer full: 1,000 transitions" in report
    for name in ("| dqn |", "| sqn |", "| replay.npz |", "| agent_state.npz |", "| state.json |", "| q_network.weights.h5 |"):
        assert name in report
