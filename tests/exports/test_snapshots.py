"""Reproducible, audited snapshots, and the filters and sharing options that shape them."""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path

import polars as pl
from sqlalchemy import select

from app.models import AuditEvent
from tests.exports.conftest import StudyDb


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_two_exports_of_unchanged_data_are_byte_identical(study_db: StudyDb, tmp_path: Path) -> None:
    first = study_db.export(tmp_path / "first")
    second = study_db.export(tmp_path / "second")
    data = {name: digest for name, digest in first.files.items() if name != "manifest.json"}
    assert data == {name: digest for name, digest in second.files.items() if name != "manifest.json"}
    assert len(data) == 29


def test_an_export_is_audited_with_its_filters_and_file_hashes(study_db: StudyDb, tmp_path: Path) -> None:
    result = study_db.export(tmp_path / "out", formats=("csv",), sites=("HCB",))
    with study_db.sessions() as session:
        event = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).one()
    assert (event.action, event.actor, event.record_id) == ("export", "coordinator@exports.test", None)
    change = event.changes[0]
    assert change["filters"]["sites"] == ["HCB"] and change["patients"]["total"] == 2
    assert change["files"] == {k: v for k, v in result.files.items() if k != "manifest.json"}


def test_sites_and_status_filters(study_db: StudyDb, tmp_path: Path) -> None:
    by_site = study_db.export(tmp_path / "sites", formats=("csv",), sites=("HCB", "FHCC"))
    assert by_site.site_counts == {"FHCC": 1, "HCB": 2}
    complete = study_db.export(tmp_path / "complete", formats=("csv",), status="complete")
    assert complete.site_counts == {"FHCC": 1}  # only patient B's forms are complete (or verified)
    verified = study_db.export(tmp_path / "verified", formats=("csv",), status="verified")
    row = _rows(tmp_path / "verified" / "patients.csv")[0]
    assert row["record_id"] == study_db.records["B"]
    assert row["weight_kg"] == "50.0" and row["disease"] == ""  # only demographics is verified
    assert verified.rows["anakinra"] == 0


def test_sharing_options_drop_free_text_and_top_code(study_db: StudyDb, tmp_path: Path) -> None:
    shared = study_db.export(
        tmp_path / "shared",
        formats=("csv", "parquet"),
        drop_free_text=True,
        top_code={"age_at_infusion": Decimal(90)},
    )
    patients = {r["record_id"]: r for r in _rows(shared.folder / "patients.csv")}
    assert patients[study_db.records["A"]]["age_at_infusion"] == "90"  # 93 is top-coded
    assert patients[study_db.records["B"]]["age_at_infusion"] == "45"
    assert "disease_other" not in patients[study_db.records["A"]]
    assert "infection_organism" not in pl.read_parquet(shared.folder / "infections.parquet").columns
    codebook = (shared.folder / "codebook.html").read_text(encoding="utf-8")
    assert "top-coded: values above 90 are shown as 90" in codebook and "--drop-free-text" in codebook


def test_labels_in_another_language(study_db: StudyDb, tmp_path: Path) -> None:
    result = study_db.export(tmp_path / "es", formats=("datapackage",), lang="es")
    package = json.loads((result.folder / "datapackage.json").read_text(encoding="utf-8"))
    fields = {f["name"]: f for f in package["resources"][0]["schema"]["fields"]}
    assert fields["sex"]["title"] == "Sexo"
    assert fields["sex"]["categories"] == [{"value": 1, "label": "Varón"}, {"value": 2, "label": "Mujer"}]
    assert (result.folder / "patients.csv").exists()  # the data package describes the CSV files
