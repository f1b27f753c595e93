"""The tables of one export, as text exactly as CSV shows it, in a fixed order.

Every table is sorted by record_id (then instance) in code-point order, so the same data gives the
same rows on SQLite and PostgreSQL. Codes stay codes and missing-data codes stay as written; a
multiple choice is spread into its 0/1 columns and top-coding is applied here, once for every format.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
from sqlalchemy.orm import Session

from app.auth.actor import Actor
from app.exports.columns import PATIENTS, Column, Role, TableSpec, table_specs
from app.exports.derived import derived_frame
from app.exports.loading import INSTANCE, PK, Loaded, load
from app.exports.options import ExportOptions, NothingToExport, limit_text
from app.forms.model import CompiledStudy


@dataclass
class Table:
    spec: TableSpec
    frame: pl.DataFrame  # every column as text, exactly as CSV shows it

    @property
    def name(self) -> str:
        return self.spec.name


@dataclass
class Snapshot:
    study: CompiledStudy
    options: ExportOptions
    tables: list[Table]
    site_counts: dict[str, int]

    @property
    def lang(self) -> str:
        return self.options.lang or self.study.spec.languages[0]

    @property
    def patients(self) -> Table:
        return self.tables[0]


def _column_expr(column: Column) -> pl.Expr:
    source = pl.col(column.source)
    expr = source
    if column.role == Role.checkbox:
        chosen = source.str.split(",").list.contains(pl.lit(column.code))
        expr = (
            pl.when(source.is_null())
            .then(pl.lit(None, pl.String))
            .when(source.is_in(list(column.missing)))
            .then(source)
            .when(chosen)
            .then(pl.lit("1"))
            .otherwise(pl.lit("0"))
        )
    if column.top_code is not None:
        limit = column.top_code
        shown = pl.lit(limit_text(limit))
        expr = pl.when(expr.cast(pl.Float64, strict=False) > float(limit)).then(shown).otherwise(expr)
    return expr.alias(column.name)


def _with_sources(frame: pl.DataFrame, spec: TableSpec) -> pl.DataFrame:
    """Every variable the columns read, a blank column when nobody has the form."""
    absent = {c.source for c in spec.columns} - set(frame.columns)
    return frame.with_columns(pl.lit(None, pl.String).alias(name) for name in sorted(absent))


def patients_frame(study: CompiledStudy, spec: TableSpec, loaded: Loaded) -> pl.DataFrame:
    frame = loaded.patients
    for cform in study.forms.values():
        if not cform.repeating and cform.name in loaded.forms:
            frame = frame.join(loaded.forms[cform.name].drop(INSTANCE), on=PK, how="left")
    frame = frame.join(derived_frame(study, loaded), on=PK, how="left")
    frame = _with_sources(frame, spec).sort(loaded.record_field)
    return frame.select([_column_expr(c) for c in spec.columns])


def form_frame(spec: TableSpec, loaded: Loaded) -> pl.DataFrame:
    assert spec.form is not None
    rows = loaded.forms.get(spec.form)
    if rows is None:
        rows = pl.DataFrame(schema={PK: pl.Int64, INSTANCE: pl.Int64})
    frame = rows.join(loaded.patients, on=PK, how="inner").sort(loaded.record_field, INSTANCE)
    frame = _with_sources(frame.with_columns(pl.col(INSTANCE).cast(pl.String)), spec)
    return frame.select([_column_expr(c) for c in spec.columns])


def take_snapshot(session: Session, study: CompiledStudy, actor: Actor, options: ExportOptions) -> Snapshot:
    loaded = load(session, study, actor, options.sites, options.status)
    if loaded.patients.height == 0:
        raise NothingToExport("no patients to export: none match the sites and status asked for")
    specs = table_specs(study, drop_free_text=options.drop_free_text, top_code=options.top_code)
    tables = [
        Table(
            spec, patients_frame(study, spec, loaded) if spec.name == PATIENTS else form_frame(spec, loaded)
        )
        for spec in specs
    ]
    counts = dict(loaded.patients.group_by("site").len().sort("site").iter_rows())
    ordered = {s.code: counts[s.code] for s in study.spec.sites if s.code in counts}
    return Snapshot(study, options, tables, ordered)
