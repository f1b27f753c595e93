"""CSV (UTF-8, codes and missing-data codes as written) and Parquet (typed, with `__missing` companions)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from app.exports.columns import Column
from app.exports.plan import Plan
from app.exports.typed import companions, typed_frame
from app.forms.labels import label_in


def write_csv(plan: Plan, folder: Path) -> list[str]:
    written = []
    for table in plan.snapshot.tables:
        name = f"{table.name}.csv"
        table.frame.write_csv(folder / name)
        written.append(name)
    return written


def column_metadata(column: Column, lang: str) -> dict[str, Any]:
    described: dict[str, Any] = {
        "name": column.name,
        "label": label_in(column.label, lang),
        "type": column.kind,
    }
    if column.codes:
        described["values"] = {str(code): label_in(labels, lang) for code, labels in column.codes}
    if column.missing:
        described["missing_codes"] = list(column.missing)
    if column.units:
        described["units"] = column.units
    return described


def write_parquet(plan: Plan, folder: Path) -> list[str]:
    lang = plan.snapshot.lang
    written = []
    for table in plan.snapshot.tables:
        name = f"{table.name}.parquet"
        described = [column_metadata(c, lang) for c in table.spec.columns]
        described += [{"name": n, "missing_codes_of": c.source} for n, c in companions(table).items()]
        metadata = {"edc:columns": json.dumps(described, ensure_ascii=False, sort_keys=True)}
        typed_frame(table, with_companions=True).write_parquet(
            folder / name, compression="zstd", metadata=metadata
        )
        written.append(name)
    return written
