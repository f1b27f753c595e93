"""The study definition in forms/: it loads, and its calculations, ranges and rules do what CRF.md says.

Every expected value below was worked out by hand from the rules written in
/work/shared/study/CRF.md, not by re-running the formulas.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from app.forms.compile import load_study
from app.forms.engine import PatientData, Result, validate, validate_completion
from app.forms.expr.runtime import MissingValue, PatientView
from app.forms.model import CompiledStudy
from app.forms.problems import DefinitionError
from app.forms.schema import Severity
from app.forms.values import to_text
from tests.forms.conftest import label, write_study

FORMS_DIR = Path(__file__).resolve().parents[2] / "forms"


@pytest.fixture(scope="module")
def study() -> CompiledStudy:
    return load_study(FORMS_DIR)


def check(study: CompiledStudy, form: str, raw: dict[str, Any], patient: PatientData | None = None) -> Result:
    return validate(study, form, raw, patient=patient)


def computed_ok(
    study: CompiledStudy, form: str, raw: dict[str, Any], patient: PatientData | None = None
) -> dict[str, Any]:
    result = check(study, form, raw, patient)
    assert result.ok, [(i.field, i.code) for i in result.errors]
    return result.computed


def codes(result: Result, severity: Severity | None = None) -> set[tuple[str | None, str]]:
    return {(i.field, i.code) for i in result.issues if severity is None or i.severity == severity}


def day(**values: Any) -> dict[str, Any]:
    """One daily assessment (day 3) with the given findings."""
    return {"assess_day": 3, **values}


# --------------------------------------------------------------------------------------------------
# The definition as a whole


def test_study_loads_with_every_form_site_and_setting(study: CompiledStudy) -> None:
    spec = study.spec
    assert spec.id == "anakinra-crs-icans"
    assert spec.version == "1.0.0"
    assert spec.languages == ["en", "es"]
    assert spec.privacy.refuse_identifiers is True
    assert list(study.forms) == [
        "eligibility",
        "demographics",
        "disease",
        "cart_infusion",
        "daily_assessment",
        "toxicity_course",
        "tocilizumab",
        "corticosteroids",
        "anakinra",
        "infections",
        "followup",
    ]
    assert {s.code: (s.country, s.language) for s in spec.sites} == {
        "FHCC": ("US", "en"),
        "OHSU": ("US", "en"),
        "HCB": ("ES", "es"),
        "HUVH": ("ES", "es"),
        "HGUGM": ("ES", "es"),
        "H12O": ("ES", "es"),
        "CUN": ("ES", "es"),
        "HUSAL": ("ES", "es"),
        "LAFE": ("ES", "es"),
    }
    assert study.setting("high_dose_cutoff") == 4
    repeating = {name: form.spec.key for name, form in study.forms.items() if form.repeating}
    assert repeating == {
        "daily_assessment": ["assess_day"],
        "tocilizumab": ["toci_day", "toci_dose_no"],
        "corticosteroids": [],
        "anakinra": [],
        "infections": [],
    }


def test_age_is_top_coded_at_90_in_exports(study: CompiledStudy) -> None:
    """CRF.md: exports top-code age_at_infusion at 90 unless the coordinator asks otherwise."""
    age = study.field("age_at_infusion")
    assert age is not None and age.spec.top_code == 90
    declared = {f.name for form in study.forms.values() for f in form.fields.values() if f.spec.top_code}
    assert declared == {"age_at_infusion"}


def test_only_numbers_can_be_top_coded(tmp_path: Path) -> None:
    fields = [
        {"name": "x", "type": "integer", "top_code": 90},
        {"name": "note", "type": "text", "top_code": 90},
    ]
    derived = {"name": "d", "label": label("d"), "expr": "1", "result": "yesno", "definition": label("d")}
    directory = write_study(tmp_path / "s", {"f": {"fields": fields}}, derived=[{**derived, "top_code": 1}])
    with pytest.raises(DefinitionError) as caught:
        load_study(directory, shown_as="forms")

    def line(file: str, text: str) -> int:
        lines = (directory / file).read_text(encoding="utf-8").splitlines()
        return [i for i, t in enumerate(lines, 1) if t.strip().startswith(text)][-1]

    assert [str(p) for p in caught.value.problems] == [
        f"forms/f.yaml:{line('f.yaml', 'top_code')}: note: only integer and decimal fields can be "
        "top-coded, not a text field",
        f"forms/study.yaml:{line('study.yaml', 'top_code')}: derived variable 'd': "
        "only an integer or decimal result can be top-coded",
    ]


def test_every_label_has_english_and_spanish(study: CompiledStudy) -> None:
    def both(labels: dict[str, str] | None) -> bool:
        return labels is None or all(labels.get(lang, "").strip() for lang in ("en", "es"))

    for form in study.forms.values():
        assert both(form.spec.label)
        for field in form.spec.fields:
            assert both(field.label) and both(field.help) and both(field.section), field.name
            assert all(both(c.label) for c in field.choices or []), field.name
        assert all(both(rule.message) for rule in form.spec.rules)
    assert all(both(rule.message) for rule in study.spec.rules)
    assert all(both(d.label) and both(d.definition) for d in study.spec.derived)


# --------------------------------------------------------------------------------------------------
# ASTCT CRS grade


@pytest.mark.parametrize(
    ("findings", "grade"),
    [
        # fever domain
        ({"tmax_c": "37.5"}, 0),  # afebrile, nothing else entered
        ({"tmax_c": "37.9", "hypotension": 1, "vasopressors_n": 2}, 0),  # no fever: no CRS, whatever else
        ({"tmax_c": "38.0"}, 1),  # 38.0 is fever
        ({"tmax_c": "38.5"}, 1),  # only the temperature entered: fever alone is grade 1
        ({"tmax_c": "39.0", "fever_other_cause": 1, "hypotension": 1, "vasopressors_n": 2}, 0),
        ({"tmax_c": "39.0", "fever_other_cause": 0}, 1),
        ({"anticytokine_given": 1}, 1),  # fever no longer required after tocilizumab/steroids
        ({"tmax_c": "36.8", "anticytokine_given": 1, "o2_device": 4}, 3),
        ({"fever_other_cause": 1, "anticytokine_given": 0}, 0),  # fever ruled out without a temperature
        # hypotension domain (with fever)
        ({"tmax_c": "38.5", "hypotension": 0}, 1),
        ({"tmax_c": "38.5", "hypotension": 1}, 2),
        ({"tmax_c": "38.5", "hypotension": 1, "vasopressors_n": 0, "vasopressin": 0}, 2),
        ({"tmax_c": "38.5", "hypotension": 1, "vasopressors_n": 1}, 3),
        ({"tmax_c": "38.5", "hypotension": 1, "vasopressors_n": 0, "vasopressin": 1}, 3),
        ({"tmax_c": "38.5", "hypotension": 1, "vasopressors_n": 2}, 4),
        ({"tmax_c": "38.5", "hypotension": 1, "vasopressors_n": 3, "vasopressin": 1}, 4),
        # hypoxia domain (with fever)
        ({"tmax_c": "38.5", "o2_device": 0}, 1),
        ({"tmax_c": "38.5", "o2_device": 1, "o2_flow_lmin": "2"}, 2),
        ({"tmax_c": "38.5", "o2_device": 1, "o2_flow_lmin": "6"}, 2),  # low flow up to 6 L/min
        ({"tmax_c": "38.5", "o2_device": 1, "o2_flow_lmin": "6.5"}, 3),  # low-flow cannula above 6 L/min
        ({"tmax_c": "38.5", "o2_device": 2}, 2),  # blow-by
        ({"tmax_c": "38.5", "o2_device": 3, "o2_flow_lmin": "40"}, 3),  # high-flow cannula
        ({"tmax_c": "38.5", "o2_device": 4}, 3),
        ({"tmax_c": "38.5", "o2_device": 5}, 3),
        ({"tmax_c": "38.5", "o2_device": 6}, 3),
        ({"tmax_c": "38.5", "o2_device": 7}, 4),
        ({"tmax_c": "38.5", "o2_device": 8}, 4),
        ({"tmax_c": "38.5", "o2_device": 9}, 4),
        # the largest domain wins
        ({"tmax_c": "38.5", "hypotension": 1, "o2_device": 4}, 3),  # hypotension 2, hypoxia 3
        ({"tmax_c": "38.5", "hypotension": 1, "vasopressors_n": 2, "o2_device": 2}, 4),
        # hypotension and hypoxia due to another cause do not count
        (
            {
                "tmax_c": "38.5",
                "hypotension": 1,
                "vasopressors_n": 2,
                "o2_device": 9,
                "cardioresp_other_cause": 1,
            },
            1,
        ),
        ({"tmax_c": "38.5", "o2_device": 9, "cardioresp_other_cause": 0}, 4),
    ],
)
def test_crs_grade(study: CompiledStudy, findings: dict[str, Any], grade: int) -> None:
    assert computed_ok(study, "daily_assessment", day(**findings))["crs_grade"] == grade


@pytest.mark.parametrize(
    "findings",
    [
        {},  # nothing about CRS entered (an ICANS-only day)
        {"ice_not_done": 1},
        {"hypotension": 1, "vasopressors_n": 2},  # no temperature, no anti-cytokine therapy: fever unknown
        {"anticytokine_given": 0, "o2_device": 9},
    ],
)
def test_crs_grade_is_blank_when_fever_cannot_be_judged(
    study: CompiledStudy, findings: dict[str, Any]
) -> None:
    assert computed_ok(study, "daily_assessment", day(**findings))["crs_grade"] is None


# --------------------------------------------------------------------------------------------------
# ICE total and ASTCT ICANS grade


def ice(orientation: Any, naming: Any, commands: Any, writing: Any, attention: Any) -> dict[str, Any]:
    items = {
        "ice_orientation": orientation,
        "ice_naming": naming,
        "ice_commands": commands,
        "ice_writing": writing,
        "ice_attention": attention,
    }
    return {"ice_not_done": 0, **{k: v for k, v in items.items() if v is not None}}


@pytest.mark.parametrize(
    ("findings", "total", "grade"),
    [
        (ice(4, 3, 1, 1, 1), 10, 0),
        (ice(4, 3, 1, 1, 0), 9, 1),
        (ice(3, 2, 1, 1, 0), 7, 1),
        (ice(2, 2, 1, 1, 0), 6, 2),
        (ice(1, 1, 1, 0, 0), 3, 2),
        (ice(1, 1, 0, 0, 0), 2, 3),
        (ice(0, 0, 0, 0, 0), 0, 3),
    ],
)
def test_ice_total_and_its_icans_grade(
    study: CompiledStudy, findings: dict[str, Any], total: int, grade: int
) -> None:
    computed = computed_ok(study, "daily_assessment", day(**findings))
    assert computed["ice_total"] == total
    assert computed["icans_grade"] == grade


@pytest.mark.parametrize(
    "findings",
    [
        ice(4, 3, 1, 1, None),  # an item missing
        ice(4, 3, 1, "ND", 1),  # an item not done
        {"ice_not_done": 2},
        {"ice_not_done": 1},
        {},
    ],
)
def test_ice_total_is_blank_unless_done_with_all_five_items(
    study: CompiledStudy, findings: dict[str, Any]
) -> None:
    assert computed_ok(study, "daily_assessment", day(**findings))["ice_total"] is None


def test_ice_items_are_hidden_when_ice_not_done(study: CompiledStudy) -> None:
    result = check(study, "daily_assessment", day(ice_not_done=1, ice_orientation=2))
    assert ("ice_orientation", "hidden_value") in codes(result, Severity.error)


@pytest.mark.parametrize(
    ("findings", "grade"),
    [
        # ICE domain when the ICE could not be done
        ({"ice_not_done": 1}, 4),  # unarousable
        ({"ice_not_done": 2}, 0),
        ({"ice_not_done": 3}, 0),
        ({"ice_not_done": 99}, 0),
        # consciousness
        ({"consciousness": 0}, 0),
        ({"consciousness": 1}, 1),
        ({"consciousness": 2}, 2),
        ({"consciousness": 3}, 3),
        ({"consciousness": 3, "consciousness_sedation": 0}, 3),
        ({"consciousness": 4}, 4),
        ({"consciousness": 4, "consciousness_sedation": 1}, 0),  # explained by sedation
        ({"ice_not_done": 2, "consciousness": 3, "consciousness_sedation": 1}, 0),
        # seizure
        ({"seizure": 0}, 0),
        ({"seizure": 1}, 3),
        ({"seizure": 2}, 4),
        # motor
        ({"motor_weakness": 0}, 0),
        ({"motor_weakness": 1}, 4),
        # cerebral oedema
        ({"cerebral_edema": 0}, 0),
        ({"cerebral_edema": 1}, 3),
        ({"cerebral_edema": 2}, 4),
        # the largest domain wins
        ({**ice(4, 2, 1, 1, 0), "consciousness": 2}, 2),  # ICE 8 -> 1, consciousness 2
        (
            {
                **ice(4, 3, 1, 1, 1),
                "consciousness": 0,
                "seizure": 0,
                "motor_weakness": 0,
                "cerebral_edema": 1,
            },
            3,
        ),
        ({**ice(2, 1, 1, 0, 0), "seizure": 1, "cerebral_edema": 2}, 4),
    ],
)
def test_icans_grade(study: CompiledStudy, findings: dict[str, Any], grade: int) -> None:
    assert computed_ok(study, "daily_assessment", day(**findings))["icans_grade"] == grade


def test_icans_grade_is_blank_when_no_neurological_finding_is_entered(study: CompiledStudy) -> None:
    computed = computed_ok(study, "daily_assessment", day(tmax_c="38.5"))
    assert computed == {"ice_total": None, "crs_grade": 1, "icans_grade": None}


# --------------------------------------------------------------------------------------------------
# Other calculations


@pytest.mark.parametrize(
    ("raw", "mgl"),
    [
        ({"crp_pre_ld": "5.2", "crp_unit": 1}, Decimal("5.2")),
        ({"crp_pre_ld": "5.2", "crp_unit": 2}, 52),
        ({"crp_pre_ld": "0", "crp_unit": 2}, 0),
        ({}, None),
    ],
)
def test_crp_in_mg_per_litre(study: CompiledStudy, raw: dict[str, Any], mgl: Any) -> None:
    assert computed_ok(study, "disease", {"disease": 1, **raw})["crp_pre_ld_mgl"] == mgl


def test_crp_unit_required_when_crp_given(study: CompiledStudy) -> None:
    result = check(study, "disease", {"disease": 1, "crp_pre_ld": "12"})
    # Saved half filled, as in REDCap; the form cannot be marked complete without it.
    assert ("crp_unit", "required") in codes(result, Severity.warning) and result.ok
    assert result.computed["crp_pre_ld_mgl"] is None
    completing = validate(study, "disease", {"disease": 1, "crp_pre_ld": "12"}, completing=True)
    assert ("crp_unit", "required") in codes(completing, Severity.error)


@pytest.mark.parametrize(
    ("product", "target"),
    [(1, 1), (2, 1), (3, 1), (4, 1), (7, 1), (5, 2), (6, 2), (8, 2), (99, None)],
)
def test_cart_target(study: CompiledStudy, product: int, target: int | None) -> None:
    raw: dict[str, Any] = {"product": product}
    if product == 99:
        raw["product_other"] = "ARI-0003"
    assert computed_ok(study, "cart_infusion", raw)["cart_target"] == target


@pytest.mark.parametrize(
    ("drug", "dose", "per_day", "start", "stop", "dexeq_day", "dexeq_total"),
    [
        (1, "10", "2", 1, 5, 20, 100),  # dexamethasone 10 mg x 2 = 20 mg/day, 5 days
        (1, "8", "0.5", 0, 3, 4, 16),  # every other day: 8 x 0.5 = 4 mg/day, 4 days
        (2, "1000", "1", 2, 4, Decimal("187.5"), Decimal("562.5")),  # methylprednisolone x 0.1875
        (3, "60", "1", 1, 1, 9, 9),  # prednisone 60 x 0.15 = 9
        (4, "50", "2", -2, 0, 15, 45),  # prednisolone 100 x 0.15 = 15, days -2..0
        (5, "100", "3", 5, 6, Decimal("11.25"), Decimal("22.5")),  # hydrocortisone 300 x 0.0375
        (6, "4", "1", 7, 8, 5, 10),  # betamethasone 4 x 1.25 = 5
        (1, "10", "1", 3, None, 10, None),  # no stop day: total unknown
    ],
)
def test_steroid_dexamethasone_equivalents(
    study: CompiledStudy,
    drug: int,
    dose: str,
    per_day: str,
    start: int,
    stop: int | None,
    dexeq_day: Any,
    dexeq_total: Any,
) -> None:
    raw = {
        "steroid_drug": drug,
        "steroid_dose_mg": dose,
        "steroid_freq_per_day": per_day,
        "steroid_start_day": start,
        "steroid_stop_day": stop,
    }
    computed = computed_ok(study, "corticosteroids", raw)
    assert computed["steroid_dexeq_mg_day"] == dexeq_day
    assert computed["steroid_dexeq_mg_total"] == dexeq_total


def anakinra(dose: Any, freq: int, route: int = 1, **more: Any) -> dict[str, Any]:
    return {
        "anakinra_start_day": 4,
        "anakinra_dose_mg": dose,
        "anakinra_freq": freq,
        "anakinra_route": route,
        "anakinra_indication": 1,
        **more,
    }


def with_weight(kg: Any) -> PatientData:
    return PatientData(once={"demographics": {"age_at_infusion": 60, "sex": 1, "weight_kg": Decimal(kg)}})


@pytest.mark.parametrize(
    ("raw", "mg_day"),
    [
        (anakinra(100, 1), 100),  # every 24 h
        (anakinra(100, 2), 200),  # every 12 h
        (anakinra(200, 3, route=2), 600),  # every 8 h
        (anakinra(100, 4), 400),  # every 6 h
        (anakinra(600, 4, route=2), 2400),  # the hard maximum itself
        (anakinra(720, 5, route=3), 720),  # continuous infusion: the dose is already per day
    ],
)
def test_anakinra_mg_day(study: CompiledStudy, raw: dict[str, Any], mg_day: int) -> None:
    assert computed_ok(study, "anakinra", raw, with_weight(80))["anakinra_mg_day"] == mg_day


def test_anakinra_mg_day_hard_range(study: CompiledStudy) -> None:
    result = check(study, "anakinra", anakinra(700, 4, route=2), with_weight(80))  # 2800 mg/day
    assert ("anakinra_mg_day", "calc_out_of_range") in codes(result, Severity.error)


@pytest.mark.parametrize(
    ("raw", "demographics_kg", "mgkg", "warned"),
    [
        (anakinra(200, 4, route=2, anakinra_weight_kg="100"), "80", 8, False),  # 800 / dosing weight 100
        (anakinra(200, 4, route=2), "80", 10, False),  # 800 / demographics 80
        (anakinra(200, 4, route=2, anakinra_weight_kg="UNK"), "80", 10, False),  # unknown: demographics
        (anakinra(100, 2), "70", Decimal("2.86"), False),  # 200 / 70 = 2.857 -> 2.86
        (anakinra(200, 4, route=2), "60", Decimal("13.33"), True),  # 800 / 60 = 13.33 > 12: query
        (anakinra(720, 5, route=3), "60", 12, False),  # 720 / 60 = 12: not above 12
    ],
)
def test_anakinra_mgkg_day(
    study: CompiledStudy, raw: dict[str, Any], demographics_kg: str, mgkg: Any, warned: bool
) -> None:
    result = check(study, "anakinra", raw, with_weight(demographics_kg))
    assert result.ok
    assert result.computed["anakinra_mgkg_day"] == mgkg
    assert (("anakinra_mgkg_day", "soft_range") in codes(result, Severity.warning)) is warned


def test_anakinra_mgkg_day_blank_without_any_weight(study: CompiledStudy) -> None:
    assert computed_ok(study, "anakinra", anakinra(100, 1))["anakinra_mgkg_day"] is None


# --------------------------------------------------------------------------------------------------
# Ranges and show-if


def demographics(weight: Any) -> dict[str, Any]:
    return {"age_at_infusion": 55, "sex": 2, "weight_kg": weight}


def test_weight_in_expected_range_passes(study: CompiledStudy) -> None:
    assert check(study, "demographics", demographics("72.5")).issues == []


def test_weight_160_opens_a_query(study: CompiledStudy) -> None:
    result = check(study, "demographics", demographics("160"))
    assert result.ok
    assert codes(result) == {("weight_kg", "soft_range")}
    assert result.values["weight_kg"] == 160


def test_weight_20_is_rejected(study: CompiledStudy) -> None:
    result = check(study, "demographics", demographics("20"))
    assert codes(result, Severity.error) == {("weight_kg", "out_of_range")}


def test_weight_has_one_decimal(study: CompiledStudy) -> None:
    result = check(study, "demographics", demographics("72.55"))
    assert ("weight_kg", "precision") in codes(result, Severity.error)


def test_weight_is_required_and_takes_no_missing_code(study: CompiledStudy) -> None:
    assert ("weight_kg", "required") in codes(check(study, "demographics", {"age_at_infusion": 55, "sex": 1}))
    result = check(study, "demographics", demographics("UNK"))
    assert ("weight_kg", "missing_code_not_allowed") in codes(result, Severity.error)


def test_missing_codes_on_optional_fields(study: CompiledStudy) -> None:
    result = check(study, "demographics", {**demographics("70"), "height_cm": "UNK", "ecog": "ND"})
    assert result.ok and result.issues == []


@pytest.mark.parametrize("hypotension", [0, None])
def test_vasopressor_fields_hidden_without_hypotension(study: CompiledStudy, hypotension: int | None) -> None:
    raw = day(tmax_c="38.5", hypotension=hypotension, vasopressors_n=1, vasopressin=1)
    result = check(study, "daily_assessment", raw)
    assert {("vasopressors_n", "hidden_value"), ("vasopressin", "hidden_value")} <= codes(
        result, Severity.error
    )


def test_oxygen_flow_asked_and_required_for_nasal_cannulas(study: CompiledStudy) -> None:
    assert ("o2_flow_lmin", "required") in codes(check(study, "daily_assessment", day(o2_device=3)))
    result = check(study, "daily_assessment", day(o2_device=4, o2_flow_lmin="10"))
    assert ("o2_flow_lmin", "hidden_value") in codes(result, Severity.error)


def test_temperature_ranges(study: CompiledStudy) -> None:
    assert codes(check(study, "daily_assessment", day(tmax_c="42.5"))) == {("tmax_c", "soft_range")}
    assert ("tmax_c", "out_of_range") in codes(check(study, "daily_assessment", day(tmax_c="43.5")))


def test_other_disease_shown_and_required_only_for_other(study: CompiledStudy) -> None:
    assert ("disease_other", "required") in codes(check(study, "disease", {"disease": 99}))
    assert ("disease_other", "hidden_value") in codes(
        check(study, "disease", {"disease": 1, "disease_other": "x"})
    )


def test_calculated_fields_are_never_input(study: CompiledStudy) -> None:
    result = check(study, "daily_assessment", day(crs_grade=2))
    assert ("crs_grade", "calculated") in codes(result, Severity.error)


def test_infusion_year_range(study: CompiledStudy) -> None:
    base = {"anakinra_indication": 1, "refractory_to": [1], "ethics_approval": 1}
    assert check(study, "eligibility", {**base, "infusion_year": 2021}).ok
    assert ("infusion_year", "out_of_range") in codes(
        check(study, "eligibility", {**base, "infusion_year": 2016})
    )
    assert ("infusion_year", "out_of_range") in codes(
        check(study, "eligibility", {**base, "infusion_year": 2999})
    )


# --------------------------------------------------------------------------------------------------
# Rules


def rule_issues(result: Result, severity: Severity) -> set[str]:
    return {
        i.code.removeprefix("rule:")
        for i in result.issues
        if i.code.startswith("rule:") and i.severity == severity
    }


def test_ethics_approval_must_be_yes(study: CompiledStudy) -> None:
    raw = {"anakinra_indication": 1, "refractory_to": [1, 2], "ethics_approval": 0}
    assert rule_issues(check(study, "eligibility", raw), Severity.error) == {"ethics_approval_yes"}


def test_prophylaxis_none_excludes_the_others(study: CompiledStudy) -> None:
    assert check(study, "cart_infusion", {"product": 1, "prophylaxis": [0]}).ok
    assert check(study, "cart_infusion", {"product": 1, "prophylaxis": [1, 3]}).ok
    result = check(study, "cart_infusion", {"product": 1, "prophylaxis": [0, 1]})
    assert rule_issues(result, Severity.error) == {"prophylaxis_none_alone"}


@pytest.mark.parametrize(
    ("product", "disease", "warning"),
    [
        (1, 1, None),
        (6, 6, None),
        (5, 1, "bcma_product_fits_disease"),
        (2, 6, "cd19_product_fits_disease"),
        (7, 4, None),
        (99, 6, None),
    ],
)
def test_product_fits_disease(study: CompiledStudy, product: int, disease: int, warning: str | None) -> None:
    patient = PatientData(once={"disease": {"disease": disease}})
    raw: dict[str, Any] = {"product": product, **({"product_other": "x"} if product == 99 else {})}
    result = check(study, "cart_infusion", raw, patient)
    assert result.ok
    assert rule_issues(result, Severity.warning) == ({warning} if warning else set())


def test_reported_grade_equals_computed_under_astct(study: CompiledStudy) -> None:
    # fever + hypotension with one vasopressor = CRS 3; consciousness 2 = ICANS 2
    findings = {"tmax_c": "38.4", "hypotension": 1, "vasopressors_n": 1, "consciousness": 2}
    agree = day(**findings, grading_scale=1, crs_grade_reported=3, icans_grade_reported=2)
    assert check(study, "daily_assessment", agree).issues == []
    differ = day(**findings, grading_scale=1, crs_grade_reported=2, icans_grade_reported=3)
    assert rule_issues(check(study, "daily_assessment", differ), Severity.warning) == {
        "crs_grade_matches_astct",
        "icans_grade_matches_astct",
    }
    other_scale = day(**findings, grading_scale=2, crs_grade_reported=2, icans_grade_reported=3)
    assert check(study, "daily_assessment", other_scale).issues == []


def test_crs_max_grade_equals_largest_daily_grade(study: CompiledStudy) -> None:
    days = {
        1: {"assess_day": 1, "crs_grade": 1},
        2: {"assess_day": 2, "crs_grade": 3},
        3: {"assess_day": 3, "crs_grade": None},
    }
    patient = PatientData(repeating={"daily_assessment": days})
    course = {"crs_occurred": 1, "crs_onset_day": 1, "crs_resolution_day": 4, "icans_occurred": 0}
    assert check(study, "toxicity_course", {**course, "crs_max_grade": 3}, patient).issues == []
    result = check(study, "toxicity_course", {**course, "crs_max_grade": 2}, patient)
    assert result.ok and rule_issues(result, Severity.warning) == {"crs_max_grade_matches_daily"}


def test_resolution_not_before_onset(study: CompiledStudy) -> None:
    raw = {"crs_occurred": 0, "icans_occurred": 1, "icans_onset_day": 5, "icans_resolution_day": 4}
    assert rule_issues(check(study, "toxicity_course", raw), Severity.error) == {
        "icans_resolution_after_onset"
    }


def test_tocilizumab_dose_per_kg_and_doses_per_day(study: CompiledStudy) -> None:
    patient = with_weight("70")
    # 8 mg/kg of 70 kg = 560 mg; 8.8 mg/kg = 616 mg
    assert (
        check(study, "tocilizumab", {"toci_day": 1, "toci_dose_no": 1, "toci_dose_mg": 616}, patient).issues
        == []
    )
    result = check(study, "tocilizumab", {"toci_day": 1, "toci_dose_no": 1, "toci_dose_mg": 620}, patient)
    assert rule_issues(result, Severity.warning) == {"toci_dose_per_kg"}
    patient.repeating["tocilizumab"] = {
        n: {"toci_day": 2, "toci_dose_no": n, "toci_dose_mg": Decimal(560)} for n in (1, 2, 3)
    }
    fourth = check(study, "tocilizumab", {"toci_day": 2, "toci_dose_no": 4, "toci_dose_mg": 560}, patient)
    assert rule_issues(fourth, Severity.warning) == {"toci_max_three_per_day"}
    other_day = check(study, "tocilizumab", {"toci_day": 3, "toci_dose_no": 4, "toci_dose_mg": 560}, patient)
    assert other_day.issues == []


def test_anakinra_route_goes_with_frequency(study: CompiledStudy) -> None:
    patient = with_weight("70")
    assert rule_issues(check(study, "anakinra", anakinra(400, 1, route=3), patient), Severity.error) == {
        "anakinra_route_matches_freq"
    }
    assert rule_issues(check(study, "anakinra", anakinra(400, 5, route=2), patient), Severity.error) == {
        "anakinra_route_matches_freq"
    }


def test_anakinra_not_before_onset_of_the_toxicity_it_treats(study: CompiledStudy) -> None:
    patient = with_weight("70")
    patient.once["toxicity_course"] = {
        "crs_occurred": 1,
        "crs_onset_day": 2,
        "icans_occurred": 1,
        "icans_onset_day": 6,
    }
    early = check(study, "anakinra", anakinra(100, 1), patient)  # ICANS segment starting day 4
    assert early.ok and rule_issues(early, Severity.warning) == {"anakinra_after_icans_onset"}
    for_crs = check(study, "anakinra", anakinra(100, 1, anakinra_indication=2), patient)
    assert for_crs.issues == []


def test_grade_5_infection_and_death(study: CompiledStudy) -> None:
    raw = {
        "infection_day": 10,
        "infection_category": 1,
        "infection_organism": "E. coli",
        "infection_grade": 5,
    }
    alive = PatientData(once={"followup": {"last_followup_day": 90, "vital_status": 1}})
    assert rule_issues(check(study, "infections", raw, alive), Severity.error) == {
        "infection_g5_patient_died"
    }
    other_cause = PatientData(
        once={"followup": {"last_followup_day": 12, "vital_status": 2, "death_day": 12, "death_cause": 3}}
    )
    result = check(study, "infections", raw, other_cause)
    assert result.ok and rule_issues(result, Severity.warning) == {"infection_g5_death_cause"}
    infection_death = PatientData(
        once={"followup": {"last_followup_day": 12, "vital_status": 2, "death_day": 12, "death_cause": 4}}
    )
    assert check(study, "infections", raw, infection_death).issues == []


def test_organism_required_unless_clinically_defined(study: CompiledStudy) -> None:
    raw = {"infection_day": 10, "infection_grade": 2}
    assert ("infection_organism", "required") in codes(
        check(study, "infections", {**raw, "infection_category": 2})
    )
    assert check(study, "infections", {**raw, "infection_category": 5}).ok


def test_death_day_equals_last_followup(study: CompiledStudy) -> None:
    raw = {"last_followup_day": 30, "vital_status": 2, "death_day": 29, "death_cause": 4}
    assert rule_issues(check(study, "followup", raw), Severity.error) == {"death_day_is_last_followup"}
    assert check(study, "followup", {**raw, "death_day": 30}).ok


def test_no_study_day_after_last_followup_or_death(study: CompiledStudy) -> None:
    patient = PatientData(once={"followup": {"last_followup_day": 30, "vital_status": 1}})
    infection = {"infection_day": 31, "infection_category": 5, "infection_grade": 2}
    assert rule_issues(check(study, "infections", infection, patient), Severity.error) == {
        "infection_day_within_followup"
    }
    assert check(study, "infections", {**infection, "infection_day": 30}, patient).ok
    steroid = {
        "steroid_drug": 1,
        "steroid_dose_mg": 10,
        "steroid_freq_per_day": 1,
        "steroid_start_day": 25,
        "steroid_stop_day": 35,
    }
    assert rule_issues(check(study, "corticosteroids", steroid, patient), Severity.error) == {
        "steroid_days_within_followup"
    }
    # saving the follow-up re-checks the forms it constrains
    patient = PatientData(repeating={"infections": {1: {**infection, "infection_day": 20}}})
    result = check(study, "followup", {"last_followup_day": 15, "vital_status": 1}, patient)
    assert rule_issues(result, Severity.error) == {"infection_day_within_followup"}
    relapse = {"last_followup_day": 15, "vital_status": 1, "relapse": 1, "relapse_day": 16}
    assert rule_issues(check(study, "followup", relapse), Severity.error) == {"followup_days_within_followup"}


def test_indication_agrees_with_toxicities(study: CompiledStudy) -> None:
    patient = PatientData(
        once={"eligibility": {"anakinra_indication": 3, "refractory_to": (1,), "ethics_approval": 1}}
    )
    course = {"crs_occurred": 0, "icans_occurred": 1, "icans_onset_day": 3}
    result = check(study, "toxicity_course", course, patient)
    assert result.ok and rule_issues(result, Severity.warning) == {"crs_indication_has_crs"}


def test_record_complete_only_with_anakinra(study: CompiledStudy) -> None:
    issues = validate_completion(study, PatientData())
    assert [i.code for i in issues] == ["rule:anakinra_given"]
    assert issues[0].form is None  # a study-level check, not one of the first form's
    segment = {"anakinra_start_day": 4, "anakinra_dose_mg": Decimal(100), "anakinra_freq": 1}
    assert validate_completion(study, PatientData(repeating={"anakinra": {1: segment}})) == []


# --------------------------------------------------------------------------------------------------
# Derived analysis variables


def stored(study: CompiledStudy, form: str, raw: dict[str, Any], patient: PatientData | None = None) -> dict:
    """What the platform stores for one instance: its inputs and its calculations."""
    result = check(study, form, raw, patient)
    assert result.ok, [(i.field, i.code) for i in result.errors]
    return {**result.values, **result.computed}


def derive(study: CompiledStudy, once: dict[str, dict], repeating: dict[str, list[dict]]) -> dict[str, Any]:
    view = PatientView(once=once, repeating=repeating)
    values: dict[str, Any] = {}
    for derived in study.derived:
        values[derived.name] = derived.compiled.fn(values, view, values)
    return values


@pytest.fixture(scope="module")
def patient(study: CompiledStudy) -> dict[str, Any]:
    """A hand-worked patient.

    Weight 70 kg. Anakinra: days 5-6 IV bolus 100 mg every 6 h (400 mg/day = 5.71 mg/kg/day), then
    days 7-9 subcutaneous 100 mg every 24 h, stopped for an injection-site reaction.
    Corticosteroids: dexamethasone 10 mg every 6 h days 3-5 (40 mg/day), methylprednisolone 1 g days 4-6
    (187.5 mg/day of dexamethasone). Two doses of tocilizumab. ICANS grades 4 (day 2), 3 (day 5), 1 (day 8).
    CRS days 1-4, ICANS days 2-10. Infections day 12 grade 2 and day 45 grade 3.
    Partial response; died of infection on day 20 without relapse.
    """
    demographics = stored(study, "demographics", {"age_at_infusion": 61, "sex": 1, "weight_kg": "70"})
    weight = PatientData(once={"demographics": demographics})
    segments = [
        stored(
            study,
            "anakinra",
            {
                "anakinra_start_day": 5,
                "anakinra_stop_day": 6,
                "anakinra_dose_mg": 100,
                "anakinra_freq": 4,
                "anakinra_route": 2,
                "anakinra_indication": 1,
            },
            weight,
        ),
        stored(
            study,
            "anakinra",
            {
                "anakinra_start_day": 7,
                "anakinra_stop_day": 9,
                "anakinra_dose_mg": 100,
                "anakinra_freq": 1,
                "anakinra_route": 1,
                "anakinra_indication": 1,
                "anakinra_stop_reason": 2,
                "anakinra_ae": [1],
            },
            weight,
        ),
    ]
    steroids = [
        stored(
            study,
            "corticosteroids",
            {
                "steroid_drug": 1,
                "steroid_dose_mg": 10,
                "steroid_freq_per_day": 4,
                "steroid_start_day": 3,
                "steroid_stop_day": 5,
            },
        ),
        stored(
            study,
            "corticosteroids",
            {
                "steroid_drug": 2,
                "steroid_dose_mg": 1000,
                "steroid_freq_per_day": 1,
                "steroid_start_day": 4,
                "steroid_stop_day": 6,
            },
        ),
    ]
    days = [
        stored(study, "daily_assessment", {"assess_day": 1, "tmax_c": "38.9", "hypotension": 1}),  # CRS 2
        stored(study, "daily_assessment", {"assess_day": 2, "tmax_c": "38.1", "ice_not_done": 1}),  # 1 / 4
        stored(study, "daily_assessment", {"assess_day": 5, "tmax_c": "37.0", "consciousness": 3}),  # 0 / 3
        stored(study, "daily_assessment", {"assess_day": 8, **ice(4, 2, 1, 1, 0)}),  # - / ICE 8 -> 1
    ]
    assert [(d["crs_grade"], d["icans_grade"]) for d in days] == [(2, None), (1, 4), (0, 3), (None, 1)]
    once = {
        "demographics": demographics,
        "toxicity_course": {
            "crs_occurred": 1,
            "crs_onset_day": 1,
            "crs_resolution_day": 4,
            "icans_occurred": 1,
            "icans_onset_day": 2,
            "icans_resolution_day": 10,
        },
        "followup": {
            "best_response": 2,
            "relapse": 0,
            "last_followup_day": 20,
            "vital_status": 2,
            "death_day": 20,
            "death_cause": 4,
        },
    }
    repeating = {
        "anakinra": segments,
        "corticosteroids": steroids,
        "daily_assessment": days,
        "tocilizumab": [
            {"toci_day": 1, "toci_dose_no": 1, "toci_dose_mg": Decimal(560)},
            {"toci_day": 2, "toci_dose_no": 2, "toci_dose_mg": Decimal(560)},
        ],
        "infections": [
            {"infection_day": 12, "infection_category": 2, "infection_grade": 2},
            {"infection_day": 45, "infection_category": 1, "infection_grade": 3},
        ],
    }
    return {"once": once, "repeating": repeating}


def test_derived_variables_of_a_hand_worked_patient(study: CompiledStudy, patient: dict[str, Any]) -> None:
    derived = derive(study, patient["once"], patient["repeating"])
    assert derived == {
        "anakinra_first_day": 5,
        "anakinra_initial_mgkg_day": Decimal("5.71"),  # 400 / 70
        "anakinra_max_mgkg_day": Decimal("5.71"),  # the second segment is 100 / 70 = 1.43
        "anakinra_cum_mg": 1100,  # 400 x 2 days + 100 x 3 days
        "anakinra_days": 5,  # days 5 to 9
        "dose_group": 1,  # first segment IV and 5.71 >= 4 mg/kg/day
        "anakinra_ae_stop": 1,
        "peak_crs_grade": 2,
        "peak_icans_grade": 4,
        "peak_icans_post_anakinra": 3,  # days 5 and 8 only
        "crs_days_to_resolution": 3,
        "icans_days_to_resolution": 8,
        "icans_days_anakinra_to_res": 5,
        "steroid_cum_dexeq_mg": Decimal("682.5"),  # 40 x 3 + 187.5 x 3
        "steroid_days": 4,  # days 3, 4, 5, 6
        "toci_doses": 2,
        "orr": 1,
        "trm": 1,  # died of infection, no relapse
        "trm_d28": 1,
        "trm_d60": 1,
        "trm_d28_from_anakinra": 1,  # 20 - 5 = 15 days
        "infection_d30": 1,  # day 12
        "infection_g3_d30": 0,  # the grade 3 infection is on day 45
    }


def test_derived_variables_of_a_patient_without_events(study: CompiledStudy) -> None:
    derived = derive(
        study,
        {
            "followup": {
                "best_response": 4,
                "relapse": 1,
                "relapse_day": 30,
                "last_followup_day": 200,
                "vital_status": 1,
            }
        },
        {},
    )
    assert derived["peak_crs_grade"] == 0  # 0 when none
    assert derived["peak_icans_grade"] is None
    assert derived["anakinra_first_day"] is None and derived["dose_group"] is None
    assert derived["steroid_days"] == 0 and derived["steroid_cum_dexeq_mg"] == 0
    assert derived["toci_doses"] == 0 and derived["anakinra_ae_stop"] == 0
    assert derived["orr"] == 0
    assert (derived["trm"], derived["trm_d28"], derived["trm_d60"]) == (0, 0, 0)
    assert (derived["infection_d30"], derived["infection_g3_d30"]) == (0, 0)


@pytest.mark.parametrize(
    ("followup", "trm", "d28", "d60"),
    [
        ({"relapse": 0, "vital_status": 2, "death_day": 40, "death_cause": 5}, 1, 0, 1),  # IEC-HS day 40
        ({"relapse": 0, "vital_status": 2, "death_day": 70, "death_cause": 3}, 1, 0, 0),  # ICANS day 70
        ({"relapse": 0, "vital_status": 2, "death_day": 25, "death_cause": 1}, 0, 0, 0),  # progression
        ({"relapse": 1, "relapse_day": 30, "vital_status": 2, "death_day": 40, "death_cause": 4}, 0, 0, 0),
        ({"relapse": 1, "relapse_day": 40, "vital_status": 2, "death_day": 40, "death_cause": 4}, 0, 0, 0),
        ({"vital_status": 1}, 0, 0, 0),
    ],
)
def test_treatment_related_mortality(
    study: CompiledStudy, followup: dict[str, Any], trm: int, d28: int, d60: int
) -> None:
    values = {"last_followup_day": followup.get("death_day", 100), **followup}
    derived = derive(study, {"followup": values}, {})
    assert (derived["trm"], derived["trm_d28"], derived["trm_d60"]) == (trm, d28, d60)


def test_trm_is_blank_without_followup(study: CompiledStudy) -> None:
    derived = derive(study, {}, {})
    assert (derived["trm"], derived["trm_d28"], derived["trm_d60"], derived["orr"]) == (
        None,
        None,
        None,
        None,
    )


@pytest.mark.parametrize(
    ("route", "mg_day", "mgkg", "group"),
    [
        (1, 100, Decimal("1.43"), 2),  # subcutaneous 100 mg/day (70 kg): low
        (1, 200, Decimal("2.86"), 2),  # 200 mg/day is still low
        (1, 300, Decimal("4.29"), 3),  # subcutaneous: never high, above 200 mg/day: intermediate
        (2, 200, Decimal("2.86"), 2),  # IV but below 4 mg/kg/day, 200 mg/day: low
        (2, 250, Decimal("3.57"), 3),  # IV below 4 mg/kg/day, above 200 mg/day: intermediate
        (2, 280, Decimal("4.00"), 1),  # IV at the cut-off itself (280 / 70): high
        (3, 560, Decimal("8.00"), 1),  # continuous IV 8 mg/kg/day: high
        (2, 200, Decimal("4.44"), 1),  # IV 200 mg/day in a 45 kg patient: high, although <= 200 mg/day
        (2, 600, None, None),  # IV with no dose per kg (no weight): cannot tell
    ],
)
def test_dose_group(
    study: CompiledStudy, route: int, mg_day: int, mgkg: Decimal | None, group: int | None
) -> None:
    first = {
        "anakinra_start_day": 3,
        "anakinra_stop_day": 4,
        "anakinra_route": route,
        "anakinra_mg_day": mg_day,
        "anakinra_mgkg_day": mgkg,
    }
    later = {
        "anakinra_start_day": 5,
        "anakinra_stop_day": 6,
        "anakinra_route": 3,
        "anakinra_mg_day": 800,
        "anakinra_mgkg_day": Decimal("11.43"),
    }
    derived = derive(study, {}, {"anakinra": [later, first]})  # only the earliest segment decides
    assert derived["dose_group"] == group
    assert derived["anakinra_initial_mgkg_day"] == mgkg


def test_a_calculation_without_a_declared_precision_keeps_no_trailing_zeros(study: CompiledStudy) -> None:
    raw = {
        "steroid_drug": 2,  # methylprednisolone: 0.1875 mg of dexamethasone per mg
        "steroid_dose_mg": "125.0",
        "steroid_freq_per_day": "1",
        "steroid_start_day": 1,
        "steroid_stop_day": 3,
    }
    computed = computed_ok(study, "corticosteroids", raw)
    # Decimal arithmetic carried the operands' scale: '23.4375000' and '70.31250' before.
    assert [to_text(computed[k]) for k in ("steroid_dexeq_mg_day", "steroid_dexeq_mg_total")] == [
        "23.4375",
        "70.3125",
    ]


def test_a_missing_data_code_in_lower_case_is_read_as_the_code(study: CompiledStudy) -> None:
    result = check(
        study, "demographics", {"age_at_infusion": "57", "sex": "2", "weight_kg": "70", "height_cm": "unk"}
    )
    assert result.ok and result.values["height_cm"] == MissingValue("UNK")
