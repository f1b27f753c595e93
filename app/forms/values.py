"""Turning one raw value (a CSV or HTML string, or a JSON value) into a typed value, and back.

Each field gets its parser once, when the definition is compiled; a parser either returns the
typed value or raises `Invalid` with the issue code and its message parameters.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from app.forms.expr.runtime import MissingValue
from app.forms.schema import Field, FieldType


class Invalid(ValueError):
    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


Parser = Callable[[Any], Any]

_INTEGER = re.compile(r"^[+-]?\d+$")
_DECIMAL = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")

# Text formats, named as REDCap names its validation types so dictionaries travel unchanged.
TEXT_FORMATS: dict[str, str] = {
    "email": r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
    "phone": r"^\(?[2-9]\d{2}\)?[\s.\-]?[2-9]\d{2}[\s.\-]?\d{4}(\s*(x|ext\.?)\s*\d+)?$",
    "phone_australia": r"^(\(0[2-8]\)|0[2-8])\s*\d{4}\s*\d{4}$",
    "zipcode": r"^\d{5}(-\d{4})?$",
    "postalcode_australia": r"^\d{4}$",
    "postalcode_canada": r"^[A-Za-z]\d[A-Za-z]\s?\d[A-Za-z]\d$",
    "postalcode_french": r"^\d{5}$",
    "postalcode_germany": r"^\d{5}$",
    "alpha_only": r"^[A-Za-z]+$",
    "ssn": r"^\d{3}-?\d{2}-?\d{4}$",
    "mrn_10d": r"^\d{10}$",
    "mrn_generic": r"^[A-Za-z0-9\-]+$",
    "vmrn": r"^\d{1,10}$",
    "signature": r"^.*$",
}
_COMPILED_FORMATS = {name: re.compile(pattern) for name, pattern in TEXT_FORMATS.items()}
TIME_FORMATS = {
    "time": re.compile(r"^([01]\d|2[0-3]):[0-5]\d$"),
    "time_hh_mm_ss": re.compile(r"^([01]\d|2[0-3]):[0-5]\d:[0-5]\d$"),
    "time_mm_ss": re.compile(r"^[0-5]\d:[0-5]\d$"),
}


def is_empty(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and raw.strip() == "") or raw == [] or raw == ()


def _integer(raw: Any) -> int:
    if raw.__class__ is str and raw.isdigit() and raw.isascii():
        return int(raw)
    if isinstance(raw, bool):
        raise Invalid("not_integer")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float | Decimal):
        finite = raw.is_finite() if isinstance(raw, Decimal) else math.isfinite(raw)  # JSON may carry 1e400
        if finite and raw == int(raw):
            return int(raw)
        raise Invalid("not_integer")
    text = str(raw).strip()
    if (text.isascii() and text.isdigit()) or _INTEGER.match(text):
        return int(text)
    raise Invalid("not_integer")


def _decimal_parser(precision: int | None, comma: bool) -> Parser:
    def parse(raw: Any) -> Decimal:
        if isinstance(raw, bool):
            raise Invalid("not_number")
        if isinstance(raw, int):
            return Decimal(raw)
        text = repr(raw) if isinstance(raw, float) else str(raw).strip()
        if comma:
            text = text.replace(",", ".")
        if not _DECIMAL.match(text):
            if text.count(",") == 1 and _DECIMAL.match(text.replace(",", ".")):
                # A decimal comma where the field takes a point: say so rather than "not a number".
                raise Invalid("decimal_comma", suggestion=text.replace(",", "."))
            raise Invalid("not_number")
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise Invalid("not_number") from None
        if precision is not None and "." in text and len(text.rsplit(".", 1)[1]) > precision:
            raise Invalid("precision", precision=precision)
        return value

    return parse


def choice_codes(field: Field) -> tuple[int | str, ...]:
    """Codes as stored: integers when every code of the list is a whole number, else text."""
    if field.type == FieldType.yesno:
        return (1, 0)
    codes = [c.code for c in field.choices or []]
    if codes and all(_INTEGER.match(c) for c in codes):
        return tuple(int(c) for c in codes)
    return tuple(codes)


def _choice_parser(codes: tuple[int | str, ...]) -> Parser:
    lookup: dict[Any, int | str] = {}
    for code in codes:
        lookup[code] = code
        lookup[str(code)] = code
    shown = ", ".join(str(c) for c in codes)

    def parse(raw: Any) -> int | str:
        found = lookup.get(raw) if raw.__class__ is str else None
        if found is not None:
            return found
        key = raw.strip() if isinstance(raw, str) else raw
        if isinstance(key, bool) or isinstance(key, float) and math.isfinite(key) and key == int(key):
            key = int(key)
        found = lookup.get(key) if isinstance(key, int | str) else None
        if found is None:
            raise Invalid("invalid_choice", codes=shown)
        return found

    return parse


def _multichoice_parser(codes: tuple[int | str, ...]) -> Parser:
    one = _choice_parser(codes)
    order = {code: i for i, code in enumerate(codes)}

    def parse(raw: Any) -> tuple[int | str, ...]:
        if isinstance(raw, str):
            items: list[Any] = [part for part in re.split(r"[,|]", raw) if part.strip()]
        elif isinstance(raw, list | tuple | set | frozenset):
            items = list(raw)
        else:
            raise Invalid("not_list")
        chosen = {one(item) for item in items}
        return tuple(sorted(chosen, key=order.__getitem__))

    return parse


def _text_parser(field: Field) -> Parser:
    pattern = _COMPILED_FORMATS.get(field.format or "")
    limit = field.max_length

    def parse(raw: Any) -> str:
        if isinstance(raw, bool | dict | list):
            raise Invalid("not_text")
        text = raw if isinstance(raw, str) else str(raw)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate, which JSON can carry: no text can be stored from it
            raise Invalid("not_text") from None
        if limit is not None and len(text) > limit:
            raise Invalid("too_long", max_length=limit)
        if pattern is not None and not pattern.match(text.strip()):
            raise Invalid("invalid_format", format=field.format)
        return text

    return parse


def _date(raw: Any) -> dt.date:
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    try:
        return dt.date.fromisoformat(str(raw).strip())
    except ValueError:
        raise Invalid("not_date") from None


def _datetime(raw: Any) -> dt.datetime:
    if isinstance(raw, dt.datetime):
        return raw
    text = str(raw).strip()
    try:
        if len(text) < 13:
            raise ValueError(text)
        return dt.datetime.fromisoformat(text)
    except ValueError:
        raise Invalid("not_datetime") from None


def _time_parser(field: Field) -> Parser:
    pattern = TIME_FORMATS.get(field.format or "time", TIME_FORMATS["time"])

    def parse(raw: Any) -> str:
        text = str(raw).strip()
        if not pattern.match(text):
            raise Invalid("not_time")
        return text

    return parse


def parser_for(field: Field) -> Parser:
    kind = field.type
    if kind in (FieldType.integer, FieldType.studyday):
        return _integer
    if kind == FieldType.decimal:
        return _decimal_parser(field.precision, field.decimal_comma)
    if kind in (FieldType.choice, FieldType.yesno):
        return _choice_parser(choice_codes(field))
    if kind == FieldType.multichoice:
        return _multichoice_parser(choice_codes(field))
    if kind == FieldType.date:
        return _date
    if kind == FieldType.datetime:
        return _datetime
    if kind == FieldType.time:
        return _time_parser(field)
    return _text_parser(field)


def plain(value: Decimal) -> Decimal:
    """A finite decimal with only its significant digits and never in exponent form: 714.5000 is
    714.5, 1E+2 is 100 (the digits arithmetic carried are not the data's)."""
    normal = value.normalize()
    return normal.quantize(Decimal(1)) if normal == normal.to_integral() else normal


def to_text(value: Any) -> str:
    """The canonical CSV cell of a typed value: what `parser_for` reads back to the same value."""
    if value is None:
        return ""
    if isinstance(value, tuple):
        return ",".join(str(code) for code in value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="minutes" if value.second == 0 else "seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def to_json(value: Any) -> Any:
    """A typed value as JSON: numbers stay numbers, codes stay codes, dates become ISO text."""
    if isinstance(value, MissingValue):
        return str(value)
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() and "." not in str(value) else float(value)
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, dt.date):
        return to_text(value)
    return value
