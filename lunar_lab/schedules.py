"""Exploration schedules for ε-greedy: linear over env steps, or multiplicative per episode.

Sources: linear annealing, Mnih et al. (2015) (ε from 1 to 0.1 over the first million
frames); per-episode multiplicative decay, the classic course lab (ε ← max(ε_min, 0.995·ε)).
"""

from __future__ import annotations

SCHEDULES = ("linear", "exponential")


def linear_epsilon(step: int, start: float, end: float, duration: int) -> float:
    """ε after ``step`` env steps, going linearly from ``start`` to ``end`` over ``duration`` steps.

    Example:
        >>> linear_epsilon(0, 1.0, 0.1, 100), linear_epsilon(50, 1.0, 0.1, 100), linear_epsilon(500, 1.0, 0.1, 100)
        (1.0, 0.55, 0.1)
    """
    if step >= duration:
        return end
    return start + max(step, 0) / duration * (end - start)


def exponential_epsilon(episode: int, start: float, end: float, decay: float) -> float:
    """ε after ``episode`` finished episodes: max(end, start·decayᵉᵖⁱˢᵒᵈᵉ).

    Example:
        >>> round(exponential_epsilon(2, 1.0, 0.01, 0.5), 3), exponential_epsilon(100, 1.0, 0.01, 0.5)
        (0.25, 0.01)
    """
    return max(end, start * decay ** max(episode, 0))
