"""REDCap's flat record format for one form instance: one column per field, `var___code` per checkbox.

`to_row` writes typed values (the engine's `Result.values`, and computed values if wanted) as text;
`from_row` reads such a row, as REDCap exports it, back into raw values for `engine.validate`.
A checkbox option column is "1" when ticked, else "0"; a missing-data code given for a multiple
choice ticks a column of its own (`var___na`), as REDCap exports missing codes for checkboxes.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from app.forms.expr.runtime import MissingValue
from app.forms.model import CField, CForm, CompiledStudy
from app.forms.schema import FieldType
from app.forms.values import to_text


def option_column(name: str, code: int | str) -> str:
    """REDCap's column for one checkbox option: the code lower-cased, other characters as `_`."""
    return f"{name}___{re.sub(r'[^a-z0-9_]', '_', str(code).lower())}"


def _form(study: CompiledStudy, form: str) -> CForm:
    cform = study.forms.get(form)
    if cform is None:
        raise KeyError(f"the study has no form '{form}'")
    return cform


def option_columns(cfield: CField) -> dict[str, int | str]:
    """Column name to code, for each option and each missing-data code the field accepts."""
    columns = {option_column(cfield.name, code): code for code in cfield.codes or ()}
    for code in sorted(cfield.missing_codes):
        columns.setdefault(option_column(cfield.name, code), code)
    return columns


def _stored(cform: CForm) -> list[CField]:
    return [f for f in cform.fields.values() if f.is_input or f.spec.type == FieldType.calc]


def columns(study: CompiledStudy, form: str) -> list[str]:
    """The columns of a form's rows, in form order."""
    names: list[str] = []
    for cfield in _stored(_form(study, form)):
        names.extend(option_columns(cfield) if cfield.spec.type == FieldType.multichoice else [cfield.name])
    return names


def to_row(study: CompiledStudy, form: str, typed_values: dict[str, Any]) -> dict[str, str]:
    """One instance's typed values as REDCap's flat row (every column of the form, blanks as "")."""
    row: dict[str, str] = {}
    for cfield in _stored(_form(study, form)):
        value = typed_values.get(cfield.name)
        if cfield.spec.type == FieldType.multichoice:
            chosen = {value} if isinstance(value, MissingValue) else set(value or ())
            row.update(
                {column: "1" if code in chosen else "0" for column, code in option_columns(cfield).items()}
            )
        elif isinstance(value, Decimal) and cfield.spec.decimal_comma:
            row[cfield.name] = to_text(value).replace(".", ",")
        else:
            row[cfield.name] = to_text(value)
    return row


def from_row(study: CompiledStudy, form: str, row: dict[str, str]) -> dict[str, Any]:
    """Raw values for `engine.validate` from a flat row; other columns (record id, events) are ignored."""
    raw: dict[str, Any] = {}
    for cfield in _form(study, form).inputs:
        if cfield.spec.type == FieldType.multichoice:
            ticked = [
                code for column, code in option_columns(cfield).items() if row.get(column, "").strip() == "1"
            ]
            if ticked:
                raw[cfield.name] = ticked  # a missing-data code ticked alone: the engine reads it as the code
        elif row.get(cfield.name, "") != "":
            raw[cfield.name] = row[cfield.name]
    return raw
