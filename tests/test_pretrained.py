"""Every shipped pretrained agent is what its RECORD.json says: it lands (greedy mean ≥ 200).

The 20 seeds (3,000,000 …) are used nowhere else: not in training, not in checkpoint
selection, not in the 100-episode evaluation recorded beside the weights.
"""

import json
import shlex

import pytest

from lunar_lab.cli import build_parser, config_from_args
from lunar_lab.config import Config
from lunar_lab.evaluation import evaluate
from lunar_lab.runs import PRETRAINED_DIR, load_agent, pretrained_names

CHECK_SEED = 3_000_000


def test_pretrained_agents_are_shipped():
    assert "dqn" in pretrained_names()


@pytest.mark.parametrize("name", pretrained_names())
def test_pretrained_agent_lands(name):
    record = json.loads((PRETRAINED_DIR / name / "RECORD.json").read_text())
    assert record["command"].startswith("lunar-lab train ")
    assert record["evaluation_mean"] >= 200
    result = evaluate(load_agent(name).greedy_actions, episodes=20, seed=CHECK_SEED)
    assert result.mean >= 200, f"{name}: {result}"


@pytest.mark.parametrize("name", pretrained_names())
def test_recorded_command_gives_the_shipped_config(name):
    """The command in RECORD.json, run today, would train with exactly the shipped config."""
    record = json.loads((PRETRAINED_DIR / name / "RECORD.json").read_text())
    args = build_parser().parse_args(shlex.split(record["command"])[1:])
    shipped = Config.from_dict(json.loads((PRETRAINED_DIR / name / "config.json").read_text()))
    assert config_from_args(args) == shipped
