"""The 18 columns of a REDCap data dictionary, reading one (whatever header variant) and writing one.

REDCap has named its columns differently over the years and between the CSV download
("Variable / Field Name") and the API ("field_name"); a header is recognised by its words.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from app.forms.redcap.errors import DictionaryError

# Our key for each column, and its header as REDCap writes it today.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("name", "Variable / Field Name"),
    ("form", "Form Name"),
    ("section", "Section Header"),
    ("type", "Field Type"),
    ("label", "Field Label"),
    ("choices", "Choices, Calculations, OR Slider Labels"),
    ("note", "Field Note"),
    ("validation", "Text Validation Type OR Show Slider Number"),
    ("min", "Text Validation Min"),
    ("max", "Text Validation Max"),
    ("identifier", "Identifier?"),
    ("branching", "Branching Logic (Show field only if...)"),
    ("required", "Required Field?"),
    ("alignment", "Custom Alignment"),
    ("question_number", "Question Number (surveys only)"),
    ("matrix_group", "Matrix Group Name"),
    ("matrix_ranking", "Matrix Ranking?"),
    ("annotation", "Field Annotation"),
)
KEYS = tuple(key for key, _ in COLUMNS)
_NEEDED = ("name", "form", "type")

Row = dict[str, str]

# First match wins, so the more specific tests come first ("text validation type" before "field type").
_HEADER_RULES: tuple[tuple[str, Callable[[set[str]], bool]], ...] = (
    ("annotation", lambda w: "annotation" in w),
    ("matrix_ranking", lambda w: "matrix" in w and "ranking" in w),
    ("matrix_group", lambda w: "matrix" in w),
    ("question_number", lambda w: "question" in w),
    ("alignment", lambda w: "alignment" in w),
    ("required", lambda w: "required" in w),
    ("branching", lambda w: "branching" in w or "logic" in w),
    ("identifier", lambda w: "identifier" in w),
    ("min", lambda w: "validation" in w and bool(w & {"min", "minimum"})),
    ("max", lambda w: "validation" in w and bool(w & {"max", "maximum"})),
    ("validation", lambda w: "validation" in w or "slider" in w and "number" in w),
    ("note", lambda w: "note" in w),
    ("choices", lambda w: bool(w & {"choices", "calculations"})),
    ("label", lambda w: "label" in w),
    ("type", lambda w: "type" in w),
    ("section", lambda w: "section" in w),
    ("form", lambda w: "form" in w or "instrument" in w),
    ("name", lambda w: "variable" in w or "field" in w and "name" in w),
)


@dataclass
class Dictionary:
    rows: list[Row]
    warnings: list[str] = field(default_factory=list)


def column_key(header: str) -> str | None:
    words = set(re.sub(r"[^a-z0-9]+", " ", header.lower()).split())
    return next((key for key, matches in _HEADER_RULES if matches(words)), None)


def read_dictionary(path: Path) -> Dictionary:
    """The dictionary's rows keyed by column key, blank rows skipped. UTF-8, with or without BOM."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as stream:
            table = list(csv.reader(stream))
    except UnicodeDecodeError as exc:
        raise DictionaryError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise DictionaryError(f"{path}: cannot read: {exc}") from None
    except csv.Error as exc:
        raise DictionaryError(f"{path}: not a CSV file: {exc}") from None
    if not table:
        raise DictionaryError(f"{path}: the file is empty")
    result = Dictionary([])
    keys = _header_keys(table[0], path, result.warnings)
    for number, cells in enumerate(table[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue
        row = {key: "" for key in KEYS}
        for index, cell in enumerate(cells):
            key = keys[index] if index < len(keys) else None
            if key is not None:
                row[key] = cell.strip()
        if not row["name"]:
            result.warnings.append(f"row {number}: a row without a variable name was skipped")
            continue
        result.rows.append(row)
    if not result.rows:
        raise DictionaryError(f"{path}: the dictionary has no fields")
    return result


def _header_keys(header: list[str], path: Path, warnings: list[str]) -> list[str | None]:
    keys: list[str | None] = []
    for cell in header:
        key = column_key(cell)
        if key is None or key in keys:
            warnings.append(f"column '{cell}' is not one of REDCap's dictionary columns: ignored")
            key = None
        keys.append(key)
    missing = [key for key in _NEEDED if key not in keys]
    if missing:
        names = ", ".join(dict(COLUMNS)[key] for key in missing)
        raise DictionaryError(f"{path}: not a REDCap data dictionary: no column for {names}")
    return keys


def write_dictionary(path: Path, rows: Iterable[Row]) -> None:
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow([header for _, header in COLUMNS])
        for row in rows:
            writer.writerow([row.get(key, "") for key in KEYS])
