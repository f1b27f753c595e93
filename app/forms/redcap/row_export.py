"""One of our fields as one row of a REDCap data dictionary.

Annotation markers left by the importer (markers.py) give back what our language cannot hold, as
long as they still fit the field: a `date_dmy` marker is used only while the field is a date.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from app.forms.expr.parser import parse
from app.forms.expr.types import BOOL
from app.forms.model import CField, CompiledStudy
from app.forms.redcap.choices import format_choices, label_in
from app.forms.redcap.columns import KEYS, Row
from app.forms.redcap.fieldmap import same_text_kind, text_validation
from app.forms.redcap.logic import Untranslatable
from app.forms.redcap.logic_export import to_redcap
from app.forms.redcap.markers import LAYOUT_COLUMNS, split_markers
from app.forms.schema import FieldType, Range

_TEXT_KINDS = {
    FieldType.text,
    FieldType.integer,
    FieldType.decimal,
    FieldType.date,
    FieldType.datetime,
    FieldType.time,
    FieldType.studyday,
}
_SLIDER_RANGE = (Decimal(0), Decimal(100))


class _RowWriter:
    def __init__(self, cfield: CField, study: CompiledStudy, lang: str) -> None:
        self.cfield, self.spec, self.study, self.lang = cfield, cfield.spec, study, lang
        self.annotation, self.markers = split_markers(cfield.spec.annotation)
        self.row: Row = {key: "" for key in KEYS}
        self.warnings: list[str] = []

    def text(self, labels: dict[str, str] | None) -> str:
        return label_in(labels, self.lang) if labels else ""

    def build(self) -> Row:
        spec, row = self.spec, self.row
        row.update(
            name=spec.name,
            form=self.cfield.form,
            section=self.text(spec.section),
            label=self.text(spec.label),
            note=self._note(),
        )
        self._type()
        self._bounds()
        row["identifier"] = "y" if spec.identifier else ""
        required = spec.required or (not self.cfield.is_input and self.markers.get("required") == "y")
        row["required"] = "y" if required else ""
        if spec.required_if:
            self.warnings.append(f"required_if has no REDCap equivalent, not written: {spec.required_if}")
        row["branching"] = self._logic(spec.show_if, "branching logic") if spec.show_if else ""
        if not spec.show_if:
            row["branching"] = self.markers.get("branching logic", "")
        for key, marker in LAYOUT_COLUMNS.items():
            row[key] = self.markers.get(marker, "")
        row["annotation"] = self.annotation
        return row

    def _note(self) -> str:
        note = self.text(self.spec.help)
        units = self.spec.units
        return f"{note} ({units})" if note and units else note or units or ""

    def _type(self) -> None:
        spec, row, kind = self.spec, self.row, self.spec.type
        if kind in _TEXT_KINDS:
            row["type"] = "slider" if spec.widget == "slider" else "text"
            row["validation"] = self._text_validation()
            if spec.widget == "slider":
                row["choices"] = self.markers.get("slider labels", "")
        elif kind == FieldType.notes:
            row["type"] = "notes"
        elif kind == FieldType.yesno:
            row["type"] = "truefalse" if spec.widget == "truefalse" else "yesno"
        elif kind in (FieldType.choice, FieldType.multichoice):
            row["type"] = "checkbox" if kind == FieldType.multichoice else spec.widget or "radio"
            row["choices"] = format_choices(spec.choices or [], self.lang)
            row["validation"] = self.markers.get("validation", "")
        elif kind == FieldType.calc:
            self._calc()
        elif kind == FieldType.descriptive:
            row["type"] = "descriptive"
        else:
            self._unsupported()
        if spec.max_length and "@CHARLIMIT" not in self.annotation.upper():
            self._add_tag(f"@CHARLIMIT={spec.max_length}")

    def _text_validation(self) -> str:
        if self.spec.widget == "slider":
            return self.markers.get("validation", "")
        marker = self.markers.get("validation")
        if marker and same_text_kind(self.spec, marker):
            return marker
        validation, warnings = text_validation(self.spec)
        self.warnings.extend(warnings)
        return validation

    def _calc(self) -> None:
        spec, cfield = self.spec, self.cfield
        expression = spec.calc or ""
        if cfield.calc is not None and cfield.calc.ty.kind == BOOL:
            expression = f"if({expression}, 1, 0)"
        if spec.result == "integer" or spec.precision is not None:
            expression = f"round({expression}, {spec.precision or 0})"
        if spec.result in ("text", "date"):
            self.warnings.append(f"a REDCap calculation is a number, this one gives {spec.result}")
        try:
            self.row.update(type="calc", choices=to_redcap(parse(expression), self.study, cfield.form))
        except Untranslatable as exc:
            self.row["type"] = "text"
            self.warnings.append(
                f"calculation written as a text field, it has no REDCap equivalent ({exc}): {spec.calc}"
            )

    def _unsupported(self) -> None:
        kind = self.spec.unsupported_type or "text"
        if kind == "calc" and "calculation" in self.markers:
            self.row.update(type="calc", choices=self.markers["calculation"])
            return
        self.row.update(
            type=kind, choices=self.markers.get("choices", ""), validation=self.markers.get("validation", "")
        )

    def _logic(self, expression: str, what: str) -> str:
        try:
            return to_redcap(parse(expression), self.study, self.cfield.form)
        except Untranslatable as exc:
            self.warnings.append(f"{what} not written, the field will always show ({exc}): {expression}")
            return ""

    def _bounds(self) -> None:
        spec = self.spec
        chosen: Range | None = spec.range or spec.soft_range
        if spec.range and spec.soft_range:
            self.warnings.append("REDCap has one range: the hard one was written, the expected one dropped")
        if chosen is None:
            self.row.update(min=self.markers.get("min", ""), max=self.markers.get("max", ""))
            return
        if spec.widget == "slider" and (chosen.min, chosen.max) == _SLIDER_RANGE:
            return
        self.row.update(min=self._bound(chosen.min), max=self._bound(chosen.max))
        forced = spec.range is not None and spec.widget != "slider"
        if forced and "@FORCE-MINMAX" not in self.annotation.upper():
            self._add_tag("@FORCE-MINMAX")

    def _bound(self, value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, Decimal):
            text = format(value, "f")
            return text.replace(".", ",") if self.spec.decimal_comma else text
        if value == "current_year":
            self.warnings.append("the bound current_year has no REDCap equivalent: this year written")
            return str(dt.date.today().year)
        if value != "today" and self.spec.type == FieldType.datetime:
            return f"{value} 00:00"
        return str(value)

    def _add_tag(self, tag: str) -> None:
        self.annotation = f"{self.annotation} {tag}".strip()


def export_row(cfield: CField, study: CompiledStudy, lang: str) -> tuple[Row, list[str]]:
    writer = _RowWriter(cfield, study, lang)
    row = writer.build()
    return row, [f"field '{cfield.name}': {w}" for w in writer.warnings]


def record_id_row(study: CompiledStudy, form: str) -> Row:
    row = {key: "" for key in KEYS}
    row.update(name=study.spec.record_id_field, form=form, type="text", label="Record ID")
    return row
