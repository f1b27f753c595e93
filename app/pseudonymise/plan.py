"""What a site profile becomes once checked against the study (`compile.py`): per-table, per-column rules."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from app.forms.model import CField, CForm, CompiledStudy
from app.forms.redcap.flat import option_column
from app.forms.schema import FieldType
from app.pseudonymise.guard import normalise
from app.pseudonymise.profile import Conversion, IdentifierKind, LoadedProfile, Profile, Source, Table

CHOICE_TYPES = (FieldType.choice, FieldType.yesno, FieldType.multichoice)
NUMBER_TYPES = (FieldType.integer, FieldType.decimal, FieldType.studyday)
TEXT_TYPES = (FieldType.text, FieldType.notes)
REDCAP_ROW_TYPE = "redcap_repeat_instrument"
REDCAP_DROPPED = ("redcap_repeat_instance",)


@dataclass(frozen=True)
class Rule:
    """What one local column becomes: a variable's value, a checkbox option, or a study day."""

    column: str
    field: CField
    option: str | None = None
    is_day: bool = False
    values: Mapping[str, str] | None = None
    split: str | None = None
    convert: Conversion | None = None
    decimals: int | None = None
    date_format: str = "%Y-%m-%d"
    also: tuple[tuple[CField, str], ...] = ()


@dataclass
class TablePlan:
    spec: Table
    form: CForm | None
    key: str | None  # None: rows belong to the enclosing object's patient (nested JSON lists)
    fields: dict[str, CField]
    rules: dict[str, Rule]
    identifiers: dict[str, IdentifierKind]
    drop: tuple[str, ...]
    constants: tuple[tuple[CField, str], ...]
    same_names: bool
    patient_columns: dict[str, str] = field(default_factory=dict)  # column -> "mrn" | "infusion" | "birth"

    @property
    def name(self) -> str:
        return self.spec.name

    def rule_for(self, column: str) -> Rule | None:
        rule = self.rules.get(column)
        if rule is None and self.same_names and not self.is_declared(column):
            name, _, suffix = column.partition("___")
            cfield = self.fields.get(name)
            option = option_code(cfield, suffix) if cfield is not None and suffix else None
            if cfield is not None and (option is not None or not suffix):
                rule = self.rules[column] = Rule(column, cfield, option)
        return rule

    def is_declared(self, column: str) -> bool:
        return (
            column in self.identifiers
            or column in self.patient_columns
            or column == self.key
            or any(fnmatch.fnmatchcase(column, pattern) for pattern in self.drop)
        )

    def accounts_for(self, column: str) -> bool:
        return column in self.rules or self.is_declared(column) or self.rule_for(column) is not None

    def expected_columns(self) -> list[str]:
        """Columns the profile names explicitly: each must be present in the extract."""
        named = [*self.patient_columns, *self.identifiers, *self.rules]
        if self.key is not None:
            named.insert(0, self.key)
        return list(dict.fromkeys(named))


@dataclass
class Plan:
    loaded: LoadedProfile
    study: CompiledStudy
    tables: list[TablePlan]
    patient_table: TablePlan
    mrn_pattern: re.Pattern[str]
    infusion_year: CField
    age: CField | None

    @property
    def profile(self) -> Profile:
        return self.loaded.profile

    @property
    def source(self) -> Source:
        return self.loaded.profile.source

    @property
    def row_type_column(self) -> str | None:
        source = self.source
        return source.row_type_column or (REDCAP_ROW_TYPE if source.kind == "redcap" else None)


def accepts(cfield: CField, text: str, option: str | None = None) -> bool:
    """Whether `text` is a value the field (or checkbox option) can take, as a code or missing code."""
    if text == "" or text in cfield.missing_codes:
        return True
    if option is not None:
        return text in ("0", "1")
    return cfield.spec.type not in CHOICE_TYPES or text in {str(c) for c in cfield.codes or ()}


# Words of column names that say "direct identifier", in English, Spanish and Catalan.
_IDENTIFYING_WORDS = {
    "name", "names", "surname", "firstname", "lastname", "nombre", "nombres", "apellido", "apellidos", "nom",
    "cognom", "cognoms", "mrn", "nhc", "historia", "dni", "nie", "nif", "ssn", "social", "dob", "birth",
    "birthdate", "nacimiento", "naixement", "address", "direccion", "domicilio", "adreca", "phone",
    "telephone", "telefono", "telefon", "email", "correo", "cip", "lot", "lote",
}  # fmt: skip


def looks_like_identifier(column: str) -> bool:
    words = re.findall(r"[a-z]+", normalise(column))
    return any(word in _IDENTIFYING_WORDS for word in words)


def option_code(cfield: CField, suffix: str) -> str | None:
    """The code of a checkbox column `variable___suffix` (REDCap lower-cases codes in column names)."""
    if cfield.spec.type != FieldType.multichoice:
        return None
    column = f"{cfield.name}___{suffix}"
    for code in (*(cfield.codes or ()), *sorted(cfield.missing_codes)):
        if option_column(cfield.name, code) == column:
            return str(code)
    return None
