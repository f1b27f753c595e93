"""Everything the writers share: the snapshot, each format's names for tables and columns, warnings."""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from app.exports.names import SHEET, SPSS, STATA, NameRules, Rename, assign_names
from app.exports.snapshot import Snapshot, Table
from app.exports.typed import unreadable

CODEBOOK_SHEET = "codebook"
# ReadStat names a variable's value-label set after the variable plus a counter, and Stata allows 32
# characters there too: variables with value labels keep 4 characters for the counter.
STATA_LABELLED = 28


@dataclass
class Plan:
    snapshot: Snapshot
    names: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)  # format -> table -> column
    sheets: dict[str, str] = field(default_factory=dict)  # table -> sheet name
    renames: list[Rename] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    audit: pl.DataFrame = field(default_factory=pl.DataFrame)  # for ODM: the patients' audit trail

    @property
    def formats(self) -> tuple[str, ...]:
        return self.snapshot.options.formats

    def column_names(self, fmt: str, table: Table) -> dict[str, str]:
        return self.names[fmt][table.name]


def _column_names(plan: Plan, rules: NameRules) -> None:
    plan.names[rules.format] = {}
    for table in plan.snapshot.tables:
        labelled = {
            c.name: STATA_LABELLED for c in table.spec.columns if c.codes or (c.numeric and c.missing)
        }
        shorter = labelled if rules is STATA else None
        chosen, renames = assign_names(table.name, [c.name for c in table.spec.columns], rules, shorter)
        plan.names[rules.format][table.name] = chosen
        plan.renames.extend(renames)


def make_plan(snapshot: Snapshot) -> Plan:
    plan = Plan(snapshot)
    formats = snapshot.options.formats
    if "stata" in formats:
        _column_names(plan, STATA)
    if "spss" in formats:
        _column_names(plan, SPSS)
    if "xlsx" in formats:
        tables = [t.name for t in snapshot.tables]
        sheets, renames = assign_names("study.xlsx", [*tables, CODEBOOK_SHEET], SHEET)
        plan.sheets = sheets
        plan.renames.extend(renames)
    if {"parquet", "stata", "spss", "xlsx"} & set(formats):
        for table in snapshot.tables:
            plan.warnings.extend(unreadable(table))
    return plan
