"""One row of a REDCap data dictionary as one field of ours (its logic is translated by the importer).

Whatever the row says that has no place in our field is kept as an annotation marker
(see markers.py) and, when it changes what the field does, reported as a warning.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from app.forms.expr.types import DATE, NUM, SET, TEXT
from app.forms.redcap.choices import parse_choices
from app.forms.redcap.columns import Row
from app.forms.redcap.fieldmap import text_attributes, text_validation
from app.forms.redcap.logic import Variable
from app.forms.redcap.markers import LAYOUT_COLUMNS, join_markers
from app.forms.schema import Field

_NOT_INPUT = {"calc", "descriptive", "unsupported"}
_CHARLIMIT = re.compile(r"@CHARLIMIT\s*=\s*['\"]?(\d+)")
_SLIDER_RANGE = (0, 100)
# Keys in the schema's order, which is the documentation's; the annotation comes last.
_KEY_ORDER = [key for key in Field.model_fields if key != "annotation"]


@dataclass
class Converted:
    """A field as it will be written, and what the conversion could not keep."""

    spec: dict[str, Any]
    markers: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    annotation: str = ""
    origins: dict[str, str] = field(default_factory=dict)  # the REDCap text of `calc` and `show_if`

    def finish(self) -> dict[str, Any]:
        """The spec with the annotation and its markers, keys in a readable order."""
        spec = {key: self.spec[key] for key in _KEY_ORDER if key in self.spec}
        annotation = join_markers(self.annotation, self.markers)
        if annotation:
            spec["annotation"] = annotation
        return spec

    def drop_logic(self, attr: str, reason: str) -> None:
        """Keep the field without the logic; the original goes into the annotation for the way back."""
        original = self.origins[attr]
        self.spec.pop(attr, None)
        if attr == "calc":
            self.spec.update({"type": "unsupported", "unsupported_type": "calc"})
            self.markers["calculation"] = original
            self.warnings.append(f"calculation not imported ({reason}): {original}")
        else:
            self.markers["branching logic"] = original
            self.warnings.append(
                f"branching logic not imported, the field always shows ({reason}): {original}"
            )


def convert_row(row: Row) -> Converted:
    name = row["name"]
    spec: dict[str, Any] = {"name": name, "type": "text", "label": row["label"] or name}
    result = Converted(spec, annotation=row["annotation"])
    if not row["label"]:
        result.warnings.append("no label: the variable name is used")
    _set_type(row, result)
    spec = result.spec
    if row["section"]:
        spec["section"] = row["section"]
    if row["note"]:
        spec["help"] = row["note"]
    if row["identifier"].lower() == "y":
        spec["identifier"] = True
    if row["required"].lower() == "y":
        if spec["type"] not in _NOT_INPUT:
            spec["required"] = True
        else:
            result.markers["required"] = "y"
    _set_bounds(row, result)
    for key, marker in LAYOUT_COLUMNS.items():
        if row[key]:
            result.markers[marker] = row[key]
    for tag in ("@CALCTEXT", "@CALCDATE"):
        if tag in row["annotation"].upper():
            result.warnings.append(f"action tag {tag} is not supported: imported as a field to enter")
    return result


def _set_type(row: Row, result: Converted) -> None:
    kind, validation, spec = row["type"].lower(), row["validation"], result.spec
    if kind == "text":
        attrs = text_attributes(validation.lower())
        if attrs is None:
            result.warnings.append(f"validation '{validation}' has no equivalent: imported as plain text")
            attrs = {"type": "text"}
        spec.update(attrs)
        # A marker only for what the exporter would not write back by itself (`date_dmy`, an unknown name).
        written_back, _ = text_validation(Field.model_validate({**spec, "name": "x", "label": "-"}))
        if validation and written_back != validation:
            result.markers["validation"] = validation
        _set_max_length(row, spec)
        return
    if kind == "notes":
        spec["type"] = "notes"
        _set_max_length(row, spec)
    elif kind in ("dropdown", "radio", "checkbox"):
        spec["type"] = "multichoice" if kind == "checkbox" else "choice"
        if kind != "checkbox":
            spec["widget"] = kind
        spec["choices"] = _choices(row, result)
    elif kind in ("yesno", "truefalse"):
        spec["type"] = "yesno"
        if kind == "truefalse":
            spec["widget"] = "truefalse"
            result.markers["codes"] = "1 = True, 0 = False"
    elif kind == "calc":
        spec["type"] = "calc"
    elif kind == "slider":
        spec.update({"type": "integer", "widget": "slider"})
        if row["choices"]:
            result.markers["slider labels"] = row["choices"]
    elif kind == "descriptive":
        spec["type"] = "descriptive"
    else:
        spec.update({"type": "unsupported", "unsupported_type": kind or "(blank)"})
        result.warnings.append(f"a REDCap '{kind}' field has no equivalent: kept as an unsupported field")
        if row["choices"]:
            result.markers["choices"] = row["choices"]
    if validation:
        result.markers["validation"] = validation


def _set_max_length(row: Row, spec: dict[str, Any]) -> None:
    limit = _CHARLIMIT.search(row["annotation"])
    if limit and spec["type"] in ("text", "notes"):
        spec["max_length"] = int(limit.group(1))


def _choices(row: Row, result: Converted) -> list[dict[str, Any]]:
    pairs, warnings = parse_choices(row["choices"])
    result.warnings.extend(warnings)
    if not pairs:
        result.warnings.append("no choices could be read")
    codes = [code for code, _ in pairs]
    if all(re.fullmatch(r"[+-]?\d+", c) for c in codes) and any(str(int(c)) != c for c in codes):
        result.warnings.append(
            f"codes {', '.join(codes)} are stored as whole numbers: leading zeros are lost"
        )
    return [{"code": _yaml_code(code), "label": label} for code, label in pairs]


def _yaml_code(code: str) -> int | str:
    return int(code) if re.fullmatch(r"-?\d+", code) and str(int(code)) == code else code


def _set_bounds(row: Row, result: Converted) -> None:
    spec = result.spec
    bounds: dict[str, Any] = {}
    for side in ("min", "max"):
        text = row[side]
        value = _bound(text, spec, result) if text else None
        if value is not None:
            bounds[side] = value
        elif text:
            result.markers[side] = text
            result.warnings.append(f"{side} '{text}' means nothing for a {spec['type']} field: not checked")
    if spec.get("widget") == "slider":
        low, high = _SLIDER_RANGE
        spec["range"] = {"min": bounds.get("min", low), "max": bounds.get("max", high)}
    elif bounds:
        # REDCap's min and max only warn, unless the field carries the @FORCE-MINMAX action tag.
        hard = "@FORCE-MINMAX" in row["annotation"].upper()
        spec["range" if hard else "soft_range"] = bounds


def _bound(text: str, spec: dict[str, Any], result: Converted) -> Any:
    if spec["type"] in ("integer", "decimal"):
        return _number(text.replace(",", ".") if spec.get("decimal_comma") else text)
    if spec["type"] in ("date", "datetime"):
        return _date(text, result)
    return None


def _number(text: str) -> int | float | None:
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    if not value.is_finite():
        return None
    return int(value) if value == value.to_integral_value() else float(text)


def _date(text: str, result: Converted) -> str | None:
    if text.lower() in ("today", "now"):
        return "today"
    day, _, clock = text.partition(" ")
    try:
        dt.date.fromisoformat(day)
    except ValueError:
        return None
    if clock.strip() and clock.strip() not in ("00:00", "00:00:00"):
        result.warnings.append(f"bound '{text}': only the day is checked, not the time of day")
    return day


def variable_of(spec: dict[str, Any], form: str) -> Variable:
    """How expressions see a converted field."""
    kind = spec["type"]
    codes = tuple(str(c["code"]) for c in spec.get("choices", []))
    if kind == "yesno":
        return Variable(spec["name"], form, NUM, ("1", "0"))
    if kind == "choice":
        numeric = all(re.fullmatch(r"[+-]?\d+", c) for c in codes)
        return Variable(spec["name"], form, NUM if numeric else TEXT, codes)
    if kind == "multichoice":
        return Variable(spec["name"], form, SET, codes)
    simple = {
        "integer": NUM,
        "decimal": NUM,
        "calc": NUM,
        "date": DATE,
        "datetime": DATE,
        "text": TEXT,
        "notes": TEXT,
        "time": TEXT,
    }
    return Variable(spec["name"], form, simple.get(kind, ""))
