"""The one assertion every check-module test makes about a wrong implementation."""

import pytest

from lunar_lab.checks.core import ExerciseFailed, NotImplementedYet


def diagnosed(check, wrong, *phrases) -> str:
    """Run ``check(wrong)``; assert it fails as a mistake (not as "not implemented yet") with
    every phrase in its message, and return the message for further assertions."""
    with pytest.raises(ExerciseFailed) as info:
        check(wrong)
    message = str(info.value)
    assert not isinstance(info.value, NotImplementedYet), message
    for phrase in phrases:
        assert phrase in message, f"{phrase!r} not in:\n{message}"
    return message
