"""Reading an upload (CSV, JSON or Excel in REDCap's flat format) as numbered rows of text cells.

Whole-file problems (wrong encoding or delimiter, duplicate or unknown columns, a damaged or
oversized workbook) raise FileRefused before anything is stored; row problems (ragged rows) are
reported per row by the caller.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# A workbook that inflates beyond this, or by more than this ratio, is refused unopened.
MAX_XLSX_INFLATED = 1024**3
MAX_XLSX_RATIO = 200


class FileRefused(ValueError):
    """The file as a whole cannot be read; nothing was stored."""

    def __init__(self, code: str, message: str, column: str | None = None, row: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.column = column
        self.row = row


@dataclass(frozen=True)
class Row:
    number: int  # as a person counts in a spreadsheet: the header is row 1
    # The row's cells that are not empty strings, by column: an empty cell reads the same as an absent
    # one, and a row of a repeating form fills a tenth of the columns, so checks walk only what is there.
    cells: dict[str, str]
    ragged: bool = False


def kind_of(filename: str) -> str:
    suffix = Path(filename).suffix.lower()
    if suffix in (".csv", ".txt", ""):
        return "csv"
    if suffix == ".json":
        return "json"
    if suffix == ".xlsx":
        return "xlsx"
    raise FileRefused("unsupported_format", f"'{filename}': upload a .csv, .json or .xlsx file")


def read_rows(path: Path, filename: str) -> tuple[list[str], Iterator[Row]]:
    """The header and a lazy iterator of rows."""
    kind = kind_of(filename)
    if path.stat().st_size == 0:
        raise FileRefused("empty_file", "the file is empty")
    if kind == "json":
        return _json_rows(path)
    if kind == "xlsx":
        return _xlsx_rows(path)
    return _csv_rows(path)


def _check_header(header: list[str]) -> list[str]:
    header = [h.strip() for h in header]
    if not any(header):
        raise FileRefused("empty_file", "the file has no header row")
    seen: set[str] = set()
    for name in header:
        if name in seen:
            raise FileRefused("duplicate_column", f"column '{name}' appears more than once", column=name)
        seen.add(name)
    return header


def _csv_rows(path: Path) -> tuple[list[str], Iterator[Row]]:
    handle = io.TextIOWrapper(path.open("rb"), encoding="utf-8-sig", errors="strict", newline="")
    try:
        first = handle.readline()
    except UnicodeDecodeError:
        handle.close()
        raise _not_utf8(1) from None
    if "," not in first:
        for other, name in ((";", "semicolons"), ("\t", "tabs"), ("|", "bars")):
            if other in first:
                handle.close()
                raise FileRefused(
                    "wrong_delimiter", f"the columns are separated by {name}: upload a comma-separated file"
                )
    header = _check_header(next(csv.reader([first]), []))

    def rows() -> Iterator[Row]:
        number = 1
        try:
            for cells in csv.reader(handle):
                number += 1
                ragged = len(cells) != len(header)
                filled = {name: cell for name, cell in zip(header, cells, strict=False) if cell}
                # A ragged row may hold its only values past the header: it is reported, not skipped.
                if not any(c.strip() for c in (cells if ragged else filled.values())):
                    continue
                yield Row(number, filled, ragged)
        except UnicodeDecodeError:
            raise _not_utf8(number + 1) from None
        except csv.Error as exc:
            raise FileRefused("malformed_csv", f"row {number}: {exc}", row=number) from None
        finally:
            handle.close()

    return header, rows()


def _not_utf8(row: int) -> FileRefused:
    return FileRefused(
        "wrong_encoding",
        f"row {row}: the file is not UTF-8 (it may be Windows-1252 or ISO-8859-1): "
        "save it as UTF-8 and upload again",
        row=row,
    )


def _json_rows(path: Path) -> tuple[list[str], Iterator[Row]]:
    try:
        data = json.loads(path.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise _not_utf8(1) from None
    except json.JSONDecodeError as exc:
        raise FileRefused("malformed_json", f"not valid JSON: {exc.msg} at line {exc.lineno}") from None
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise FileRefused("malformed_json", "expected a JSON array of flat records (objects)")
    header: list[str] = []
    for item in data:
        header.extend(k for k in item if k not in header)
    header = _check_header(header)
    rows = (Row(i + 2, _filled(item.items())) for i, item in enumerate(data))
    return header, rows


def _filled(cells: Iterable[tuple[str, Any]]) -> dict[str, str]:
    return {name: text for name, value in cells if (text := _text(value))}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _check_zip(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
    except zipfile.BadZipFile:
        raise FileRefused(
            "damaged_xlsx", "the workbook cannot be opened: it is damaged or truncated"
        ) from None
    inflated = sum(e.file_size for e in entries)
    packed = max(1, sum(e.compress_size for e in entries))
    if inflated > MAX_XLSX_INFLATED or inflated / packed > MAX_XLSX_RATIO:
        raise FileRefused(
            "xlsx_too_large", f"the workbook would inflate to {inflated:,} bytes: refused without opening it"
        )


def _xlsx_rows(path: Path) -> tuple[list[str], Iterator[Row]]:
    from openpyxl import load_workbook

    _check_zip(path)
    try:
        book = load_workbook(path, read_only=True, data_only=False)
        sheet = book.worksheets[0]
        lines = sheet.iter_rows(values_only=True)
        header = _check_header([_text(c) for c in next(lines, ())])
    except FileRefused:
        raise
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a damaged file
        raise FileRefused("damaged_xlsx", f"the workbook cannot be read: {exc}") from None

    def rows() -> Iterator[Row]:
        try:
            for number, cells in enumerate(lines, start=2):
                texts = [_text(c) for c in cells]
                if any(t.strip() for t in texts):
                    yield Row(number, {name: text for name, text in zip(header, texts, strict=False) if text})
        finally:
            book.close()

    return header, rows()
