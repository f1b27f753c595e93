"""What compiled expressions run against, and the helpers they share.

A compiled expression is a plain closure `fn(values, patient, outer)`:
- `values`: the variables of the current instance (or, for derived variables, those computed so far);
- `patient`: the patient's other forms;
- `outer`: inside an aggregate, the scope the aggregate was written in (`this.x`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any


class MissingValue(str):
    """A missing-data code (NA, UNK, ND) stored in place of a value. Expressions see it as blank."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"MissingValue({str(self)!r})"


Values = dict[str, Any]


@dataclass
class PatientView:
    once: dict[str, Values] = field(default_factory=dict)
    repeating: dict[str, list[Values]] = field(default_factory=dict)


EMPTY_PATIENT = PatientView()
Fn = Callable[[Values, PatientView, Values], Any]


def clean(value: Any) -> Any:
    return None if value.__class__ is MissingValue else value


def to_decimal(value: int | Decimal) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(value)


def normalise(value: Decimal) -> int | Decimal:
    """Whole results become int so that `2 * 3` and `6` compare and print alike."""
    if value == value.to_integral_value():
        return int(value)
    return value


def arith(op: str, left: Any, right: Any) -> Any:
    if left is None or right is None:
        return None
    try:
        if op == "+":
            return left + right
        if op == "-":
            return left - right
        if op == "*":
            return left * right
        if op == "/":
            if right == 0:
                return None
            return normalise(to_decimal(left) / to_decimal(right))
        if op == "^":
            return normalise(to_decimal(left) ** to_decimal(right))
    except (InvalidOperation, OverflowError, ArithmeticError):
        return None
    raise ValueError(op)


_ROUNDING = {"round": ROUND_HALF_UP, "rounddown": ROUND_FLOOR, "roundup": ROUND_CEILING}


def round_to(kind: str, value: Any, places: Any = 0) -> Any:
    if value is None or places is None:
        return None
    exponent = Decimal(1).scaleb(-int(places))
    rounded = to_decimal(value).quantize(exponent, rounding=_ROUNDING[kind])
    return int(rounded) if int(places) <= 0 else rounded
