"""Q-networks: a Keras MLP Q(s, ·) and a NumPy copy of it for fast acting.

One call of a Keras model costs hundreds of microseconds of dispatch on a CPU, while the
arithmetic of a 2-layer MLP on one observation takes a few microseconds. Acting therefore
uses :class:`NumpyQNetwork`, a copy of the weights refreshed after every learning call.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np

from lunar_lab.config import ACTIVATIONS

_NUMPY_ACTIVATIONS = {
    "relu": lambda x: np.maximum(x, 0.0),
    "tanh": np.tanh,
    "elu": lambda x: np.where(x > 0.0, x, np.expm1(np.minimum(x, 0.0))),
}


def build_q_network(
    obs_dim: int,
    num_actions: int,
    hidden_sizes: Sequence[int] = (128, 128),
    activation: str = "relu",
    seed: int | None = None,
    name: str = "q_network",
) -> keras.Model:
    """Build an MLP that maps observations [B, obs_dim] float32 to Q-values [B, A] float32.

    Dense hidden layers with ``activation``, then a linear output layer with one unit per
    action (Mnih et al. 2015, "Human-level control through deep reinforcement learning",
    with the convolutional torso replaced by an MLP for vector observations).

    Args:
        obs_dim: length of an observation vector (8 for LunarLander).
        num_actions: number of discrete actions A (4 for LunarLander).
        hidden_sizes: units of each hidden layer, each ≥ 1.
        activation: one of ``"relu"``, ``"tanh"``, ``"elu"``.
        seed: seed of the Glorot-uniform weight initialiser; same seed, same weights.
        name: Keras model name.

    Raises:
        ValueError: a size is not a positive integer or the activation is unknown.

    Example:
        >>> net = build_q_network(8, 4, hidden_sizes=(16,), seed=0)
        >>> net(np.zeros((3, 8), np.float32)).shape
        TensorShape([3, 4])
    """
    for pname, value in (("obs_dim", obs_dim), ("num_actions", num_actions)):
        if int(value) != value or value < 1:
            raise ValueError(f"{pname} must be a positive integer, got {value!r}")
    if len(hidden_sizes) == 0 or any(int(h) != h or h < 1 for h in hidden_sizes):
        raise ValueError(f"hidden_sizes must be a non-empty sequence of positive integers, got {hidden_sizes!r}")
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")
    seeds = np.random.default_rng(seed).integers(0, 2**31 - 1, size=len(hidden_sizes) + 1)
    init = lambda i: keras.initializers.GlorotUniform(seed=None if seed is None else int(seeds[i]))  # noqa: E731
    inputs = keras.Input(shape=(int(obs_dim),), dtype="float32", name="obs")
    x = inputs
    for i, units in enumerate(hidden_sizes):
        x = keras.layers.Dense(int(units), activation=activation, kernel_initializer=init(i), name=f"hidden_{i}")(x)
    outputs = keras.layers.Dense(int(num_actions), kernel_initializer=init(len(hidden_sizes)), name="q_values")(x)
    return keras.Model(inputs, outputs, name=name)


class NumpyQNetwork:
    """A NumPy copy of a Dense-only Keras Q-network, for acting without Keras dispatch.

    Args:
        model: a model made by :func:`build_q_network`.

    Call :meth:`sync` after the Keras weights change; :meth:`__call__` then computes
    the same Q-values as ``model(obs)`` (to float32 rounding).

    Example:
        >>> net = build_q_network(8, 4, hidden_sizes=(16,), seed=0)
        >>> fast = NumpyQNetwork(net)
        >>> obs = np.ones((2, 8), np.float32)
        >>> bool(np.allclose(fast(obs), net(obs).numpy(), atol=1e-5))
        True
    """

    def __init__(self, model: keras.Model):
        self.model = model
        dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
        self._activations = [_NUMPY_ACTIVATIONS[layer.get_config()["activation"]] for layer in dense[:-1]]
        self.sync()

    def sync(self) -> None:
        """Copy the current weights of the Keras model (a few microseconds per layer)."""
        weights = [w.numpy() if hasattr(w, "numpy") else np.asarray(w) for w in self.model.weights]
        self._layers = list(zip(weights[0::2], weights[1::2]))

    def __call__(self, obs: np.ndarray) -> np.ndarray:
        """Q-values [B, A] float32 of observations ``obs`` [B, obs_dim] float32."""
        x = np.asarray(obs, dtype=np.float32)
        for (kernel, bias), act in zip(self._layers[:-1], self._activations):
            x = act(x @ kernel + bias)
        kernel, bias = self._layers[-1]
        return x @ kernel + bias
