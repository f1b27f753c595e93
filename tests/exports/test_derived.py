"""Derived analysis variables of the hand-worked patients, as exported, against the values worked by hand."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest

from app.exports.derived import coerce
from app.forms.compile import load_study
from tests.exports.conftest import REPO, StudyDb
from tests.exports.patients import EXPECTED_A, EXPECTED_B, EXPECTED_C


@pytest.fixture(scope="module")
def patients(study_db: StudyDb, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    out = tmp_path_factory.mktemp("derived") / "export"
    study_db.export(out, formats=("csv",))
    with (out / "patients.csv").open(encoding="utf-8", newline="") as handle:
        rows = {row["record_id"]: row for row in csv.DictReader(handle)}
    return {name: rows[record_id] for name, record_id in study_db.records.items()}


@pytest.mark.parametrize(("patient", "expected"), [("A", EXPECTED_A), ("B", EXPECTED_B), ("C", EXPECTED_C)])
def test_derived_variables_match_the_hand_worked_values(
    patients: dict[str, dict[str, str]], patient: str, expected: dict[str, object]
) -> None:
    row = patients[patient]
    found = {name: (Decimal(row[name]) if row[name] else None) for name in expected}
    wanted = {name: (None if value is None else Decimal(str(value))) for name, value in expected.items()}
    assert found == wanted


def test_derived_variables_come_after_the_forms_in_declaration_order(
    study_db: StudyDb, tmp_path: Path
) -> None:
    study_db.export(tmp_path / "out", formats=("csv",))
    header = (tmp_path / "out" / "patients.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    declared = [d.name for d in study_db.study.spec.derived]
    assert header[:2] == ["record_id", "site"]
    assert header[-len(declared) :] == declared


def test_a_deleted_instance_is_left_out_of_tables_and_derived_values(
    study_db: StudyDb, tmp_path: Path, patients: dict[str, dict[str, str]]
) -> None:
    study_db.export(tmp_path / "out", formats=("csv",))
    with (tmp_path / "out" / "daily_assessment.csv").open(encoding="utf-8", newline="") as handle:
        days = [
            (r["instance"], r["assess_day"])
            for r in csv.DictReader(handle)
            if r["record_id"] == study_db.records["A"]
        ]
    assert days == [("1", "1"), ("2", "3")]  # instance 3 (day 5, CRS grade 4) was deleted
    assert patients["A"]["peak_crs_grade"] == "3"


def test_a_decimal_without_declared_precision_keeps_only_its_significant_digits(
    patients: dict[str, dict[str, str]],
) -> None:
    for row in patients.values():
        value = row["steroid_cum_dexeq_mg"]
        if value and "." in value:
            assert not value.endswith("0"), value  # 714.5, not 714.5000
    study = load_study(REPO / "forms")
    derived = next(d for d in study.derived if d.name == "steroid_cum_dexeq_mg")
    assert str(coerce(derived, Decimal("714.5000"))) == "714.5"
    assert str(coerce(derived, Decimal("1E+2"))) == "100"
