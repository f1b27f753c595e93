"""What the engine makes of a form's current values: visible fields, calculations and issues.

The live preview and the page rendered after a save both come from here, and both from
`app.forms.engine.validate`, so the browser never has its own copy of the study's logic.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import FormData

from app.forms.engine import Issue, PatientData, patient_view, validate
from app.forms.model import CForm, CompiledStudy
from app.forms.schema import FieldType
from app.forms.stored import to_stored
from app.forms.values import to_text
from app.web.display import show_value
from app.web.i18n import Translator


@dataclass(frozen=True)
class IssueView:
    field: str | None
    severity: str
    code: str
    message: str
    form: str | None = None
    instance: int | None = None

    def as_json(self) -> dict[str, Any]:
        return {"field": self.field, "severity": self.severity, "code": self.code, "message": self.message}


@dataclass
class Evaluation:
    hidden: set[str]
    computed: dict[str, str]
    issues: list[IssueView]
    canonical: dict[str, str]

    @property
    def errors(self) -> list[IssueView]:
        return [i for i in self.issues if i.severity == "error"]

    def as_json(self) -> dict[str, Any]:
        return {
            "hidden": sorted(self.hidden),
            "computed": self.computed,
            "issues": [i.as_json() for i in self.issues],
            "errors": len(self.errors),
        }


# A decimal written as Spanish readers write it: digits, one comma, digits (no thousands separator).
_COMMA_DECIMAL = re.compile(r"[-+]?\d+,\d+")


def raw_from_post(cform: CForm, posted: FormData, *, decimal_comma: bool = False) -> dict[str, Any]:
    """The study variables of a posted form: one text per field, a list of codes per multiple choice.

    With `decimal_comma` (a page in a language that writes 70,5), a decimal field's comma is read as
    the point the data keep; elsewhere the engine refuses 70,5 and suggests 70.5."""
    raw: dict[str, Any] = {}
    for cfield in cform.inputs:
        name = cfield.name
        if cfield.spec.type == FieldType.multichoice:
            codes = [v for v in posted.getlist(name) if isinstance(v, str) and v.strip()]
            if codes:
                raw[name] = codes
            continue
        value = posted.get(name)
        if isinstance(value, str) and value.strip():
            if (
                decimal_comma
                and cfield.spec.type == FieldType.decimal
                and _COMMA_DECIMAL.fullmatch(value.strip())
            ):
                value = value.strip().replace(",", ".")
            raw[name] = value
    return raw


def raw_from_stored(cform: CForm, data: Mapping[str, str]) -> dict[str, str]:
    """The stored inputs of an instance, as the engine reads them back (computed fields left out)."""
    return {name: text for name, text in data.items() if name in cform.fields and cform.fields[name].is_input}


def evaluate(
    study: CompiledStudy,
    cform: CForm,
    raw: Mapping[str, Any],
    patient: PatientData,
    instance: int,
    t: Translator,
) -> Evaluation:
    result = validate(study, cform.name, raw, patient=patient, instance=instance)
    # Replay each show_if on the values the engine kept, in the patient view it used: a show_if reads only
    # earlier fields, so this is the engine's own decision, field by field.
    view = patient_view(cform, result.values, patient, instance)
    hidden = {
        f.name
        for f in cform.fields.values()
        if f.show_if is not None and f.show_if.fn(result.values, view, result.values) is not True
    }
    computed = {
        name: show_value(study, cform.fields[name], to_text(value), t)
        for name, value in result.computed.items()
    }
    canonical = {name: _text(value) for name, value in raw.items()}
    canonical.update(to_stored(result.values))
    issues = [issue_view(i, cform.name, t) for i in result.issues]
    return Evaluation(hidden, computed, issues, canonical)


def _text(value: Any) -> str:
    return ",".join(value) if isinstance(value, list) else str(value).strip()


def issue_view(issue: Issue, form: str, t: Translator) -> IssueView:
    other = issue.form if issue.form not in (None, form) else None
    return IssueView(
        issue.field, issue.severity.value, issue.code, t.label(issue.message), other, issue.instance
    )


def issues_from_errors(errors: list[dict[str, Any]] | None, form: str, t: Translator) -> list[IssueView]:
    """The errors of a refused save or status change (`records.service.issue_dict` entries)."""
    found = []
    for error in errors or []:
        code = str(error.get("code", ""))
        if code == "reason_required":
            found.append(IssueView("_reason", "error", code, t("reason_required")))
            continue
        message = t.label(error.get("messages")) or str(error.get("message", ""))
        other = error.get("form") if error.get("form") not in (None, form) else None
        found.append(IssueView(error.get("field"), "error", code, message, other, error.get("instance")))
    return found
