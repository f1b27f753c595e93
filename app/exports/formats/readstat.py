"""Stata .dta and SPSS .sav, with variable labels, value labels and missing-data codes kept apart.

Missing-data codes (in the study's order: NA, UNK, ND by default) in a numeric variable become
- Stata: extended missing values `.a`, `.b`, `.c`... labelled with the code's meaning;
- SPSS: the user-missing values -99991, -99992, -99993... declared missing and labelled.
In text variables the code stays as written (SPSS also declares up to three of them user-missing).
Both formats stamp the time of writing into their header; it is set to a fixed value so that the same
data gives the same file (the manifest records when the export ran).
"""

from __future__ import annotations

import string
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd  # type: ignore[import-untyped]
import polars as pl
import pyreadstat

from app.core.errors import DomainError
from app.exports.columns import Column, Kind
from app.exports.plan import Plan
from app.exports.snapshot import Table
from app.exports.typed import typed_frame
from app.forms.labels import label_in

SPSS_MISSING_BASE = -99990
STATA_LABEL_LIMIT = 80
SPSS_LABEL_LIMIT = 255
STATA_TIMESTAMP = b"01 Jan 1970 00:00"


def stata_letter(position: int) -> str:
    return string.ascii_lowercase[position]


def spss_code(position: int) -> int:
    return SPSS_MISSING_BASE - 1 - position


def _clip(text: str, limit: int) -> str:
    encoded = text.encode("utf-8")
    return text if len(encoded) <= limit else encoded[:limit].decode("utf-8", "ignore")


def _codes(column: Column, lang: str) -> dict[Any, str]:
    return {code: label_in(labels, lang) for code, labels in column.codes}


def _missing_masks(table: Table, column: Column) -> list[tuple[int, str, np.ndarray]]:
    cells = table.frame[column.name]
    return [(i, code, (cells == code).fill_null(False).to_numpy()) for i, code in enumerate(column.missing)]


def _missing_labels(plan: Plan) -> dict[str, str]:
    study = plan.snapshot.study
    return {m.code: label_in(m.label, plan.snapshot.lang) for m in study.spec.missing_codes}


def stata_table(plan: Plan, table: Table) -> tuple[pd.DataFrame, dict[str, Any]]:
    lang, names, meanings = plan.snapshot.lang, plan.column_names("stata", table), _missing_labels(plan)
    typed, columns = typed_frame(table, with_companions=False), table.spec.columns
    data: dict[str, Any] = {}
    value_labels: dict[str, dict[Any, str]] = {}
    user_missing: dict[str, list[str]] = {}
    for column in columns:
        name = names[column.name]
        if column.kind == Kind.text:
            data[name] = typed[column.name].fill_null("").to_list()
            continue
        values = typed[column.name].cast(pl.Float64).to_numpy()
        labels = _codes(column, lang) if column.kind == Kind.integer else {}
        masks = _missing_masks(table, column)
        if masks:
            # An object column may hold the letters of extended missing values beside numbers.
            values = values.astype(object)
            user_missing[name] = [stata_letter(i) for i, _, _ in masks]
        for i, code, mask in masks:
            values[mask] = stata_letter(i)
            labels[stata_letter(i)] = meanings.get(code, code)
        data[name] = values
        if labels:
            value_labels[name] = labels
    options = {
        "column_labels": {names[c.name]: _clip(label_in(c.label, lang), STATA_LABEL_LIMIT) for c in columns},
        "variable_value_labels": value_labels,
        "missing_user_values": user_missing,
    }
    return pd.DataFrame(data), options


def _fix_stata_timestamp(path: Path) -> None:
    with path.open("r+b") as handle:
        head = handle.read(4096)
        at = head.find(b"<timestamp>")
        if at >= 0 and head[at + 11] == len(STATA_TIMESTAMP):
            handle.seek(at + 12)
            handle.write(STATA_TIMESTAMP)


def write_stata(plan: Plan, folder: Path) -> list[str]:
    title = _clip(label_in(plan.snapshot.study.spec.title, plan.snapshot.lang), STATA_LABEL_LIMIT)
    written = []
    for table in plan.snapshot.tables:
        frame, options = stata_table(plan, table)
        name = f"{table.name}.dta"
        pyreadstat.write_dta(frame, folder / name, file_label=title, version=15, **options)
        _fix_stata_timestamp(folder / name)
        written.append(name)
    return written


def spss_table(plan: Plan, table: Table) -> tuple[pd.DataFrame, dict[str, Any]]:
    lang, names, meanings = plan.snapshot.lang, plan.column_names("spss", table), _missing_labels(plan)
    typed, columns = typed_frame(table, with_companions=False), table.spec.columns
    data: dict[str, Any] = {}
    value_labels: dict[str, dict[Any, str]] = {}
    missing: dict[str, list[Any]] = {}
    measure: dict[str, str] = {}
    for column in columns:
        name = names[column.name]
        labels = _codes(column, lang)
        measure[name] = "nominal" if labels or column.kind == Kind.text else "scale"
        if column.kind == Kind.text:
            data[name] = typed[column.name].fill_null("").to_list()
            short = [code for code in column.missing if len(code.encode()) <= 8]
            # A column with no text at all (an empty table) is written as numeric: no text codes then.
            if column.missing and len(short) == len(column.missing) <= 3 and any(data[name]):
                missing[name] = short
        else:
            values = typed[column.name].cast(pl.Float64).to_numpy().copy()
            _refuse_clash(table, column, values)
            for i, code, mask in _missing_masks(table, column):
                values[mask] = spss_code(i)
                labels[spss_code(i)] = meanings.get(code, code)
            if column.missing:
                sentinels = [spss_code(i) for i in range(len(column.missing))]
                ranges = [{"lo": min(sentinels), "hi": max(sentinels)}]
                missing[name] = sentinels if len(sentinels) <= 3 else ranges
            data[name] = values
        if labels:
            value_labels[name] = labels
    options = {
        "column_labels": {names[c.name]: _clip(label_in(c.label, lang), SPSS_LABEL_LIMIT) for c in columns},
        "variable_value_labels": value_labels,
        "missing_ranges": missing,
        "variable_measure": measure,
    }
    return pd.DataFrame(data), options


def _refuse_clash(table: Table, column: Column, values: np.ndarray) -> None:
    if not column.missing:
        return
    sentinels = [spss_code(i) for i in range(len(column.missing))]
    if np.isin(values, sentinels).any():
        raise DomainError(
            f"{table.name}.{column.name} holds a value that SPSS would read as a missing-data code "
            f"({', '.join(str(s) for s in sentinels)}): export without 'spss'"
        )


def _fix_spss_timestamp(path: Path) -> None:
    # The file header's creation date (9 bytes at offset 84 + 8) and time (8 bytes after it).
    with path.open("r+b") as handle:
        handle.seek(92)
        handle.write(b"01 Jan 70" + b"00:00:00")


def write_spss(plan: Plan, folder: Path) -> list[str]:
    title = _clip(label_in(plan.snapshot.study.spec.title, plan.snapshot.lang), 64)
    written = []
    for table in plan.snapshot.tables:
        frame, options = spss_table(plan, table)
        name = f"{table.name}.sav"
        pyreadstat.write_sav(frame, folder / name, file_label=title, **options)
        _fix_spss_timestamp(folder / name)
        written.append(name)
    return written
