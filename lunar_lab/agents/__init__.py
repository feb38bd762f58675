"""Agents: DQN and Double DQN (:mod:`lunar_lab.agents.dqn`), SQN (:mod:`lunar_lab.agents.sqn`).

All share :class:`lunar_lab.agents.base.QAgent`: online and target Q-networks, one compiled
call of K gradient steps, target updates, NumPy acting and saving.
"""

from lunar_lab.agents.dqn import DQNAgent
from lunar_lab.agents.sqn import SQNAgent
from lunar_lab.config import Config


def make_agent(config: Config, **functions):
    """The agent for ``config.algo``: :class:`DQNAgent` (dqn, double_dqn) or :class:`SQNAgent` (sqn).

    Args:
        config: hyperparameters.
        **functions: replacement functions passed to the agent (``td_target_fn``,
            ``loss_fn``, ``target_update_fn``; SQN: ``temperature_loss_fn``).

    Raises:
        TypeError: a replacement function the agent does not take.
    """
    cls = SQNAgent if config.algo == "sqn" else DQNAgent
    return cls(config, **functions)


__all__ = ["DQNAgent", "SQNAgent", "make_agent"]
