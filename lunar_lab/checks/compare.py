"""Comparing a learner's answer with the right one, and naming the known mistake it matches.

:func:`close` is the one tolerance comparison of every check: |got − expected| ≤ atol + rtol·|expected|,
with atol = rtol = :data:`TOLERANCE` unless a check says otherwise (hand-rounded numbers).
A known mistake is a :class:`Mistake`: the message that explains it and the wrong answer it
gives, a function of the case; a check keeps its mistakes in a table. :func:`likely_mistake`
finds the one that reproduces the learner's answer on a case, and :func:`compare_batch` reports
the first wrong element of a batch of per-transition outputs with it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np

from lunar_lab.checks.core import ExerciseFailed

#: Default absolute and relative tolerance of every comparison (float32 arithmetic).
TOLERANCE = 1e-4


class Mistake(NamedTuple):
    """A known mistake: the message that explains it and the answer it gives.

    Each field may be a function of the case (:meth:`on` evaluates it there); an answer of None
    means the mistake makes no sense on that case. ``rows`` ([B] flags, optional) marks the
    transitions the mistake concerns; those the learner got wrong are named after the message
    as ``noun`` ("terminal at index 2").

    Example:
        >>> forgot_gamma = Mistake("forgot γ", lambda case: case["r"] + case["q"])
        >>> forgot_gamma.on({"r": 1.0, "q": 2.0}).answer
        3.0
    """

    message: Any
    answer: Any
    rows: Any = None
    noun: str = ""

    def on(self, case) -> Mistake:
        """The mistake on ``case``: every field that is a function of the case evaluated there."""
        return Mistake(*(field(case) if callable(field) else field for field in self))


def on_case(mistakes: Sequence[Mistake], case) -> list[Mistake]:
    """The ``mistakes`` (a check's table) evaluated on ``case``, leaving out those that do not apply (answer None)."""
    evaluated = [mistake.on(case) for mistake in mistakes]
    return [mistake for mistake in evaluated if mistake.answer is not None]


def close(got, expected, atol: float = TOLERANCE, rtol: float = TOLERANCE) -> bool:
    """Whether ``got`` ≈ ``expected``: same shape (or the same list of shapes), |got − expected| ≤ atol + rtol·|expected|.

    Lists and tuples are compared item by item, so one call compares several outputs or cases.

    Example:
        >>> close(1.00005, 1.0), close([1.0, 2.0], [1.0, 2.1]), close(([1.0], 3), ([1.0], 3.0))
        (True, False, True)
    """
    if isinstance(expected, (list, tuple)) and not _numbers(expected):
        return (isinstance(got, (list, tuple)) and len(got) == len(expected)
                and all(close(g, e, atol, rtol) for g, e in zip(got, expected)))
    try:
        got, expected = np.asarray(got, np.float64), np.asarray(expected, np.float64)
    except (TypeError, ValueError):
        return False
    return got.shape == expected.shape and bool(np.allclose(got, expected, atol=atol, rtol=rtol))


def _numbers(items: Sequence) -> bool:
    return all(isinstance(item, (int, float, np.number)) for item in items)


def mismatches(got, expected, atol: float = TOLERANCE, rtol: float = TOLERANCE) -> np.ndarray:
    """Element-wise: True where ``got`` differs from ``expected`` by more than the tolerance of :func:`close`."""
    return ~np.isclose(np.asarray(got, np.float64), np.asarray(expected, np.float64), atol=atol, rtol=rtol)


def likely_mistake(mistakes, got, expected, at=None, atol: float = TOLERANCE, rtol: float = TOLERANCE):
    """The known mistake that explains a wrong answer, and whether it explains all of it.

    Args:
        mistakes: :class:`Mistake` s on this case (or (message, answer) pairs), most specific first;
            one whose answer equals ``expected`` is skipped (that mistake makes no difference here).
        got, expected: the learner's and the right answer: arrays, or lists of them (several
            outputs, several cases), as :func:`close` compares them.
        at: an index of ``got`` where it is wrong (an element, an output, a case), or None.

    Returns:
        ``(mistake, True)`` for the first mistake whose answer equals ``got`` entirely; else,
        given ``at``, ``(mistake, False)`` for the first whose answer equals ``got[at]`` where
        the right answer differs; else None.

    Example:
        >>> mistakes = [Mistake("forgot γ", [2.0, 3.0]), Mistake("no reward", [0.9, 0.0])]
        >>> mistake, whole = likely_mistake(mistakes, [0.9, 5.0], [1.9, 1.0], at=0)
        >>> mistake.message, whole
        ('no reward', False)
    """
    candidates = [Mistake(*m) for m in mistakes if m[1] is not None and not close(m[1], expected, atol, rtol)]
    for mistake in candidates:
        if close(got, mistake.answer, atol, rtol):
            return mistake, True
    if at is not None:
        for mistake in candidates:
            if close(got[at], mistake.answer[at], atol, rtol) and not close(mistake.answer[at], expected[at], atol, rtol):
                return mistake, False
    return None


def compare_batch(where: str, got: np.ndarray, expected: np.ndarray, mistakes: Sequence, fallback: str,
                  describe: Callable[[int], str]) -> None:
    """Raise :class:`ExerciseFailed` at the first element where ``got`` [B] differs from ``expected`` [B].

    The message: ``where``, the element, got vs expected, the likely mistake (of ``mistakes``,
    see :func:`likely_mistake`) or else ``fallback``, and on a new line ``describe(i)``, the
    inputs of element i.

    Example:
        >>> compare_batch("y", np.array([2.0, 4.0]), np.array([1.0, 2.0]), [Mistake("doubled y", [2.0, 4.0])],
        ...               "check the formula", lambda i: f"inputs of element [{i}]: x = {i + 1}")
        Traceback (most recent call last):
        ...
        lunar_lab.checks.core.ExerciseFailed: y: element [0] is 2, expected 1 — likely mistake: doubled y
        inputs of element [0]: x = 1
    """
    bad = mismatches(got, expected)
    if not bad.any():
        return
    i = int(np.flatnonzero(bad)[0])
    found = likely_mistake(mistakes, got, expected, at=i)
    hint = fallback
    if found:
        mistake, whole = found
        hint = f"likely mistake{'' if whole else ' (at this element)'}: {mistake.message}"
        rows = [] if mistake.rows is None else [int(j) for j in np.flatnonzero((mistake.rows > 0.5) & bad)]
        if rows:
            hint += f" ({mistake.noun}{'s' if len(rows) > 1 else ''} at index {', '.join(map(str, rows))})"
    raise ExerciseFailed(f"{where}: element [{i}] is {got[i]:.6g}, expected {expected[i]:.6g} — {hint}\n{describe(i)}")


def expect_close(what: str, got, expected, hint: str = "") -> None:
    """Raise :class:`ExerciseFailed` unless ``got`` ≈ ``expected`` (same shape, within the tolerance of :func:`close`).

    The message names the first wrong element, expected vs got, and ``hint`` (the likely mistake).

    Example:
        >>> expect_close("y", [1.0, 2.5], [1.0, 2.0], hint="forgot γ")
        Traceback (most recent call last):
        ...
        lunar_lab.checks.core.ExerciseFailed: y: element [1] is 2.5, expected 2 — forgot γ
    """
    got_arr = to_numpy(got, what)
    expected = np.asarray(expected, dtype=np.float64)
    if got_arr.shape != expected.shape:
        raise ExerciseFailed(f"{what}: shape {list(got_arr.shape)}, expected {list(expected.shape)}"
                             + (f" — {hint}" if hint else ""))
    bad = mismatches(got_arr, expected)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        where = f"element {list(idx)}" if idx else "value"
        raise ExerciseFailed(f"{what}: {where} is {got_arr[idx]:.6g}, expected {expected[idx]:.6g}"
                             + (f" — {hint}" if hint else ""))


def to_numpy(value, what: str) -> np.ndarray:
    """``value`` (tensor, array, list, number) as a float64 array, or ExerciseFailed naming ``what``."""
    if hasattr(value, "numpy"):
        value = value.numpy()
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ExerciseFailed(f"{what}: expected numbers (a tensor or array), got {type(value).__name__}") from None


def returned_float32(result, where: str, none: str, dtype: str | None,
                     numbers: str = "expected a tensor of numbers") -> np.ndarray:
    """The learner's result as a float64 array, after the checks every TensorFlow exercise makes.

    Args:
        result: what the learner's function returned.
        where: the message's prefix (the function and the case).
        none: the message's end when ``result`` is None.
        dtype: the message's end when ``result`` has a dtype other than float32, with ``{dtype}``
            for its name; None: no dtype check here.
        numbers: the message's end when ``result`` is not numbers, before "got <its type>".

    Raises:
        ExerciseFailed: None, another dtype, or not numbers.
    """
    if result is None:
        raise ExerciseFailed(f"{where}: {none}")
    dtype_name = _dtype_name(getattr(result, "dtype", None))
    if dtype is not None and dtype_name not in (None, "float32"):
        raise ExerciseFailed(f"{where}: {dtype.format(dtype=dtype_name)}")
    try:
        return np.asarray(result.numpy() if hasattr(result, "numpy") else result, dtype=np.float64)
    except (TypeError, ValueError):
        raise ExerciseFailed(f"{where}: {numbers}, got {type(result).__name__}") from None


def _dtype_name(dtype) -> str | None:
    """The name of a NumPy or TensorFlow dtype (None: unknown)."""
    if dtype is None:
        return None
    return getattr(dtype, "name", str(dtype))
