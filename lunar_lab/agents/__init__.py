"""Agents: DQN and Double DQN (:mod:`lunar_lab.agents.dqn`), SQN (:mod:`lunar_lab.agents.sqn`)."""

from lunar_lab.agents.dqn import DQNAgent, make_agent

__all__ = ["DQNAgent", "make_agent"]
