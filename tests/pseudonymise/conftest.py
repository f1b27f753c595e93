"""Fixtures for the pseudonymisation step: the study, a site key, and the upload file read back."""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from app.forms.compile import load_study
from app.forms.engine import PatientData, validate, validate_completion
from app.forms.model import CompiledStudy
from app.forms.redcap.flat import from_row
from app.pseudonymise.keys import new_key
from app.pseudonymise.service import Summary, pseudonymise

REPO = Path(__file__).resolve().parents[2]
EXPORTS = REPO / "site_exports"
SITES = ["FHCC", "OHSU", "HCB", "HUVH", "HGUGM", "H12O", "CUN", "HUSAL", "LAFE"]


@pytest.fixture(scope="session")
def study() -> CompiledStudy:
    return load_study(REPO / "forms")


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "site.key"
    new_key(path)
    return path


@dataclass
class UploadPatient:
    once: dict[str, str]
    instances: list[tuple[str, int, dict[str, str]]] = field(default_factory=list)


def read_upload(path: Path) -> tuple[list[str], dict[str, UploadPatient]]:
    """The canonical file, grouped by pseudonym: the once row and each repeating instance."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        header = list(reader.fieldnames or [])
        patients: dict[str, UploadPatient] = {}
        for row in reader:
            code = row["site_pseudonym"]
            if row["redcap_repeat_instrument"]:
                patient = patients.setdefault(code, UploadPatient({}))
                patient.instances.append(
                    (row["redcap_repeat_instrument"], int(row["redcap_repeat_instance"]), row)
                )
            else:
                assert code not in patients or not patients[code].once, f"two once rows for {code}"
                patients.setdefault(code, UploadPatient(row)).once = row
    return header, patients


def engine_errors(study: CompiledStudy, patient: UploadPatient) -> list[str]:
    """Every error the engine finds in one uploaded patient, each form validated in the patient's context."""
    once_forms = [f for f in study.forms.values() if not f.repeating]
    raw_once = {f.name: from_row(study, f.name, patient.once) for f in once_forms}
    raw_repeating = [(form, n, from_row(study, form, row)) for form, n, row in patient.instances]
    data = PatientData()
    for form, raw in raw_once.items():
        result = validate(study, form, raw)
        data.once[form] = {**result.values, **result.computed}
    for form, n, raw in raw_repeating:
        result = validate(study, form, raw)
        data.repeating.setdefault(form, {})[n] = {**result.values, **result.computed}
    errors: list[str] = []
    checks = [(form, None, raw) for form, raw in raw_once.items()] + raw_repeating
    for form, number, raw in checks:
        result = validate(study, form, raw, patient=data, instance=number, completing=True)
        errors.extend(f"{form} #{number} {i.field}: {i.code} {i.message['en']}" for i in result.errors)
    errors.extend(f"record: {i.code}" for i in validate_completion(study, data) if i.severity == "error")
    return errors


def upload_errors(study: CompiledStudy, path: Path) -> dict[str, list[str]]:
    _, patients = read_upload(path)
    found: dict[str, list[str]] = defaultdict(list)
    for code, patient in patients.items():
        errors = engine_errors(study, patient)
        if errors:
            found[code] = errors
    return dict(found)


def extract_of(site: str) -> Path:
    from site_exports.synthetic.sites import SITES as SETTINGS

    return EXPORTS / site / SETTINGS[site].extract


def run_site(site: str, study: CompiledStudy, key: Path, out: Path, extract: Path | None = None) -> Summary:
    return pseudonymise(extract or extract_of(site), EXPORTS / f"{site}.yaml", key, out, study)
