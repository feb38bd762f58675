"""Shape, dtype and value checks shared by the pure TensorFlow functions (targets, losses).

A mismatched batch should fail with a message naming the argument, not with a broadcast
error from deep inside TensorFlow (or, worse, silently broadcast [B] against [B, 1]). Values
are checked only where they are known when the function is called (eager tensors, Python
numbers, graph constants): the checks add no op to a graph, so a caller compiled with XLA
(``tf.function(jit_compile=True)``) compiles unchanged.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import tensorflow as tf


def as_float32(name: str, value) -> tf.Tensor:
    """``value`` as a float32 tensor; raises TypeError naming ``name`` if it is not numeric.

    Example:
        >>> as_float32("rewards", [1, 2]).dtype
        tf.float32
    """
    try:
        tensor = tf.convert_to_tensor(value)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be numeric (array or tensor), got {type(value).__name__}: {err}") from None
    if not (tensor.dtype.is_floating or tensor.dtype.is_integer or tensor.dtype.is_bool):
        raise TypeError(f"{name} must be numeric, got dtype {tensor.dtype.name}")
    return tf.cast(tensor, tf.float32)


def check_shapes(**named: tuple[tf.Tensor, str]) -> None:
    """Check static ranks and shared dimensions: ``name=(tensor, "B A")``; "" means a scalar.

    Letters name dimensions that must agree across arguments; a dimension unknown at
    trace time is skipped.

    Raises:
        ValueError: a rank differs or a named dimension disagrees; the message names the
            argument, its shape and the expected layout.

    Example:
        >>> check_shapes(rewards=(tf.zeros(3), "B"), next_q_values=(tf.zeros((2, 4)), "B A"))
        Traceback (most recent call last):
        ...
        ValueError: next_q_values has shape [2, 4] but must be [B, A] with B = 3 (from rewards)
    """
    sizes: dict[str, tuple[int, str]] = {}
    for name, (tensor, layout) in named.items():
        dims = layout.split()
        shape = tensor.shape
        if shape.rank is not None and shape.rank != len(dims):
            want = "a scalar" if not dims else f"[{', '.join(dims)}]"
            raise ValueError(f"{name} has shape {shape.as_list()} but must be {want} (rank {len(dims)})")
        for letter, size in zip(dims, shape):
            if size is None:
                continue
            if letter in sizes and sizes[letter][0] != size:
                other_size, other = sizes[letter]
                raise ValueError(
                    f"{name} has shape {shape.as_list()} but must be [{', '.join(dims)}] "
                    f"with {letter} = {other_size} (from {other})"
                )
            sizes.setdefault(letter, (size, name))


def check_values(name: str, tensor: tf.Tensor, allowed: str, is_allowed: Callable[[np.ndarray], np.ndarray]) -> None:
    """Refuse values of ``tensor`` outside a domain, when they are known at call time.

    The values are known when ``tensor`` is eager or a constant of a graph
    (``tf.get_static_value``); a tensor computed inside a ``tf.function`` (an input, or
    ``exp(log α)`` of a variable) is not checked, and no op is added to the graph.

    Args:
        name: the argument's name, for the message.
        tensor: any shape.
        allowed: the domain in words, e.g. ``"in [0, 1]"``.
        is_allowed: NumPy array of the values → bool array of the same shape, True where
            the value is allowed (it must be False for NaN unless NaN is allowed).

    Raises:
        ValueError: some known value is not allowed; the message names ``name``, the domain
            and up to three offending values (with their index for a non-scalar).

    Example:
        >>> check_values("gamma", tf.constant([0.9, 1.5]), "in [0, 1]", lambda v: (v >= 0) & (v <= 1))
        Traceback (most recent call last):
        ...
        ValueError: gamma must be in [0, 1], got gamma[1] = 1.5
    """
    value = tf.get_static_value(tensor)
    if value is None:
        return
    value = np.asarray(value)
    bad = np.argwhere(~np.asarray(is_allowed(value), bool))
    if len(bad) == 0:
        return
    if value.ndim == 0:
        got = f"{value.item():.6g}"
    else:
        got = ", ".join(f"{name}[{', '.join(map(str, i))}] = {value[tuple(i)]:.6g}" for i in bad[:3])
        got += f" (and {len(bad) - 3} more)" if len(bad) > 3 else ""
    raise ValueError(f"{name} must be {allowed}, got {got}")
