"""Static checks of the definition's shape that need more than one model at a time."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from app.forms.loader import RawDefinition, Source
from app.forms.problems import Problem
from app.forms.schema import Field, FieldType, Range, Study
from app.forms.values import TEXT_FORMATS, TIME_FORMATS

_NUMERIC = {FieldType.integer, FieldType.decimal, FieldType.studyday}
_CHOICE = {FieldType.choice, FieldType.multichoice}
_TOP_CODED = {FieldType.integer, FieldType.decimal}
_WIDGETS = {
    FieldType.choice: {"radio", "dropdown"},
    FieldType.multichoice: {"checkbox"},
    FieldType.yesno: {"radio", "dropdown", "truefalse"},
    FieldType.integer: {"slider"},
    FieldType.text: {"autocomplete"},
}


def missing_codes(study: Study, field: Field) -> frozenset[str]:
    """The missing-data codes a field accepts: by default all, unless required or calculated."""
    if field.missing_codes is not None:
        return frozenset(field.missing_codes)
    if field.required or not _is_input(field):
        return frozenset()
    return frozenset(m.code for m in study.missing_codes)


def _is_input(field: Field) -> bool:
    return field.type not in (FieldType.calc, FieldType.descriptive, FieldType.unsupported)


def bounds(rng: Range | None) -> tuple[Any, Any] | None:
    if rng is None:
        return None
    return (_bound(rng.min), _bound(rng.max))


def _bound(value: Decimal | str | None) -> Any:
    """Numbers stay numbers; ISO dates become dates; `today` and `current_year` stay symbolic."""
    if value is None or isinstance(value, Decimal):
        return value
    if value in ("today", "current_year"):
        return value
    return dt.date.fromisoformat(value)


def _check_labels(
    source: Source,
    languages: list[str],
    labels: dict[str, str] | None,
    loc: tuple[int | str, ...],
    problems: list[Problem],
) -> None:
    if labels is None:
        return
    for lang in languages:
        if not labels.get(lang, "").strip():
            problems.append(
                source.problem(f"{loc[-1]}: no '{lang}' text (the study speaks {', '.join(languages)})", *loc)
            )


def _check_range(
    source: Source, field: Field, attr: str, loc: tuple[int | str, ...], problems: list[Problem]
) -> None:
    rng: Range | None = getattr(field, attr)
    if rng is None:
        return
    numeric = field.type in _NUMERIC or (field.type == FieldType.calc and field.result != "date")
    for side in ("min", "max"):
        value = getattr(rng, side)
        if value is None:
            continue
        if numeric and not isinstance(value, Decimal) and value != "current_year":
            problems.append(source.problem(f"{attr}.{side}: '{value}' is not a number", *loc, attr, side))
        if field.type in (FieldType.date, FieldType.datetime) and value != "today":
            try:
                dt.date.fromisoformat(str(value))
            except ValueError:
                problems.append(
                    source.problem(f"{attr}.{side}: '{value}' is not a date (YYYY-MM-DD)", *loc, attr, side)
                )
    if not numeric and field.type not in (FieldType.date, FieldType.datetime):
        problems.append(source.problem(f"{attr}: a {field.type.value} field cannot have a range", *loc, attr))
    if isinstance(rng.min, Decimal) and isinstance(rng.max, Decimal) and rng.min > rng.max:
        problems.append(source.problem(f"{attr}: min {rng.min} is above max {rng.max}", *loc, attr))


def _check_field(
    source: Source, study: Study, field: Field, loc: tuple[int | str, ...], problems: list[Problem]
) -> None:
    def bad(message: str, *where: int | str) -> None:
        problems.append(source.problem(f"{field.name}: {message}", *loc, *where))

    if len(field.name) > study.max_name_length:
        bad(f"name is longer than {study.max_name_length} characters", "name")
    if "___" in field.name:
        bad("names cannot contain '___' (it separates a checkbox variable from its code)", "name")
    if field.name == study.record_id_field:
        bad(f"'{field.name}' is the record identifier, assigned by the platform", "name")
    kind = field.type
    if kind in _CHOICE and not field.choices:
        bad(f"a {kind.value} field needs choices", "type")
    if field.choices and kind not in _CHOICE | {FieldType.calc}:
        bad(f"a {kind.value} field cannot have choices", "choices")
    if field.choices:
        seen: set[str] = set()
        for i, choice in enumerate(field.choices):
            if choice.code in seen:
                bad(f"choice code '{choice.code}' appears twice", "choices", i)
            seen.add(choice.code)
            _check_labels(source, study.languages, choice.label, (*loc, "choices", i, "label"), problems)
    if (kind == FieldType.calc) != bool(field.calc):
        bad("a calc field needs 'calc'; other fields cannot have it", "calc" if field.calc else "type")
    if field.result is not None and kind != FieldType.calc:
        bad("only calc fields declare a 'result' type", "result")
    if field.precision is not None and kind not in (FieldType.decimal, FieldType.calc):
        bad("only decimal and calc fields have a precision", "precision")
    if field.decimal_comma and kind != FieldType.decimal:
        bad("only decimal fields take a decimal comma", "decimal_comma")
    if field.required and not _is_input(field):
        bad(f"a {kind.value} field cannot be required", "required")
    if field.required and field.required_if:
        bad("give 'required' or 'required_if', not both", "required_if")
    if field.format is not None:
        known = TIME_FORMATS if kind == FieldType.time else TEXT_FORMATS if kind == FieldType.text else {}
        if field.format not in known:
            bad(f"unknown format '{field.format}' for a {kind.value} field", "format")
    if field.widget is not None and field.widget not in _WIDGETS.get(kind, set()):
        bad(f"widget '{field.widget}' does not suit a {kind.value} field", "widget")
    if field.missing_codes is not None:
        declared = {m.code for m in study.missing_codes}
        for code in field.missing_codes:
            if code not in declared:
                bad(f"missing-data code '{code}' is not declared by the study", "missing_codes")
    if field.top_code is not None and kind not in _TOP_CODED:
        bad(f"only integer and decimal fields can be top-coded, not a {kind.value} field", "top_code")
    if kind == FieldType.unsupported and not field.unsupported_type:
        bad("an unsupported field names the type it stands for in 'unsupported_type'", "type")
    _check_range(source, field, "range", loc, problems)
    _check_range(source, field, "soft_range", loc, problems)
    for attr in ("label", "help", "section"):
        _check_labels(source, study.languages, getattr(field, attr), (*loc, attr), problems)


def check_shapes(raw: RawDefinition) -> list[Problem]:
    problems: list[Problem] = []
    study, study_source = raw.study, raw.study_source
    _check_labels(study_source, study.languages, study.title, ("title",), problems)
    codes = [s.code for s in study.sites]
    for i, code in enumerate(codes):
        if codes.index(code) != i:
            problems.append(study_source.problem(f"site code '{code}' appears twice", "sites", i))
    # Names are unique per exported table: all once-forms share the patient table, each repeating
    # form has its own. A repeating form may so reuse a once-form's name (as a REDCap row would).
    tables: dict[str, dict[str, str]] = {}
    for form, source in raw.forms:
        _check_labels(source, study.languages, form.label, ("label",), problems)
        names = tables.setdefault(form.name if form.repeating else "", {})
        for i, field in enumerate(form.fields):
            if field.name in names:
                problems.append(
                    source.problem(
                        f"variable '{field.name}' is already defined in {names[field.name]}",
                        "fields",
                        i,
                        "name",
                    )
                )
            names.setdefault(field.name, f"form '{form.name}'")
            _check_field(source, study, field, ("fields", i), problems)
        _check_keys(source, form.repeating, form.key, {f.name: f for f in form.fields}, problems)
        for i, rule in enumerate(form.rules):
            _check_labels(source, study.languages, rule.message, ("rules", i, "message"), problems)
            if rule.field and rule.field not in {f.name for f in form.fields}:
                problems.append(
                    source.problem(f"rule '{rule.name}': unknown field '{rule.field}'", "rules", i)
                )
    form_names = {form.name for form, _ in raw.forms}
    names = tables.setdefault("", {})
    for i, d in enumerate(study.derived):
        if d.name in names or d.name in form_names:
            problems.append(
                study_source.problem(
                    f"derived variable '{d.name}' clashes with a variable or form", "derived", i, "name"
                )
            )
        names.setdefault(d.name, "derived")
        if d.top_code is not None and d.result not in ("integer", "decimal"):
            problems.append(
                study_source.problem(
                    f"derived variable '{d.name}': only an integer or decimal result can be top-coded",
                    "derived",
                    i,
                    "top_code",
                )
            )
        _check_labels(study_source, study.languages, d.label, ("derived", i, "label"), problems)
    for i, rule in enumerate(study.rules):
        _check_labels(study_source, study.languages, rule.message, ("rules", i, "message"), problems)
    return problems


def _check_keys(
    source: Source, repeating: bool, key: list[str], fields: dict[str, Field], problems: list[Problem]
) -> None:
    if key and not repeating:
        problems.append(source.problem("only a repeating form has a key", "key"))
    for name in key:
        field = fields.get(name)
        if field is None:
            problems.append(source.problem(f"key field '{name}' is not a field of this form", "key"))
        elif not field.required:
            problems.append(source.problem(f"key field '{name}' must be required", "key"))
