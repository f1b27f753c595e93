"""Pydantic models of a study definition, exactly as written in the YAML files of forms/.

These models check shape only (types, unknown keys, names). Everything that needs the
whole study at once (expressions, references, cycles) is checked by `compile.py`.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal

import pydantic
from pydantic import BaseModel, BeforeValidator, ConfigDict, field_validator

NAME_PATTERN = r"^[a-z][a-z0-9_]*$"


def _labels_from_text(value: object) -> object:
    # A bare string is a label in the study's first language; translations come as a mapping.
    if isinstance(value, str):
        return {"en": value}
    return value


Labels = Annotated[dict[str, str], BeforeValidator(_labels_from_text)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FieldType(StrEnum):
    text = "text"
    notes = "notes"
    integer = "integer"
    decimal = "decimal"
    yesno = "yesno"
    choice = "choice"
    multichoice = "multichoice"
    date = "date"
    datetime = "datetime"
    time = "time"
    studyday = "studyday"
    calc = "calc"
    descriptive = "descriptive"
    unsupported = "unsupported"


class Severity(StrEnum):
    error = "error"
    warning = "warning"


def _code_as_text(value: object) -> object:
    # YAML reads `code: 1` as an int; codes are text everywhere (REDCap allows letters).
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int | float | Decimal):
        return str(value)
    return value


Code = Annotated[str, BeforeValidator(_code_as_text), pydantic.Field(pattern=r"^[A-Za-z0-9_.\-]+$")]


class Choice(Strict):
    code: Code
    label: Labels


Bound = Decimal | str


class Range(Strict):
    """Inclusive bounds. Numbers for numeric fields; ISO text (or `today`) for dates."""

    min: Bound | None = None
    max: Bound | None = None


class MissingCode(Strict):
    code: Code
    label: Labels


class Field(Strict):
    name: str = pydantic.Field(pattern=NAME_PATTERN)
    type: FieldType
    label: Labels
    help: Labels | None = None
    section: Labels | None = None
    units: str | None = None
    choices: list[Choice] | None = None
    precision: int | None = pydantic.Field(default=None, ge=0, le=10)
    decimal_comma: bool = False
    format: str | None = None
    max_length: int | None = pydantic.Field(default=None, gt=0)
    range: Range | None = None
    soft_range: Range | None = None
    required: bool = False
    required_if: str | None = None
    show_if: str | None = None
    calc: str | None = None
    result: Literal["integer", "decimal", "text", "date", "yesno", "choice"] | None = None
    identifier: bool = False
    missing_codes: list[str] | None = None
    widget: str | None = None
    annotation: str | None = None
    unsupported_type: str | None = None
    # Exports show values above this as this value unless the coordinator asks otherwise.
    top_code: Decimal | None = None


class Rule(Strict):
    """A check that must hold. `error` rejects the save; `warning` saves and opens a query."""

    name: str = pydantic.Field(pattern=NAME_PATTERN)
    check: str
    when: str | None = None
    severity: Severity = Severity.error
    field: str | None = None
    on: Literal["save", "complete"] = "save"
    message: Labels


class Form(Strict):
    name: str = pydantic.Field(pattern=NAME_PATTERN)
    label: Labels
    repeating: bool = False
    key: list[str] = []
    fields: list[Field]
    rules: list[Rule] = []


class Site(Strict):
    code: str = pydantic.Field(pattern=r"^[A-Z][A-Z0-9]{1,9}$")
    name: str
    city: str | None = None
    country: str = pydantic.Field(pattern=r"^[A-Z]{2}$")
    language: str


class Privacy(Strict):
    refuse_identifiers: bool = True


class Derived(Strict):
    """A patient-level analysis variable computed at export, never entered."""

    name: str = pydantic.Field(pattern=NAME_PATTERN)
    label: Labels
    expr: str
    result: Literal["integer", "decimal", "text", "yesno", "choice"] = "decimal"
    precision: int | None = pydantic.Field(default=None, ge=0, le=10)
    choices: list[Choice] | None = None
    units: str | None = None
    top_code: Decimal | None = None  # as for a field: applied by exports unless asked otherwise
    definition: Labels


DEFAULT_MISSING_CODES = [
    MissingCode(code="NA", label={"en": "Not applicable", "es": "No aplica"}),
    MissingCode(code="UNK", label={"en": "Unknown", "es": "Desconocido"}),
    MissingCode(code="ND", label={"en": "Not done", "es": "No realizado"}),
]


class Study(Strict):
    id: str = pydantic.Field(pattern=r"^[a-z0-9][a-z0-9_\-]*$")
    title: Labels
    version: str
    languages: list[str] = ["en"]
    index_event: Labels | None = None
    record_id_field: str = pydantic.Field(default="record_id", pattern=NAME_PATTERN)
    max_name_length: int = pydantic.Field(default=26, ge=8, le=100)
    privacy: Privacy = Privacy()
    missing_codes: list[MissingCode] = DEFAULT_MISSING_CODES
    sites: list[Site] = []
    settings: dict[str, Decimal | str | bool] = {}
    forms: list[str]
    rules: list[Rule] = []
    derived: list[Derived] = []

    @field_validator("languages")
    @classmethod
    def _at_least_one_language(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("a study needs at least one language")
        return value
