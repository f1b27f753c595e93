"""A synthetic patient written the way a site's extract holds it: the site profile read backwards.

For each table of the profile, each of its columns gets the local form of the patient's value: the
first local label of the value map, the unit before conversion (checked to convert back exactly), the
calendar date of a study day, the identifiers the profile declares.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from app.forms.engine import validate
from app.forms.model import CompiledStudy
from app.forms.redcap.flat import columns
from app.forms.schema import FieldType
from app.forms.values import to_text
from app.pseudonymise.cells import convert_cell
from app.pseudonymise.plan import Plan, Rule, TablePlan
from app.pseudonymise.profile import IdentifierKind
from site_exports.synthetic.cases import Case
from site_exports.synthetic.identity import Identity
from site_exports.synthetic.sites import SiteSettings

_INVERSE = {
    "fahrenheit_to_celsius": lambda c: c * 9 / 5 + 32,
    "pounds_to_kg": lambda kg: kg / Decimal("0.45359237"),
    "inches_to_cm": lambda cm: cm / Decimal("2.54"),
    "mg_dl_to_mg_l": lambda x: x / 10,
}
_ROLES = {
    IdentifierKind.name: "full",
    IdentifierKind.mrn: "mrn",
    IdentifierKind.national_id: "national_id",
    IdentifierKind.ssn: "ssn",
    IdentifierKind.phone: "phone",
    IdentifierKind.lot_number: "lot",
    IdentifierKind.local_id: "record_id",
    IdentifierKind.other: "health_card",
    IdentifierKind.date: "admission",
}


class GeneratorError(ValueError):
    pass


def _label(rule: Rule, text: str) -> str:
    if rule.values is None:
        return text
    for local, code in rule.values.items():
        if code == text:
            return local
    raise GeneratorError(f"column '{rule.column}': the value map has no local label for '{text}'")


def _unconvert(rule: Rule, value: Decimal) -> Decimal:
    assert rule.convert is not None
    raw = _INVERSE[rule.convert.value](Decimal(value))
    for places in (1, 2, 3):
        local = raw.quantize(Decimal(1).scaleb(-places))
        if convert_cell(rule, format(local, "f"), ".") == to_text(value):
            return local
    raise GeneratorError(f"column '{rule.column}': {value} does not convert back exactly")


class LocalWriter:
    """Local cell values of one patient: text, numbers, dates, lists (JSON), as the source kind keeps them."""

    def __init__(self, plan: Plan, study: CompiledStudy, settings: SiteSettings) -> None:
        self.plan = plan
        self.study = study
        self.settings = settings
        self.dates_as_objects = plan.source.kind == "xlsx"

    def date(self, date: dt.date, date_format: str) -> Any:
        return date if self.dates_as_objects else date.strftime(date_format)

    def value(self, rule: Rule, values: dict[str, Any], case: Case) -> Any:
        value = values.get(rule.field.name)
        if value is None or value == ():
            return None if rule.option is None else _label(rule, "0")
        if rule.is_day:
            return self.date(case.infusion + dt.timedelta(days=value), rule.date_format)
        kind = rule.field.spec.type
        if rule.option is not None:
            return _label(rule, "1" if rule.option in {str(c) for c in value} else "0")
        if kind == FieldType.multichoice:
            labels = [_label(rule, str(code)) for code in value]
            if self.plan.source.kind == "jsonl":
                return labels
            if len(labels) > 1 and not rule.split:
                raise GeneratorError(f"column '{rule.column}': several codes need `split`")
            return f" {rule.split} ".join(labels) if rule.split else labels[0]
        if rule.values is None and kind != FieldType.text:
            return _unconvert(rule, value) if rule.convert else value
        return _label(rule, to_text(value))

    def identifier(self, column: str, kind: IdentifierKind, ident: Identity, case: Case) -> Any:
        role = self.settings.roles.get(column) or _ROLES.get(kind, "full")
        if kind == IdentifierKind.birth_date:
            return self.date(case.birth, self.plan.source.date_format)
        found = getattr(ident, role)
        return self.date(found, self.plan.source.date_format) if isinstance(found, dt.date) else found

    def row(self, table: TablePlan, values: dict[str, Any], case: Case, ident: Identity) -> dict[str, Any]:
        row: dict[str, Any] = {}
        patient = self.plan.profile.patient
        if table.key is not None:
            row[table.key] = ident.mrn if table.key == patient.mrn else ident.record_id
        if table is self.plan.patient_table:
            row[patient.mrn] = ident.mrn
            row[patient.infusion_date] = self.date(case.infusion, self.plan.source.date_format)
            if patient.birth_date:
                row[patient.birth_date] = self.date(case.birth, self.plan.source.date_format)
        for column, kind in table.identifiers.items():
            row[column] = self.identifier(column, kind, ident, case)
        for column, rule in self._rules(table).items():
            row[column] = self.value(rule, values, case)
        for column in table.drop:
            if column in self.settings.fillers:
                row[column] = self.settings.fillers[column]
        return row

    def _rules(self, table: TablePlan) -> dict[str, Rule]:
        """The explicit rules, plus (REDCap-like extracts) every column named as a variable of the table."""
        if table.same_names:
            forms = [table.form] if table.form else [f for f in self.study.forms.values() if not f.repeating]
            for cform in forms:
                for column in columns(self.study, cform.name):
                    if not table.is_declared(column):
                        table.rule_for(column)
        return table.rules

    def computed(self, table: TablePlan, values: dict[str, Any]) -> dict[str, str]:
        """Calculated fields as a REDCap export shows them (the profile drops them)."""
        forms = [table.form] if table.form else [f for f in self.study.forms.values() if not f.repeating]
        found: dict[str, str] = {}
        for cform in forms:
            inputs = {f.name: values[f.name] for f in cform.inputs if f.name in values}
            for name, value in validate(self.study, cform.name, inputs).computed.items():
                found[name] = to_text(value)
        return found
