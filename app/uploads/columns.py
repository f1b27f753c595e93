"""What each column of an upload means: a variable, a checkbox option, a form status, or metadata.

Unknown columns refuse the whole file, and columns or values that look like direct identifiers
(names, record numbers, national IDs, calendar dates) refuse it with the column named.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from app.forms.identifiers import identifier_in
from app.forms.model import CField, CompiledStudy
from app.forms.redcap.flat import option_columns
from app.forms.schema import FieldType
from app.uploads.reader import FileRefused

META = (
    "record_id",
    "site_pseudonym",
    "redcap_repeat_instrument",
    "redcap_repeat_instance",
    "redcap_data_access_group",
    "redcap_event_name",
)
_IDENTIFIER_NAME = re.compile(
    r"(^|_)(name|names|nombre|nom|apellidos?|cognoms?|surname|first_?name|last_?name|mrn|nhc|historia|"
    r"dni|nie|nif|ssn|dob|birth|birthdate|nacimiento|naixement|address|direccion|phone|telefono|email)($|_)",
    re.IGNORECASE,
)


@dataclass
class FormColumns:
    """The columns of one form that the file carries, field by field."""

    fields: dict[str, list[str]] = field(default_factory=dict)
    status: str | None = None
    # A checkbox column of the file (as spelled there) to the option code it ticks.
    codes: dict[str, int | str] = field(default_factory=dict)


@dataclass
class Layout:
    header: list[str]
    forms: dict[str, FormColumns]
    checked_for_identifiers: frozenset[str]
    # Calculated variables, as a REDCap export carries them: read past, since the platform computes them.
    ignored: tuple[str, ...] = ()

    def owners(self) -> dict[str, list[str]]:
        """Each data column (fields and form status) to the forms it belongs to: a variable may share
        its name with one of another form, its values told apart by the row they stand on."""
        owners: dict[str, list[str]] = {}
        for form, columns in self.forms.items():
            for names in columns.fields.values():
                for name in names:
                    owners.setdefault(name, []).append(form)
            if columns.status is not None:
                owners.setdefault(columns.status, []).append(form)
        return owners


def _columns_of(cfield: CField) -> dict[str, int | str | None]:
    """Each column of the field, with the option code of a checkbox column (None for a plain one)."""
    if cfield.spec.type == FieldType.multichoice:
        return dict(option_columns(cfield))
    return {cfield.name: None}


def layout(study: CompiledStudy, header: list[str]) -> Layout:
    known: dict[str, list[tuple[str, str, int | str | None]]] = {}
    for cform in study.forms.values():
        for cfield in cform.inputs:
            for column, code in _columns_of(cfield).items():
                known.setdefault(column, []).append((cform.name, cfield.name, code))
    calculated = {
        f.name
        for cform in study.forms.values()
        for f in cform.fields.values()
        if f.spec.type == FieldType.calc
    }
    forms: dict[str, FormColumns] = {}
    unknown: list[str] = []
    ignored: list[str] = []
    for column in header:
        if column in META:
            continue
        owners = known.get(column) or known.get(column.lower())
        if not owners and (column in calculated or column.lower() in calculated):
            ignored.append(column)  # only when no input of another form has the same name
            continue
        if column.endswith("_complete") and column[: -len("_complete")] in study.forms:
            forms.setdefault(column[: -len("_complete")], FormColumns()).status = column
            continue
        if not owners:
            unknown.append(column)
            continue
        for form, name, code in owners:
            columns = forms.setdefault(form, FormColumns())
            columns.fields.setdefault(name, []).append(column)
            if code is not None:
                columns.codes[column] = code
    for column in unknown:
        if _IDENTIFIER_NAME.search(column):
            raise FileRefused(
                "identifier_column",
                f"column '{column}' looks like a direct identifier: remove it (run the "
                "pseudonymisation step) and upload again; nothing was stored",
                column=column,
            )
    if unknown:
        shown = ", ".join(f"'{c}'" for c in unknown)
        raise FileRefused(
            "unknown_columns",
            f"unknown column(s) {shown}: not variables of study {study.spec.id}",
            column=unknown[0],
        )
    if "record_id" not in header and "site_pseudonym" not in header:
        raise FileRefused("no_patient_column", "the file needs a record_id or a site_pseudonym column")
    refused = study.spec.privacy.refuse_identifiers
    for cform in study.forms.values():
        for cfield in cform.inputs:
            if (
                refused
                and cfield.spec.identifier
                and cfield.name in forms.get(cform.name, FormColumns()).fields
            ):
                raise FileRefused(
                    "identifier_column",
                    f"column '{cfield.name}' is a direct identifier, which "
                    "this study does not accept; nothing was stored",
                    column=cfield.name,
                )
    textual = [c for c in header if c not in META or c == "site_pseudonym"]
    return Layout(header, forms, frozenset(c for c in textual if not _date_column(study, c)), tuple(ignored))


def _date_column(study: CompiledStudy, column: str) -> bool:
    cfield = study.field(column)
    return cfield is not None and cfield.spec.type in (FieldType.date, FieldType.datetime)


def check_identifier_values(layout_: Layout, row_number: int, cells: dict[str, str]) -> None:
    checked = layout_.checked_for_identifiers
    # Most cells are short or empty: walk the row's cells, not the (hundreds of) checked columns.
    for column, value in cells.items():
        if column not in checked:
            continue
        what = identifier_in(value)
        if what is not None:
            raise FileRefused(
                "identifier_value",
                f"row {row_number}, column '{column}': the value looks "
                f"like {what['en']}; direct identifiers never leave the site, nothing was stored",
                column=column,
                row=row_number,
            )
