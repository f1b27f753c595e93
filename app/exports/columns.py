"""The exported tables and their columns, read from the study definition alone.

One `patients` table (key columns, every once-form's variables, then the derived variables) and one
table per repeating form (key columns with `instance`, then the form's variables). A multiple choice
becomes one 0/1 column per code, named `variable___code` as REDCap does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from enum import StrEnum

from app.core.errors import DomainError
from app.forms.describe import WORDS as CODEBOOK_WORDS
from app.forms.labels import label_in
from app.forms.model import CDerived, CField, CompiledStudy
from app.forms.schema import Choice, FieldType

PATIENTS = "patients"
# Names the export itself uses for files or sheets; a repeating form may not take them.
RESERVED_TABLES = frozenset({PATIENTS, "codebook"})
NOT_EXPORTED = frozenset({FieldType.descriptive, FieldType.unsupported})
FREE_TEXT = frozenset({FieldType.text, FieldType.notes})

Labels = Mapping[str, str]
WORDS: dict[str, dict[str, str]] = {
    "en": {
        "record": "Study ID",
        "site": "Site",
        "instance": "Instance",
        "checked": "Checked",
        "unchecked": "Unchecked",
    },
    "es": {
        "record": "ID de estudio",
        "site": "Centro",
        "instance": "Repetición",
        "checked": "Marcado",
        "unchecked": "No marcado",
    },
}


class Kind(StrEnum):
    text = "text"
    integer = "integer"
    decimal = "decimal"


class Role(StrEnum):
    key = "key"
    input = "input"
    calc = "calc"
    derived = "derived"
    checkbox = "checkbox"


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    role: Role
    label: Labels
    source: str  # the variable in the definition (a checkbox's multiple choice)
    form: str | None = None
    codes: tuple[tuple[int | str, Labels], ...] = ()
    code: str | None = None  # a checkbox's code
    missing: tuple[str, ...] = ()
    units: str | None = None
    free_text: bool = False
    top_code: Decimal | None = None
    definition: Labels = field(default_factory=dict)

    @property
    def numeric(self) -> bool:
        return self.kind != Kind.text


@dataclass(frozen=True)
class TableSpec:
    name: str
    form: str | None  # the repeating form, None for patients
    columns: tuple[Column, ...]
    dropped: tuple[Column, ...] = ()  # free text left out on request

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.role == Role.key)


def _words(study: CompiledStudy, key: str) -> dict[str, str]:
    def word(lang: str) -> str:
        table = WORDS.get(lang) or WORDS["en"]
        if key in table:
            return table[key]
        return (CODEBOOK_WORDS.get(lang) or CODEBOOK_WORDS["en"])[key]

    return {lang: word(lang) for lang in study.spec.languages}


def _choice_codes(choices: list[Choice] | None) -> tuple[tuple[int | str, Labels], ...]:
    items = choices or []
    whole = bool(items) and all(c.code.isdigit() for c in items)
    return tuple((int(c.code) if whole else c.code, dict(c.label)) for c in items)


def _yes_no(study: CompiledStudy) -> tuple[tuple[int | str, Labels], ...]:
    return ((1, _words(study, "yes")), (0, _words(study, "no")))


def _coded_kind(codes: tuple[tuple[int | str, Labels], ...]) -> Kind:
    return Kind.integer if all(isinstance(code, int) for code, _ in codes) else Kind.text


def _field_kind(cfield: CField) -> Kind:
    spec = cfield.spec
    if spec.type in (FieldType.integer, FieldType.studyday):
        return Kind.integer
    if spec.type == FieldType.decimal:
        return Kind.decimal
    if spec.type != FieldType.calc:
        return Kind.text
    if spec.result == "integer" or (spec.result is None and spec.precision == 0 and cfield.ty.kind == "num"):
        return Kind.integer
    if spec.result == "decimal" or (spec.result is None and cfield.ty.kind == "num"):
        return Kind.decimal
    return Kind.text


def field_columns(
    study: CompiledStudy, cfield: CField, top_code: Mapping[str, Decimal | None]
) -> list[Column]:
    spec = cfield.spec
    order = [m.code for m in study.spec.missing_codes]
    missing = tuple(code for code in order if code in cfield.missing_codes)
    role = Role.calc if spec.type == FieldType.calc else Role.input
    base = Column(
        name=spec.name,
        kind=_field_kind(cfield),
        role=role,
        label=dict(spec.label),
        source=spec.name,
        form=cfield.form,
        missing=missing,
        units=spec.units,
        free_text=spec.type in FREE_TEXT,
        top_code=top_code.get(spec.name),
    )
    if spec.type == FieldType.multichoice:
        checked = tuple(_words(study, w) for w in ("checked", "unchecked"))
        return [
            Column(
                name=f"{spec.name}___{code}",
                kind=Kind.integer,
                role=Role.checkbox,
                label={lang: f"{text}: {label_in(labels, lang)}" for lang, text in spec.label.items()},
                source=spec.name,
                form=cfield.form,
                codes=((1, checked[0]), (0, checked[1])),
                code=str(code),
                missing=missing,
            )
            for code, labels in _choice_codes(spec.choices)
        ]
    if spec.type == FieldType.yesno or spec.result == "yesno":
        return [replace(base, kind=Kind.integer, codes=_yes_no(study))]
    if spec.choices:
        codes = _choice_codes(spec.choices)
        return [replace(base, kind=_coded_kind(codes), codes=codes)]
    return [base]


def derived_column(study: CompiledStudy, derived: CDerived, top_code: Mapping[str, Decimal | None]) -> Column:
    spec = derived.spec
    codes = _yes_no(study) if spec.result == "yesno" else _choice_codes(spec.choices)
    kinds = {"integer": Kind.integer, "decimal": Kind.decimal, "yesno": Kind.integer, "text": Kind.text}
    return Column(
        name=spec.name,
        kind=_coded_kind(codes) if spec.result == "choice" else kinds[spec.result],
        role=Role.derived,
        label=dict(spec.label),
        source=spec.name,
        codes=codes,
        units=spec.units,
        top_code=top_code.get(spec.name),
        definition=dict(spec.definition),
    )


def derived_in_order(study: CompiledStudy) -> list[CDerived]:
    """Derived variables as declared (`study.derived` is sorted so that each follows what it reads)."""
    by_name = {d.name: d for d in study.derived}
    return [by_name[d.name] for d in study.spec.derived if d.name in by_name]


def _keys(study: CompiledStudy, repeating: bool) -> list[Column]:
    record = study.spec.record_id_field
    keys = [
        Column(record, Kind.text, Role.key, _words(study, "record"), record),
        Column("site", Kind.text, Role.key, _words(study, "site"), "site"),
    ]
    if repeating:
        keys.append(Column("instance", Kind.integer, Role.key, _words(study, "instance"), "instance"))
    return keys


def _table(name: str, form: str | None, columns: list[Column], drop_free_text: bool) -> TableSpec:
    seen: set[str] = set()
    for column in columns:
        if column.name in seen:
            raise DomainError(f"table '{name}' would have two columns named '{column.name}'")
        seen.add(column.name)
    kept = tuple(c for c in columns if not (drop_free_text and c.free_text))
    dropped = tuple(c for c in columns if drop_free_text and c.free_text)
    return TableSpec(name, form, kept, dropped)


def table_specs(
    study: CompiledStudy,
    *,
    drop_free_text: bool = False,
    top_code: Mapping[str, Decimal | None] | None = None,
) -> list[TableSpec]:
    """`patients` first, then each repeating form in the study's order. Identifiers are never exported."""
    limits = top_code or {}
    patients = _keys(study, repeating=False)
    tables: list[TableSpec] = []
    for cform in study.forms.values():
        fields = [
            f for f in cform.fields.values() if f.spec.type not in NOT_EXPORTED and not f.spec.identifier
        ]
        columns = [c for f in fields for c in field_columns(study, f, limits)]
        if not cform.repeating:
            patients.extend(columns)
            continue
        if cform.name in RESERVED_TABLES:
            raise DomainError(f"the repeating form '{cform.name}' has a name the export reserves for itself")
        tables.append(_table(cform.name, cform.name, _keys(study, repeating=True) + columns, drop_free_text))
    patients.extend(derived_column(study, d, limits) for d in derived_in_order(study))
    return [_table(PATIENTS, None, patients, drop_free_text), *tables]


def variable_column(study: CompiledStudy, name: str) -> Column | None:
    """The column of one variable of the definition (a field or a derived variable), if it has one."""
    cfield = study.field(name)
    if cfield is not None and cfield.spec.type not in NOT_EXPORTED:
        return field_columns(study, cfield, {})[0]
    derived = next((d for d in study.derived if d.name == name), None)
    return derived_column(study, derived, {}) if derived is not None else None
