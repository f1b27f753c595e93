"""The export's codebook as rows: one per column of every table, with its names in each format.

Shown as the codebook sheet of `study.xlsx` and as the tables section of `codebook.html`.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from app.exports.columns import Column
from app.exports.options import limit_text
from app.exports.plan import Plan
from app.exports.typed import companion_name
from app.forms.labels import label_in

HEADERS = (
    "table",
    "variable",
    "label",
    "type",
    "units",
    "values",
    "missing_codes",
    "role",
    "form",
    "definition",
    "notes",
    "stata_name",
    "spss_name",
)


@dataclass(frozen=True)
class CodebookRow:
    table: str
    column: Column
    values: str
    notes: str
    stata_name: str
    spss_name: str
    dropped: bool = False

    def cells(self, lang: str) -> tuple[str, ...]:
        c = self.column
        return (
            self.table,
            c.name,
            label_in(c.label, lang),
            c.kind.value,
            c.units or "",
            self.values,
            ", ".join(c.missing),
            c.role.value,
            c.form or "",
            label_in(c.definition, lang),
            self.notes,
            self.stata_name,
            self.spss_name,
        )


def _notes(plan: Plan, column: Column, dropped: bool) -> str:
    notes = []
    if dropped:
        notes.append("left out: free text (--drop-free-text)")
    if column.top_code is not None:
        shown = limit_text(column.top_code)
        notes.append(f"top-coded: values above {shown} are shown as {shown}")
    if column.numeric and column.missing and "parquet" in plan.formats:
        notes.append(f"Parquet: missing-data codes in {companion_name(column)}")
    return "; ".join(notes)


def codebook_rows(plan: Plan) -> list[CodebookRow]:
    lang = plan.snapshot.lang
    rows = []
    for table in plan.snapshot.tables:
        stata = plan.names.get("stata", {}).get(table.name, {})
        spss = plan.names.get("spss", {}).get(table.name, {})
        listed = [(c, False) for c in table.spec.columns] + [(c, True) for c in table.spec.dropped]
        for column, dropped in listed:
            values = "; ".join(f"{code} = {label_in(labels, lang)}" for code, labels in column.codes)
            rows.append(
                CodebookRow(
                    table.name,
                    column,
                    values,
                    _notes(plan, column, dropped),
                    "" if dropped else stata.get(column.name, ""),
                    "" if dropped else spss.get(column.name, ""),
                    dropped,
                )
            )
    return rows


def codebook_frame(plan: Plan) -> pl.DataFrame:
    lang = plan.snapshot.lang
    cells = [row.cells(lang) for row in codebook_rows(plan)]
    return pl.DataFrame(cells, schema=[(h, pl.String) for h in HEADERS], orient="row")
