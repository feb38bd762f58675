"""Numbers, ratios and bounds as the results tables show them (— for a missing value)."""

from __future__ import annotations

import math


def fmt_number(value, digits: int = 0, suffix: str = "") -> str:
    """``value`` with thousands separators and ``digits`` decimals, then ``suffix``; — for None or NaN.

    Example:
        >>> fmt_number(9190.4), fmt_number(15.84, 1, " s"), fmt_number(None), fmt_number(math.nan)
        ('9,190', '15.8 s', '—', '—')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:,.{digits}f}{suffix}"


def _times(value) -> str:
    return f"{value:,.{1 if value >= 1 else 2}f}"


def fmt_ratio(value, relation, high=None) -> str:
    """A ratio as text: ``12.3×``, ``> 20.1×``, ``≥ 25.0×``, ``< 0.50×`` (two decimals below 1);
    ``~`` (between two bounds) shows ``value–high×``; — for None.

    Example:
        >>> fmt_ratio(25.0, "≥"), fmt_ratio(19.0, "~", 30.0), fmt_ratio(0.5, "<"), fmt_ratio(12.34, "="), fmt_ratio(None, None)
        ('≥ 25.0×', '19.0–30.0×', '< 0.50×', '12.3×', '—')
    """
    if value is None:
        return "—"
    if relation == "~":
        return f"{_times(value)}–{_times(high)}×"
    return f"{'' if relation == '=' else relation + ' '}{_times(value)}×"


def fmt_bound(value, relation, digits: int = 0, suffix: str = "") -> str:
    """A bounded number as text: the relation (``>``, ``≥``, …; none for ``=`` and ``~``) then
    :func:`fmt_number`.

    Example:
        >>> fmt_bound(70.0, "≥", 1, " s"), fmt_bound(40.0, "=", 1, " s"), fmt_bound(None, None)
        ('≥ 70.0 s', '40.0 s', '—')
    """
    if value is None:
        return "—"
    return f"{'' if relation in ('=', '~') else relation + ' '}{fmt_number(value, digits, suffix)}"
