"""The study metadata and administrative data of the CDISC ODM 1.3.2 file.

One study event holds every form; each form has one item group; each exported column is an item (a
multiple choice's 0/1 columns are items of their own, as in the tables). Derived variables form a
form of their own, `F.DERIVED`. Missing-data codes have a code list, `CL.MISSING`, that the clinical
data's flags refer to.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

from app.exports.columns import Column, Kind, Role
from app.exports.plan import Plan
from app.forms.describe import WORDS as CODEBOOK_WORDS
from app.forms.labels import label_in
from app.forms.model import CompiledStudy

DERIVED_FORM = "DERIVED"
MISSING_LIST = "CL.MISSING"
CENTRAL = "LOC.CENTRAL"
STUDY_EVENT = "SE.STUDY"
DATA_TYPES = {Kind.text: "text", Kind.integer: "integer", Kind.decimal: "float"}
_INVALID_XML = re.compile(r"[\x00-\x08\x0B\x0C\x0E-\x1F]")


def text(value: str) -> str:
    return escape(_INVALID_XML.sub("", value))


def attr(value: str) -> str:
    return escape(_INVALID_XML.sub("", value), {'"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})


def study_oid(study: CompiledStudy) -> str:
    return f"S.{study.spec.id}"


def mdv_oid(study: CompiledStudy) -> str:
    return f"MDV.{study.version}"


def item_oid(column: Column) -> str:
    """Variable names are unique within a table, not within the study: items are named by form."""
    return f"I.{column.form or DERIVED_FORM}.{column.name}"


def code_list_oid(column: Column) -> str:
    return f"CL.{column.form or DERIVED_FORM}.{column.name}"


def translated(labels: Mapping[str, str], languages: list[str]) -> str:
    return "".join(
        f'<TranslatedText xml:lang="{lang}">{text(label_in(labels, lang))}</TranslatedText>'
        for lang in languages
    )


@dataclass(frozen=True)
class Group:
    """One form of the ODM metadata: its OID suffix, name, repetition, label and item columns."""

    oid: str
    name: str
    repeating: bool
    label: Mapping[str, str]
    columns: list[Column]


def form_groups(plan: Plan) -> list[Group]:
    """The forms with exported columns, in the study's order, and the derived variables last."""
    study = plan.snapshot.study
    by_form: dict[str, list[Column]] = {}
    for table in plan.snapshot.tables:
        for column in table.spec.columns:
            if column.role not in (Role.key, Role.derived) and column.form:
                by_form.setdefault(column.form, []).append(column)
    groups = [
        Group(cform.name, cform.name, cform.repeating, cform.spec.label, by_form[cform.name])
        for cform in study.forms.values()
        if by_form.get(cform.name)
    ]
    derived = [c for c in plan.snapshot.patients.spec.columns if c.role == Role.derived]
    if derived:
        languages = study.spec.languages
        words = {lang: (CODEBOOK_WORDS.get(lang) or CODEBOOK_WORDS["en"])["derived"] for lang in languages}
        groups.append(Group(DERIVED_FORM, "derived", False, words, derived))
    return groups


def _units(plan: Plan) -> dict[str, str]:
    found = sorted({c.units for t in plan.snapshot.tables for c in t.spec.columns if c.units})
    return {units: f"MU.{i}" for i, units in enumerate(found, 1)}


def _item_def(column: Column, languages: list[str], units: dict[str, str]) -> str:
    origin = {Role.calc: ' Origin="Calculated"', Role.derived: ' Origin="Derived"'}.get(column.role, "")
    comment = label_in(column.definition, languages[0])
    parts = [
        f'<ItemDef OID="{attr(item_oid(column))}" Name="{attr(column.name)}" '
        f'DataType="{DATA_TYPES[column.kind]}"{origin}'
        + (f' Comment="{attr(comment)}"' if comment else "")
        + ">",
        f"<Question>{translated(column.label, languages)}</Question>",
    ]
    if column.units:
        parts.append(f'<MeasurementUnitRef MeasurementUnitOID="{units[column.units]}"/>')
    if column.codes:
        parts.append(f'<CodeListRef CodeListOID="{attr(code_list_oid(column))}"/>')
    parts.append("</ItemDef>")
    return "".join(parts)


def _code_list(
    oid: str, items: Sequence[tuple[str, Mapping[str, str]]], kind: str, languages: list[str]
) -> str:
    body = "".join(
        f'<CodeListItem CodedValue="{attr(code)}" OrderNumber="{i}"><Decode>{translated(labels, languages)}'
        "</Decode></CodeListItem>"
        for i, (code, labels) in enumerate(items, 1)
    )
    return f'<CodeList OID="{attr(oid)}" Name="{attr(oid[3:])}" DataType="{kind}">{body}</CodeList>'


def study_xml(plan: Plan) -> Iterator[str]:
    study = plan.snapshot.study
    languages = study.spec.languages
    title = label_in(study.spec.title, languages[0])
    units = _units(plan)
    groups = form_groups(plan)
    yield (
        f'<Study OID="{attr(study_oid(study))}"><GlobalVariables><StudyName>{text(study.spec.id)}</StudyName>'
        f"<StudyDescription>{text(title)}</StudyDescription><ProtocolName>{text(study.spec.id)}</ProtocolName>"
        "</GlobalVariables><BasicDefinitions>"
    )
    for units_text, oid in units.items():
        symbol = f'<TranslatedText xml:lang="{languages[0]}">{text(units_text)}</TranslatedText>'
        yield f'<MeasurementUnit OID="{oid}" Name="{attr(units_text)}">'
        yield f"<Symbol>{symbol}</Symbol></MeasurementUnit>"
    yield (
        f'</BasicDefinitions><MetaDataVersion OID="{attr(mdv_oid(study))}" Name="{attr(study.version)}">'
        f'<Protocol><StudyEventRef StudyEventOID="{STUDY_EVENT}" OrderNumber="1" Mandatory="Yes"/></Protocol>'
        f'<StudyEventDef OID="{STUDY_EVENT}" Name="Study" Repeating="No" Type="Common">'
    )
    for i, group in enumerate(groups, 1):
        yield f'<FormRef FormOID="F.{attr(group.oid)}" OrderNumber="{i}" Mandatory="No"/>'
    yield "</StudyEventDef>"
    for group in groups:
        name = label_in(group.label, languages[0]) or group.name
        repeating = "Yes" if group.repeating else "No"
        yield (
            f'<FormDef OID="F.{attr(group.oid)}" Name="{attr(name)}" Repeating="{repeating}">'
            f'<ItemGroupRef ItemGroupOID="IG.{attr(group.oid)}" Mandatory="Yes"/></FormDef>'
        )
    for group in groups:
        yield f'<ItemGroupDef OID="IG.{attr(group.oid)}" Name="{attr(group.name)}" Repeating="No">'
        yield "".join(
            f'<ItemRef ItemOID="{attr(item_oid(c))}" OrderNumber="{i}" Mandatory="No"/>'
            for i, c in enumerate(group.columns, 1)
        )
        yield "</ItemGroupDef>"
    columns = [c for group in groups for c in group.columns]
    yield "".join(_item_def(c, languages, units) for c in columns)
    for c in columns:
        if c.codes:
            items = [(str(code), labels) for code, labels in c.codes]
            kind = "integer" if c.kind == Kind.integer else "text"
            yield _code_list(code_list_oid(c), items, kind, languages)
    missing = [(m.code, m.label) for m in study.spec.missing_codes]
    yield _code_list(MISSING_LIST, missing, "text", languages) + "</MetaDataVersion></Study>"
