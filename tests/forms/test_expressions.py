"""The expression language: semantics at run time and the checks made when a definition loads."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from app.forms.engine import PatientData, validate
from app.forms.problems import DefinitionError
from tests.forms.conftest import choices

BASE_FIELDS: list[dict[str, Any]] = [
    {"name": "a", "type": "integer"},
    {"name": "b", "type": "integer"},
    {"name": "d", "type": "decimal"},
    {"name": "t", "type": "text"},
    {"name": "c", "type": "choice", "choices": choices((1, "one"), (2, "two"), (99, "other"))},
    {"name": "l", "type": "choice", "choices": choices(("x", "ex"), ("y", "why"))},
    {"name": "m", "type": "multichoice", "choices": choices((0, "none"), (1, "one"), (2, "two"))},
    {"name": "day1", "type": "date"},
    {"name": "day2", "type": "date"},
]


def evaluate(
    make_study: Any,
    expr: str,
    values: dict[str, Any],
    patient: PatientData | None = None,
    extra_forms: dict[str, Any] | None = None,
) -> Any:
    fields = [*BASE_FIELDS, {"name": "out", "type": "calc", "calc": expr}]
    study = make_study({"f": {"fields": fields}, **(extra_forms or {})}, settings={"cutoff": 4})
    result = validate(study, "f", values, patient=patient)
    assert result.ok, result.issues
    return result.computed["out"]


@pytest.mark.parametrize(
    ("expr", "values", "expected"),
    [
        ("a + b * 2", {"a": 1, "b": 3}, 7),
        ("(a + b) * 2", {"a": 1, "b": 3}, 8),
        ("a / b", {"a": 1, "b": 4}, Decimal("0.25")),
        ("a / b", {"a": 1, "b": 0}, None),
        ("a ^ 2", {"a": 3}, 9),
        ("-a + 1", {"a": 3}, -2),
        ("d * 10", {"d": "1.1"}, Decimal("11.0")),
        ("a + b", {"a": 1}, None),
        ("if(a = 1, 10, 20)", {"a": 1}, 10),
        ("if(a = 1, 10, 20)", {}, 20),
        ("if(a > 1, 10, 20)", {}, 20),
        ("a = 1", {}, 0),
        ("a != 1", {}, 1),
        ("c in (1, 2)", {"c": 2}, 1),
        ("c not in (1, 2)", {"c": 99}, 1),
        ("l = 'x'", {"l": "x"}, 1),
        ("0 in m", {"m": [0]}, 1),
        ("count(m)", {"m": [1, 2]}, 2),
        ("min(a, b)", {"a": 5}, 5),
        ("max(a, b, 3)", {"a": 1, "b": 2}, 3),
        ("sum(a, b)", {"b": 2}, 2),
        ("mean(a, b)", {"a": 1, "b": 2}, Decimal("1.5")),
        ("round(d, 1)", {"d": "2.25"}, Decimal("2.3")),
        ("rounddown(d)", {"d": "2.9"}, 2),
        ("roundup(d)", {"d": "2.1"}, 3),
        ("abs(a)", {"a": -4}, 4),
        ("blank(a)", {}, 1),
        ("present(a)", {"a": 0}, 1),
        ("blank(a)", {"a": "UNK"}, 1),
        ("coalesce(a, b, 7)", {"b": 5}, 5),
        ("a > 1 and b > 1", {"a": 2}, None),
        ("a > 1 or b > 1", {"a": 2}, 1),
        ("not (a > 1)", {}, None),
        ("datediff(day1, day2, 'd')", {"day1": "2024-01-01", "day2": "2024-03-01"}, 60),
        ("a * settings.cutoff", {"a": 2}, 8),
    ],
)
def test_expression_values(make_study: Any, expr: str, values: dict[str, Any], expected: Any) -> None:
    assert evaluate(make_study, expr, values) == expected


DOSES = {
    "doses": {
        "repeating": True,
        "fields": [
            {"name": "start", "type": "studyday", "required": True},
            {"name": "stop", "type": "studyday"},
            {"name": "mg", "type": "decimal"},
        ],
    }
}
PATIENT = PatientData(
    once={"base": {"w": Decimal("80")}},
    repeating={
        "doses": {
            1: {"start": 5, "stop": 6, "mg": Decimal("100")},
            2: {"start": 2, "stop": 3, "mg": Decimal("200")},
            3: {"start": 3, "stop": 9, "mg": None},
        }
    },
)


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("count(doses)", 3),
        ("count(doses where mg > 100)", 1),
        ("min(doses.start)", 2),
        ("max(doses.mg)", Decimal("200")),
        ("sum(doses: mg * (stop - start + 1))", Decimal("600")),
        ("first(doses: mg by start)", Decimal("200")),
        ("last(doses: start by start)", 5),
        ("distinct_days(doses: start, stop)", 8),
        ("max(doses: mg where start > 4)", Decimal("100")),
        ("base.w * 2", Decimal("160")),
    ],
)
def test_aggregates_and_other_forms(make_study: Any, expr: str, expected: Any) -> None:
    forms = {**DOSES, "base": {"fields": [{"name": "w", "type": "decimal"}]}}
    assert evaluate(make_study, expr, {}, PATIENT, forms) == expected


def test_aggregates_over_no_instances(make_study: Any) -> None:
    assert evaluate(make_study, "count(doses)", {}, PatientData(), DOSES) == 0
    assert evaluate(make_study, "max(doses.mg)", {}, PatientData(), DOSES) is None


def problems_of(make_study: Any, fields: list[dict[str, Any]], **study: Any) -> list[str]:
    with pytest.raises(DefinitionError) as caught:
        make_study({"f": {"fields": fields}, **DOSES}, **study)
    return [str(p) for p in caught.value.problems]


def test_static_errors_name_file_line_and_cause(make_study: Any) -> None:
    found = problems_of(
        make_study,
        [
            *BASE_FIELDS,
            {"name": "e1", "type": "calc", "calc": "nothing + 1"},
            {"name": "e2", "type": "calc", "calc": "t + 1"},
            {"name": "e3", "type": "calc", "calc": "c = 5"},
            {"name": "e4", "type": "calc", "calc": "a +"},
            {"name": "e5", "type": "calc", "calc": "doses.mg * 2"},
            {"name": "e6", "type": "calc", "calc": "unknown.x"},
            {"name": "e7", "type": "integer", "show_if": "a + 1"},
            {"name": "e8", "type": "calc", "calc": "settings.nope"},
            {"name": "e9", "type": "calc", "calc": "frobnicate(a)"},
        ],
    )
    text = "\n".join(found)
    assert all(line.split(":")[0].endswith("f.yaml") for line in found), text
    for expected in [
        "unknown variable 'nothing'",
        "each side of '+' must be a number, not t (text)",
        "5 is not a code of c (1, 2, 99)",
        "expression ends too early",
        "'doses' is a repeating form: use an aggregate",
        "unknown form 'unknown'",
        "show_if: must be a condition",
        "unknown setting 'settings.nope'",
        "unknown function 'frobnicate'",
    ]:
        assert expected in text, f"{expected!r} not in\n{text}"
    assert len(found) == 9


def test_calculation_cycles_are_reported(make_study: Any) -> None:
    found = problems_of(
        make_study,
        [
            {"name": "x", "type": "calc", "calc": "y + 1"},
            {"name": "y", "type": "calc", "calc": "x + 1"},
        ],
    )
    assert any("calculation cycle: x -> y -> x" in p for p in found), found


def test_show_if_may_not_read_a_later_field(make_study: Any) -> None:
    found = problems_of(
        make_study,
        [
            {"name": "first", "type": "integer", "show_if": "second = 1"},
            {"name": "second", "type": "yesno"},
        ],
    )
    assert found == [
        f"{found[0].split(':')[0]}:8: show_if: refers to 'second', which comes later in the form "
        "(or is the field itself)"
    ]
