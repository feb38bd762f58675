"""The machinery every exercise check shares: running the learner's code and reporting.

``exercise(name)`` is a context manager: inside it, the check calls the learner's code
and compares results. A ``NotImplementedError`` from the learner's code becomes
:class:`NotImplementedYet`; any other exception from it becomes :class:`ExerciseFailed`
naming the exception; leaving the block normally prints a confirmation.
"""

from __future__ import annotations

import contextlib

import numpy as np


class ExerciseFailed(AssertionError):
    """A learner's implementation gave a wrong result; the message says what and why.

    In IPython/Jupyter only the message is shown (``_render_traceback_``), so the learner
    reads the diagnosis rather than a stack trace.
    """

    icon = "❌"

    def _render_traceback_(self) -> list[str]:
        return [f"{self.icon} {line}" if i == 0 else f"   {line}" for i, line in enumerate(str(self).splitlines())]


class NotImplementedYet(ExerciseFailed):
    """The learner's function still raises NotImplementedError (the placeholder)."""

    icon = "✏️"


class _Learner:
    """Calls the learner's function, turning its exceptions into exercise messages."""

    def __init__(self, name: str):
        self.name = name

    def __call__(self, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except NotImplementedError:
            raise NotImplementedYet(
                f"{self.name}: not implemented yet — replace the `raise NotImplementedError` in the "
                f"exercise cell above with your code, run that cell, then run this check again."
            ) from None
        except ExerciseFailed:
            raise
        except Exception as err:  # the learner's code crashed: show the error, not TF internals
            message = str(err).strip().splitlines()[0] if str(err).strip() else ""
            raise ExerciseFailed(
                f"{self.name}: your code raised {type(err).__name__}: {message[:300]}"
            ) from None


@contextlib.contextmanager
def exercise(name: str, passed: str = "passed"):
    """Run a check: yields a caller for the learner's code; prints ``✅ name: passed`` on success.

    Example:
        >>> with exercise("double") as call:
        ...     expect_close("double(2)", call(lambda x: 2 * x, 2), 4)
        ✅ double: passed
    """
    yield _Learner(name)
    print(f"✅ {name}: {passed}")


def expect_close(what: str, got, expected, atol: float = 1e-4, hint: str = "", index_names=None) -> None:
    """Raise :class:`ExerciseFailed` unless ``got`` ≈ ``expected`` (same shape, |Δ| ≤ atol + 1e-4·|expected|).

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
    bad = ~np.isclose(got_arr, expected, atol=atol, rtol=1e-4)
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
