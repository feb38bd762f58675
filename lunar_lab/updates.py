"""Target-network updates: hard copies every C learner steps, or Polyak averaging with τ.

Sources: hard update, Mnih et al. (2015) ("every C updates we clone the network Q to
obtain a target network Q̂"); soft update, Lillicrap et al. (2016) DDPG, θ′ ← τθ + (1 − τ)θ′.
Both work on lists of variables, so they run inside a compiled learning step.
"""

from __future__ import annotations

from collections.abc import Sequence


def _check_pair(target: Sequence, online: Sequence) -> None:
    if len(target) != len(online):
        raise ValueError(f"target and online must hold the same number of variables, got {len(target)} and {len(online)}")
    for i, (t, o) in enumerate(zip(target, online)):
        if tuple(t.shape) != tuple(o.shape):
            raise ValueError(f"variable {i}: target shape {tuple(t.shape)} differs from online shape {tuple(o.shape)}")


def hard_update(target: Sequence, online: Sequence) -> None:
    """Copy the online weights into the target weights: θ′ ← θ.

    Args:
        target: the target network's variables (e.g. ``target_net.trainable_variables``).
        online: the online network's variables, same shapes, same order.

    Raises:
        ValueError: different numbers of variables or different shapes.

    Example:
        >>> import keras
        >>> t, o = keras.Variable([0.0, 0.0]), keras.Variable([1.0, 2.0])
        >>> hard_update([t], [o]); t.numpy().tolist()
        [1.0, 2.0]
    """
    _check_pair(target, online)
    for t, o in zip(target, online):
        t.assign(o)


def soft_update(target: Sequence, online: Sequence, tau: float) -> None:
    """Polyak averaging θ′ ← τ·θ + (1 − τ)·θ′: τ weights the *online* network.

    Args:
        target: the target network's variables, updated in place.
        online: the online network's variables, same shapes, same order.
        tau: the soft-update coefficient, in (0, 1]; τ = 1 is a hard update.

    Raises:
        ValueError: τ outside (0, 1], or mismatched variables.

    Example:
        >>> import keras
        >>> t, o = keras.Variable([0.0]), keras.Variable([10.0])
        >>> soft_update([t], [o], tau=0.1); t.numpy().tolist()
        [1.0]
    """
    if isinstance(tau, (int, float)) and not 0.0 < tau <= 1.0:
        raise ValueError(f"tau must be in (0, 1], got {tau!r}")
    _check_pair(target, online)
    for t, o in zip(target, online):
        t.assign(tau * o + (1.0 - tau) * t)
