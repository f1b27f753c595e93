"""Derived analysis variables, computed centrally from their declarations, one value per patient.

Each declaration's compiled closure runs per patient in dependency order (`study.derived`), reading
the variables computed before it by name: `fn(values_so_far, PatientView(...), values_so_far)`.
Only the fields the declarations read are typed (their compiled dependencies say which), so the cost
follows what the definition asks for, not the size of the CRF.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import polars as pl

from app.exports.loading import PK, Loaded
from app.forms.expr.runtime import MissingValue, PatientView, Values
from app.forms.model import CDerived, CForm, CompiledStudy
from app.forms.stored import from_stored
from app.forms.values import plain, to_text


def needed_fields(study: CompiledStudy) -> dict[str, list[str]]:
    """Per form, the fields any derived variable reads (a form only counted needs none)."""
    wanted: dict[str, set[str]] = {}
    for derived in study.derived:
        for form in derived.compiled.forms:
            wanted.setdefault(form, set())
        for form, name in derived.compiled.deps:
            if form:
                wanted.setdefault(form, set()).add(name)
    return {form: sorted(names) for form, names in wanted.items()}


def coerce(derived: CDerived, value: Any) -> Any:
    """A result in its declared type, as `forms.engine.coerce_calc` does for calculated fields."""
    if value is None:
        return None
    if isinstance(value, bool):
        return int(value)
    spec = derived.spec
    if isinstance(value, int | Decimal):
        coded_whole = spec.result in ("yesno", "choice") and value == int(value)
        if spec.result == "integer" or spec.precision == 0 or coded_whole:
            return int(Decimal(value).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        if spec.precision is not None and isinstance(value, Decimal):
            return value.quantize(Decimal(1).scaleb(-spec.precision), rounding=ROUND_HALF_UP)
        if isinstance(value, Decimal) and value.is_finite():
            return plain(value)  # no declared precision
    return value


def _typed_column(cform: CForm, name: str, texts: list[str | None]) -> list[Any]:
    """Typed values of one stored column, exactly as `forms.stored.from_stored` reads them."""
    cfield = cform.fields[name]
    missing, parse = cfield.missing_codes, cfield.parse
    if parse is None:  # a calculated field: its stored text is read by its result type
        return [None if t is None else from_stored(cform, {name: t})[name] for t in texts]
    return [None if t is None else MissingValue(t) if t in missing else parse(t) for t in texts]


def _typed_rows(study: CompiledStudy, form: str, frame: pl.DataFrame, names: list[str]) -> list[Values]:
    cform = study.forms[form]
    columns = [(name, _typed_column(cform, name, frame[name].to_list())) for name in names]
    rows: list[Values] = [{} for _ in range(frame.height)]
    for name, values in columns:
        for row, value in zip(rows, values, strict=True):
            if value is not None:
                row[name] = value
    return rows


def derived_frame(study: CompiledStudy, loaded: Loaded) -> pl.DataFrame:
    """`pk` and one text column per derived variable, for every loaded patient."""
    once: dict[str, dict[int, Values]] = {}
    repeating: dict[int, dict[str, list[Values]]] = {}
    for form, names in needed_fields(study).items():
        frame = loaded.form(study.forms[form])
        rows = _typed_rows(study, form, frame, names)
        pks = frame[PK].to_list()
        if study.forms[form].repeating:
            for pk, row in zip(pks, rows, strict=True):
                repeating.setdefault(pk, {}).setdefault(form, []).append(row)
        else:
            once[form] = dict(zip(pks, rows, strict=True))
    pks = loaded.patients[PK].to_list()
    steps = [(d.name, d.compiled.fn, d) for d in study.derived]
    results: list[Values] = []
    for pk in pks:
        view = PatientView(
            {form: rows[pk] for form, rows in once.items() if pk in rows}, repeating.get(pk, {})
        )
        computed: Values = {}
        for name, fn, derived in steps:
            value = fn(computed, view, computed)
            # Whole numbers, the usual result, need no coercion.
            computed[name] = value if value is None or value.__class__ is int else coerce(derived, value)
        results.append(computed)
    columns = {name: [_text(values[name]) for values in results] for name, _, _ in steps}
    return pl.DataFrame({PK: pks, **columns}, schema={PK: pl.Int64} | dict.fromkeys(columns, pl.String))


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return str(value) if value.__class__ is int else to_text(value)
