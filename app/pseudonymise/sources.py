"""Reading a local extract as rows of tables, whatever its format, one row at a time.

Each reader checks headers against the profile first (missing columns, columns the profile does not
know, with hints for a wrong delimiter or encoding) and then yields `RawRow`s; a row says where it is
(file, line or sheet row) so every later message can point at it.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from app.pseudonymise.cells import Cell
from app.pseudonymise.errors import ExtractError
from app.pseudonymise.plan import Plan, TablePlan


@dataclass(frozen=True)
class RawRow:
    table: TablePlan
    where: str
    cells: dict[str, Cell]
    parent: str | None = None  # nested JSON rows: the key of the enclosing patient


class Meter(Protocol):
    """Progress of reading: a bar in the terminal, nothing in tests."""

    def start(self, label: str, total: int | None) -> None: ...

    def advance(self, amount: int) -> None: ...


class NoMeter:
    def start(self, label: str, total: int | None) -> None:
        pass

    def advance(self, amount: int) -> None:
        pass


def read_extract(path: Path, plan: Plan, meter: Meter) -> Iterator[RawRow]:
    kind = plan.source.kind
    if kind == "csv_folder":
        if not path.is_dir():
            raise ExtractError([f"{path}: the profile expects a folder with one CSV file per table"])
        return _read_folder(path, plan, meter)
    if not path.is_file():
        why = "is a folder, the profile expects one file" if path.is_dir() else "no such file"
        raise ExtractError([f"{path}: {why}"])
    if kind == "xlsx":
        from app.pseudonymise.xlsx import read_workbook

        return read_workbook(path, plan, meter)
    if kind == "jsonl":
        from app.pseudonymise.jsonl import read_json_lines

        return read_json_lines(path, plan, meter)
    return _read_csv(path, plan, plan.tables, meter, plan.row_type_column)


def decoded_lines(path: Path, encoding: str, meter: Meter) -> Iterator[str]:
    """The file's lines as text, counting bytes for the progress bar; a decoding error names the line."""
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise ExtractError([f"{path}: cannot read: {exc.strerror}"]) from None
    meter.start(path.name, path.stat().st_size)
    with handle:
        for number, raw in enumerate(handle, start=1):
            meter.advance(len(raw))
            try:
                yield decoder.decode(raw)
            except UnicodeDecodeError as exc:
                raise ExtractError(
                    [
                        f"{path.name} line {number}: byte {exc.start + 1} is not {encoding} text: "
                        "check the profile's encoding"
                    ]
                ) from None


def check_header(
    header: list[str], tables: list[TablePlan], shown: str, plan: Plan, ignored: set[str]
) -> None:
    """Every column the profile names is present, and every column present is known to the profile."""
    problems = [f"{shown}: column '{c}' appears more than once" for c in _duplicates(header)]
    present = set(header)
    missing = [(t.name, c) for t in tables for c in t.expected_columns() if c not in present]
    unknown = [c for c in header if c and c not in ignored and not any(t.accounts_for(c) for t in tables)]
    if missing:
        listed = ", ".join(f"'{c}' (table {t})" for t, c in missing[:6])
        more = f" and {len(missing) - 6} more" if len(missing) > 6 else ""
        hint = _hint(header, plan)
        problems.append(f"{shown}: the header lacks the profile's column(s) {listed}{more}{hint}")
        if unknown:
            listed = ", ".join(f"'{c}'" for c in unknown[:6])
            problems.append(f"{shown}: and has {len(unknown)} column(s) the profile does not know: {listed}")
    else:
        problems.extend(
            f"{shown}: column '{c}' is not in the profile: map it (`columns`), declare it as an identifier "
            "(`identifiers`) or leave it out on purpose (`drop`)"
            for c in unknown
        )
    if problems:
        raise ExtractError(problems)


def _duplicates(header: list[str]) -> list[str]:
    return sorted({c for c in header if header.count(c) > 1})


def _hint(header: list[str], plan: Plan) -> str:
    source = plan.source
    first = header[0] if header else ""
    if first.startswith("\ufeff"):
        return " - the file starts with a byte-order mark: use encoding utf-8-sig"
    if len(header) <= 1 and source.kind in ("csv", "csv_folder", "redcap"):
        others = [d for d in ",;\t|" if d != source.delimiter and d in first]
        if others:
            return f" - the header has one column: is the delimiter right? (profile: '{source.delimiter}')"
    if any(ch in "".join(header) for ch in "ÃÂ\ufffd"):
        return f" - the header looks misread: is the encoding right? (profile: {source.encoding})"
    return ""


def _read_csv(
    path: Path, plan: Plan, tables: list[TablePlan], meter: Meter, row_type: str | None
) -> Iterator[RawRow]:
    source = plan.source
    lines = decoded_lines(path, source.encoding, meter)
    reader = csv.reader(lines, delimiter=source.delimiter)
    try:
        header = [c.strip() for c in next(reader, [])]
    except csv.Error as exc:
        raise ExtractError([f"{path.name} line 1: {exc}"]) from None
    if row_type is not None and row_type not in header:
        raise ExtractError(
            [f"{path.name}: no column '{row_type}' (the row type column){_hint(header, plan)}"]
        )
    check_header(header, tables, path.name, plan, {row_type} if row_type else set())
    by_type = {t.spec.rows: t for t in tables}
    try:
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            where = f"{path.name} line {reader.line_num}"
            if len(cells) > len(header):
                raise ExtractError([f"{where}: {len(cells)} cells but the header has {len(header)} columns"])
            row = dict(zip(header, cells, strict=False))
            table = by_type.get(row.get(row_type, "").strip()) if row_type else tables[0]
            if table is None:
                raise ExtractError(
                    [f"{where}: '{row.get(row_type or '')}' in {row_type} is not a table of the profile"]
                )
            yield RawRow(table, where, {k: v for k, v in row.items() if k != row_type})
    except csv.Error as exc:
        raise ExtractError([f"{path.name} line {reader.line_num}: {exc}"]) from None


def _read_folder(folder: Path, plan: Plan, meter: Meter) -> Iterator[RawRow]:
    for table in plan.tables:
        path = folder / table.spec.rows
        if not path.is_file():
            raise ExtractError([f"{folder}: no file '{table.spec.rows}' (table {table.name})"])
        yield from _read_csv(path, plan, [table], meter, None)
