"""Typed columns for the formats that have types (Parquet, Stata, SPSS).

A numeric column cannot hold "UNK". In Parquet each numeric variable that accepts missing-data codes
gets a companion text column `<variable>__missing` holding the code where the value is one (for a
multiple choice, one companion for all its 0/1 columns); Stata and SPSS use their own missing values
(see `formats/readstat.py`). Text columns keep codes as written, as in CSV.
"""

from __future__ import annotations

import polars as pl

from app.exports.columns import Column, Kind
from app.exports.snapshot import Table

MISSING_SUFFIX = "__missing"


def dtype(column: Column) -> pl.DataType:
    if column.kind == Kind.integer:
        return pl.Int64()
    if column.kind == Kind.decimal:
        return pl.Float64()
    return pl.String()


def companion_name(column: Column) -> str:
    return f"{column.source}{MISSING_SUFFIX}"


def companions(table: Table) -> dict[str, Column]:
    """Companion column name -> the last column it follows, for numeric columns that accept codes."""
    found: dict[str, Column] = {}
    for column in table.spec.columns:
        if column.numeric and column.missing:
            found[companion_name(column)] = column
    return found


def typed_frame(table: Table, *, with_companions: bool) -> pl.DataFrame:
    after = {column.name: name for name, column in companions(table).items()} if with_companions else {}
    exprs: list[pl.Expr] = []
    for column in table.spec.columns:
        cell = pl.col(column.name)
        exprs.append(cell if column.kind == Kind.text else cell.cast(dtype(column), strict=False))
        if column.name in after:
            exprs.append(pl.when(cell.is_in(list(column.missing))).then(cell).alias(after[column.name]))
    return table.frame.select(exprs)


def unreadable(table: Table) -> list[str]:
    """Cells of numeric columns that are neither a number nor an accepted missing-data code.

    The definition's parsers make these impossible for data saved under the current definition;
    data saved under an older one (a field that changed type) is reported rather than silently blanked.
    """
    checks = [
        (
            pl.col(c.name).is_not_null()
            & pl.col(c.name).cast(dtype(c), strict=False).is_null()
            & ~pl.col(c.name).is_in(list(c.missing))
        )
        .sum()
        .alias(c.name)
        for c in table.spec.columns
        if c.numeric
    ]
    if not checks:
        return []
    counts = table.frame.select(checks).row(0, named=True)
    return [
        f"{table.name}.{name}: {count} value(s) that are not numbers are left blank in typed formats"
        for name, count in counts.items()
        if count
    ]
