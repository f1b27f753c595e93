"""Top-coding declared by the study (`top_code: 90` on age_at_infusion) and the coordinator's overrides.

Patient A is 93 at infusion, patient B 45: by default A is exported as 90, unless asked otherwise.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.exports.conftest import Api, StudyDb


def _ages(text: str) -> dict[str, str]:
    return {r["record_id"]: r["age_at_infusion"] for r in csv.DictReader(io.StringIO(text))}


def _exported_ages(study_db: StudyDb, folder: Path) -> tuple[str, str]:
    ages = _ages((folder / "patients.csv").read_text(encoding="utf-8"))
    return ages[study_db.records["A"]], ages[study_db.records["B"]]


def test_a_default_export_applies_the_study_top_code(study_db: StudyDb, tmp_path: Path) -> None:
    result = study_db.export(tmp_path / "out", formats=("csv",))
    assert _exported_ages(study_db, result.folder) == ("90", "45")
    assert result.manifest["filters"]["top_code"] == {"age_at_infusion": 90}
    codebook = (result.folder / "codebook.html").read_text(encoding="utf-8")
    assert "top-coded: values above 90 are shown as 90" in codebook
    assert "exports show values above 90 as 90 unless the coordinator asks otherwise" in codebook


@pytest.mark.parametrize(
    ("options", "age", "applied"),
    [
        ({"top_code": {"age_at_infusion": Decimal(92)}}, "92", {"age_at_infusion": 92}),
        ({"top_code": {"age_at_infusion": None}}, "93", {"age_at_infusion": None}),
        ({"study_top_codes": False}, "93", {"age_at_infusion": None}),
        (
            {"study_top_codes": False, "top_code": {"age_at_infusion": Decimal(91)}},
            "91",
            {"age_at_infusion": 91},
        ),
    ],
)
def test_the_coordinator_overrides_or_switches_off_the_study_top_code(
    study_db: StudyDb, tmp_path: Path, options: dict[str, Any], age: str, applied: dict[str, int | None]
) -> None:
    result = study_db.export(tmp_path / "out", formats=("csv",), **options)
    assert _exported_ages(study_db, result.folder) == (age, "45")
    assert result.manifest["filters"]["top_code"] == applied
    codebook = (result.folder / "codebook.html").read_text(encoding="utf-8")
    assert ("top-coded: values above" in codebook) == (applied["age_at_infusion"] is not None)


@pytest.mark.parametrize(
    ("options", "limit"),
    [
        ({}, 90),
        ({"top_code": {"age_at_infusion": Decimal("89.50")}}, 89.5),
        ({"study_top_codes": False}, None),
    ],
)
def test_the_manifest_writes_top_codes_as_numbers(
    study_db: StudyDb, tmp_path: Path, options: dict[str, Any], limit: float | None
) -> None:
    result = study_db.export(tmp_path / "out", formats=("csv",), **options)
    manifest = json.loads((result.folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["filters"]["top_code"] == {"age_at_infusion": limit}  # a number, or null when off


@pytest.mark.parametrize(
    ("args", "age"),
    [
        ([], "90"),
        (["--top-code", "age_at_infusion=none"], "93"),
        (["--no-top-code"], "93"),
        (["--no-top-code", "--top-code", "age_at_infusion=92"], "92"),
    ],
)
def test_cli_top_codes_by_default_and_as_asked(
    study_db: StudyDb, tmp_path: Path, args: list[str], age: str
) -> None:
    common = ("--user", "coordinator@exports.test", "--format", "csv", "--sites", "HCB")
    done = study_db.edc("export", "--out", "out", *common, *args, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    ages = _ages((tmp_path / "out" / "patients.csv").read_text(encoding="utf-8"))
    assert ages[study_db.records["A"]] == age


@pytest.mark.parametrize(
    ("body", "age"),
    [
        ({}, "90"),
        ({"top_code": {"age_at_infusion": None}}, "93"),
        ({"top_code": {"age_at_infusion": 91}}, "91"),
    ],
)
def test_api_top_codes_by_default_and_as_asked(
    api: Api, study_db: StudyDb, body: dict[str, Any], age: str
) -> None:
    request = {"formats": ["csv"], "sites": ["HCB"], **body}
    response = api.call("POST", "/api/v1/exports", "coordinator", json=request)
    assert response.status_code == 200, response.text
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        ages = _ages(archive.read("patients.csv").decode("utf-8"))
        manifest = json.loads(archive.read("manifest.json"))
    assert ages[study_db.records["A"]] == age
    assert manifest["filters"]["top_code"] == {"age_at_infusion": int(age) if age != "93" else None}


def test_api_describes_the_top_code_option_without_naming_a_variable(api: Api) -> None:
    openapi = api.client.app.openapi()  # type: ignore[attr-defined]
    schema = openapi["components"]["schemas"]["ExportRequest"]
    description = schema["properties"]["top_code"]["description"]
    assert "declared top-codes apply" in description and "null switches" in description
    assert '"age"' not in description
