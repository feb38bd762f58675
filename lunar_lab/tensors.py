"""Shape and dtype checks shared by the pure TensorFlow functions (targets, losses).

A mismatched batch should fail with a message naming the argument, not with a broadcast
error from deep inside TensorFlow (or, worse, silently broadcast [B] against [B, 1]).
"""

from __future__ import annotations

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
