"""The input each field gets, from its type and widget hint, and what the engine says it shows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from starlette.datastructures import FormData

from app.forms.compile import load_study
from app.forms.engine import PatientData
from app.forms.model import CompiledStudy
from app.web.evaluation import evaluate, raw_from_post
from app.web.fields import field_view, widget_of
from app.web.i18n import Translator
from tests.forms.conftest import choices, write_study

EN = Translator("en")
FIELDS = [
    {"name": "n_drugs", "type": "integer", "range": {"min": 0, "max": 5}},
    {"name": "dose", "type": "decimal", "units": "mg", "precision": 1},
    {"name": "day", "type": "studyday"},
    {"name": "given", "type": "yesno"},
    {"name": "given_tf", "type": "yesno", "widget": "truefalse"},
    {"name": "given_list", "type": "yesno", "widget": "dropdown"},
    {"name": "route", "type": "choice", "choices": choices((1, "IV"), (2, "SC"))},
    {"name": "route_list", "type": "choice", "widget": "dropdown", "choices": choices((1, "IV"), (2, "SC"))},
    {"name": "site", "type": "choice", "choices": choices(*[(i, f"site {i}") for i in range(1, 9)])},
    {
        "name": "site_radio",
        "type": "choice",
        "widget": "radio",
        "choices": choices(*[(i, f"s{i}") for i in range(1, 9)]),
    },
    {"name": "drugs", "type": "multichoice", "choices": choices((1, "a"), (2, "b"))},
    {"name": "note", "type": "notes"},
    {"name": "double", "type": "calc", "calc": "dose * 2", "show_if": "given = 1"},
]


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> CompiledStudy:
    folder: Path = tmp_path_factory.mktemp("widgets")
    return load_study(write_study(folder / "study", {"visit": {"fields": FIELDS}}))


def test_each_type_and_hint_gets_its_input(study: CompiledStudy) -> None:
    widgets = {name: widget_of(f) for name, f in study.forms["visit"].fields.items()}
    assert widgets == {
        "n_drugs": "number",
        "dose": "number",
        "day": "number",
        "given": "radio",
        "given_tf": "radio",
        "given_list": "select",
        "route": "radio",
        "route_list": "select",
        "site": "select",
        "site_radio": "radio",
        "drugs": "checkbox",
        "note": "textarea",
        "double": "calc",
    }


def test_yes_no_options_and_missing_codes(study: CompiledStudy) -> None:
    cform = study.forms["visit"]
    evaluation = evaluate(study, cform, {}, PatientData(), 1, EN)
    given = field_view(study, cform.fields["given"], "UNK", evaluation, EN)
    assert [(o.value, o.label) for o in given.options] == [("1", "Yes"), ("0", "No")]
    assert [(o.value, o.checked) for o in given.missing] == [("NA", False), ("UNK", True), ("ND", False)]
    truefalse = field_view(study, cform.fields["given_tf"], "1", evaluation, EN)
    assert [(o.label, o.checked) for o in truefalse.options] == [("True", True), ("False", False)]
    dose = field_view(study, cform.fields["dose"], "2.5", evaluation, EN)
    assert (dose.units, dose.inputmode, dose.value) == ("mg", "decimal", "2.5")
    assert "units-dose" in dose.described_by


def test_a_multiple_choice_offers_missing_codes_that_stand_alone(study: CompiledStudy) -> None:
    cform = study.forms["visit"]
    evaluation = evaluate(study, cform, {}, PatientData(), 1, EN)
    stored = field_view(study, cform.fields["drugs"], "UNK", evaluation, EN)
    assert [(o.value, o.checked) for o in stored.options] == [("1", False), ("2", False)]
    assert [(o.value, o.checked) for o in stored.missing] == [("NA", False), ("UNK", True), ("ND", False)]

    def posted(*codes: str) -> dict[str, Any]:
        return raw_from_post(cform, FormData([("drugs", c) for c in codes]))

    alone = evaluate(study, cform, posted("UNK"), PatientData(), 1, EN)
    assert alone.errors == [] and alone.canonical["drugs"] == "UNK"
    mixed = evaluate(study, cform, posted("1", "UNK"), PatientData(), 1, EN)
    assert [(i.field, i.code) for i in mixed.errors] == [("drugs", "missing_code_alone")]
    assert mixed.errors[0].message == "missing-data code UNK must be the only value (given: 1, UNK)"


def test_calculations_and_visibility_come_from_the_engine(study: CompiledStudy) -> None:
    cform = study.forms["visit"]
    shown = evaluate(study, cform, {"given": "1", "dose": "2.5"}, PatientData(), 1, EN)
    assert "double" not in shown.hidden and shown.computed["double"] == "5"  # no trailing zeros
    hidden = evaluate(study, cform, {"given": "0", "dose": "2.5"}, PatientData(), 1, EN)
    assert "double" in hidden.hidden
