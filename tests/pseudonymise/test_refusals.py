"""Extracts that must be refused: each problem named with its file, row and column, and nothing written."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from app.forms.model import CompiledStudy
from app.pseudonymise.errors import ExtractError, IdentifierFound, ProfileError, PseudonymiseError
from app.pseudonymise.service import pseudonymise
from tests.pseudonymise.conftest import EXPORTS, extract_of

Rows = list[dict[str, str]]


def _edit_csv(
    source: Path, target: Path, encoding: str, delimiter: str, edit: Callable[[Rows], Rows]
) -> Path:
    """A copy of a CSV extract with its rows edited, in the same encoding, delimiter and line endings."""
    text = source.read_bytes().decode(encoding)
    rows = list(csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter))
    rows = edit(rows)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, list(rows[0]), delimiter=delimiter, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    target.write_bytes(buffer.getvalue().encode(encoding))
    return target


def _hcb(tmp_path: Path, edit: Callable[[Rows], Rows]) -> Path:
    return _edit_csv(extract_of("HCB"), tmp_path / "hcb.csv", "cp1252", ";", edit)


def _refused(
    study: CompiledStudy,
    tmp_path: Path,
    key: Path,
    extract: Path,
    site: str,
    profile: Path | None = None,
    kind: type[PseudonymiseError] = ExtractError,
) -> list[str]:
    """The reasons the step gives, after checking it wrote nothing at all."""
    out = tmp_path / "upload.csv"
    with pytest.raises(kind) as caught:
        pseudonymise(extract, profile or EXPORTS / f"{site}.yaml", key, out, study)
    assert not out.exists() and not (tmp_path / "upload.linkage-KEEP-AT-SITE.csv").exists(), "nothing written"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".upload")], "no temporary file left"
    return caught.value.lines


def _first(rows: Rows, kind: str) -> tuple[int, dict[str, str]]:
    """The first row of a type, with its line in the file (the header is line 1)."""
    index = next(i for i, row in enumerate(rows) if row["Tipo de registro"] == kind)
    return index + 2, rows[index]


def test_a_date_that_does_not_parse_is_named_by_line_and_column(
    study: CompiledStudy, tmp_path: Path, key_file: Path
) -> None:
    line = 0

    def edit(rows: Rows) -> Rows:
        nonlocal line
        line, row = _first(rows, "EVALUACION")
        row["Fecha"] = "31/02/2021"
        return rows

    lines = _refused(study, tmp_path, key_file, _hcb(tmp_path, edit), "HCB")
    assert lines == [f"hcb.csv line {line}, column 'Fecha': '31/02/2021' is not a date written DD/MM/YYYY"]


def test_a_value_the_value_map_does_not_know_is_named(
    study: CompiledStudy, tmp_path: Path, key_file: Path
) -> None:
    line = 0

    def edit(rows: Rows) -> Rows:
        nonlocal line
        line, row = _first(rows, "PACIENTE")
        row["Sexo"] = "Hombre"
        return rows

    [message] = _refused(study, tmp_path, key_file, _hcb(tmp_path, edit), "HCB")
    assert message.startswith(
        f"hcb.csv line {line}, column 'Sexo': 'Hombre' is not in the column's value map"
    )
    assert "'Varón', 'Mujer'" in message


def test_a_missing_infusion_date_is_named(study: CompiledStudy, tmp_path: Path, key_file: Path) -> None:
    line = 0

    def edit(rows: Rows) -> Rows:
        nonlocal line
        line, row = _first(rows, "PACIENTE")
        row["Fecha infusión CAR-T"] = ""
        return rows

    lines = _refused(study, tmp_path, key_file, _hcb(tmp_path, edit), "HCB")
    assert lines == [f"hcb.csv line {line}: no CAR-T infusion date (column 'Fecha infusión CAR-T')"]


def test_an_identifier_column_the_profile_does_not_declare_is_refused(
    study: CompiledStudy, tmp_path: Path, key_file: Path
) -> None:
    def edit(rows: Rows) -> Rows:
        return [
            {**row, "Teléfono": "612 345 678" if row["Tipo de registro"] == "PACIENTE" else ""}
            for row in rows
        ]

    [message] = _refused(study, tmp_path, key_file, _hcb(tmp_path, edit), "HCB")
    assert message.startswith("hcb.csv: column 'Teléfono' is not in the profile")


def test_an_identifier_column_mapped_to_a_variable_is_refused_with_its_line(
    study: CompiledStudy, tmp_path: Path, key_file: Path
) -> None:
    text = (EXPORTS / "FHCC.yaml").read_text(encoding="utf-8")
    text = text.replace("identifiers: {Patient Name: name, SSN: ssn}", "identifiers: {SSN: ssn}")
    text = text.replace("      Diagnosis (other): disease_other\n", "      Patient Name: disease_other\n")
    profile = tmp_path / "FHCC.yaml"
    profile.write_text(text, encoding="utf-8")
    line = text.splitlines().index("      Patient Name: disease_other") + 1

    lines = _refused(study, tmp_path, key_file, extract_of("FHCC"), "FHCC", profile, ProfileError)
    assert lines == [
        f"{profile}:{line}: 'Patient Name' looks like a direct identifier: declare it under `identifiers` "
        "(it is then dropped), never map it to the free-text variable disease_other"
    ]


def test_identifiers_hidden_in_free_text_are_found_and_refused(
    study: CompiledStudy, tmp_path: Path, key_file: Path
) -> None:
    """A free-text cell that mentions an infusion date and a patient's surname never leaves the site."""

    def edit(rows: Rows) -> Rows:
        infections = [row for row in rows if row["Tipo de registro"] == "INFECCION"]
        patients = {row["NHC"]: row for row in rows if row["Tipo de registro"] == "PACIENTE"}
        first, second = infections[0], infections[-1]
        first["Microorganismo"] = f"E. coli (hemocultivo {patients[first['NHC']]['Fecha infusión CAR-T']})"
        second["Microorganismo"] = (
            f"Klebsiella, avisar a familia {patients[second['NHC']]['Apellidos'].split()[0]}"
        )
        return rows

    lines = _refused(study, tmp_path, key_file, _hcb(tmp_path, edit), "HCB", kind=IdentifierFound)
    assert len(lines) == 2
    for line in lines:
        where = r"output row \d+ \(infections #\d, from hcb\.csv line \d+, column 'Microorganismo'\)"
        assert re.fullmatch(
            rf"{where}, column 'infection_organism': holds a (calendar date of the input|patient's name)",
            line,
        )
    assert {line.rsplit(": holds ", 1)[1] for line in lines} == {
        "a calendar date of the input",
        "a patient's name",
    }


def test_a_file_in_the_wrong_encoding_is_refused(
    study: CompiledStudy, tmp_path: Path, key_file: Path
) -> None:
    as_utf8 = tmp_path / "hcb.csv"
    as_utf8.write_bytes(extract_of("HCB").read_bytes().decode("cp1252").encode("utf-8"))
    message, unknown = _refused(study, tmp_path, key_file, as_utf8, "HCB")
    assert message.startswith(
        "hcb.csv: the header lacks the profile's column(s) 'Fecha infusión CAR-T' (table paciente)"
    )
    assert message.endswith("is the encoding right? (profile: cp1252)")
    assert unknown.startswith(
        "hcb.csv: and has 31 column(s) the profile does not know: 'Fecha infusiÃ³n CAR-T'"
    )

    profile = tmp_path / "HUVH.yaml"
    profile.write_text(
        (EXPORTS / "HUVH.yaml").read_text(encoding="utf-8").replace("utf-8-sig", "utf-8"), "utf-8"
    )
    [message] = _refused(study, tmp_path, key_file, extract_of("HUVH"), "HUVH", profile)
    assert message.endswith("the file starts with a byte-order mark: use encoding utf-8-sig")

    profile = tmp_path / "HCB.yaml"
    profile.write_text((EXPORTS / "HCB.yaml").read_text(encoding="utf-8").replace("cp1252", "utf-8"), "utf-8")
    [message] = _refused(study, tmp_path, key_file, extract_of("HCB"), "HCB", profile)
    assert re.fullmatch(
        r"hcb_extraccion_anakinra\.csv line 1: byte \d+ is not utf-8 text: check the profile's encoding",
        message,
    )


def test_a_file_with_the_wrong_delimiter_is_refused(
    study: CompiledStudy, tmp_path: Path, key_file: Path
) -> None:
    source = extract_of("HCB").read_bytes().decode("cp1252")
    rows = list(csv.reader(io.StringIO(source, newline=""), delimiter=";"))
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    commas = tmp_path / "hcb.csv"
    commas.write_bytes(buffer.getvalue().encode("cp1252"))

    [message] = _refused(study, tmp_path, key_file, commas, "HCB")
    assert message == (
        "hcb.csv: no column 'Tipo de registro' (the row type column) - the header has one column: "
        "is the delimiter right? (profile: ';')"
    )


def test_unreadable_extracts_are_refused(study: CompiledStudy, tmp_path: Path, key_file: Path) -> None:
    assert _refused(study, tmp_path, key_file, tmp_path / "missing.csv", "HCB") == [
        f"{tmp_path / 'missing.csv'}: no such file"
    ]
    not_a_workbook = tmp_path / "ohsu.xlsx"
    not_a_workbook.write_text("MRN,Name\n1,2\n", encoding="utf-8")
    [message] = _refused(study, tmp_path, key_file, not_a_workbook, "OHSU")
    assert message.startswith("ohsu.xlsx: cannot be read as an Excel workbook (.xlsx)")
    assert _refused(study, tmp_path, key_file, tmp_path, "HUSAL") == [
        f"{tmp_path}: no file 'pacientes.csv' (table pacientes)"
    ]


def test_json_lines_that_do_not_fit_the_profile_are_refused(
    study: CompiledStudy, tmp_path: Path, key_file: Path
) -> None:
    lines = extract_of("CUN").read_text(encoding="utf-8").splitlines()
    first = json.loads(lines[0])
    first["paciente"]["telefono"] = "612 345 678"
    first["tratamientos"]["tocilizumab"][0]["fecha"] = "2021-13-01"
    broken = tmp_path / "cun.jsonl"
    broken.write_text("\n".join([json.dumps(first), *lines[1:]]) + "\n", encoding="utf-8")
    [message] = _refused(study, tmp_path, key_file, broken, "CUN")
    assert message.startswith("cun.jsonl line 1: 'paciente.telefono' is not in the profile (table paciente)")

    del first["paciente"]["telefono"]
    broken.write_text("\n".join([json.dumps(first), *lines[1:], "{not json"]) + "\n", encoding="utf-8")
    assert _refused(study, tmp_path, key_file, broken, "CUN") == [
        f"cun.jsonl line {len(lines) + 1}: not valid JSON "
        "(Expecting property name enclosed in double quotes, column 2)"
    ]

    broken.write_text("\n".join([json.dumps(first), *lines[1:]]) + "\n", encoding="utf-8")
    assert _refused(study, tmp_path, key_file, broken, "CUN") == [
        "cun.jsonl line 1, tratamientos.tocilizumab[1], column 'fecha': "
        "'2021-13-01' is not a date written YYYY-MM-DD"
    ]


def test_problems_are_listed_together(study: CompiledStudy, tmp_path: Path, key_file: Path) -> None:
    def edit(rows: Rows) -> Rows:
        for row in rows:
            if row["Tipo de registro"] == "PACIENTE":
                row["NHC"] = "A" + row["NHC"][1:]  # not the site's MRN format
                row["Sexo"] = "?"
        return rows

    lines = _refused(study, tmp_path, key_file, _hcb(tmp_path, edit), "HCB")
    assert sum("the MRN does not match the profile's mrn_pattern" in line for line in lines) == 8
    assert sum("column 'Sexo'" in line for line in lines) == 8


def test_dates_written_with_a_month_name_are_refused(
    study: CompiledStudy, tmp_path: Path, key_file: Path
) -> None:
    def edit(rows: Rows) -> Rows:
        infections = [row for row in rows if row["Tipo de registro"] == "INFECCION"]
        infections[0]["Microorganismo"] = "E. coli, infusión 8 de marzo de 2023"
        infections[-1]["Microorganismo"] = "Klebsiella, nacida 13-oct-1964"
        return rows

    lines = _refused(study, tmp_path, key_file, _hcb(tmp_path, edit), "HCB", kind=IdentifierFound)
    assert len(lines) == 2
    for line in lines:
        assert re.fullmatch(
            r"output row \d+ \(infections #\d, from hcb\.csv line \d+, column 'Microorganismo'\), "
            r"column 'infection_organism': holds a calendar date with a month name",
            line,
        )
        assert "marzo" not in line and "oct" not in line
