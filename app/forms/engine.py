"""The validation engine: one function every entry path calls before anything is stored.

Given a form, raw values (CSV/HTML strings or JSON values) and optionally the rest of the patient,
`validate` returns the typed values, the computed fields and every issue found, never just the first.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from app.forms.expr.runtime import MissingValue, PatientView, Values
from app.forms.identifiers import identifier_in
from app.forms.labels import label_in
from app.forms.messages import message
from app.forms.model import PIPE, CField, CForm, CompiledStudy, CRule
from app.forms.ranges import range_text
from app.forms.schema import FieldType, Severity
from app.forms.values import Invalid, is_empty, plain, to_text

# How a multiple choice written as text separates its codes ("1,3" or "1|3"), as its parser reads it.
_ITEM_SEPARATOR = re.compile(r"[,|]")


@dataclass(frozen=True)
class Issue:
    field: str | None
    code: str
    severity: Severity
    message: dict[str, str]
    value: Any = None
    form: str | None = None
    instance: int | None = None


@dataclass
class Result:
    form: str
    values: dict[str, Any]
    computed: dict[str, Any]
    issues: list[Issue] = field(default_factory=list)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == Severity.error]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == Severity.warning]

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class PatientData:
    """The stored forms of one patient: typed values (inputs and computed), by form and instance."""

    once: dict[str, Values] = field(default_factory=dict)
    repeating: dict[str, dict[int, Values]] = field(default_factory=dict)


class UnknownForm(KeyError):
    pass


class _Run:
    """One validation: collects issues as it goes."""

    def __init__(
        self, study: CompiledStudy, cform: CForm, instance: int | None, completing: bool = False
    ) -> None:
        self.study = study
        self.cform = cform
        self.instance = instance
        self.completing = completing
        self.issues: list[Issue] = []

    def issue(
        self,
        cfield: str | None,
        code: str,
        value: Any = None,
        severity: Severity = Severity.error,
        text: dict[str, str] | None = None,
        form: str | None = None,
        instance: int | None = None,
        **params: Any,
    ) -> None:
        if text is None:
            text = message(code, value=value, field=cfield, form=self.cform.name, **params)
        owner = form or self.cform.name
        where = instance if form else self.instance
        self.issues.append(Issue(cfield, code, severity, text, value, owner, where))

    def parse_inputs(self, raw: Mapping[str, Any]) -> tuple[Values, set[str]]:
        fields = self.cform.fields
        all_missing = self.study.missing_code_set
        values: Values = {}
        invalid: set[str] = set()
        for name, raw_value in raw.items():
            cfield = fields.get(name)
            if cfield is None or cfield.parse is None:
                self.reject_unknown(name, cfield, raw_value)
                continue
            if cfield.codes is not None and cfield.spec.type == FieldType.multichoice:
                raw_value = self.lone_missing_code(cfield, raw_value)
                if raw_value is None:
                    invalid.add(name)
                    continue
            if raw_value.__class__ is str:
                text = raw_value.strip()
                if not text:
                    continue
            elif is_empty(raw_value):
                continue
            else:
                text = None
            if cfield.refused:
                self.issue(name, "identifier", raw_value)
                invalid.add(name)
                continue
            if text in all_missing:
                if text in cfield.missing_codes:
                    values[name] = MissingValue(text)
                else:
                    self.issue(name, "missing_code_not_allowed", raw_value)
                    invalid.add(name)
                continue
            try:
                value = cfield.parse(raw_value)
            except Invalid as exc:
                # 'unk' for UNK: codes are written in capitals, but a typist's case is no error.
                if text is not None and text.upper() in all_missing:
                    if text.upper() in cfield.missing_codes:
                        values[name] = MissingValue(text.upper())
                    else:
                        self.issue(name, "missing_code_not_allowed", raw_value)
                        invalid.add(name)
                    continue
                self.issue(name, exc.code, raw_value, **exc.params)
                invalid.add(name)
                continue
            if cfield.screened and (what := identifier_in(value)) is not None:
                self.issue(name, "identifier_value", raw_value, what=what)
                invalid.add(name)
                continue
            if cfield.outside_hard is not None and cfield.outside_hard(value):
                self.issue(name, "out_of_range", value, range=range_text(cfield.hard, cfield.spec.units))
                invalid.add(name)
                continue
            if cfield.outside_soft is not None and cfield.outside_soft(value):
                self.issue(
                    name,
                    "soft_range",
                    value,
                    Severity.warning,
                    range=range_text(cfield.soft, cfield.spec.units),
                )
            values[name] = value
        return values, invalid

    def lone_missing_code(self, cfield: CField, raw_value: Any) -> Any:
        """A multiple choice holding a missing-data code (any case, as a list or "a,b" text): the
        code alone stands for the field's value; beside answers it is refused (None)."""
        items = _choice_items(raw_value)
        if not items:
            return raw_value
        by_upper = {code.upper(): code for code in self.study.missing_code_set}
        choices = {str(code) for code in cfield.codes or ()}
        codes = [by_upper[i.upper()] for i in items if i.upper() in by_upper and i not in choices]
        if not codes:
            return raw_value
        if len(items) == 1:
            return codes[0]
        self.issue(cfield.name, "missing_code_alone", ", ".join(items), missing=codes[0])
        return None

    def reject_unknown(self, name: str, cfield: CField | None, raw_value: Any) -> None:
        if cfield is None:
            self.issue(name, "unknown_field", raw_value)
        else:
            self.issue(name, "calculated" if cfield.spec.type == FieldType.calc else "not_input", raw_value)

    def apply_logic(self, values: Values, invalid: set[str], pv: PatientView) -> None:
        """Hide what show_if hides (a value there is an error), then require what is required."""
        for cfield in self.cform.logic_fields:
            name = cfield.name
            if cfield.show_if is not None and cfield.show_if.fn(values, pv, values) is not True:
                if name in values or name in invalid:
                    if name in values:
                        self.issue(name, "hidden_value", values.pop(name), condition=cfield.spec.show_if)
                    invalid.discard(name)
                continue
            if name in values or name in invalid:
                continue
            required = cfield.spec.required or (
                cfield.required_if is not None and cfield.required_if.fn(values, pv, values) is True
            )
            if not required:
                continue
            # As in REDCap, a form may be saved half filled (a chart is transcribed in several
            # sittings): a missing required value refuses the save only when the form is marked
            # complete, or for the key of a repeating form, which tells its entries apart.
            if self.completing or name in self.cform.spec.key:
                self.issue(name, "required")
            else:
                self.issue(name, "required", None, Severity.warning, message("required_later"))

    def calculate(self, values: Values, pv: PatientView) -> Values:
        computed: Values = {}
        for cfield in self.cform.calcs:
            assert cfield.calc is not None
            value = coerce_calc(cfield, cfield.calc.fn(values, pv, values))
            if value is not None and cfield.outside_hard is not None and cfield.outside_hard(value):
                self.issue(
                    cfield.name, "calc_out_of_range", value, range=range_text(cfield.hard, cfield.spec.units)
                )
            elif value is not None and cfield.outside_soft is not None and cfield.outside_soft(value):
                self.issue(
                    cfield.name,
                    "soft_range",
                    value,
                    Severity.warning,
                    range=range_text(cfield.soft, cfield.spec.units),
                )
            values[cfield.name] = value
            computed[cfield.name] = value
        return computed

    def check_rule(
        self,
        rule: CRule,
        values: Values,
        pv: PatientView,
        form: str | None = None,
        instance: int | None = None,
    ) -> None:
        if rule.when is not None and rule.when.fn(values, pv, values) is not True:
            return
        if rule.check.fn(values, pv, values) is False:
            shown = values.get(rule.field) if rule.field else None
            text = dict(rule.spec.message)
            if rule.pipes:
                piped = {expr: _shown(c.fn(values, pv, values)) for expr, c in rule.pipes.items()}
                text = {
                    lang: PIPE.sub(lambda m: piped.get(m.group(1), m.group(0)), t) for lang, t in text.items()
                }
            self.issue(
                rule.field,
                f"rule:{rule.spec.name}",
                shown,
                rule.spec.severity,
                text,
                form=form,
                instance=instance,
            )


def _shown(value: Any) -> str:
    """A value piped into a message: blank as a dash, numbers without trailing zeros."""
    if value is None:
        return "—"
    return to_text(plain(value) if isinstance(value, Decimal) and value.is_finite() else value)


def _choice_items(raw: Any) -> list[str]:
    if isinstance(raw, str):
        return [part.strip() for part in _ITEM_SEPARATOR.split(raw) if part.strip()]
    if isinstance(raw, list | tuple | set | frozenset):
        return [str(item).strip() for item in raw]
    return []


def coerce_calc(cfield: CField, value: Any) -> Any:
    """A calculation's result in its declared type: whole numbers, or rounded to the precision."""
    if value is None:
        return None
    if isinstance(value, bool):
        return int(value)
    result, precision = cfield.spec.result, cfield.spec.precision
    if isinstance(value, int | Decimal):
        if result == "integer" or (precision == 0):
            return int(Decimal(value).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        if precision is not None and isinstance(value, Decimal):
            return value.quantize(Decimal(1).scaleb(-precision), rounding=ROUND_HALF_UP)
    if isinstance(value, Decimal) and value == value:  # not NaN
        # Without a declared precision, no trailing zeros: 254.925, not the 254.925000 that Decimal
        # arithmetic carries over from its operands.
        return value.normalize() if value != value.to_integral_value() else value.to_integral_value()
    return value


def patient_view(
    cform: CForm, values: Values, patient: PatientData | None, instance: int | None
) -> PatientView:
    """The patient as expressions see it, with the form being validated in place of its stored copy."""
    if patient is None:
        return (
            PatientView({}, {cform.name: [values]})
            if cform.repeating
            else PatientView({cform.name: values}, {})
        )
    once: dict[str, Values] = dict(patient.once) if patient else {}
    repeating: dict[str, list[Values]] = (
        {name: list(items.values()) for name, items in patient.repeating.items()} if patient else {}
    )
    if cform.repeating:
        others = patient.repeating.get(cform.name, {}) if patient else {}
        repeating[cform.name] = [v for i, v in others.items() if i != instance] + [values]
    else:
        once[cform.name] = values
    return PatientView(once, repeating)


def validate(
    study: CompiledStudy,
    form: str,
    raw: Mapping[str, Any],
    *,
    patient: PatientData | None = None,
    instance: int | None = None,
    completing: bool = False,
) -> Result:
    """Validate one form instance. `patient` enables cross-form rules and key uniqueness checks."""
    cform = study.forms.get(form)
    if cform is None:
        raise UnknownForm(form)
    run = _Run(study, cform, instance, completing)
    values, invalid = run.parse_inputs(raw)
    pv = patient_view(cform, values, patient, instance)
    run.apply_logic(values, invalid, pv)
    inputs = dict(values)
    computed = run.calculate(values, pv)
    for rule in cform.rules:
        if rule.spec.on == "save" or completing:
            run.check_rule(rule, values, pv)
    if patient is not None:
        _check_key(run, cform, values, patient, instance)
        _check_other_rules(run, study, cform, pv, patient)
    return Result(form, inputs, computed, run.issues)


def _check_key(run: _Run, cform: CForm, values: Values, patient: PatientData, instance: int | None) -> None:
    key = cform.spec.key
    if not cform.repeating or not key or any(values.get(k) is None for k in key):
        return
    mine = tuple(values.get(k) for k in key)
    for other_instance, other in patient.repeating.get(cform.name, {}).items():
        if other_instance != instance and tuple(other.get(k) for k in key) == mine:
            # Shown to people: the form's and fields' labels, in each language.
            shown = {
                lang: ", ".join(
                    f"{label_in(cform.fields[k].spec.label, lang, k)} = {v}"
                    for k, v in zip(key, mine, strict=True)
                )
                for lang in run.study.spec.languages
            }
            run.issue(key[0], "duplicate_key", values.get(key[0]), key=shown, form_label=cform.spec.label)
            return


def _check_other_rules(
    run: _Run, study: CompiledStudy, cform: CForm, pv: PatientView, patient: PatientData
) -> None:
    """Rules declared elsewhere that read this form: a change here may break them there."""
    for rule in study.rules_touching(cform.name):
        if rule.spec.on != "save":
            continue
        if rule.form is None:
            run.check_rule(rule, {}, pv)
            continue
        owner = study.forms[rule.form]
        if owner.repeating:
            for number, values in patient.repeating.get(rule.form, {}).items():
                run.check_rule(rule, values, pv, rule.form, number)
        elif rule.form in patient.once:
            # Instance 1, not the instance being saved: a query opened for it must name a row that exists.
            run.check_rule(rule, pv.once[rule.form], pv, rule.form, 1)


def validate_completion(study: CompiledStudy, patient: PatientData) -> list[Issue]:
    """The study-level checks that apply only when a whole record is marked complete."""
    cform = next(iter(study.forms.values()))
    run = _Run(study, cform, None)
    pv = PatientView(dict(patient.once), {k: list(v.values()) for k, v in patient.repeating.items()})
    for rule in study.rules:
        if rule.spec.on == "complete":
            run.check_rule(rule, {}, pv)
    # A study-level check belongs to no form (the run needed one to start from).
    return [replace(issue, form=None, instance=None) for issue in run.issues]


def recompute(
    study: CompiledStudy, form: str, values: Values, patient: PatientData | None, instance: int | None
) -> tuple[Values, list[Issue]]:
    """The calculated fields of a stored instance, after something they read elsewhere changed, and
    the warnings of their expected ranges."""
    cform = study.forms[form]
    inputs = {k: v for k, v in values.items() if k in cform.fields and cform.fields[k].parse is not None}
    run = _Run(study, cform, instance)
    computed = run.calculate(inputs, patient_view(cform, inputs, patient, instance))
    return computed, [i for i in run.issues if i.severity == Severity.warning]


def forms_reading(study: CompiledStudy, form: str) -> list[CForm]:
    """Other forms with calculations that read `form` (so must be recalculated when it changes)."""
    cached = study.readers.get(form)
    if cached is None:
        cached = study.readers[form] = _forms_reading(study, form)
    return cached


def _forms_reading(study: CompiledStudy, form: str) -> list[CForm]:
    return [
        other
        for other in study.forms.values()
        if other.name != form and any(c.calc is not None and form in _forms_of(c.calc) for c in other.calcs)
    ]


def _forms_of(compiled: Any) -> set[str]:
    return set(compiled.forms) | {f for f, _ in compiled.deps if f}
