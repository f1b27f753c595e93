"""Excel workbooks (.xlsx): one sheet per table, the first row of each sheet is its header.

Read-only and streaming (openpyxl's read-only mode); date cells arrive as dates, numbers as their text.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from app.pseudonymise.cells import Cell
from app.pseudonymise.errors import ExtractError
from app.pseudonymise.plan import Plan
from app.pseudonymise.sources import Meter, RawRow, check_header


def cell_value(value: Any) -> Cell:
    if value is None or isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        text = repr(value)
        return format(Decimal(text), "f") if "e" in text else text
    return str(value)


def read_workbook(path: Path, plan: Plan, meter: Meter) -> Iterator[RawRow]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError) as exc:
        raise ExtractError([f"{path.name}: cannot be read as an Excel workbook (.xlsx): {exc}"]) from None
    try:
        missing = [t.spec.rows for t in plan.tables if t.spec.rows not in book.sheetnames]
        if missing:
            raise ExtractError(
                [
                    f"{path.name}: no sheet '{m}' (the workbook has {', '.join(book.sheetnames)})"
                    for m in missing
                ]
            )
        meter.start(path.name, sum(book[t.spec.rows].max_row or 0 for t in plan.tables) or None)
        for table in plan.tables:
            sheet = book[table.spec.rows]
            rows = sheet.iter_rows(values_only=True)
            header = [str(c).strip() if c is not None else "" for c in next(rows, ())]
            shown = f"{path.name} sheet '{table.spec.rows}'"
            check_header(header, [table], shown, plan, set())
            for number, values in enumerate(rows, start=2):
                meter.advance(1)
                cells = {h: cell_value(v) for h, v in zip(header, values, strict=False) if h}
                if any(c not in (None, "") for c in cells.values()):
                    yield RawRow(table, f"{shown} row {number}", cells)
    finally:
        book.close()
