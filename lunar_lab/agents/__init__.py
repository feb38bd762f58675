"""Agents: DQN and Double DQN (:mod:`lunar_lab.agents.dqn`), SQN (:mod:`lunar_lab.agents.sqn`).

All share :class:`lunar_lab.agents.base.QAgent`: online and target Q-networks, one compiled
call of K gradient steps, target updates, NumPy acting and saving.
"""

import inspect

from lunar_lab.agents.dqn import DQNAgent
from lunar_lab.agents.sqn import SQNAgent
from lunar_lab.config import Config


def make_agent(config: Config, **functions):
    """The agent for ``config.algo``: :class:`DQNAgent` (dqn, double_dqn) or :class:`SQNAgent` (sqn).

    Args:
        config: hyperparameters.
        **functions: replacement functions passed to the agent (``td_target_fn``,
            ``loss_fn``, ``target_update_fn``; DQN and Double DQN: ``epsilon_greedy_fn``;
            SQN: ``temperature_loss_fn``).

    Raises:
        TypeError: a replacement function the agent does not take (the message names it and
            the ones it takes).

    Example:
        >>> make_agent(Config(algo="sqn", hidden_sizes=(8,)), epsilon_greedy_fn=print)
        Traceback (most recent call last):
        ...
        TypeError: SQNAgent (config.algo='sqn') takes no epsilon_greedy_fn; ... it does not act ε-greedily
    """
    cls = SQNAgent if config.algo == "sqn" else DQNAgent
    parameters = inspect.signature(cls).parameters
    takes = [name for name in parameters if name.endswith("_fn")]
    unknown = [name for name in functions if name not in parameters]
    if unknown:
        why = (" — SQN samples its actions from softmax(Q/α_H), it does not act ε-greedily"
               if "epsilon_greedy_fn" in unknown and cls is SQNAgent else "")
        raise TypeError(f"{cls.__name__} (config.algo={config.algo!r}) takes no {', '.join(unknown)}; "
                        f"it takes {', '.join(takes)}{why}")
    return cls(config, **functions)


__all__ = ["DQNAgent", "SQNAgent", "make_agent"]
