"""Rows of the extract gathered per patient: once-level values, repeating instances, index dates.

Calendar dates are kept as dates until every row is read (the infusion date may come later), then
turned into study days. Problems are collected, each with its file, row and column, and raised together.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from app.forms.model import CField
from app.forms.schema import FieldType
from app.pseudonymise.cells import Cell, CellError, Value, convert_cell, parse_date
from app.pseudonymise.errors import ExtractError
from app.pseudonymise.guard import Known
from app.pseudonymise.plan import Plan, Rule, TablePlan
from app.pseudonymise.profile import IdentifierKind
from app.pseudonymise.sources import RawRow


@dataclass
class Instance:
    where: str
    values: dict[str, Value] = field(default_factory=dict)
    dates: dict[str, tuple[dt.date, str]] = field(default_factory=dict)  # variable -> (date, where)
    origins: dict[str, str] = field(default_factory=dict)  # variable -> where its value came from


@dataclass
class Patient:
    key: str
    first_seen: str
    where: str | None = None  # the patient table's row
    mrn: str = ""
    infusion: dt.date | None = None
    birth: dt.date | None = None
    once: Instance = field(default_factory=lambda: Instance(""))
    repeating: dict[str, list[Instance]] = field(default_factory=dict)
    once_rows: dict[str, str] = field(default_factory=dict)  # once-level table -> its row


class Collector:
    def __init__(self, plan: Plan, known: Known) -> None:
        self.plan = plan
        self.known = known
        self.patients: dict[str, Patient] = {}
        self.errors: list[str] = []

    def add(self, row: RawRow) -> None:
        table = row.table
        key = _text(row.cells.get(table.key)) if table.key is not None else (row.parent or "")
        if not key:
            self.errors.append(
                f"{row.where}: no patient key (column '{table.key or self.plan.patient_table.key}')"
            )
            return
        patient = self.patients.setdefault(key, Patient(key, row.where))
        if table.form is None:
            first = patient.once_rows.setdefault(table.name, row.where)
            if first != row.where:
                self.errors.append(
                    f"{row.where}: a second row for the same patient in table {table.name} ({first})"
                )
                return
            instance = patient.once
        else:
            instance = Instance(row.where)
            patient.repeating.setdefault(table.form.name, []).append(instance)
        if table is self.plan.patient_table:
            patient.where = row.where
        for column, cell in row.cells.items():
            if not _blank(cell):
                self.cell(table, patient, instance, column, cell, f"{row.where}, column '{column}'")
        for cfield, value in table.constants:
            self.assign(instance, cfield, None, value, f"{row.where} (constant)")

    def cell(
        self, table: TablePlan, patient: Patient, instance: Instance, column: str, cell: Cell, where: str
    ) -> None:
        rule = table.rule_for(column)
        try:
            if rule is not None:
                self.apply(rule, instance, cell, where)
            elif column in table.patient_columns:
                self.patient_column(table.patient_columns[column], patient, cell, where)
            elif column in table.identifiers:
                self.identifier(table.identifiers[column], cell)
            elif column == table.key:
                is_mrn = column == self.plan.profile.patient.mrn
                self.known.remember(IdentifierKind.mrn if is_mrn else IdentifierKind.local_id, _text(cell))
            elif not table.is_declared(column):
                self.errors.append(f"{where}: a value in a column that table {table.name} does not use")
        except CellError as exc:
            self.errors.append(f"{where}: {exc}")

    def apply(self, rule: Rule, instance: Instance, cell: Cell, where: str) -> None:
        if rule.is_day:
            date = parse_date(cell, rule.date_format)
            if date is not None:
                self.known.remember_date(date)
                self.assign_day(instance, rule.field, date, where)
                self.also(rule, instance, where)
            return
        value = convert_cell(rule, cell, self.plan.source.decimal)
        if value is None or (rule.option is not None and value != "1"):
            return
        self.assign(instance, rule.field, rule.option, value, where)
        self.also(rule, instance, where)

    def also(self, rule: Rule, instance: Instance, where: str) -> None:
        for cfield, value in rule.also:
            self.assign(instance, cfield, None, value, where)

    def assign(
        self, instance: Instance, cfield: CField, option: str | None, value: Value, where: str
    ) -> None:
        name = cfield.name
        if option is not None or (cfield.spec.type == FieldType.multichoice and isinstance(value, tuple)):
            chosen = (option,) if option is not None else value
            before = instance.values.get(name, ())
            instance.values[name] = (*before, *(c for c in chosen if c not in before))
        elif (name in instance.values and instance.values[name] != value) or name in instance.dates:
            self.errors.append(f"{where}: {name} already has a value from {instance.origins.get(name)}")
            return
        else:
            instance.values[name] = value
        instance.origins.setdefault(name, where)

    def assign_day(self, instance: Instance, cfield: CField, date: dt.date, where: str) -> None:
        if cfield.name in instance.values or cfield.name in instance.dates:
            self.errors.append(
                f"{where}: {cfield.name} already has a value from {instance.origins.get(cfield.name)}"
            )
            return
        instance.dates[cfield.name] = (date, where)
        instance.origins[cfield.name] = where

    def patient_column(self, role: str, patient: Patient, cell: Cell, where: str) -> None:
        if role == "mrn":
            patient.mrn = _text(cell)
            self.known.remember(IdentifierKind.mrn, patient.mrn)
            if not self.plan.mrn_pattern.fullmatch(patient.mrn):
                self.errors.append(f"{where}: the MRN does not match the profile's mrn_pattern")
            return
        date = parse_date(cell, self.plan.source.date_format)
        if date is None:
            return
        if role == "infusion":
            patient.infusion = date
            self.known.remember_date(date)
        else:
            patient.birth = date
            self.known.remember_date(date, IdentifierKind.birth_date)

    def identifier(self, kind: IdentifierKind, cell: Cell) -> None:
        if isinstance(cell, dt.date):
            self.known.remember_date(cell, kind if kind == IdentifierKind.birth_date else IdentifierKind.date)
            return
        for text in cell if isinstance(cell, list) else [cell or ""]:
            self.known.remember(kind, text)
            if kind in (IdentifierKind.date, IdentifierKind.birth_date):
                try:
                    date = parse_date(text, self.plan.source.date_format)
                except CellError:
                    date = None
                if date is not None:
                    self.known.remember_date(date, kind)

    def finish(self) -> list[Patient]:
        """Every patient with study days, year of infusion and age; raise ExtractError on any problem."""
        for patient in self.patients.values():
            self.finish_patient(patient)
        if self.errors:
            raise ExtractError(self.errors)
        return list(self.patients.values())

    def finish_patient(self, patient: Patient) -> None:
        plan = self.plan
        if patient.where is None:
            self.errors.append(
                f"{patient.first_seen}: no row in table {plan.patient_table.name} for this patient"
            )
            return
        if not patient.mrn:
            self.errors.append(f"{patient.where}: no MRN (column '{plan.profile.patient.mrn}')")
        infusion = patient.infusion
        if infusion is None:
            self.errors.append(
                f"{patient.where}: no CAR-T infusion date (column '{plan.profile.patient.infusion_date}')"
            )
            return
        once = patient.once
        self.assign(once, plan.infusion_year, None, str(infusion.year), f"{patient.where} (infusion date)")
        if plan.age is not None:
            if patient.birth is None:
                self.errors.append(
                    f"{patient.where}: no date of birth (column '{plan.profile.patient.birth_date}')"
                )
            else:
                age = min(_years(patient.birth, infusion), plan.profile.patient.age_top_code)
                self.assign(once, plan.age, None, str(age), f"{patient.where} (date of birth)")
        for instance in [once, *(i for items in patient.repeating.values() for i in items)]:
            for name, (date, _) in instance.dates.items():
                instance.values[name] = str((date - infusion).days)


def _years(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _blank(cell: Cell) -> bool:
    return cell is None or cell == [] or (isinstance(cell, str) and not cell.strip())


def _text(cell: Cell) -> str:
    return cell.strip() if isinstance(cell, str) else ""
