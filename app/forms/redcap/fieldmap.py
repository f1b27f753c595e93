"""REDCap text validation types and our field types, both ways.

A REDCap `text` field is one of our dates, numbers, times or formatted texts depending on its
validation; `text_attributes` reads a validation name, `text_validation` writes one back.
"""

from __future__ import annotations

import re
from typing import Any

from app.forms.schema import Field, FieldType
from app.forms.values import TEXT_FORMATS, TIME_FORMATS

_DATES = {"date_ymd", "date_dmy", "date_mdy"}
_DATETIMES = {f"datetime_{s}{o}" for s in ("", "seconds_") for o in ("ymd", "dmy", "mdy")}
_NUMBER = re.compile(r"^number(?:_(?P<places>\d)dp)?(?P<comma>_comma_decimal)?$")
# Names older REDCap versions wrote.
_ALIASES = {
    "int": "integer",
    "float": "number",
    "date": "date_ymd",
    "datetime": "datetime_ymd",
    "datetime_seconds": "datetime_seconds_ymd",
}
MAX_PLACES = 4


def text_attributes(validation: str) -> dict[str, Any] | None:
    """Our field attributes for a REDCap text field with this validation; None when unknown."""
    name = _ALIASES.get(validation, validation)
    if not name:
        return {"type": "text"}
    if name in _DATES:
        return {"type": "date"}
    if name in _DATETIMES:
        return {"type": "datetime"}
    if name in TIME_FORMATS:
        return {"type": "time", "format": name}
    if name == "integer":
        return {"type": "integer"}
    number = _NUMBER.match(name)
    if number:
        attrs: dict[str, Any] = {"type": "decimal"}
        if number.group("places"):
            attrs["precision"] = int(number.group("places"))
        if number.group("comma"):
            attrs["decimal_comma"] = True
        return attrs
    if name in TEXT_FORMATS:
        return {"type": "text", "format": name}
    return None


def text_validation(field: Field) -> tuple[str, list[str]]:
    """The validation REDCap needs for one of our fields written as a `text` field, and any warning."""
    kind = field.type
    if kind == FieldType.text:
        return field.format or "", []
    if kind == FieldType.date:
        return "date_ymd", []
    if kind == FieldType.datetime:
        return "datetime_ymd", []
    if kind == FieldType.time:
        return field.format or "time", []
    if kind in (FieldType.integer, FieldType.studyday):
        return "integer", []
    if kind == FieldType.decimal:
        return _number_validation(field)
    return "", []


def _number_validation(field: Field) -> tuple[str, list[str]]:
    comma = "_comma_decimal" if field.decimal_comma else ""
    places = field.precision
    if places is None:
        return f"number{comma}", []
    if places == 0:
        return "integer", ["precision 0 written as 'integer' (which takes no decimal comma)"]
    if places > MAX_PLACES:
        return f"number{comma}", [f"REDCap checks at most {MAX_PLACES} decimals: precision {places} not kept"]
    return f"number_{places}dp{comma}", []


def same_text_kind(field: Field, validation: str) -> bool:
    """Whether importing `validation` gives back this field's type, precision, comma and format."""
    attrs = text_attributes(validation)
    if attrs is None:
        return field.type == FieldType.text and not field.format
    mine = {
        "type": field.type.value,
        "format": field.format,
        "precision": field.precision,
        "decimal_comma": field.decimal_comma or None,
    }
    theirs = {"format": None, "precision": None, "decimal_comma": None, **attrs}
    return mine == theirs
