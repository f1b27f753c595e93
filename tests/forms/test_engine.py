"""The validation engine: typed values, computed fields and every issue, from CSV strings or JSON."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from app.forms.engine import PatientData, validate, validate_completion
from app.forms.expr.runtime import MissingValue
from app.forms.model import CompiledStudy
from app.forms.problems import DefinitionError
from app.forms.ranges import range_text
from tests.forms.conftest import choices, label

VITALS: dict[str, Any] = {
    "fields": [
        {
            "name": "age",
            "type": "integer",
            "required": True,
            "range": {"min": 18, "max": 100},
            "soft_range": {"min": 20, "max": 90},
            "units": "years",
        },
        {"name": "sex", "type": "choice", "choices": choices((1, "male"), (2, "female"))},
        {"name": "pregnant", "type": "yesno", "show_if": "sex = 2", "required_if": "sex = 2"},
        {"name": "weight", "type": "decimal", "precision": 1, "range": {"min": 30, "max": 250}},
        {
            "name": "symptoms",
            "type": "multichoice",
            "choices": choices((0, "none"), (1, "fever"), (2, "rash")),
        },
        {"name": "note", "type": "text", "max_length": 10},
        {"name": "seen", "type": "date", "range": {"max": "today"}},
        {"name": "double_weight", "type": "calc", "calc": "weight * 2", "precision": 1},
    ],
    "rules": [
        {
            "name": "none_alone",
            "check": "not (0 in symptoms and count(symptoms) > 1)",
            "field": "symptoms",
            "message": label("none excludes the others"),
        },
        {
            "name": "old_and_light",
            "check": "not (age > 80 and weight < 40)",
            "severity": "warning",
            "field": "weight",
            "message": label("please confirm"),
        },
        {
            "name": "weight_at_completion",
            "check": "present(weight)",
            "on": "complete",
            "field": "weight",
            "message": label("weight needed to complete"),
        },
    ],
}


@pytest.fixture
def study(make_study: Any) -> CompiledStudy:
    visits = {
        "repeating": True,
        "key": ["day"],
        "fields": [
            {"name": "day", "type": "studyday", "required": True, "range": {"min": -7, "max": 100}},
            {"name": "temp", "type": "decimal", "precision": 1},
        ],
        "rules": [
            {
                "name": "after_age",
                "check": "day <= vitals.age",
                "field": "day",
                "message": label("day after age"),
            },
        ],
    }
    return make_study({"vitals": VITALS, "visits": visits}, privacy={"refuse_identifiers": True})


def codes(result: Any) -> set[tuple[str | None, str]]:
    return {(i.field, i.code) for i in result.issues}


def test_csv_strings_and_json_values_give_the_same_typed_values(study: CompiledStudy) -> None:
    from_csv = validate(
        study,
        "vitals",
        {"age": "45", "sex": "2", "pregnant": "0", "weight": "70.5", "symptoms": "1,2", "seen": "2021-05-01"},
    )
    from_json = validate(
        study,
        "vitals",
        {"age": 45, "sex": 2, "pregnant": 0, "weight": 70.5, "symptoms": [1, 2], "seen": "2021-05-01"},
    )
    assert from_csv.ok and from_json.ok
    assert from_csv.values == from_json.values
    assert from_csv.values["weight"] == Decimal("70.5")
    assert from_csv.values["symptoms"] == (1, 2)
    assert from_csv.computed == {"double_weight": Decimal("141.0")}


def test_every_issue_is_reported_not_just_the_first(study: CompiledStudy) -> None:
    result = validate(
        study,
        "vitals",
        {
            "age": "abc",
            "sex": "3",
            "weight": "70.55",
            "note": "far too long text",
            "seen": "2021-13-01",
            "bogus": "1",
            "double_weight": "3",
        },
    )
    assert codes(result) == {
        ("age", "not_integer"),
        ("sex", "invalid_choice"),
        ("weight", "precision"),
        ("note", "too_long"),
        ("seen", "not_date"),
        ("bogus", "unknown_field"),
        ("double_weight", "calculated"),
    }
    assert all(i.severity == "error" for i in result.issues)
    assert all(set(i.message) == {"en", "es"} for i in result.issues)


def test_required_and_required_if(study: CompiledStudy) -> None:
    assert codes(validate(study, "vitals", {"sex": "2"})) == {("age", "required"), ("pregnant", "required")}
    assert codes(validate(study, "vitals", {"age": "40", "sex": "1"})) == set()


def test_a_missing_required_value_refuses_only_completion_or_a_missing_key(study: CompiledStudy) -> None:
    # A chart is transcribed in several sittings: the save stands, the form cannot be completed.
    saved = validate(study, "vitals", {"sex": "2"})
    assert saved.ok and {(i.field, i.severity) for i in saved.warnings} == {
        ("age", "warning"),
        ("pregnant", "warning"),
    }
    assert saved.warnings[0].message["en"] == "a value is required before the form can be marked complete"
    completing = validate(study, "vitals", {"sex": "2"}, completing=True)
    assert {("age", "required"), ("pregnant", "required")} <= {(i.field, i.code) for i in completing.errors}
    # The key of a repeating form tells its entries apart: without it, nothing is saved.
    keyless = validate(study, "visits", {"temp": "37.5"}, instance=1)
    assert [(i.field, i.code, i.severity) for i in keyless.errors] == [("day", "required", "error")]


def test_a_value_for_a_hidden_field_is_an_error_and_is_not_kept(study: CompiledStudy) -> None:
    result = validate(study, "vitals", {"age": "40", "sex": "1", "pregnant": "1"})
    assert codes(result) == {("pregnant", "hidden_value")}
    assert "pregnant" not in result.values
    assert "sex = 2" in result.issues[0].message["en"]


def test_hard_range_rejects_and_soft_range_warns(study: CompiledStudy) -> None:
    hard = validate(study, "vitals", {"age": "17"})
    assert [(i.code, i.severity) for i in hard.issues] == [("out_of_range", "error")]
    assert "18–100 years" in hard.issues[0].message["en"]
    soft = validate(study, "vitals", {"age": "95"})
    assert [(i.code, i.severity) for i in soft.issues] == [("soft_range", "warning")]
    assert soft.ok and soft.values["age"] == 95
    assert validate(study, "vitals", {"age": "40", "seen": "2999-01-01"}).issues[0].code == "out_of_range"


def test_missing_data_codes_are_kept_as_codes_where_allowed(study: CompiledStudy) -> None:
    result = validate(study, "vitals", {"age": "40", "weight": "UNK", "note": "NA"})
    assert result.ok
    assert result.values["weight"] == MissingValue("UNK") and isinstance(
        result.values["weight"], MissingValue
    )
    assert result.computed["double_weight"] is None
    required_field = validate(study, "vitals", {"age": "UNK"})
    assert codes(required_field) == {("age", "missing_code_not_allowed")}


@pytest.mark.parametrize("raw", ["UNK", ["UNK"], ["unk"], "unk", ("UNK",)])
def test_a_multiple_choice_takes_a_missing_data_code_alone(study: CompiledStudy, raw: Any) -> None:
    result = validate(study, "vitals", {"age": "40", "symptoms": raw})
    assert result.ok, result.issues
    assert result.values["symptoms"] == MissingValue("UNK")


@pytest.mark.parametrize("raw", ["1,UNK", ["1", "UNK"], ["NA", "UNK"], [1, "nd"]])
def test_a_missing_data_code_beside_answers_is_refused_with_its_own_message(
    study: CompiledStudy, raw: Any
) -> None:
    result = validate(study, "vitals", {"age": "40", "symptoms": raw})
    assert codes(result) == {("symptoms", "missing_code_alone")}
    assert result.errors[0].message["en"].startswith("missing-data code ")


def test_rules_error_and_warning(study: CompiledStudy) -> None:
    assert codes(validate(study, "vitals", {"age": "40", "symptoms": [0, 1]})) == {
        ("symptoms", "rule:none_alone")
    }
    warned = validate(study, "vitals", {"age": "85", "weight": "35"})
    assert [(i.code, i.severity) for i in warned.issues] == [("rule:old_and_light", "warning")]
    assert warned.ok


def test_completion_rules_run_only_when_completing(study: CompiledStudy) -> None:
    assert validate(study, "vitals", {"age": "40"}).ok
    completing = validate(study, "vitals", {"age": "40"}, completing=True)
    assert codes(completing) == {("weight", "rule:weight_at_completion")}


def test_repeating_key_must_be_unique_within_the_patient(study: CompiledStudy) -> None:
    patient = PatientData(once={"vitals": {"age": 40}}, repeating={"visits": {1: {"day": 3}, 2: {"day": 4}}})
    assert validate(study, "visits", {"day": "4"}, patient=patient, instance=2).ok
    clash = validate(study, "visits", {"day": "3"}, patient=patient, instance=2)
    assert codes(clash) == {("day", "duplicate_key")}


def test_a_change_in_one_form_is_checked_against_rules_of_others(study: CompiledStudy) -> None:
    patient = PatientData(once={"vitals": {"age": 40}}, repeating={"visits": {1: {"day": 3}, 7: {"day": 30}}})
    result = validate(study, "vitals", {"age": "25"}, patient=patient)
    assert [(i.form, i.instance, i.field, i.code) for i in result.issues] == [
        ("visits", 7, "day", "rule:after_age")
    ]


def test_study_level_completion_rule(make_study: Any) -> None:
    study = make_study(
        {
            "base": {"fields": [{"name": "x", "type": "integer"}]},
            "doses": {"repeating": True, "fields": [{"name": "dose", "type": "decimal"}]},
        },
        rules=[
            {
                "name": "one_dose",
                "check": "count(doses) >= 1",
                "on": "complete",
                "message": label("at least one dose"),
            }
        ],
    )
    assert [i.code for i in validate_completion(study, PatientData())] == ["rule:one_dose"]
    assert validate_completion(study, PatientData(repeating={"doses": {1: {"dose": 1}}})) == []


def test_identifiers_are_refused_when_the_study_says_so(make_study: Any) -> None:
    forms = {"who": {"fields": [{"name": "mrn", "type": "text", "identifier": True}]}}
    refusing = make_study(forms, privacy={"refuse_identifiers": True})
    assert codes(validate(refusing, "who", {"mrn": "123"})) == {("mrn", "identifier")}


def test_identifiers_are_kept_when_the_study_allows_them(make_study: Any) -> None:
    forms = {"who": {"fields": [{"name": "mrn", "type": "text", "identifier": True}]}}
    allowing = make_study(forms, privacy={"refuse_identifiers": False})
    assert validate(allowing, "who", {"mrn": "123"}).values == {"mrn": "123"}


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("1e3", "not_number"),
        ("NaN", "not_number"),
        ("1_000", "not_number"),
        (True, "not_number"),
        ("12,5", "decimal_comma"),
        (" ", None),
        ("", None),
        (None, None),
    ],
)
def test_decimal_inputs(study: CompiledStudy, raw: Any, code: str | None) -> None:
    result = validate(study, "vitals", {"age": "40", "weight": raw})
    assert [i.code for i in result.issues] == ([code] if code else [])


def test_a_decimal_comma_where_a_point_is_expected_says_how_to_write_it(study: CompiledStudy) -> None:
    result = validate(study, "vitals", {"age": "40", "weight": "70,5"})
    assert codes(result) == {("weight", "decimal_comma")}
    assert result.errors[0].message["es"] == "'70,5' lleva coma decimal: escríbalo con punto, 70.5"
    assert codes(validate(study, "vitals", {"age": "40", "weight": "1,234,5"})) == {("weight", "not_number")}


def test_decimal_comma_fields_accept_a_comma(make_study: Any) -> None:
    study = make_study({"f": {"fields": [{"name": "h", "type": "decimal", "decimal_comma": True}]}})
    assert validate(study, "f", {"h": "1,54"}).values == {"h": Decimal("1.54")}


def test_integer_inputs_reject_floats_with_a_fraction_and_booleans(study: CompiledStudy) -> None:
    assert validate(study, "vitals", {"age": 40.0}).values["age"] == 40
    assert codes(validate(study, "vitals", {"age": 40.5})) == {("age", "not_integer")}
    assert codes(validate(study, "vitals", {"age": True})) == {("age", "not_integer")}


def test_a_range_with_negative_bounds_reads_as_two_numbers() -> None:
    assert range_text((-14, -1), None) == "-14 – -1"
    assert range_text((0, 365), "days") == "0–365 days"


def test_a_rule_message_pipes_the_values_it_names(make_study: Any) -> None:
    visits = {
        "repeating": True,
        "fields": [{"name": "day", "type": "studyday"}, {"name": "dose", "type": "decimal"}],
        "rules": [
            {
                "name": "by_last",
                "check": "day <= vitals.last",
                "message": {
                    "en": "day {day} is after the last day, {vitals.last}",
                    "es": "día {day} > {vitals.last}",
                },
            },
        ],
    }
    vitals = {"fields": [{"name": "last", "type": "integer"}]}
    study = make_study({"vitals": vitals, "visits": visits})
    patient = PatientData(once={"vitals": {"last": 30}})
    [issue] = validate(study, "visits", {"day": "40"}, patient=patient, instance=1).issues
    assert issue.message == {"en": "day 40 is after the last day, 30", "es": "día 40 > 30"}


def test_a_message_naming_an_unknown_variable_is_refused_at_load(make_study: Any) -> None:
    visits = {
        "fields": [{"name": "day", "type": "studyday"}],
        "rules": [{"name": "r", "check": "day > 0", "message": label("day {dya} is wrong")}],
    }
    with pytest.raises(DefinitionError, match="message"):
        make_study({"visits": visits})
