"""The canonical upload file: REDCap's flat format, with a site pseudonym instead of a record id.

Header: record_id, redcap_repeat_instrument, redcap_repeat_instance, redcap_data_access_group (the
profile's site code on every row, so that an upload with another site's account is refused),
site_pseudonym, then every input column of every form in definition order (checkboxes as
`variable___code`, see forms/redcap/flat.py); a column two forms share (a variable of a once-form and
of a repeating form with the same name) appears once and means what the row's instrument says. One
row per patient for the once-forms, then one row per repeating instance. Calculated fields are left
out: the platform computes them.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from app.forms.expr.runtime import MissingValue
from app.forms.model import CForm, CompiledStudy
from app.forms.redcap.flat import columns, to_row
from app.forms.schema import FieldType
from app.pseudonymise.cells import Value
from app.pseudonymise.guard import OutCell
from app.pseudonymise.patients import Instance, Patient

META = [
    "record_id",
    "redcap_repeat_instrument",
    "redcap_repeat_instance",
    "redcap_data_access_group",
    "site_pseudonym",
]


@dataclass(frozen=True)
class OutRow:
    cells: dict[str, str]
    where: str  # the form and instance, as a person would look for it
    origins: dict[str, str]  # column -> where in the extract its value came from


def header(study: CompiledStudy) -> list[str]:
    names = dict.fromkeys(META)
    for cform in study.forms.values():
        inputs = {f.name for f in cform.inputs}
        names.update(dict.fromkeys(c for c in columns(study, cform.name) if c.partition("___")[0] in inputs))
    return list(names)


def _typed(cform: CForm, values: dict[str, Value]) -> dict[str, object]:
    """Values as `to_row` takes them: text, and a multiple choice as its codes (or a missing-data code)."""
    typed: dict[str, object] = {}
    for cfield in cform.inputs:
        value = values.get(cfield.name)
        if value is None:
            continue
        if cfield.spec.type == FieldType.multichoice:
            chosen = value if isinstance(value, tuple) else (value,)
            missing = [c for c in chosen if c in cfield.missing_codes]
            by_text = {str(code): code for code in cfield.codes or ()}
            typed[cfield.name] = MissingValue(missing[0]) if missing else tuple(by_text[c] for c in chosen)
        else:
            typed[cfield.name] = value
    return typed


def patient_rows(
    study: CompiledStudy, site: str, pseudonym: str, patient: Patient, names: list[str]
) -> list[OutRow]:
    once: dict[str, str] = {}
    for cform in study.forms.values():
        if not cform.repeating:
            once.update(to_row(study, cform.name, _typed(cform, patient.once.values)))
    rows = [_row(names, once, ["", "", "", site, pseudonym], "once-forms", patient.once)]
    for cform in study.forms.values():
        for number, instance in enumerate(patient.repeating.get(cform.name, []), start=1):
            cells = to_row(study, cform.name, _typed(cform, instance.values))
            meta = ["", cform.name, str(number), site, pseudonym]
            rows.append(_row(names, cells, meta, f"{cform.name} #{number}", instance))
    return rows


def _row(names: list[str], cells: dict[str, str], meta: list[str], where: str, instance: Instance) -> OutRow:
    full = dict(zip(META, meta, strict=True))
    full.update({name: cells.get(name, "") for name in names[len(META) :]})
    origins = {
        c: instance.origins[c.partition("___")[0]] for c in full if c.partition("___")[0] in instance.origins
    }
    return OutRow(full, where, origins)


def out_cells(study: CompiledStudy, rows: list[OutRow]) -> list[OutCell]:
    """Every non-blank cell, for the identifier check (the site's MRN format is looked for in free text:
    numbers and codes are checked against their ranges and code lists, MRNs themselves are always known)."""
    free_text = {
        f.name
        for form in study.forms.values()
        for f in form.inputs
        if f.spec.type in (FieldType.text, FieldType.notes)
    }
    found = []
    for number, row in enumerate(rows, start=2):
        for column, text in row.cells.items():
            if text:
                where = row.where + (f", from {row.origins[column]}" if column in row.origins else "")
                found.append(OutCell(column, text, number, where, column in free_text))
    return found


def csv_text(names: list[str], rows: list[OutRow]) -> str:
    """The whole file: `\\n` line endings, minimal quoting; written as UTF-8 without a BOM."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(names)
    writer.writerows([row.cells[name] for name in names] for row in rows)
    return buffer.getvalue()
