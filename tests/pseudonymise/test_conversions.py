"""Cells, study days, ages and the identifier guard, one rule at a time."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

from app.forms.model import CompiledStudy
from app.pseudonymise.cells import CellError, convert_cell
from app.pseudonymise.guard import Known, OutCell, find_identifiers
from app.pseudonymise.plan import Rule
from app.pseudonymise.profile import Conversion, IdentifierKind
from app.pseudonymise.service import pseudonymise


def _rule(study: CompiledStudy, form: str, name: str, **kwargs: object) -> Rule:
    return Rule("local column", study.forms[form].fields[name], **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("form", "name", "conversion", "local", "canonical"),
    [
        ("daily_assessment", "tmax_c", Conversion.fahrenheit_to_celsius, "101.5", "38.6"),
        ("daily_assessment", "tmax_c", Conversion.fahrenheit_to_celsius, "98.6", "37.0"),
        ("demographics", "weight_kg", Conversion.pounds_to_kg, "154.3", "70.0"),
        ("demographics", "height_cm", Conversion.inches_to_cm, "69.13", "175.6"),
        ("disease", "crp_pre_ld", Conversion.mg_dl_to_mg_l, "1.25", "12.5"),
    ],
)
def test_units_are_converted(
    study: CompiledStudy, form: str, name: str, conversion: Conversion, local: str, canonical: str
) -> None:
    assert convert_cell(_rule(study, form, name, convert=conversion, decimals=1), local, ".") == canonical


def test_numbers_follow_the_profile_decimal_separator(study: CompiledStudy) -> None:
    rule = _rule(study, "demographics", "weight_kg")
    assert convert_cell(rule, "70,3", ",") == "70.3"
    with pytest.raises(CellError, match="'1.070,3' has a '.' but the profile's decimal separator is ','"):
        convert_cell(rule, "1.070,3", ",")
    with pytest.raises(CellError, match="'70,3' has a ',' but the profile's decimal separator is '.'"):
        convert_cell(rule, "70,3", ".")
    with pytest.raises(CellError, match="'seventy' is not a number"):
        convert_cell(rule, "seventy", ".")


def test_value_maps_codes_and_missing_codes(study: CompiledStudy) -> None:
    sex = _rule(study, "demographics", "sex", values={"Varón": "1", "Mujer": "2"})
    assert convert_cell(sex, " Mujer ", ".") == "2"
    with pytest.raises(CellError, match="'Hombre' is not in the column's value map \\('Varón', 'Mujer'\\)"):
        convert_cell(sex, "Hombre", ".")
    with pytest.raises(CellError, match="looks like text read with the wrong encoding"):
        convert_cell(sex, "VarÃ³n", ".")
    with pytest.raises(CellError, match="'3' is not a code of sex \\(1, 2\\): add it to the value map"):
        convert_cell(_rule(study, "demographics", "sex"), "3", ".")
    assert convert_cell(_rule(study, "demographics", "height_cm", values={"?": "UNK"}), "?", ".") == "UNK"


def test_multiple_answers_in_one_cell_in_a_list_or_as_checkbox_columns(study: CompiledStudy) -> None:
    values = {"Corticoides": "1", "Tocilizumab": "2"}
    split = _rule(study, "eligibility", "refractory_to", values=values, split="+")
    assert convert_cell(split, "Corticoides + Tocilizumab", ".") == ("1", "2")
    assert convert_cell(
        _rule(study, "eligibility", "refractory_to", values=values), ["Tocilizumab"], "."
    ) == ("2",)
    option = _rule(study, "eligibility", "refractory_to", option="2", values={"Sí": "1", "No": "0"})
    assert convert_cell(option, "Sí", ".") == "1"
    with pytest.raises(CellError, match="a list of values where weight_kg takes one"):
        convert_cell(_rule(study, "demographics", "weight_kg"), ["70"], ".")


def test_dates_become_study_days_and_the_birth_date_an_age_top_coded_at_90(
    study: CompiledStudy, tmp_path: Path, key_file: Path
) -> None:
    profile = tmp_path / "SITE.yaml"
    profile.write_text(
        "site: HUSAL\nsource: {kind: csv, date_format: '%d.%m.%Y'}\n"
        "patient: {table: p, mrn: nhc, mrn_pattern: '\\d{4}', infusion_date: inf,\n"
        "  infusion_year: infusion_year, birth_date: dob, age: age_at_infusion}\n"
        "tables:\n  - {name: p, columns: {ld: {day: ld_start_day}, onset: {day: crs_onset_day}}}\n",
        encoding="utf-8",
    )
    extract = tmp_path / "extract.csv"
    extract.write_text(
        "nhc,inf,dob,ld,onset\n"
        "1001,05.03.2021,06.03.1931,04.03.2021,05.03.2021\n"  # 89 until the next day
        "1002,05.03.2021,05.03.1931,28.02.2021,12.03.2021\n"  # 90 that very day
        "1003,31.12.2020,01.01.1915,25.12.2020,01.01.2021\n",  # 105: top-coded
        encoding="utf-8",
    )
    out = tmp_path / "upload.csv"
    pseudonymise(extract, profile, key_file, out, study)

    links = {
        row["site_pseudonym"]: row["mrn"]
        for row in csv.DictReader((tmp_path / "upload.linkage-KEEP-AT-SITE.csv").open())
    }
    rows = {links[row["site_pseudonym"]]: row for row in csv.DictReader(out.open(encoding="utf-8"))}
    found = {
        mrn: (r["infusion_year"], r["age_at_infusion"], r["ld_start_day"], r["crs_onset_day"])
        for mrn, r in rows.items()
    }
    assert found == {
        "1001": ("2021", "89", "-1", "0"),
        "1002": ("2021", "90", "-5", "7"),
        "1003": ("2020", "90", "-6", "1"),
    }


def test_the_guard_finds_known_identifiers_in_any_date_format_case_or_accent() -> None:
    known = Known()
    known.remember_date(dt.date(2021, 3, 5))
    known.remember(IdentifierKind.name, "María Ibáñez Núñez")
    known.remember(IdentifierKind.mrn, "04831207")
    for text in ("seen 5/3/2021", "3/5/2021", "2021-03-05T10:00", "20210305", "05-03-2021", "5.3.2021"):
        assert known.find(text) == "a calendar date of the input", text
    assert known.find("dr. IBANEZ called") == "a patient's name"
    assert known.find("04831207") == known.find("MRN 4831207") == "a medical record number"
    assert known.find("ab04831207cd") is None, "a pseudonym's hex digits are not an MRN"
    assert (
        known.find("Escherichia coli") is None and known.find("38.5") is None and known.find("2021") is None
    )


def test_the_guard_finds_identifier_shapes_and_never_prints_the_value() -> None:
    cells = [
        OutCell("infection_organism", "ver DNI 12345678Z", 3, "infections #1", True),
        OutCell("infection_organism", "NIE X1234567L", 4, "infections #2", True),
        OutCell("disease_other", "SSN 123-45-6789", 2, "once-forms", True),
        OutCell("disease_other", "since 12/31/2020", 5, "once-forms", True),
        OutCell("product_other", "lot U1234567", 6, "once-forms", True),
        OutCell("ferritin_pre_ld", "1234567", 7, "once-forms", False),
        OutCell("site_pseudonym", "2f865a12c89b0882481601234567Z8", 8, "once-forms", False),
    ]
    import re

    findings = find_identifiers(cells, Known(), re.compile(r"U\d{7}"))
    assert findings == [
        "output row 3 (infections #1), column 'infection_organism': holds a Spanish DNI",
        "output row 4 (infections #2), column 'infection_organism': holds a Spanish NIE",
        "output row 2 (once-forms), column 'disease_other': holds a US social security number",
        "output row 5 (once-forms), column 'disease_other': holds a calendar date",
        "output row 6 (once-forms), column 'product_other': holds a value in the site's MRN format",
    ]
