"""Values survive REDCap's flat CSV format: typed → to_row → CSV file → from_row → validate → same typed."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.forms.compile import load_study
from app.forms.engine import validate
from app.forms.expr.runtime import MissingValue
from app.forms.model import CompiledStudy
from app.forms.redcap.flat import columns, from_row, to_row

FIELDS: list[dict[str, Any]] = [
    {"name": "count_int", "type": "integer", "label": "Count", "range": {"min": -50, "max": 1000}},
    {"name": "weight_1dp", "type": "decimal", "label": "Weight", "precision": 1},
    {"name": "dose_2dp", "type": "decimal", "label": "Dose", "precision": 2, "required": True},
    {"name": "height_comma", "type": "decimal", "label": "Height", "decimal_comma": True},
    {"name": "smoker", "type": "yesno", "label": "Smoker"},
    {
        "name": "grade",
        "type": "choice",
        "label": "Grade",
        "choices": [{"code": c, "label": f"Grade {c}"} for c in (0, 1, 2, 3, 10)],
    },
    {
        "name": "arm",
        "type": "choice",
        "label": "Arm",
        "choices": [{"code": c, "label": f"Arm {c}"} for c in ("a", "B", "ctl_2")],
    },
    {
        "name": "symptoms",
        "type": "multichoice",
        "label": "Symptoms",
        "choices": [{"code": c, "label": f"Symptom {c}"} for c in (1, 2, 3, 99)],
    },
    {
        "name": "routes",
        "type": "multichoice",
        "label": "Routes",
        "choices": [{"code": c, "label": f"Route {c}"} for c in ("iv", "PO", "sc")],
    },
    {"name": "initials", "type": "text", "label": "Initials"},
    {"name": "comments", "type": "notes", "label": "Comments"},
    {"name": "visit_date", "type": "date", "label": "Visit date"},
    {"name": "visit_time", "type": "datetime", "label": "Visit time"},
    {"name": "clock", "type": "time", "label": "Clock", "format": "time_hh_mm_ss"},
    {"name": "onset_day", "type": "studyday", "label": "Onset day"},
]
MISSING_CODES = ["NA", "UNK", "ND"]


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> CompiledStudy:
    folder = tmp_path_factory.mktemp("flat_study")
    study_yaml = {
        "id": "flat",
        "title": "Flat rows",
        "version": "1.0.0",
        "record_id_field": "record_id",
        "index_event": "Day 0",
        "forms": ["visit"],
    }
    form_yaml = {"name": "visit", "label": "Visit", "fields": FIELDS}
    (folder / "study.yaml").write_text(yaml.safe_dump(study_yaml), encoding="utf-8")
    (folder / "visit.yaml").write_text(yaml.safe_dump(form_yaml, allow_unicode=True), encoding="utf-8")
    return load_study(folder)


def _decimal_text(places: int, comma: bool = False) -> st.SearchStrategy[str]:
    numbers = st.decimals(
        min_value=-10_000, max_value=10_000, places=places, allow_nan=False, allow_infinity=False
    )
    text = numbers.map(lambda d: format(d, "f"))
    return text.map(lambda t: t.replace(".", ",")) if comma else text


_text_chars = st.characters(exclude_categories=("Cs", "Cc"), include_characters="\n\r\t")
_notes = st.text(_text_chars, min_size=1, max_size=60) | st.sampled_from(
    [
        'a, b, "quoted", c',
        "line one\nline two\r\nthree",
        "naïve café – ünïcödé 日本語 🚑",
        "'single' \"double\"",
        ",",
    ]
)
_datetimes = st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2100, 12, 31)).map(
    lambda d: d.replace(microsecond=0)
)
_times = st.tuples(st.integers(0, 23), st.integers(0, 59), st.integers(0, 59)).map(
    lambda t: f"{t[0]:02d}:{t[1]:02d}:{t[2]:02d}"
)

VALUES: dict[str, st.SearchStrategy[Any]] = {
    "count_int": st.integers(-50, 1000).map(str),
    "weight_1dp": _decimal_text(1),
    "dose_2dp": _decimal_text(2),
    "height_comma": _decimal_text(3, comma=True) | _decimal_text(0),
    "smoker": st.sampled_from(["1", "0"]),
    "grade": st.sampled_from(["0", "1", "2", "3", "10"]),
    "arm": st.sampled_from(["a", "B", "ctl_2"]),
    "symptoms": st.lists(st.sampled_from([1, 2, 3, 99]), min_size=1, unique=True),
    "routes": st.lists(st.sampled_from(["iv", "PO", "sc"]), min_size=1, unique=True),
    "initials": st.text(st.characters(categories=("Lu", "Ll")), min_size=1, max_size=5),
    "comments": _notes,
    "visit_date": st.dates(dt.date(1900, 1, 1), dt.date(2100, 12, 31)).map(dt.date.isoformat),
    "visit_time": _datetimes.map(lambda d: d.isoformat(sep=" ")),
    "clock": _times,
    "onset_day": st.integers(-400, 4000).map(str),
}


def _field_value(name: str, required: bool) -> st.SearchStrategy[Any]:
    if required:
        return VALUES[name]
    return st.none() | st.sampled_from(MISSING_CODES) | VALUES[name]


_raw_records = st.fixed_dictionaries(
    {f["name"]: _field_value(f["name"], bool(f.get("required"))) for f in FIELDS}
).map(lambda values: {name: value for name, value in values.items() if value is not None})


def _identical(values: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """Type and exact text of each value: Decimal('1.50') and Decimal('1.5') must not pass as equal."""
    return {name: (type(value).__name__, repr(value)) for name, value in values.items()}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=_raw_records)
def test_values_survive_the_flat_csv_format(
    study: CompiledStudy, raw: dict[str, Any], tmp_path: Path
) -> None:
    first = validate(study, "visit", raw)
    assert first.ok, [(i.field, i.code, i.value) for i in first.errors]
    assert set(first.values) == {name for name, value in raw.items() if str(value).strip()}

    path = tmp_path / "visit.csv"
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=columns(study, "visit"))
        writer.writeheader()
        writer.writerow(to_row(study, "visit", first.values))
    with path.open(encoding="utf-8", newline="") as stream:
        (row,) = list(csv.DictReader(stream))

    second = validate(study, "visit", from_row(study, "visit", row))
    assert second.ok, [(i.field, i.code, i.value) for i in second.errors]
    assert _identical(second.values) == _identical(first.values)


def test_checkbox_columns_are_written_as_redcap_names_them(study: CompiledStudy) -> None:
    typed = validate(study, "visit", {"routes": ["PO"], "symptoms": "UNK", "dose_2dp": "1.5"}).values
    row = to_row(study, "visit", typed)
    assert {k: v for k, v in row.items() if k.startswith("routes___")} == {
        "routes___iv": "0",
        "routes___po": "1",
        "routes___sc": "0",
        "routes___na": "0",
        "routes___nd": "0",
        "routes___unk": "0",
    }
    assert row["symptoms___unk"] == "1" and row["symptoms___1"] == "0"
    assert validate(study, "visit", from_row(study, "visit", row)).values["symptoms"] == MissingValue("UNK")
    assert row["height_comma"] == ""
    assert Decimal(row["dose_2dp"]) == Decimal("1.5")


def test_a_row_of_decimal_commas_reads_back(study: CompiledStudy) -> None:
    typed = validate(study, "visit", {"height_comma": "1,75", "dose_2dp": "2"}).values
    row = to_row(study, "visit", typed)
    assert row["height_comma"] == "1,75"
    assert validate(study, "visit", from_row(study, "visit", row)).values["height_comma"] == Decimal("1.75")
