"""Stored form data: each value as its canonical text (the REDCap CSV cell), and back to typed values."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from app.forms.expr.runtime import MissingValue, Values
from app.forms.expr.types import DATE, NUM
from app.forms.model import CField, CForm
from app.forms.values import to_text


def to_stored(values: Values) -> dict[str, str]:
    """Typed values (inputs and computed) as text; blanks are left out."""
    return {name: to_text(value) for name, value in values.items() if value is not None}


def _calculated(cfield: CField, text: str) -> Any:
    if cfield.ty.kind == NUM:
        return int(text) if text.lstrip("-").isdigit() else Decimal(text)
    if cfield.ty.kind == DATE:
        return dt.date.fromisoformat(text)
    return text


def from_stored(cform: CForm, data: dict[str, str]) -> Values:
    """Typed values from stored text. Fields the definition no longer has are left out."""
    values: Values = {}
    for name, text in data.items():
        cfield = cform.fields.get(name)
        if cfield is None:
            continue
        if text in cfield.missing_codes:
            values[name] = MissingValue(text)
        elif cfield.parse is not None:
            values[name] = cfield.parse(text)
        else:
            values[name] = _calculated(cfield, text)
    return values
