"""The engine every exercise check shares: running the learner's code and reporting.

A check is mostly data: its cases (inputs and the reference's answer), its known mistakes
(each a function of the case giving the wrong answer that mistake produces, with the message
that explains it) and the modes it runs the learner's function in. This module runs it;
:mod:`lunar_lab.checks.compare` compares the results and names the mistake.

:func:`exercise` (a context manager) yields a :class:`Learner` that calls the learner's
function in either mode: eagerly, or with :meth:`Learner.compiled` inside
``tf.function(jit_compile=True)`` as the agent's learning step does. A ``NotImplementedError``
becomes :class:`NotImplementedYet`; any other exception becomes :class:`ExerciseFailed` naming
it (:class:`CompileFailed` when the compiled call fails), never a TensorFlow traceback; leaving
the block normally prints a confirmation.
"""

from __future__ import annotations

import contextlib
import re


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


class CompileFailed(ExerciseFailed):
    """The learner's function failed inside ``tf.function(jit_compile=True)``.

    ``error`` is the exception's type name and ``detail`` its informative line, so that each
    check can say in its own words why code that runs eagerly fails in the compiled step.
    """

    def __init__(self, name: str, error: Exception):
        self.error, self.detail = type(error).__name__, error_detail(error, traced=True)
        super().__init__(f"{name}: your code raised {self.error}: {self.detail}")


_TF_PREFIX = re.compile(r"\{\{function_node [^}]*\}\}\s*")
_TF_SUFFIX = re.compile(r"\s*\[Op:\w+\]( name:.*)?$")


def error_detail(err: Exception, traced: bool = False) -> str:
    """The informative line of ``err``'s message, without TensorFlow's op prefix and suffix (≤ 300 chars).

    An eager error says it on its first line; an error raised while tracing a ``tf.function``
    ends with it (after "in user code:" and the stack), repeating the exception's type.

    Example:
        >>> error_detail(ValueError("{{function_node __wrapped__Mul}} Incompatible shapes [Op:Mul] name: "))
        'Incompatible shapes'
    """
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    line = (lines[-1] if traced else lines[0]) if lines else ""
    if traced and line.startswith(f"{type(err).__name__}:"):
        line = line[len(type(err).__name__) + 1:].strip()
    return _TF_SUFFIX.sub("", _TF_PREFIX.sub("", line))[:300]


class Learner:
    """Calls the learner's function, turning its exceptions into exercise messages."""

    def __init__(self, name: str):
        self.name = name

    def __call__(self, fn, *args, **kwargs):
        """``fn(*args, **kwargs)``, run eagerly."""
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
            raise ExerciseFailed(f"{self.name}: your code raised {type(err).__name__}: {error_detail(err)}") from None

    def compiled(self, fn, *args, **kwargs):
        """``fn(*args, **kwargs)`` inside ``tf.function(jit_compile=True)``, as the agent's learning step runs it.

        Each argument that is a tensor arrives as a symbolic tensor of the same shape and dtype
        (no ``.numpy()``); any other argument (a float, a variable, a list of variables) is passed
        as it is, so ``assign`` changes the caller's variable. A failure while tracing or
        compiling raises :class:`CompileFailed`; an :class:`ExerciseFailed` raised inside (by a
        check's wrapper around ``fn``) is raised as it is.
        """
        import tensorflow as tf  # here, not at the top: the checks of notebooks 00 and 02 run without TensorFlow

        given = {**{f"arg{i}": value for i, value in enumerate(args)}, **kwargs}
        tensors = {name: value for name, value in given.items() if isinstance(value, tf.Tensor)}
        failures = []

        def step(**symbolic):  # named as the learner's arguments, so TensorFlow's messages name them too
            values = {**given, **symbolic}
            try:
                return fn(*(values[f"arg{i}"] for i in range(len(args))), **{name: values[name] for name in kwargs})
            except ExerciseFailed as failure:  # tf.function would wrap it in its own error type
                failures.append(failure)
                raise

        try:
            return tf.function(step, jit_compile=True)(**tensors)
        except Exception as err:
            if failures:
                raise failures[0] from None
            raise CompileFailed(self.name, err) from None


@contextlib.contextmanager
def exercise(name: str, passed: str = "passed"):
    """Run a check: yields a :class:`Learner` for the learner's code; prints ``✅ name: passed`` on success.

    Example:
        >>> with exercise("double") as call:
        ...     assert call(lambda x: 2 * x, 2) == 4
        ✅ double: passed
    """
    yield Learner(name)
    print(f"✅ {name}: {passed}")
