"""One form's fields as the page shows them: the right input per type, its value, issues and queries.

Every input is named after its variable (a multiple choice: one checkbox per code, all with that name);
ids are `f-<variable>`, so labels, help and issues can point at them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from app.forms.model import CField, CForm, CompiledStudy
from app.forms.ranges import range_text
from app.forms.schema import FieldType
from app.web.display import choice_labels, missing_labels, show_value
from app.web.evaluation import Evaluation, IssueView
from app.web.i18n import Translator

RADIO_UP_TO = 6  # a choice without a widget hint: radio buttons up to this many choices, else a list
_NUMERIC = {FieldType.integer: "numeric", FieldType.decimal: "decimal", FieldType.studyday: None}
_PLAIN = {
    FieldType.notes: "textarea",
    FieldType.date: "date",
    FieldType.datetime: "datetime",
    FieldType.time: "time",
    FieldType.calc: "calc",
    FieldType.descriptive: "descriptive",
    FieldType.unsupported: "unsupported",
    FieldType.multichoice: "checkbox",
}
_INPUT_LIKE = frozenset({"number", "text", "textarea", "select", "date", "datetime", "time"})


@dataclass
class Option:
    value: str
    label: str
    id: str
    checked: bool


@dataclass
class QueryLink:
    id: int
    status: str
    text: str


@dataclass
class FieldView:
    name: str
    widget: str
    label: str
    help: str = ""
    units: str = ""
    range: str = ""
    section: str = ""
    required: bool = False
    visible: bool = True
    studyday: bool = False
    value: str = ""
    display: str = ""
    options: list[Option] = field(default_factory=list)
    missing: list[Option] = field(default_factory=list)
    maxlength: int | None = None
    inputmode: str | None = None
    issues: list[IssueView] = field(default_factory=list)
    queries: list[QueryLink] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"f-{self.name}"

    @property
    def invalid(self) -> bool:
        return any(i.severity == "error" for i in self.issues)

    @property
    def input_like(self) -> bool:
        return self.widget in _INPUT_LIKE

    @property
    def described_by(self) -> str:
        ids = [f"help-{self.name}"] if self.help else []
        ids += [f"units-{self.name}"] if self.units and self.input_like else []
        ids += [f"hint-{self.name}"] if self.range else []
        return " ".join([*ids, f"issues-{self.name}"])


def widget_of(cfield: CField) -> str:
    spec = cfield.spec
    hint = spec.widget
    if cfield.refused:
        return "refused"
    if spec.type in _NUMERIC:
        return "number"
    if spec.type in _PLAIN:
        return _PLAIN[spec.type]
    if spec.type == FieldType.yesno:
        return "select" if hint == "dropdown" else "radio"
    if spec.type == FieldType.choice:
        if hint in ("radio", "dropdown"):
            return "radio" if hint == "radio" else "select"
        return "radio" if len(spec.choices or []) <= RADIO_UP_TO else "select"
    return "text"


def _chosen(value: Any) -> set[str]:
    if isinstance(value, list):
        return {str(v) for v in value}
    return {part for part in str(value or "").split(",") if part}


def _options(cfield: CField, value: Any, t: Translator) -> list[Option]:
    chosen = _chosen(value)
    return [
        Option(code, text, f"f-{cfield.name}-{i}", code in chosen)
        for i, (code, text) in enumerate(choice_labels(cfield, t).items())
    ]


def _missing(study: CompiledStudy, cfield: CField, value: Any, t: Translator) -> list[Option]:
    """The field's missing-data codes as extra options; for a multiple choice they are extra boxes,
    and a code ticked alone is what `raw_from_post` sends the engine as that code."""
    if cfield.spec.type not in (FieldType.choice, FieldType.yesno, FieldType.multichoice):
        return []
    labels = missing_labels(study, t)
    chosen = _chosen(value)
    codes = [m.code for m in study.spec.missing_codes if m.code in cfield.missing_codes]
    return [Option(c, labels[c], f"f-{cfield.name}-m{i}", c in chosen) for i, c in enumerate(codes)]


def field_view(
    study: CompiledStudy,
    cfield: CField,
    value: Any,
    evaluation: Evaluation,
    t: Translator,
) -> FieldView:
    spec = cfield.spec
    text = ",".join(value) if isinstance(value, list) else str(value or "")
    if spec.type == FieldType.calc:
        text = evaluation.computed.get(cfield.name, "")
    view = FieldView(
        name=cfield.name,
        widget=widget_of(cfield),
        label=t.label(spec.label),
        help=t.label(spec.help),
        units=spec.units or "",
        range=range_text(cfield.hard, None) if spec.type in _NUMERIC else "",
        section=t.label(spec.section),
        required=spec.required,
        visible=cfield.name not in evaluation.hidden,
        studyday=spec.type == FieldType.studyday,
        value=text.replace(" ", "T") if spec.type == FieldType.datetime else text,
        display=text if spec.type == FieldType.calc else show_value(study, cfield, text, t),
        maxlength=spec.max_length,
        inputmode=_NUMERIC.get(spec.type),
        issues=[i for i in evaluation.issues if i.field == cfield.name and i.form is None],
    )
    if view.widget in ("radio", "select", "checkbox"):
        view.options = _options(cfield, value, t)
        view.missing = _missing(study, cfield, value, t)
    return view


def field_views(
    study: CompiledStudy,
    cform: CForm,
    values: Mapping[str, Any],
    evaluation: Evaluation,
    queries: Mapping[str | None, list[QueryLink]],
    t: Translator,
) -> list[FieldView]:
    views = []
    for cfield in cform.fields.values():
        view = field_view(study, cfield, values.get(cfield.name), evaluation, t)
        view.queries = list(queries.get(cfield.name, []))
        views.append(view)
    return views
