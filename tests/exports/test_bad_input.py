"""Bad input gets one clear line (CLI exit 1) or a problem+json 4xx, and never leaves files behind."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.exports import service
from app.models import AuditEvent
from tests.exports.conftest import Api, StudyDb


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--format", "csv,sas"],
            "error: unknown format 'sas' (formats: csv, parquet, stata, spss, xlsx, r, odm, ",
        ),
        (["--sites", "HCB,XYZ"], "error: unknown site 'XYZ' (sites: FHCC, OHSU, HCB"),
        (["--status", "verified", "--sites", "HCB"], "error: no patients to export"),
        (["--top-code", "sex=1"], "error: --top-code: 'sex' is not a numeric variable"),
        (
            ["--top-code", "age_at_infusion=old"],
            "error: --top-code wants VARIABLE=NUMBER or VARIABLE=none, not 'age_at_infusion=old'",
        ),
        (["--lang", "fr"], "error: language 'fr' is not one of the study's: en, es"),
    ],
)
def test_cli_refuses_bad_options(study_db: StudyDb, tmp_path: Path, args: list[str], message: str) -> None:
    result = study_db.edc("export", "--out", "out", "--user", "coordinator@exports.test", *args, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith(message) and result.stderr.count("\n") == 1, result.stderr
    assert _leftovers(tmp_path) == []


def test_cli_refuses_a_folder_it_cannot_write(study_db: StudyDb, tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "old.csv").write_text("x")
    for out, message in [("a-file/out", "error: cannot write the export in "), ("full", "already exists")]:
        result = study_db.edc("export", "--out", out, "--user", "coordinator@exports.test", cwd=tmp_path)
        assert result.returncode == 1 and message in result.stderr and result.stderr.count("\n") == 1
    assert _leftovers(tmp_path) == ["a-file", "full"] and _leftovers(tmp_path / "full") == ["old.csv"]


def test_cli_exports_only_for_coordinators(study_db: StudyDb, tmp_path: Path) -> None:
    refused = study_db.edc("export", "--out", "out", "--user", "monitor@exports.test", cwd=tmp_path)
    assert refused.returncode == 1
    assert refused.stderr == "error: only a coordinator may export the study's data; you are monitor\n"
    done = study_db.edc(
        "export", "--out", "out", "--user", "coordinator@exports.test", "--format", "csv", cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert "exported 6 patients (FHCC 1, OHSU 3, HCB 2)" in done.stdout
    assert _leftovers(tmp_path / "out")[-1] == "tocilizumab.csv"


def test_a_failure_while_writing_leaves_nothing_and_audits_nothing(
    study_db: StudyDb, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object) -> list[str]:
        raise RuntimeError("disk on fire")

    monkeypatch.setitem(service.WRITERS, "odm", broken)
    with study_db.sessions() as session:
        events = session.scalar(select(func.count()).select_from(AuditEvent))
    with pytest.raises(RuntimeError):
        study_db.export(tmp_path / "out")
    assert _leftovers(tmp_path) == []
    with study_db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == events


def test_api_returns_the_export_as_a_zip(api: Api) -> None:
    response = api.call("POST", "/api/v1/exports", "coordinator", json={"formats": ["csv"], "sites": ["HCB"]})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        names = set(archive.namelist())
    assert {"patients.csv", "infections.csv", "codebook.html", "manifest.json"} <= names


@pytest.mark.parametrize(
    ("who", "body", "status", "detail"),
    [
        ("monitor", {}, 403, "only coordinator may do this; you are monitor"),
        ("entry_hcb", {}, 403, "only coordinator may do this; you are site_entry"),
        ("coordinator", {"formats": ["sas"]}, 400, "unknown format 'sas'"),
        ("coordinator", {"sites": ["XYZ"]}, 400, "unknown site 'XYZ'"),
        ("coordinator", {"status": "verified", "sites": ["HCB"]}, 422, "no patients to export"),
        ("coordinator", {"delivery": "folder"}, 409, "EDC_EXPORTS_DIR is not set"),
    ],
)
def test_api_refusals_are_problem_documents(
    api: Api, who: str, body: dict[str, object], status: int, detail: str
) -> None:
    response = api.call("POST", "/api/v1/exports", who, json=body)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert detail in response.json()["detail"]


def test_api_writes_a_server_side_folder(api: Api, tmp_path: Path) -> None:
    settings = api.client.app.state.settings  # type: ignore[attr-defined]
    settings.exports_dir = tmp_path
    try:
        response = api.call(
            "POST", "/api/v1/exports", "coordinator", json={"formats": ["parquet"], "delivery": "folder"}
        )
    finally:
        settings.exports_dir = None
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["patients"] == 6 and "patients.parquet" in body["files"]
    assert (tmp_path / body["folder"] / "manifest.json").exists()


def test_api_refuses_a_server_folder_it_cannot_write(api: Api, tmp_path: Path) -> None:
    (tmp_path / "not-a-folder").write_text("x")
    settings = api.client.app.state.settings  # type: ignore[attr-defined]
    settings.exports_dir = tmp_path / "not-a-folder"
    try:
        response = api.call("POST", "/api/v1/exports", "coordinator", json={"delivery": "folder"})
    finally:
        settings.exports_dir = None
    assert response.status_code == 409 and response.headers["content-type"] == "application/problem+json"
    assert "cannot write the export in" in response.json()["detail"]
    assert _leftovers(tmp_path) == ["not-a-folder"]
