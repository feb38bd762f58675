"""The lunar-lab command line on a tiny budget, as a user runs it."""

import csv
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from lunar_lab.cli import build_parser, config_from_args, main
from lunar_lab.config import Config
from lunar_lab.runs import load_agent

TINY = ["--steps", "1200", "--set", "learning_starts=400", "--set", "eval_interval=1000", "--set", "eval_episodes=2",
        "--set", "hidden_sizes=[16]", "--quiet"]


def test_train_evaluate_video(tmp_path, capsys):
    assert main(["train", *TINY, "--runs-dir", str(tmp_path), "--name", "smoke"]) == 0
    run = tmp_path / "smoke"
    for name in ("config.json", "q_network.weights.h5", "episodes.csv", "evaluations.csv", "learning_curve.png",
                 "episode.mp4", "summary.json", "checkpoints/best/q_network.weights.h5",
                 "checkpoints/final/q_network.weights.h5"):
        assert (run / name).is_file(), name
    assert json.loads((run / "config.json").read_text())["hidden_sizes"] == [16]
    header = (run / "episodes.csv").read_text().splitlines()[0]
    assert header == "episode,env_steps,return,length,epsilon,wall_time,end"

    assert main(["evaluate", str(run), "--episodes", "3"]) == 0
    assert "over 3 episodes" in capsys.readouterr().out
    assert main(["video", str(run), "--seed", "5", "--out", str(tmp_path / "five.mp4")]) == 0
    assert (tmp_path / "five.mp4").is_file()


def test_existing_run_dir_is_never_overwritten(tmp_path, capsys):
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "notes.txt").write_text("mine")
    assert main(["train", *TINY, "--runs-dir", str(tmp_path), "--name", "taken"]) == 2
    assert "exists already" in capsys.readouterr().err
    assert [p.name for p in (tmp_path / "taken").iterdir()] == ["notes.txt"]


@pytest.mark.parametrize("args, message", [
    (["train", "--set", "tau=0"], "tau must be a finite number in (0, 1], got 0"),
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


@pytest.mark.parametrize("as_root", [True, False])
def test_course_opens_lab_as_root_too(as_root):
    """JupyterLab refuses root unless told --allow-root; the course command tells it exactly then."""
    from lunar_lab.cli import lab_command

    command = lab_command("my_notebooks", as_root=as_root)
    assert command[1:4] == ["-m", "jupyter", "lab"] and command[-1] == "--notebook-dir=my_notebooks"
    assert ("--allow-root" in command) is as_root
    assert ("--allow-root" in lab_command("my_notebooks")) is (os.geteuid() == 0)


def test_set_algo_and_seed_are_not_overridden_by_the_defaults():
    args = build_parser().parse_args(["train", "--set", "algo=sqn", "--set", "seed=7", "--set", "learn_temperature=False"])
    config = config_from_args(args)
    assert (config.algo, config.seed, config.learn_temperature) == ("sqn", 7, False)
    assert config_from_args(build_parser().parse_args(["train"])) == Config()


@pytest.mark.parametrize("args, message", [
    (["train", "--algo", "dqn", "--set", "algo=sqn"], "--algo dqn and --set algo=sqn disagree"),
    (["train", "--name", "../escape"], "name must be a plain folder name"),
    (["train", "--name", "a/b"], "name must be a plain folder name"),
    (["train", "--set", "learning_rate=Infinity"], "learning_rate"),
    (["train", "--resume", "no-such-run"], "--resume needs a run directory holding config.json"),
])
def test_bad_train_options_create_nothing(args, message, capsys, tmp_path):
    assert main([*args, "--runs-dir", str(tmp_path / "runs")]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "runs").exists() and not (tmp_path.parent / "escape").exists()


def test_a_runs_dir_that_cannot_be_made_is_a_clear_error(tmp_path, capsys):
    (tmp_path / "file").write_text("not a folder")
    assert main(["train", *TINY, "--runs-dir", str(tmp_path / "file" / "runs")]) == 2
    assert "cannot create a run directory under" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["evaluate", "video"])
def test_negative_seed_is_refused_by_argparse(command, capsys):
    with pytest.raises(SystemExit) as info:
        main([command, "dqn", "--seed", "-1"])
    assert info.value.code == 2 and "must be an integer in [0, 2**32 - 1], got -1" in capsys.readouterr().err


def test_video_of_a_pretrained_agent_goes_to_the_current_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["video", "dqn", "--seed", "3"]) == 0
    assert (tmp_path / "dqn-seed3.mp4").is_file()


def test_an_edited_pretrained_agent_is_refused(tmp_path, capsys):
    from lunar_lab.runs import PRETRAINED_DIR

    copy = tmp_path / "dqn"
    shutil.copytree(PRETRAINED_DIR / "dqn", copy)
    config = json.loads((copy / "config.json").read_text())
    (copy / "config.json").write_text(json.dumps({**config, "activation": "tanh"}))
    assert main(["evaluate", str(copy), "--episodes", "1"]) == 2
    assert "config.json differs from the file shipped with it" in capsys.readouterr().err


RESUMABLE = ["--steps", "6000", "--set", "checkpoint_interval=1500", "--set", "learning_starts=500",
             "--set", "eval_interval=2000", "--set", "eval_episodes=2", "--set", "hidden_sizes=[16]",
             "--set", "epsilon_decay_steps=3000", "--set", "jit_compile=false", "--quiet", "--no-video"]


#: ``lunar-lab`` as a terminal runs it, with Ctrl-C raising KeyboardInterrupt: a process started in the
#: background by a non-interactive shell (``cmd &``, as CI may be) ignores SIGINT and its children inherit
#: that, so the child restores Python's handler itself.
CLI_AS_IN_A_TERMINAL = [sys.executable, "-c", "import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
                        "from lunar_lab.cli import main; sys.exit(main())"]


def _start(tmp_path, name, *extra):
    process = subprocess.Popen([*CLI_AS_IN_A_TERMINAL, "train", *RESUMABLE, *extra, "--runs-dir", str(tmp_path),
                                "--name", name], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    state = tmp_path / name / "checkpoints" / "latest" / "state.json"
    deadline = time.monotonic() + 120
    while not state.is_file():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "no checkpoint within 2 minutes"
        time.sleep(0.02)
    return process


def _without_wall_clock(path):
    rows = list(csv.DictReader(path.open()))
    return [{k: v for k, v in row.items() if k != "wall_time"} for row in rows]


def test_a_killed_run_resumes_bit_identical_to_an_uninterrupted_one(tmp_path, capsys):
    """SIGKILL at a random moment after the first checkpoint (maybe while the next one is being
    written), then --resume: the same episodes, evaluations and final weights, bit for bit."""
    delay = random.Random().uniform(0.0, 0.6)  # the rest of the run takes about 1.5 s on a quiet 2-core CPU
    print(f"kill delay {delay:.3f} s")
    process = _start(tmp_path, "killed")
    time.sleep(delay)
    process.kill()
    process.wait()
    killed = tmp_path / "killed"
    assert not (killed / "summary.json").exists(), "the run finished before the kill: lengthen it"
    assert main(["evaluate", str(killed), "--episodes", "1"]) == 0  # evaluable from its last checkpoint
    assert "has not finished" in capsys.readouterr().out
    assert main(["train", "--resume", str(killed), "--quiet", "--no-video"]) == 0
    assert main(["train", *RESUMABLE, "--runs-dir", str(tmp_path), "--name", "whole"]) == 0
    whole = tmp_path / "whole"
    for name in ("episodes.csv", "evaluations.csv"):
        assert _without_wall_clock(killed / name) == _without_wall_clock(whole / name), name
    assert any(row["end"] == "checkpoint" for row in _without_wall_clock(whole / "episodes.csv"))
    a, b = load_agent(killed), load_agent(whole)
    for w, w2 in zip(a.q_network.get_weights(), b.q_network.get_weights()):
        np.testing.assert_array_equal(w, w2)
    assert main(["train", "--resume", str(killed)]) == 2  # a finished run is not resumed again
    assert "has finished" in capsys.readouterr().err


def test_ctrl_c_saves_what_is_finished_and_says_how_to_resume(tmp_path):
    process = _start(tmp_path, "stopped", "--steps", "60000")  # long enough that the signal lands mid-run
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "Traceback" not in err and f"resume with: lunar-lab train --resume {tmp_path / 'stopped'}" in err
    assert (tmp_path / "stopped" / "episodes.csv").is_file() and not (tmp_path / "stopped" / "summary.json").exists()
