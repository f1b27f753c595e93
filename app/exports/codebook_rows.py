"""The export's codebook as rows: one per column of every table, with its names in each format.

Shown as the codebook sheet of `study.xlsx` and as the tables section of `codebook.html`, with each
column's notes (top-coded, Parquet's missing-data column, labels a format shortened) in the export's
language.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from app.exports.columns import Column
from app.exports.formats.readstat import Shortened, shortened_labels
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


FORMAT_NAMES = {"stata": "Stata", "spss": "SPSS"}
NOTES = {
    "en": {
        "dropped": "left out: free text (--drop-free-text)",
        "top_coded": "top-coded: values above {n} are shown as {n}",
        "parquet_missing": "Parquet: missing-data codes in {column}",
        "shortened_variable": "{fmt} variable label shortened to {limit}",
        "shortened_value": "{fmt} value label for code {code} shortened to {limit}",
        "shortened_file": "{fmt} file label (the study's title) shortened to {limit}",
        "bytes": "{n} bytes",
        "characters": "{n} characters",
    },
    "es": {
        "dropped": "omitida: texto libre (--drop-free-text)",
        "top_coded": "truncada: los valores por encima de {n} se muestran como {n}",
        "parquet_missing": "Parquet: códigos de dato ausente en {column}",
        "shortened_variable": "etiqueta de variable de {fmt} acortada a {limit}",
        "shortened_value": "etiqueta de valor de {fmt} del código {code} acortada a {limit}",
        "shortened_file": "etiqueta de archivo de {fmt} (el título del estudio) acortada a {limit}",
        "bytes": "{n} bytes",
        "characters": "{n} caracteres",
    },
}


def shortened_text(cut: Shortened, lang: str) -> str:
    """A label a format shortened, said in `lang`."""
    w = NOTES.get(lang, NOTES["en"])
    sizes = [w["characters"].format(n=cut.limit.chars)] if cut.limit.chars is not None else []
    sizes += [w["bytes"].format(n=cut.limit.size)] if cut.limit.size is not None else []
    fmt, limit = FORMAT_NAMES[cut.limit.fmt], " / ".join(sizes)
    return w[f"shortened_{cut.limit.kind}"].format(fmt=fmt, code=cut.code, limit=limit)


def _notes(plan: Plan, column: Column, dropped: bool, cuts: list[Shortened]) -> str:
    lang = plan.snapshot.lang
    w = NOTES.get(lang, NOTES["en"])
    notes = []
    if dropped:
        notes.append(w["dropped"])
    if column.top_code is not None:
        notes.append(w["top_coded"].format(n=limit_text(column.top_code)))
    if column.numeric and column.missing and "parquet" in plan.formats:
        notes.append(w["parquet_missing"].format(column=companion_name(column)))
    notes += [shortened_text(cut, lang) for cut in cuts]
    return "; ".join(notes)


def codebook_rows(plan: Plan) -> list[CodebookRow]:
    lang = plan.snapshot.lang
    rows = []
    for table in plan.snapshot.tables:
        cuts = shortened_labels(plan, table)
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
                    _notes(plan, column, dropped, cuts.get(column.name, [])),
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
