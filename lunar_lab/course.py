"""Helpers the notebooks share: quick mode and run-time budgets.

Quick mode (environment variable ``LUNAR_LAB_QUICK=1``, set by the test command) runs
every cell of every notebook on a small budget, so that CI validates all code paths in
about a minute per notebook. Full mode (the default) is what a learner runs.
"""

from __future__ import annotations

import os

QUICK_ENV = "LUNAR_LAB_QUICK"


def is_quick() -> bool:
    """True when ``LUNAR_LAB_QUICK`` is set to 1, true or yes (any case).

    Example:
        >>> os.environ["LUNAR_LAB_QUICK"] = "0"; is_quick()
        False
    """
    return os.environ.get(QUICK_ENV, "").strip().lower() in ("1", "true", "yes")


def budget(full, quick):
    """``quick`` in quick mode, else ``full`` (env steps, episodes, seeds …).

    Example:
        >>> os.environ["LUNAR_LAB_QUICK"] = "1"; budget(full=300_000, quick=2_000)
        2000
    """
    return quick if is_quick() else full
