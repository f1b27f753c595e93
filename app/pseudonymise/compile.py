"""A site profile checked against the study definition and turned into a `Plan`.

Every reference (variables, checkbox codes, value-map outputs, constants, the patient's columns) is
checked here, before the extract is opened; every problem is reported as `file:line: message`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from app.forms.model import CField, CompiledStudy
from app.forms.problems import Problem
from app.forms.schema import FieldType
from app.pseudonymise.errors import ProfileError
from app.pseudonymise.plan import (
    NUMBER_TYPES,
    REDCAP_DROPPED,
    TEXT_TYPES,
    Plan,
    Rule,
    TablePlan,
    accepts,
    looks_like_identifier,
    option_code,
)
from app.pseudonymise.profile import Column, LoadedProfile, Table


def build_plan(loaded: LoadedProfile, study: CompiledStudy) -> Plan:
    """Check the profile against the study; raise ProfileError listing every problem with its line."""
    return _Builder(loaded, study).build()


class _Builder:
    def __init__(self, loaded: LoadedProfile, study: CompiledStudy) -> None:
        self.loaded = loaded
        self.profile = loaded.profile
        self.study = study
        self.problems: list[Problem] = []
        self.once_fields = {
            f.name: f for form in study.forms.values() if not form.repeating for f in form.inputs
        }

    def problem(self, message: str, *loc: int | str) -> None:
        self.problems.append(self.loaded.problem(message, *loc))

    def build(self) -> Plan:
        profile = self.profile
        if profile.site not in {s.code for s in self.study.spec.sites}:
            self.problem(f"site '{profile.site}' is not one of the study's sites", "site")
        source = profile.source
        if source.row_type_column and source.kind not in ("csv", "redcap"):
            self.problem(
                "row_type_column applies to csv and redcap extracts only", "source", "row_type_column"
            )
        tables = [self.table(i, spec) for i, spec in enumerate(profile.tables)]
        self.check_table_layout(tables)
        patient = next((t for t in tables if t.name == profile.patient.table), None)
        if patient is None or patient.form is not None:
            self.problem(
                f"'{profile.patient.table}' is not a once-level table of this profile", "patient", "table"
            )
        infusion_year = self.once_variable(profile.patient.infusion_year, "infusion_year")
        age = self.once_variable(profile.patient.age, "age") if profile.patient.age else None
        if bool(profile.patient.birth_date) != bool(profile.patient.age):
            self.problem("birth_date and age go together: the age is computed from the birth date", "patient")
        if self.problems or patient is None or infusion_year is None:
            raise ProfileError(self.problems)
        roles = {profile.patient.mrn: "mrn", profile.patient.infusion_date: "infusion"}
        if profile.patient.birth_date:
            roles[profile.patient.birth_date] = "birth"
        patient.patient_columns = roles
        mrn = re.compile(profile.patient.mrn_pattern)
        return Plan(self.loaded, self.study, tables, patient, mrn, infusion_year, age)

    def once_variable(self, name: str | None, key: str) -> CField | None:
        cfield = self.once_fields.get(name or "")
        if cfield is None or cfield.spec.type != FieldType.integer:
            self.problem(f"'{name}' is not an integer variable of a once-per-patient form", "patient", key)
            return None
        return cfield

    def table(self, index: int, spec: Table) -> TablePlan:
        loc: tuple[int | str, ...] = ("tables", index)
        form = None
        fields = self.once_fields
        if spec.form is not None:
            form = self.study.forms.get(spec.form)
            if form is None or not form.repeating:
                self.problem(f"'{spec.form}' is not a repeating form of the study", *loc, "form")
                form = None
            else:
                fields = {f.name: f for f in form.inputs}
        nested = self.profile.source.kind == "jsonl" and spec.rows != ""
        key = None if nested else (spec.key or self.profile.patient.mrn)
        drop = (*self.profile.source.drop, *spec.drop)
        if self.profile.source.kind == "redcap":
            drop = (*drop, *REDCAP_DROPPED)
        same_names = spec.same_names if spec.same_names is not None else self.profile.source.kind == "redcap"
        plan = TablePlan(spec, form, key, fields, {}, dict(spec.identifiers), drop, (), same_names)
        for column, column_spec in spec.columns.items():
            if column in spec.identifiers:
                self.problem(f"'{column}' is both an identifier and a mapped column", *loc, "columns", column)
            rule = self.rule(column, column_spec, fields, (*loc, "columns", column))
            if rule is not None and rule.field.spec.type in TEXT_TYPES and looks_like_identifier(column):
                # the guard finds names only when it knows them: a name column must be declared
                self.problem(
                    f"'{column}' looks like a direct identifier: declare it under `identifiers` (it is then "
                    f"dropped), never map it to the free-text variable {rule.field.name}",
                    *loc,
                    "columns",
                    column,
                )
            if rule is not None:
                plan.rules[column] = rule
        plan.constants = tuple(self.constants(spec, fields, loc))
        self.check_targets(plan, loc)
        return plan

    def target(self, name: str, fields: dict[str, CField], loc: tuple[int | str, ...]) -> CField | None:
        cfield = fields.get(name)
        if cfield is None:
            calc = self.study.field(name)
            why = "a calculated field (never accepted as input)" if calc is not None else "not a variable"
            self.problem(f"'{name}' is {why} of this table's form(s)", *loc)
        return cfield

    def rule(
        self, column: str, spec: Column, fields: dict[str, CField], loc: tuple[int | str, ...]
    ) -> Rule | None:
        if (spec.to is None) == (spec.day is None):
            self.problem("give exactly one of `to` (a variable) or `day` (a date to a study day)", *loc)
            return None
        date_format = spec.date_format or self.profile.source.date_format
        values = self.values(spec, loc)
        also = tuple(self.also(spec, fields, loc))
        if spec.day is not None:
            cfield = self.target(spec.day, fields, (*loc, "day"))
            if cfield is not None and cfield.spec.type != FieldType.studyday:
                self.problem(f"'{spec.day}' is not a study-day variable", *loc, "day")
            if values or spec.split or spec.convert:
                self.problem("a date column takes no values, split or convert", *loc)
            return Rule(column, cfield, is_day=True, date_format=date_format, also=also) if cfield else None
        name, _, suffix = (spec.to or "").partition("___")
        cfield = self.target(name, fields, (*loc, "to"))
        if cfield is None:
            return None
        kind = cfield.spec.type
        option = option_code(cfield, suffix) if suffix else None
        if suffix and option is None:
            self.problem(f"'{spec.to}' is not a checkbox option of '{name}'", *loc, "to")
        if spec.split and (kind != FieldType.multichoice or option):
            self.problem("split applies to a multiple-choice variable given in one cell", *loc, "split")
        if (spec.convert or spec.decimals is not None) and kind not in NUMBER_TYPES:
            self.problem(f"'{name}' is not a number: convert and decimals do not apply", *loc)
        if values is not None:
            for local, code in values.items():
                # a shared map may offer a missing-data code that this field does not take: checked per cell
                if code not in self.study.missing_code_set and not accepts(cfield, code, option):
                    self.problem(f"value map: '{local}' -> '{code}' is not a code of '{spec.to}'", *loc)
        return Rule(
            column,
            cfield,
            option or None,
            False,
            values,
            spec.split,
            spec.convert,
            spec.decimals,
            date_format,
            also,
        )

    def values(self, spec: Column, loc: tuple[int | str, ...]) -> Mapping[str, str] | None:
        if spec.values is not None and spec.value_map is not None:
            self.problem("give `values` or `value_map`, not both", *loc)
        if spec.value_map is not None:
            found = self.profile.value_maps.get(spec.value_map)
            if found is None:
                self.problem(f"no value map named '{spec.value_map}' in value_maps", *loc, "value_map")
            return found
        return spec.values

    def also(
        self, spec: Column, fields: dict[str, CField], loc: tuple[int | str, ...]
    ) -> list[tuple[CField, str]]:
        found = []
        for name, value in spec.also.items():
            cfield = self.target(name, fields, (*loc, "also", name))
            if cfield is not None and not accepts(cfield, value):
                self.problem(f"'{value}' is not a code of '{name}'", *loc, "also", name)
            elif cfield is not None:
                found.append((cfield, value))
        return found

    def constants(
        self, spec: Table, fields: dict[str, CField], loc: tuple[int | str, ...]
    ) -> list[tuple[CField, str]]:
        found = []
        for name, value in spec.constants.items():
            cfield = self.target(name, fields, (*loc, "constants", name))
            if cfield is not None and not accepts(cfield, value):
                self.problem(f"'{value}' is not a code of '{name}'", *loc, "constants", name)
            elif cfield is not None:
                found.append((cfield, value))
        return found

    def check_targets(self, plan: TablePlan, loc: tuple[int | str, ...]) -> None:
        """No variable (or checkbox option) is filled by two columns of one table."""
        seen: dict[tuple[str, str | None], str] = {}
        for column, rule in plan.rules.items():
            target = (rule.field.name, rule.option)
            if target in seen:
                self.problem(
                    f"'{column}' and '{seen[target]}' both fill '{rule.field.name}'", *loc, "columns", column
                )
            seen[target] = column
        for cfield, _ in plan.constants:
            if (cfield.name, None) in seen:
                self.problem(
                    f"'{cfield.name}' is both a constant and a mapped column", *loc, "constants", cfield.name
                )

    def check_table_layout(self, tables: list[TablePlan]) -> None:
        kind = self.profile.source.kind
        names: set[str] = set()
        rows: set[str] = set()
        for i, table in enumerate(tables):
            if table.name in names:
                self.problem(f"two tables are named '{table.name}'", "tables", i, "name")
            names.add(table.name)
            single = kind == "csv" and not self.profile.source.row_type_column
            if table.spec.rows in rows and not single:
                self.problem(f"two tables read the rows '{table.spec.rows}'", "tables", i, "rows")
            rows.add(table.spec.rows)
            if kind in ("xlsx", "csv_folder") and not table.spec.rows:
                self.problem("give the sheet (xlsx) or file (csv_folder) in `rows`", "tables", i)
            if kind == "jsonl" and (table.spec.rows == "") != (table.name == self.profile.patient.table):
                self.problem(
                    "JSON lines: the patient table reads the top-level objects (rows: ''), every other "
                    "table a nested list of a repeating form",
                    "tables",
                    i,
                )
            if kind == "jsonl" and table.spec.rows and table.form is None:
                self.problem(
                    "a nested list holds the instances of a repeating form: give `form`", "tables", i
                )
        if kind == "csv" and not self.profile.source.row_type_column and len(tables) > 1:
            self.problem("several tables in one CSV need a row_type_column", "source")
