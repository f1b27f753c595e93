"""One local cell turned into canonical text, as its column's rule says.

Order: blank stays blank; the value map (an unknown value is an error); a missing-data code passes;
numbers get a decimal point and their unit conversion; codes are checked against the variable.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal

from app.forms.schema import FieldType
from app.pseudonymise.plan import NUMBER_TYPES, Rule, accepts
from app.pseudonymise.profile import Conversion

# A cell as read: text, a list of texts (a JSON array), a date (an Excel date cell) or nothing.
Cell = str | list[str] | dt.date | None
# A canonical value: text, or the chosen codes of a multiple choice.
Value = str | tuple[str, ...]

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
CONVERSIONS = {
    Conversion.fahrenheit_to_celsius: lambda x: (x - 32) * 5 / 9,
    Conversion.pounds_to_kg: lambda x: x * Decimal("0.45359237"),
    Conversion.inches_to_cm: lambda x: x * Decimal("2.54"),
    Conversion.mg_dl_to_mg_l: lambda x: x * 10,
}


class CellError(ValueError):
    """A cell that cannot be converted; the message says why, the caller adds where."""


def shown_format(date_format: str) -> str:
    """`%d/%m/%Y` as people write it: DD/MM/YYYY."""
    for code, text in (("%d", "DD"), ("%m", "MM"), ("%Y", "YYYY"), ("%y", "YY"), ("%b", "Mon")):
        date_format = date_format.replace(code, text)
    return date_format


def parse_date(cell: Cell, date_format: str) -> dt.date | None:
    if cell is None:
        return None
    if isinstance(cell, dt.datetime):
        return cell.date()
    if isinstance(cell, dt.date):
        return cell
    if isinstance(cell, list):
        raise CellError("a list where a date was expected")
    text = cell.strip()
    if not text:
        return None
    try:
        return dt.datetime.strptime(text, date_format).date()
    except ValueError:
        raise CellError(f"'{text}' is not a date written {shown_format(date_format)}") from None


def convert_cell(rule: Rule, cell: Cell, decimal: str) -> Value | None:
    """The canonical value of one cell for `rule` (never a study day: see `parse_date`); None when blank."""
    if cell is None:
        return None
    if isinstance(cell, dt.date):
        raise CellError(f"a date where {rule.field.name} expects a value")
    kind = rule.field.spec.type
    if isinstance(cell, list) or (rule.split and kind == FieldType.multichoice and rule.option is None):
        items = cell if isinstance(cell, list) else cell.split(rule.split or ",")
        if kind != FieldType.multichoice or rule.option is not None:
            raise CellError(f"a list of values where {rule.field.name} takes one")
        codes = tuple(code for item in items if (code := _one(rule, item, decimal)))
        return codes or None
    text = _one(rule, cell, decimal)
    if not text:
        return None
    return (text,) if kind == FieldType.multichoice and rule.option is None else text


def _one(rule: Rule, raw: str, decimal: str) -> str:
    text = raw.strip()
    if not text:
        return ""
    if rule.values is not None:
        mapped = rule.values.get(text)
        if mapped is None:
            known = ", ".join(f"'{k}'" for k in rule.values)
            raise CellError(f"'{text}' is not in the column's value map ({known}){_mojibake_hint(text)}")
        text = mapped
    cfield = rule.field
    if text in cfield.missing_codes or not text:
        return text
    if cfield.spec.type in NUMBER_TYPES and rule.option is None:
        text = _number(rule, text, decimal)
    if not accepts(cfield, text, rule.option):
        expected = "0 or 1" if rule.option else ", ".join(str(c) for c in cfield.codes or ())
        raise CellError(f"'{text}' is not a code of {cfield.name} ({expected}): add it to the value map")
    return text


def _number(rule: Rule, text: str, decimal: str) -> str:
    if decimal == "," and "." in text:
        raise CellError(f"'{text}' has a '.' but the profile's decimal separator is ','")
    if decimal == "." and "," in text:
        raise CellError(f"'{text}' has a ',' but the profile's decimal separator is '.'")
    text = text.replace(",", ".")
    if not _NUMBER.match(text):
        raise CellError(f"'{text}' is not a number")
    places = rule.decimals if rule.decimals is not None else rule.field.spec.precision
    if rule.convert is None:
        return text
    value = CONVERSIONS[rule.convert](Decimal(text))
    if places is not None:
        value = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return format(value.normalize() if places is None else value, "f")


def _mojibake_hint(text: str) -> str:
    if "Ã" in text or "Â" in text or "\ufffd" in text:
        return " - it looks like text read with the wrong encoding: check the profile's encoding"
    return ""
