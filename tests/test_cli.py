"""The lunar-lab command line on a tiny budget, as a user runs it."""

import json
import subprocess
import sys

import pytest

from lunar_lab.cli import main

TINY = ["--steps", "1200", "--set", "learning_starts=400", "--set", "eval_interval=1000", "--set", "eval_episodes=2",
        "--set", "hidden_sizes=[16]", "--quiet"]


def test_train_evaluate_video(tmp_path, capsys):
    assert main(["train", *TINY, "--runs-dir", str(tmp_path), "--name", "smoke"]) == 0
    run = tmp_path / "smoke"
    for name in ("config.json", "q_network.weights.h5", "episodes.csv", "evaluations.csv", "learning_curve.png",
                 "episode.mp4", "summary.json", "checkpoints/best/q_network.weights.h5"):
        assert (run / name).is_file(), name
    assert json.loads((run / "config.json").read_text())["hidden_sizes"] == [16]
    header = (run / "episodes.csv").read_text().splitlines()[0]
    assert header == "episode,env_steps,return,length,epsilon,wall_time"

    assert main(["evaluate", str(run), "--episodes", "3"]) == 0
    assert "over 3 episodes" in capsys.readouterr().out
    assert main(["video", str(run), "--seed", "5"]) == 0
    assert (run / "episode-seed5.mp4").is_file()


def test_existing_run_dir_is_never_overwritten(tmp_path, capsys):
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "notes.txt").write_text("mine")
    assert main(["train", *TINY, "--runs-dir", str(tmp_path), "--name", "taken"]) == 2
    assert "exists already" in capsys.readouterr().err
    assert [p.name for p in (tmp_path / "taken").iterdir()] == ["notes.txt"]


@pytest.mark.parametrize("args, message", [
    (["train", "--set", "tau=0"], "tau must be in (0, 1], got 0"),
    (["train", "--set", "batch_size=512", "--set", "buffer_capacity=100"], "batch_size must be <= buffer_capacity"),
    (["evaluate", "no-such-run"], "RUN must be a run directory"),
])
def test_bad_input_gives_clear_error(args, message, capsys, tmp_path):
    assert main([*args, *(["--runs-dir", str(tmp_path)] if args[0] == "train" else [])]) == 2
    assert message in capsys.readouterr().err
    assert not any(tmp_path.iterdir())  # nothing was created


def test_unknown_hyperparameter_is_rejected_by_argparse(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--set", "gama=0.9"])
    assert "unknown hyperparameter 'gama'" in capsys.readouterr().err


def test_every_subcommand_has_help():
    for command in ("train", "evaluate", "video", "pretrained", "course"):
        out = subprocess.run([sys.executable, "-m", "lunar_lab.cli", command, "--help"], capture_output=True, text=True)
        assert out.returncode == 0 and "usage: lunar-lab" in out.stdout, command


@pytest.mark.parametrize("uid, allow_root", [(0, True), (1000, False)])
def test_course_opens_lab_as_root_too(monkeypatch, uid, allow_root):
    """JupyterLab refuses root unless told --allow-root; the course command tells it exactly then."""
    from lunar_lab.cli import lab_command

    monkeypatch.setattr("os.geteuid", lambda: uid, raising=False)
    command = lab_command("my_notebooks")
    assert command[1:4] == ["-m", "jupyter", "lab"] and command[-1] == "--notebook-dir=my_notebooks"
    assert ("--allow-root" in command) is allow_root
