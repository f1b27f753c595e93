"""Writing local rows in each site's file shape: one CSV (rows typed by a column), a folder of CSV files,
a REDCap export, an Excel workbook (one sheet per table) or JSON lines. Byte-identical on every run."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

from app.forms.model import CompiledStudy
from app.forms.redcap.flat import columns
from app.pseudonymise.plan import Plan, TablePlan

# One patient's rows: (table, local row, instance number)
PatientRows = list[tuple[TablePlan, dict[str, Any], int]]


def _text(value: Any, decimal: str) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal | int | float):
        return str(value).replace(".", decimal)
    return str(value)


def _table_columns(plan: Plan, patients: list[PatientRows]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for rows in patients:
        for table, row, _ in rows:
            found.setdefault(table.name, list(row))
    missing = [t.name for t in plan.tables if t.name not in found]
    if missing:
        raise ValueError(f"no synthetic rows for table(s) {missing}: every table needs at least one")
    return found


def _write_csv(path: Path, plan: Plan, header: list[str], rows: list[dict[str, Any]], line_end: str) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=plan.source.delimiter, lineterminator=line_end)
    writer.writerow(header)
    writer.writerows([_text(row.get(c), plan.source.decimal) for c in header] for row in rows)
    path.write_bytes(buffer.getvalue().encode(plan.source.encoding))


def write_single_csv(path: Path, plan: Plan, patients: list[PatientRows], line_end: str) -> None:
    by_table = _table_columns(plan, patients)
    row_type = plan.row_type_column
    header = [row_type] if row_type else []
    for table in plan.tables:
        header.extend(c for c in by_table[table.name] if c not in header)
    rows = [
        {**row, **({row_type: table.spec.rows} if row_type else {})} for p in patients for table, row, _ in p
    ]
    _write_csv(path, plan, header, rows, line_end)


def write_redcap(path: Path, plan: Plan, study: CompiledStudy, patients: list[PatientRows]) -> None:
    present = {c for rows in patients for _, row, _ in rows for c in row}
    header = ["record_id", "redcap_repeat_instrument", "redcap_repeat_instance"]
    first = next(row for rows in patients for table, row, _ in rows if table is plan.patient_table)
    variables = {f.name for form in study.forms.values() for f in form.fields.values()}
    header.extend(
        c
        for c in first
        if c not in header and "___" not in c and c not in variables and not c.endswith("_complete")
    )
    for form in study.forms:
        header.extend(c for c in columns(study, form) if c in present and c not in header)
        header.append(f"{form}_complete")
    rows = []
    for patient in patients:
        for table, row, number in patient:
            meta = {
                "redcap_repeat_instrument": table.spec.rows,
                "redcap_repeat_instance": number if table.form else "",
            }
            rows.append({**row, **meta})
    _write_csv(path, plan, header, rows, "\n")


def write_folder(folder: Path, plan: Plan, patients: list[PatientRows], line_end: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    by_table = _table_columns(plan, patients)
    for table in plan.tables:
        rows = [row for p in patients for t, row, _ in p if t is table]
        _write_csv(folder / table.spec.rows, plan, by_table[table.name], rows, line_end)


def _excel_format(date_format: str) -> str:
    return date_format.replace("%d", "dd").replace("%m", "mm").replace("%Y", "yyyy")


def write_workbook(path: Path, plan: Plan, patients: list[PatientRows]) -> None:
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    by_table = _table_columns(plan, patients)
    for table in plan.tables:
        sheet = book.create_sheet(table.spec.rows)
        header = by_table[table.name]
        sheet.append(header)
        for p in patients:
            for t, row, _ in p:
                if t is table:
                    sheet.append(
                        [float(v) if isinstance(v, Decimal) else v for v in (row.get(c) for c in header)]
                    )
        for cells in sheet.iter_rows(min_row=2):
            for cell in cells:
                if isinstance(cell.value, dt.date):
                    cell.number_format = _excel_format(plan.source.date_format)
    buffer = io.BytesIO()
    book.save(buffer)
    path.write_bytes(_fixed_zip(buffer.getvalue()))


def _fixed_zip(data: bytes) -> bytes:
    """The same workbook with fixed timestamps, so that regenerating it changes no byte."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for entry in source.infolist():
            content = source.read(entry.filename)
            if entry.filename == "docProps/core.xml":
                text = re.sub(
                    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", "2024-01-15T09:00:00Z", content.decode()
                )
                content = text.encode()
            info = zipfile.ZipInfo(entry.filename, date_time=(2024, 1, 15, 9, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(info, content)
    return out.getvalue()


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() and "." not in str(value) else float(value)
    if value in ("true", "false"):
        return value == "true"
    return value


def _nest(row: dict[str, Any]) -> dict[str, Any]:
    nested: dict[str, Any] = {}
    for key, value in row.items():
        *parents, leaf = key.split(".")
        node = nested
        for parent in parents:
            node = node.setdefault(parent, {})
        node[leaf] = _json_value(value)
    return nested


def write_json_lines(path: Path, plan: Plan, patients: list[PatientRows]) -> None:
    lines = []
    for rows in patients:
        top = _nest(next(row for table, row, _ in rows if table is plan.patient_table))
        flat_lists: dict[str, list[dict[str, Any]]] = {}
        for table, row, _ in rows:
            if table is not plan.patient_table:
                flat_lists.setdefault(table.spec.rows, []).append(_nest(row))
        for table in plan.tables:
            if table.spec.rows:
                *parents, leaf = table.spec.rows.split(".")
                node = top
                for parent in parents:
                    node = node.setdefault(parent, {})
                node[leaf] = flat_lists.get(table.spec.rows, [])
        lines.append(json.dumps(top, ensure_ascii=False))
    path.write_bytes(("\n".join(lines) + "\n").encode(plan.source.encoding))
