"""Every format of one export of the study, read back the way a statistician's tools read it."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import polars as pl
import pyreadstat
import pytest
from frictionless import Package, validate
from lxml import etree

from app.exports.formats.readstat import spss_code
from app.exports.options import ExportOptions
from app.exports.service import ExportResult, run_export
from app.forms.compile import load_study
from tests.exports.conftest import REPO, StudyDb

ODM_SCHEMA = Path("/work/shared/odm/ODM1-3-2/ODM1-3-2.xsd")
REPEATING = ("daily_assessment", "tocilizumab", "corticosteroids", "anakinra", "infections")


@pytest.fixture(scope="module")
def export(study_db: StudyDb, tmp_path_factory: pytest.TempPathFactory) -> ExportResult:
    return study_db.export(tmp_path_factory.mktemp("formats") / "export")


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_file_names_follow_the_contract_and_the_manifest_hashes_every_file(export: ExportResult) -> None:
    tables = ("patients", *REPEATING)
    expected = {f"{t}.{ext}" for t in tables for ext in ("csv", "parquet", "dta", "sav")}
    expected |= {"study.xlsx", "study.R", "odm.xml", "datapackage.json", "codebook.html", "manifest.json"}
    assert {p.name for p in export.folder.iterdir()} == expected
    manifest = json.loads((export.folder / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest["files"]) == expected - {"manifest.json"}
    for name, described in manifest["files"].items():
        assert described["sha256"] == hashlib.sha256((export.folder / name).read_bytes()).hexdigest()
    assert manifest["user"] == "coordinator@exports.test"
    assert manifest["patients"] == {"total": 6, "by_site": {"FHCC": 1, "OHSU": 3, "HCB": 2}}
    assert manifest["definition_version"].startswith("1.0.0+")
    assert not any(p.name.endswith(".partial") for p in export.folder.parent.iterdir())


def test_csv_keeps_codes_missing_data_codes_and_checkboxes(export: ExportResult, study_db: StudyDb) -> None:
    patients = {r["record_id"]: r for r in _rows(export.folder / "patients.csv")}
    a, c = patients[study_db.records["A"]], patients[study_db.records["C"]]
    assert (a["site"], a["sex"], a["height_cm"], a["weight_kg"]) == ("HCB", "2", "UNK", "80.0")
    assert (a["refractory_to___1"], a["refractory_to___2"]) == ("1", "1")
    assert [a[f"prophylaxis___{code}"] for code in range(5)] == ["0", "1", "0", "0", "0"]
    assert c["height_cm"] == "" and c["refractory_to___1"] == ""  # never entered: blank, not a code
    infections = [
        r for r in _rows(export.folder / "infections.csv") if r["record_id"] == study_db.records["A"]
    ]
    assert infections[0]["infection_organism"] == 'E. coli, "ESBL"'
    ids = list(patients)
    assert ids == sorted(ids)


def test_parquet_is_typed_with_missing_codes_beside_the_values(
    export: ExportResult, study_db: StudyDb
) -> None:
    frame = pl.read_parquet(export.folder / "patients.parquet")
    a = frame.filter(pl.col("record_id") == study_db.records["A"]).row(0, named=True)
    assert frame.schema["age_at_infusion"] == pl.Int64 and frame.schema["weight_kg"] == pl.Float64
    assert a["height_cm"] is None and a["height_cm__missing"] == "UNK" and a["weight_kg"] == 80.0
    assert a["anakinra_initial_mgkg_day"] == 5.0 and a["dose_group"] == 1
    described = json.loads(pl.read_parquet_metadata(export.folder / "patients.parquet")["edc:columns"])
    sex = next(c for c in described if c["name"] == "sex")
    assert sex["values"] == {"1": "Male", "2": "Female"}


def test_stata_file_has_labels_and_extended_missing_values(export: ExportResult, study_db: StudyDb) -> None:
    frame, meta = pyreadstat.read_dta(export.folder / "patients.dta", user_missing=True)
    labels = dict(zip(meta.column_names, meta.column_labels, strict=True))
    assert labels["weight_kg"] == "Weight" and labels["dose_group"] == "Anakinra dose group"
    assert meta.variable_value_labels["sex"] == {1: "Male", 2: "Female"}
    assert meta.variable_value_labels["height_cm"]["b"] == "Unknown (not in the chart)"
    a = frame[frame["record_id"] == study_db.records["A"]].iloc[0]
    assert a["height_cm"] == "b" and a["weight_kg"] == 80.0 and a["dose_group"] == 1


def test_spss_file_has_labels_and_user_missing_values(export: ExportResult, study_db: StudyDb) -> None:
    frame, meta = pyreadstat.read_sav(export.folder / "patients.sav", user_missing=True)
    labels = dict(zip(meta.column_names, meta.column_labels, strict=True))
    assert labels["sex"] == "Sex" and meta.variable_value_labels["sex"] == {1.0: "Male", 2.0: "Female"}
    unk = spss_code(1)
    assert meta.variable_value_labels["height_cm"][unk] == "Unknown (not in the chart)"
    assert {"lo": unk, "hi": unk} in meta.missing_ranges["height_cm"]
    a = frame[frame["record_id"] == study_db.records["A"]].iloc[0]
    assert a["height_cm"] == unk
    plain, _ = pyreadstat.read_sav(export.folder / "patients.sav")
    assert plain[plain["record_id"] == study_db.records["A"]].iloc[0]["height_cm"] != unk  # read as missing


def test_spss_shows_each_variable_in_a_format_that_fits_it(export: ExportResult) -> None:
    for path in sorted(export.folder.glob("*.sav")):
        frame, meta = pyreadstat.read_sav(path, user_missing=True)  # -99991... kept as numbers
        for name, fmt in meta.original_variable_types.items():
            if fmt.startswith("F"):
                width, decimals = (int(part) for part in fmt[1:].split("."))
                widest = max((len(f"{value:.{decimals}f}") for value in frame[name].dropna()), default=0)
                assert widest <= width, (path.name, name, fmt)
    _, patients = pyreadstat.read_sav(export.folder / "patients.sav", metadataonly=True)
    formats = patients.original_variable_types
    assert (formats["sex"], formats["age_at_infusion"], formats["dose_group"]) == ("F1.0", "F2.0", "F1.0")
    assert formats["height_cm"] == "F8.1"  # precision 1; -99992.0 (UNK) is the widest value
    assert formats["weight_kg"].endswith(".1") and formats["ecog"] == "F6.0"  # ecog accepts codes
    _, steroids = pyreadstat.read_sav(export.folder / "corticosteroids.sav", metadataonly=True)
    assert steroids.original_variable_types["steroid_dexeq_mg_total"].endswith(".2")  # none declared


def test_xlsx_has_a_sheet_per_table_and_the_codebook(export: ExportResult, study_db: StudyDb) -> None:
    book = openpyxl.load_workbook(export.folder / "study.xlsx", read_only=True)
    assert book.sheetnames == ["patients", *REPEATING, "codebook"]
    rows = list(book["patients"].iter_rows(values_only=True))
    header, by_id = rows[0], {r[0]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    assert header[:2] == ("record_id", "site")
    a = by_id[study_db.records["A"]]
    assert a["weight_kg"] == 80 and a["height_cm"] == "UNK" and a["sex"] == 2
    codebook = list(book["codebook"].iter_rows(values_only=True))
    assert codebook[0][:3] == ("table", "variable", "label")
    assert ("patients", "sex", "Sex") in {r[:3] for r in codebook}
    with zipfile.ZipFile(export.folder / "study.xlsx") as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_odm_validates_against_the_official_schema(export: ExportResult, study_db: StudyDb) -> None:
    if not ODM_SCHEMA.exists():
        pytest.skip(f"the ODM 1.3.2 schema is not in {ODM_SCHEMA.parent}")
    schema = etree.XMLSchema(etree.parse(str(ODM_SCHEMA)))
    document = etree.parse(str(export.folder / "odm.xml"))
    assert schema.validate(document), schema.error_log
    ns = {"o": "http://www.cdisc.org/ns/odm/v1.3"}
    assert len(document.findall("o:ClinicalData", ns)) == 3  # one per site with patients
    subject = document.find(f".//o:SubjectData[@SubjectKey='{study_db.records['A']}']", ns)
    assert subject is not None
    null = subject.find(".//o:ItemData[@ItemOID='I.demographics.height_cm']", ns)
    assert (
        null is not None
        and null.get("IsNull") == "Yes"
        and null.findtext(".//o:FlagValue", namespaces=ns) == "UNK"
    )
    audit = document.findall(".//o:AuditRecord", ns)
    assert any(study_db.records["A"] in (a.findtext("o:SourceID", namespaces=ns) or "") for a in audit)
    assert any(a.findtext("o:ReasonForChange", namespaces=ns) == "entered in error" for a in audit)


def test_the_data_package_validates(export: ExportResult) -> None:
    report = validate(str(export.folder / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    package = Package(str(export.folder / "datapackage.json"))
    sex = package.get_resource("patients").schema.get_field("sex")
    assert sex.title == "Sex" and sex.constraints["enum"] == [1, 2]


def test_the_r_script_reads_the_csv_files_with_labels_and_levels(export: ExportResult) -> None:
    script = (export.folder / "study.R").read_text(encoding="utf-8")
    assert 'na.strings = ""' in script  # "NA" is a missing-data code, not R's NA
    assert 'edc_read("patients.csv")' in script and 'edc_read("infections.csv")' in script
    assert 'levels = c("1", "2"), labels = c("Male", "Female")' in script
    assert 'd[["weight_kg"]] <- edc_label(as.numeric(edc_blank(d[["weight_kg"]])), "Weight")' in script


R_CHECK = """
edc_dir <- commandArgs(trailingOnly = TRUE)[1]
source(file.path(edc_dir, "study.R"), encoding = "UTF-8")
a <- patients[patients$record_id == commandArgs(trailingOnly = TRUE)[2], ]
missing <- patients_missing[patients_missing$record_id == a$record_id, ]
cat("rows", nrow(patients), "\\n")
cat("sex", class(patients$sex), levels(patients$sex), as.character(a$sex), "\\n")
cat("weight", class(patients$weight_kg), a$weight_kg, attr(patients$weight_kg, "label"), "\\n")
cat("height", is.na(a$height_cm), paste(missing$variable, missing$code, sep = "=", collapse = ","), "\\n")
cat("infections", nrow(infections), class(infections$instance), "\\n")
cat("yesno", levels(patients$split_dose), "\\n")
"""


def test_the_r_script_runs_in_r(export: ExportResult, study_db: StudyDb, tmp_path: Path) -> None:
    rscript = shutil.which("Rscript")
    if rscript is None:
        message = "Rscript is missing: install R (Debian: apt-get install r-base-core)"
        if os.environ.get("CI"):
            pytest.fail(f"{message}; CI requires the R check", pytrace=False)
        pytest.skip(message)
    check = tmp_path / "check.R"
    check.write_text(R_CHECK, encoding="utf-8")
    run = subprocess.run(
        [rscript, "--vanilla", str(check), str(export.folder), study_db.records["A"]],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    printed = {line.split(" ", 1)[0]: line.split(" ", 1)[1].strip() for line in run.stdout.splitlines()}
    csv_rows = _rows(export.folder / "patients.csv")
    assert printed["rows"] == str(len(csv_rows))
    assert printed["sex"] == "factor Male Female Female"
    assert printed["weight"] == "numeric 80 Weight"
    assert printed["height"].startswith("TRUE ") and "height_cm=UNK" in printed["height"]
    infections = _rows(export.folder / "infections.csv")
    assert printed["infections"] == f"{len(infections)} integer"
    # "No" is the reference level: glm(split_dose ~ ., family = binomial) models "Yes".
    assert printed["yesno"] == "No Yes"


def test_the_codebook_documents_the_export(export: ExportResult) -> None:
    page = (export.folder / "codebook.html").read_text(encoding="utf-8")
    assert "Derived variables" in page and "This export" in page
    assert "<th>Values and ranges</th>" in page and "built-in method" not in page
    assert "height_cm__missing" in page and "<code>.b</code> = <code>UNK</code>" in page


def test_spss_takes_a_text_column_with_no_value_at_all(study_db: StudyDb, tmp_path: Path) -> None:
    with study_db.sessions.begin() as session:  # verified forms only: no infection is verified
        options = ExportOptions(out=tmp_path / "out", formats=("spss",), status="verified")
        result = run_export(session, study_db.study, study_db.actor(session, "coordinator"), options)
    frame, _ = pyreadstat.read_sav(result.folder / "infections.sav")
    assert "infection_organism" in frame.columns


def test_names_too_long_for_stata_are_renamed_and_listed(study_db: StudyDb, tmp_path: Path) -> None:
    forms = tmp_path / "forms"
    shutil.copytree(REPO / "forms", forms)
    study_yaml = forms / "study.yaml"
    study_yaml.write_text(study_yaml.read_text().replace("max_name_length: 26", "max_name_length: 40"))
    with (forms / "demographics.yaml").open("a") as handle:
        handle.write(LONG_FIELD)
    study = load_study(forms)
    with study_db.sessions.begin() as session:
        options = ExportOptions(out=tmp_path / "out", formats=("stata", "spss"))
        result = run_export(session, study, study_db.actor(session, "coordinator"), options)
    _, meta = pyreadstat.read_dta(result.folder / "patients.dta", metadataonly=True)
    long_names = [n for n in meta.column_names if n.startswith("a_rather_long")]
    assert len(long_names) == 2 and all(len(n) <= 32 for n in long_names) and len(set(long_names)) == 2
    _, spss = pyreadstat.read_sav(result.folder / "patients.sav", metadataonly=True)
    assert "a_rather_long_multiple_choice_name___1" in spss.column_names  # fits SPSS's 64 bytes
    codebook = (result.folder / "codebook.html").read_text(encoding="utf-8")
    assert "Names changed to fit a format" in codebook and f"<code>{long_names[0]}</code>" in codebook


LONG_FIELD = """
  - name: a_rather_long_multiple_choice_name
    type: multichoice
    label: {en: "Long", es: "Largo"}
    choices:
      - {code: 1, label: {en: "One", es: "Uno"}}
      - {code: 2, label: {en: "Two", es: "Dos"}}
"""
