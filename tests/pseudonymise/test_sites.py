"""Every site's synthetic extract, pseudonymised with its profile: valid, identifier-free, reproducible."""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from app.forms.model import CompiledStudy
from app.forms.redcap.flat import from_row
from app.forms.values import to_text
from app.pseudonymise.canonical import header
from app.pseudonymise.guard import normalise
from app.pseudonymise.keys import new_key, pseudonym
from site_exports.generate import site_patients, site_plan
from site_exports.synthetic.sites import SITES as SETTINGS
from tests.pseudonymise.conftest import SITES, read_upload, run_site, upload_errors

DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%m/%d/%Y", "%d-%m-%Y", "%Y%m%d", "%d.%m.%Y", "%Y/%m/%d")
IDENTIFIER_PATTERNS = [
    r"\b\d{8}[A-Z]\b",  # DNI
    r"\b[XYZ]\d{7}[A-Z]\b",  # NIE
    r"\b\d{3}-\d{2}-\d{4}\b",  # US SSN
    r"\b\d{4}-\d{2}-\d{2}\b",
    r"\b\d{1,2}/\d{1,2}/\d{4}\b",
    r"\b\d{1,2}-\d{1,2}-\d{4}\b",
]


@pytest.mark.parametrize("site", SITES)
def test_every_row_validates_with_the_engine(
    site: str, study: CompiledStudy, key_file: Path, tmp_path: Path
) -> None:
    out = tmp_path / "upload.csv"
    summary = run_site(site, study, key_file, out)

    assert upload_errors(study, out) == {}
    names, patients = read_upload(out)
    assert names == header(study)
    assert 4 <= summary.patients == len(patients) == SETTINGS[site].cases.patients <= 8
    repeating = Counter(form for p in patients.values() for form, _, _ in p.instances)
    assert set(repeating) == {f.name for f in study.forms.values() if f.repeating}, "every form is covered"
    assert summary.rows == {"once-forms": len(patients), **repeating}
    assert all(p.once["record_id"] == "" and p.once["site_pseudonym"] for p in patients.values())


@pytest.mark.parametrize("site", SITES)
def test_every_row_carries_the_site_code_of_the_profile(
    site: str, study: CompiledStudy, key_file: Path, tmp_path: Path
) -> None:
    """The upload refuses rows of another site (`wrong_site`), so a file cannot land in the wrong site."""
    out = tmp_path / "upload.csv"
    run_site(site, study, key_file, out)

    rows = list(csv.DictReader(out.read_text(encoding="utf-8").splitlines()))
    assert len(rows) > SETTINGS[site].cases.patients, "once rows and repeating rows"
    assert {row["redcap_data_access_group"] for row in rows} == {site}


def _identifiers(site: str, study: CompiledStudy) -> set[str]:
    """Every name, record number, national ID and calendar date the site's extract holds."""
    found: set[str] = set()
    for case, ident in site_patients(site, study):
        found |= {ident.first, ident.last1, ident.last2, ident.full, ident.mrn, ident.national_id, ident.ssn}
        found |= {ident.phone, ident.lot, ident.health_card}
        days = {v for v in case.once.values() if isinstance(v, int)}
        days |= {
            v for rows in case.repeating.values() for row in rows for v in row.values() if isinstance(v, int)
        }
        dates = {case.infusion, case.birth, ident.admission} | {
            case.infusion + dt.timedelta(days=d) for d in days
        }
        found |= {d.strftime(f) for d in dates for f in DATE_FORMATS}
        found |= {f"{d.day}/{d.month}/{d.year}" for d in dates} | {
            f"{d.month}/{d.day}/{d.year}" for d in dates
        }
    return found


@pytest.mark.parametrize("site", SITES)
def test_no_identifier_of_the_input_survives(
    site: str, study: CompiledStudy, key_file: Path, tmp_path: Path
) -> None:
    out = tmp_path / "upload.csv"
    run_site(site, study, key_file, out)
    text = out.read_text(encoding="utf-8")
    folded = normalise(text)

    for identifier in _identifiers(site, study):
        token = re.escape(normalise(identifier))
        assert not re.search(rf"(?<![0-9a-z]){token}(?![0-9a-z])", folded), f"{identifier!r} is in the upload"
    for pattern in IDENTIFIER_PATTERNS:
        assert not re.search(pattern, text), pattern
    linkage = out.with_name("upload.linkage-KEEP-AT-SITE.csv").read_text(encoding="utf-8")
    assert {row.split(",")[1] for row in linkage.splitlines()[1:]} <= _identifiers(site, study)


@pytest.mark.parametrize("site", SITES)
def test_same_input_and_key_give_identical_bytes(
    site: str, study: CompiledStudy, key_file: Path, tmp_path: Path
) -> None:
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    run_site(site, study, key_file, first)
    run_site(site, study, key_file, second)

    data = first.read_bytes()
    assert data == second.read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf") and b"\r" not in data and data.endswith(b"\n")
    codes = [row["site_pseudonym"] for row in csv.DictReader(data.decode("utf-8").splitlines())]
    assert codes == sorted(codes), "rows are ordered by pseudonym, not by anything local"


@pytest.mark.parametrize("site", SITES)
def test_linkage_maps_each_pseudonym_back_to_its_mrn(
    site: str, study: CompiledStudy, key_file: Path, tmp_path: Path
) -> None:
    out = tmp_path / "upload.csv"
    summary = run_site(site, study, key_file, out)
    key = bytes.fromhex(key_file.read_text())

    with summary.linkage.open(encoding="utf-8", newline="") as handle:
        links = {row["site_pseudonym"]: row["mrn"] for row in csv.DictReader(handle)}
    mrns = {ident.mrn for _, ident in site_patients(site, study)}
    assert set(links.values()) == mrns
    assert all(pseudonym(key, mrn) == code for code, mrn in links.items())
    assert set(read_upload(out)[1]) == set(links)
    assert summary.linkage == tmp_path / "upload.linkage-KEEP-AT-SITE.csv"


@pytest.mark.parametrize("site", SITES)
def test_another_key_gives_other_pseudonyms_and_the_same_data(
    site: str, study: CompiledStudy, key_file: Path, tmp_path: Path
) -> None:
    other_key = tmp_path / "other.key"
    new_key(other_key)
    run_site(site, study, key_file, tmp_path / "a.csv")
    run_site(site, study, other_key, tmp_path / "b.csv")

    def rows_without_pseudonyms(path: Path) -> tuple[set[str], Counter[tuple[str, ...]]]:
        rows = list(csv.DictReader(path.read_text(encoding="utf-8").splitlines()))
        codes = {row.pop("site_pseudonym") for row in rows}
        return codes, Counter(tuple(row.values()) for row in rows)

    codes_a, data_a = rows_without_pseudonyms(tmp_path / "a.csv")
    codes_b, data_b = rows_without_pseudonyms(tmp_path / "b.csv")
    assert not codes_a & codes_b
    assert data_a == data_b


def _expected(value: object) -> object:
    if isinstance(value, tuple):
        return {str(code) for code in value}
    return Decimal(value) if isinstance(value, int | Decimal) else to_text(value)


def _uploaded(raw: object) -> object:
    """Numbers compared as numbers: an Excel cell holds 37.0 as 37."""
    if isinstance(raw, list):
        return {str(code) for code in raw}
    return Decimal(raw) if isinstance(raw, str) and re.fullmatch(r"-?\d+(\.\d+)?", raw) else raw


@pytest.mark.parametrize("site", SITES)
def test_values_arrive_as_the_site_recorded_them(
    site: str, study: CompiledStudy, key_file: Path, tmp_path: Path
) -> None:
    """Dates become the right study days, units and labels the right numbers and codes, age is top-coded."""
    out = tmp_path / "upload.csv"
    run_site(site, study, key_file, out)
    plan = site_plan(site, study)
    mapped = {rule.field.name for table in plan.tables for rule in table.rules.values()}
    mapped |= {cfield.name for table in plan.tables for cfield, _ in table.constants}
    everything = any(table.same_names for table in plan.tables)
    key = bytes.fromhex(key_file.read_text())
    _, patients = read_upload(out)
    once_forms = [f.name for f in study.forms.values() if not f.repeating]
    for case, ident in site_patients(site, study):
        patient = patients[pseudonym(key, ident.mrn)]
        uploaded = {k: v for form in once_forms for k, v in from_row(study, form, patient.once).items()}
        age = (
            case.infusion.year
            - case.birth.year
            - ((case.infusion.month, case.infusion.day) < (case.birth.month, case.birth.day))
        )
        assert uploaded.pop("infusion_year") == str(case.infusion.year)
        assert uploaded.pop("age_at_infusion") == str(min(age, 90))
        for name, value in case.once.items():
            if everything or name in mapped:
                assert _uploaded(uploaded.get(name)) == _expected(value), name
        for form, rows in case.repeating.items():
            instances = [from_row(study, f, row) for f, _, row in patient.instances if f == form]
            assert len(instances) == len(rows)
            for instance, row in zip(instances, rows, strict=True):
                for name, value in row.items():
                    if everything or name in mapped:
                        assert _uploaded(instance.get(name)) == _expected(value), f"{form}.{name}"
