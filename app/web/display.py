"""Stored values as people read them: choice labels instead of codes, units after numbers."""

from __future__ import annotations

from app.forms.model import CField, CompiledStudy
from app.forms.schema import FieldType
from app.web.i18n import Translator


def choice_labels(cfield: CField, t: Translator) -> dict[str, str]:
    """Code (as stored text) -> label, for choice, yes/no and coded calculations."""
    spec = cfield.spec
    if spec.type == FieldType.yesno or spec.result == "yesno":
        truefalse = spec.widget == "truefalse"
        return {"1": t("true" if truefalse else "yes"), "0": t("false" if truefalse else "no")}
    choices = spec.choices or []
    codes = cfield.codes or tuple(int(c.code) if c.code.isdigit() else c.code for c in choices)
    return {str(code): t.label(choice.label) for code, choice in zip(codes, choices, strict=True)}


def field_labels(study: CompiledStudy, t: Translator) -> dict[tuple[str, str], str]:
    """(form, variable) -> the variable's label, for lists that name fields of many forms."""
    return {
        (name, variable): t.label(cfield.spec.label)
        for name, cform in study.forms.items()
        for variable, cfield in cform.fields.items()
    }


def missing_labels(study: CompiledStudy, t: Translator) -> dict[str, str]:
    return {m.code: t.label(m.label) for m in study.spec.missing_codes}


def show_value(study: CompiledStudy, cfield: CField | None, text: str | None, t: Translator) -> str:
    """One stored value (canonical text) for reading; blank stays blank."""
    if text is None or text == "":
        return ""
    if cfield is None:
        return text
    if text in cfield.missing_codes:
        return f"{text} — {missing_labels(study, t).get(text, text)}"
    spec = cfield.spec
    if spec.type == FieldType.multichoice:
        labels = choice_labels(cfield, t)
        return "; ".join(labels.get(code, code) for code in text.split(",") if code)
    if spec.type in (FieldType.choice, FieldType.yesno) or spec.choices or spec.result == "yesno":
        return choice_labels(cfield, t).get(text, text)
    return f"{text} {spec.units}" if spec.units else text
