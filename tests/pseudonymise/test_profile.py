"""Bad site profiles are refused before the extract is opened, every problem as `file:line: message`."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.forms.model import CompiledStudy
from app.pseudonymise.compile import build_plan
from app.pseudonymise.errors import ProfileError
from app.pseudonymise.profile import load_profile

VALID = """\
site: HUSAL
source:
  kind: csv
  date_format: "%Y-%m-%d"
patient:
  table: pacientes
  mrn: nhc
  mrn_pattern: '\\d{8}'
  infusion_date: fecha_infusion
  infusion_year: infusion_year
value_maps:
  sn: {S: 1, N: 0}
tables:
  - name: pacientes
    columns:
      sexo: {to: sex, values: {V: 1, M: 2}}
      ceim: {to: ethics_approval, value_map: sn}
      fecha_ld: {day: ld_start_day}
"""


def _problems(study: CompiledStudy, tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "SITE.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ProfileError) as caught:
        build_plan(load_profile(path), study)
    return [line.removeprefix(f"{path}:") for line in caught.value.lines]


def test_a_valid_profile_builds_a_plan(study: CompiledStudy, tmp_path: Path) -> None:
    path = tmp_path / "SITE.yaml"
    path.write_text(VALID, encoding="utf-8")
    plan = build_plan(load_profile(path), study)
    assert plan.patient_table.name == "pacientes"
    assert {rule.field.name for rule in plan.patient_table.rules.values()} == {
        "sex",
        "ethics_approval",
        "ld_start_day",
    }


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("    columns:", "    colums:", "15: tables.0.colums: Extra inputs are not permitted"),
        ("{to: sex, values", "{to: sexx, values", "16: 'sexx' is not a variable of this table's form(s)"),
        ("{V: 1, M: 2}", "{V: 1, M: 3}", "16: value map: 'M' -> '3' is not a code of 'sex'"),
        ("{day: ld_start_day}", "{day: weight_kg}", "18: 'weight_kg' is not a study-day variable"),
        (
            "{day: ld_start_day}",
            "{to: crs_grade}",
            "18: 'crs_grade' is a calculated field (never accepted as input) of this table's form(s)",
        ),
        (
            "{day: ld_start_day}",
            "{day: ld_start_day, to: ld_regimen}",
            "18: give exactly one of `to` (a variable) or `day` (a date to a study day)",
        ),  # fmt: skip
        ("value_map: sn}", "value_map: yn}", "17: no value map named 'yn' in value_maps"),
        ("site: HUSAL", "site: XXXX", "1: site 'XXXX' is not one of the study's sites"),
        (
            'date_format: "%Y-%m-%d"',
            'date_format: "%Y-%q"',
            "4: source.date_format: Value error, '%Y-%q' is not a date format that reads back "
            "(use e.g. %d/%m/%Y)",
        ),
        (
            "  infusion_year: infusion_year",
            "  infusion_year: weight_kg",
            "10: 'weight_kg' is not an integer variable of a once-per-patient form",
        ),  # fmt: skip
        (
            "  - name: pacientes",
            "  - name: pacientes\n    form: tocilizumabb",
            "15: 'tocilizumabb' is not a repeating form of the study",
        ),  # fmt: skip
        ("      ceim:", "      sexo: {to: sex}\n      ceim:", "17: duplicate key 'sexo'"),
        (
            "kind: csv",
            "kind: parquet",
            "3: source.kind: Input should be 'csv', 'csv_folder', 'xlsx', 'jsonl' or 'redcap'",
        ),
    ],
)
def test_each_problem_is_reported_with_its_line(
    study: CompiledStudy, tmp_path: Path, old: str, new: str, expected: str
) -> None:
    assert old in VALID
    assert _problems(study, tmp_path, VALID.replace(old, new, 1)) == [expected]


def test_every_problem_is_listed_at_once(study: CompiledStudy, tmp_path: Path) -> None:
    text = VALID.replace("{to: sex, values", "{to: sexx, values").replace("value_map: sn}", "value_map: yn}")
    assert _problems(study, tmp_path, text) == [
        "16: 'sexx' is not a variable of this table's form(s)",
        "17: no value map named 'yn' in value_maps",
    ]


def test_an_unreadable_profile_is_refused(study: CompiledStudy, tmp_path: Path) -> None:
    with pytest.raises(ProfileError) as caught:
        load_profile(tmp_path / "NOPE.yaml")
    assert caught.value.lines == [f"{tmp_path / 'NOPE.yaml'}:1: no such profile file"]
    assert _problems(study, tmp_path, "tables: [\n") == [
        "2: malformed YAML: expected the node content, but found '<stream end>'"
    ]
