"""JSON lines: one object per patient, nested objects flattened to dotted names (`infusion.date`),
nested lists of objects read as the rows of a table (`rows: events.tocilizumab`)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from app.pseudonymise.cells import Cell
from app.pseudonymise.errors import ExtractError
from app.pseudonymise.plan import Plan, TablePlan
from app.pseudonymise.sources import Meter, RawRow, decoded_lines
from app.pseudonymise.xlsx import cell_value


def _flatten(obj: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def _cell(value: Any) -> Cell:
    if isinstance(value, list):
        return [text for item in value if isinstance(text := cell_value(item), str)]
    return cell_value(value)


def _cells(
    table: TablePlan, obj: Any, where: str, tables: set[str]
) -> tuple[dict[str, Cell], dict[str, Any]]:
    if not isinstance(obj, dict):
        raise ExtractError([f"{where}: expected an object"])
    cells: dict[str, Cell] = {}
    lists: dict[str, Any] = {}
    unknown = []
    for key, value in _flatten(obj).items():
        if key in tables:
            lists[key] = value
        elif isinstance(value, list) and any(isinstance(item, dict) for item in value):
            unknown.append(f"{where}: '{key}' is a list of objects that is not a table of the profile")
        elif table.accounts_for(key):
            cells[key] = _cell(value)
        else:
            unknown.append(
                f"{where}: '{key}' is not in the profile (table {table.name}): map it, declare it as an "
                "identifier or leave it out on purpose (`drop`)"
            )
    if unknown:
        raise ExtractError(unknown)
    return cells, lists


def read_json_lines(path: Path, plan: Plan, meter: Meter) -> Iterator[RawRow]:
    top = plan.patient_table
    nested = {t.spec.rows: t for t in plan.tables if t.spec.rows}
    seen: dict[str, set[str]] = {t.name: set() for t in plan.tables}
    for number, line in enumerate(decoded_lines(path, plan.source.encoding, meter), start=1):
        if not line.strip():
            continue
        where = f"{path.name} line {number}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ExtractError([f"{where}: not valid JSON ({exc.msg}, column {exc.colno})"]) from None
        cells, lists = _cells(top, obj, where, set(nested))
        seen[top.name].update(cells)
        yield RawRow(top, where, cells)
        key = cells.get(top.key or "")
        for rows, table in nested.items():
            items = lists.get(rows) or []
            if not isinstance(items, list):
                raise ExtractError([f"{where}: '{rows}' is not a list"])
            for index, item in enumerate(items, start=1):
                item_where = f"{where}, {rows}[{index}]"
                item_cells, _ = _cells(table, item, item_where, set())
                seen[table.name].update(item_cells)
                yield RawRow(table, item_where, item_cells, key if isinstance(key, str) else "")
    never = [
        f"{path.name}: column '{c}' (table {t.name}) never appears in the extract"
        for t in plan.tables
        if seen[t.name]
        for c in t.expected_columns()
        if c not in seen[t.name]
    ]
    if never:
        raise ExtractError(never)
