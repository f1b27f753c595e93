"""Range checks, built once per field.

Fixed bounds compare directly; `today` and `current_year` resolve on each call.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

Bounds = tuple[Any, Any]
Outside = Callable[[Any], bool]


def resolve(bound: Any) -> Any:
    if bound == "current_year":
        return dt.date.today().year
    if bound == "today":
        return dt.date.today()
    return bound


def _symbolic(bound: Any) -> bool:
    return isinstance(bound, str)


def outside_check(bounds: Bounds | None) -> Outside | None:
    """A function telling whether a typed value falls outside `bounds` (None when there are none)."""
    if bounds is None or bounds == (None, None):
        return None
    low, high = bounds
    if _symbolic(low) or _symbolic(high) or isinstance(low, dt.date) or isinstance(high, dt.date):
        return lambda value: _outside_dated(value, resolve(low), resolve(high))
    if low is None:
        return lambda value: value > high
    if high is None:
        return lambda value: value < low
    return lambda value: value < low or value > high


def _outside_dated(value: Any, low: Any, high: Any) -> bool:
    if isinstance(value, dt.datetime) and isinstance(low if low is not None else high, dt.date):
        value = value.date()
    return (low is not None and value < low) or (high is not None and value > high)


def range_text(bounds: Bounds | None, units: str | None) -> str:
    if bounds is None:
        return ""
    low, high = (resolve(b) for b in bounds)
    suffix = f" {units}" if units else ""
    if low is None:
        return f"≤ {high}{suffix}"
    if high is None:
        return f"≥ {low}{suffix}"
    if _negative(low) or _negative(high):  # "-14–-1" reads as one token: space the dash out
        return f"{low} – {high}{suffix}"
    return f"{low}–{high}{suffix}"


def _negative(bound: Any) -> bool:
    return isinstance(bound, int | float | Decimal) and bound < 0
