"""Stata .dta and SPSS .sav, with variable labels, value labels and missing-data codes kept apart.

Missing-data codes (in the study's order: NA, UNK, ND by default) in a numeric variable become
- Stata: extended missing values `.a`, `.b`, `.c`... labelled with the code's meaning;
- SPSS: the user-missing values -99991, -99992, -99993... declared missing and labelled.
In text variables the code stays as written (SPSS also declares up to three of them user-missing).
SPSS shows each numeric variable in a format of its own (`F<w>.<d>`) rather than its default F8.2.
Labels longer than a format allows are cut here, between words where possible (ReadStat would cut
anywhere, even inside a character); `shortened_labels` tells the codebook which.
Both formats stamp the time of writing into their header; it is set to a fixed value so that the same
data gives the same file (the manifest records when the export ran).
"""

from __future__ import annotations

import string
from dataclasses import dataclass
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
from app.forms.model import CompiledStudy

SPSS_MISSING_BASE = -99990
SPSS_WIDEST = 40  # SPSS shows numbers up to F40
STATA_TIMESTAMP = b"01 Jan 1970 00:00"


@dataclass(frozen=True)
class LabelLimit:
    """How long a label may be in a format: in characters, in bytes of UTF-8, or both."""

    fmt: str  # "stata" or "spss"
    kind: str  # "variable", "value" or "file"
    chars: int | None = None
    size: int | None = None

    def fit(self, text: str) -> str:
        cut = text[: self.chars] if self.chars is not None else text
        if self.size is not None:
            cut = cut.encode()[: self.size].decode("utf-8", "ignore")  # never half a character
        if cut == text:
            return text
        # End at a word when one ends in the second half: a label cut mid-word reads as a typo.
        if not text[len(cut)].isspace():
            space = cut.rfind(" ")
            if space > len(cut) // 2:
                cut = cut[:space]
        return cut.rstrip()


STATA_VARIABLE_LABEL = LabelLimit("stata", "variable", chars=80)
# ReadStat also stops a Stata file label at 256 bytes, wherever that falls.
STATA_FILE_LABEL = LabelLimit("stata", "file", chars=80, size=256)
SPSS_VARIABLE_LABEL = LabelLimit("spss", "variable", size=255)
SPSS_VALUE_LABEL = LabelLimit("spss", "value", size=120)
SPSS_FILE_LABEL = LabelLimit("spss", "file", size=64)


@dataclass(frozen=True)
class Shortened:
    limit: LabelLimit
    code: str | None = None  # the code of a shortened value label


def stata_letter(position: int) -> str:
    return string.ascii_lowercase[position]


def spss_code(position: int) -> int:
    return SPSS_MISSING_BASE - 1 - position


def _codes(column: Column, lang: str) -> dict[Any, str]:
    return {code: label_in(labels, lang) for code, labels in column.codes}


def _missing_masks(table: Table, column: Column) -> list[tuple[int, str, np.ndarray]]:
    cells = table.frame[column.name]
    return [(i, code, (cells == code).fill_null(False).to_numpy()) for i, code in enumerate(column.missing)]


def _missing_labels(plan: Plan) -> dict[str, str]:
    study = plan.snapshot.study
    return {m.code: label_in(m.label, plan.snapshot.lang) for m in study.spec.missing_codes}


def _title(plan: Plan) -> str:
    return label_in(plan.snapshot.study.spec.title, plan.snapshot.lang)


def _spss_value_labels(plan: Plan, column: Column) -> dict[str, str]:
    """Code as the study writes it -> the label `spss_table` gives it (missing-data codes included)."""
    labels = {str(code): text for code, text in _codes(column, plan.snapshot.lang).items()}
    if column.numeric:
        meanings = _missing_labels(plan)
        labels |= {code: meanings.get(code, code) for code in column.missing}
    return labels


def shortened_labels(plan: Plan, table: Table) -> dict[str, list[Shortened]]:
    """Column name -> its labels that Stata or SPSS holds shortened, for the codebook to say so."""
    found: dict[str, list[Shortened]] = {}
    for column in table.spec.columns:
        label = label_in(column.label, plan.snapshot.lang)
        checks: list[tuple[LabelLimit, str | None, str]] = []
        if "stata" in plan.formats:
            checks.append((STATA_VARIABLE_LABEL, None, label))
        if "spss" in plan.formats:
            checks.append((SPSS_VARIABLE_LABEL, None, label))
            checks += [
                (SPSS_VALUE_LABEL, code, text) for code, text in _spss_value_labels(plan, column).items()
            ]
        cuts = [Shortened(limit, code) for limit, code, text in checks if limit.fit(text) != text]
        if cuts:
            found[column.name] = cuts
    return found


def shortened_file_labels(plan: Plan) -> list[LabelLimit]:
    """The file labels (the study's title) that Stata or SPSS holds shortened."""
    title = _title(plan)
    limits = [limit for limit in (STATA_FILE_LABEL, SPSS_FILE_LABEL) if limit.fmt in plan.formats]
    return [limit for limit in limits if limit.fit(title) != title]


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
        "column_labels": {names[c.name]: STATA_VARIABLE_LABEL.fit(label_in(c.label, lang)) for c in columns},
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
    title = STATA_FILE_LABEL.fit(_title(plan))
    written = []
    for table in plan.snapshot.tables:
        frame, options = stata_table(plan, table)
        name = f"{table.name}.dta"
        pyreadstat.write_dta(frame, folder / name, file_label=title, version=15, **options)
        _fix_stata_timestamp(folder / name)
        written.append(name)
    return written


def spss_format(values: np.ndarray, decimals: int) -> str:
    """`F<w>.<d>` with w wide enough for the column's smallest and largest value (codes included).

    SPSS's default F8.2 shows codes as 1.00 and cannot show -99991 or 318765.85 at all.
    """
    finite = values[np.isfinite(values)]
    ends = [0.0, float(finite.min()), float(finite.max())] if finite.size else [0.0]
    width = max(len(f"{value:.{decimals}f}") for value in ends)
    return f"F{min(width, SPSS_WIDEST)}.{decimals}"


def _decimals(study: CompiledStudy, column: Column) -> int:
    """0 for integers and codes; for decimals the precision the definition declares, else 2."""
    if column.kind != Kind.decimal:
        return 0
    cfield = study.field(column.source)
    spec = cfield.spec if cfield else next((d.spec for d in study.derived if d.name == column.source), None)
    return 2 if spec is None or spec.precision is None else spec.precision


def spss_table(plan: Plan, table: Table) -> tuple[pd.DataFrame, dict[str, Any]]:
    lang, names, meanings = plan.snapshot.lang, plan.column_names("spss", table), _missing_labels(plan)
    typed, columns = typed_frame(table, with_companions=False), table.spec.columns
    data: dict[str, Any] = {}
    value_labels: dict[str, dict[Any, str]] = {}
    missing: dict[str, list[Any]] = {}
    measure: dict[str, str] = {}
    formats: dict[str, str] = {}
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
            sentinels = [spss_code(i) for i in range(len(column.missing))]
            if sentinels:
                ranges = [{"lo": min(sentinels), "hi": max(sentinels)}]
                missing[name] = sentinels if len(sentinels) <= 3 else ranges
            # Every code the column accepts fits, not only those in this export's rows.
            formats[name] = spss_format(np.append(values, sentinels), _decimals(plan.snapshot.study, column))
            data[name] = values
        if labels:
            value_labels[name] = {value: SPSS_VALUE_LABEL.fit(text) for value, text in labels.items()}
    options = {
        "column_labels": {names[c.name]: SPSS_VARIABLE_LABEL.fit(label_in(c.label, lang)) for c in columns},
        "variable_value_labels": value_labels,
        "missing_ranges": missing,
        "variable_measure": measure,
        "variable_format": formats,
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
    title = SPSS_FILE_LABEL.fit(_title(plan))
    written = []
    for table in plan.snapshot.tables:
        frame, options = spss_table(plan, table)
        name = f"{table.name}.sav"
        pyreadstat.write_sav(frame, folder / name, file_label=title, **options)
        _fix_spss_timestamp(folder / name)
        written.append(name)
    return written
