"""Site profiles: how one site's local extract maps to the canonical upload file.

A profile is a YAML file (`site_exports/<SITE>.yaml`). These models check its shape; `plan.py`
checks it against the study definition. Every problem is reported as `file:line: message`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator

from app.forms.problems import DefinitionError, Problem
from app.forms.yamlfile import line_of, read_yaml
from app.pseudonymise.errors import ProfileError


def _as_text(value: object) -> object:
    # YAML reads `1`, `38.5` and `true` as numbers and booleans; cells and codes are text.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


Text = Annotated[str, BeforeValidator(_as_text)]
ValueMap = dict[Text, Text]


class IdentifierKind(StrEnum):
    name = "name"
    mrn = "mrn"
    national_id = "national_id"
    ssn = "ssn"
    birth_date = "birth_date"
    date = "date"
    phone = "phone"
    address = "address"
    email = "email"
    lot_number = "lot_number"
    local_id = "local_id"
    other = "other"


class Conversion(StrEnum):
    fahrenheit_to_celsius = "fahrenheit_to_celsius"
    pounds_to_kg = "pounds_to_kg"
    inches_to_cm = "inches_to_cm"
    mg_dl_to_mg_l = "mg_dl_to_mg_l"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_date_format(value: str) -> str:
    sample = dt.date(2021, 11, 23)
    try:
        back = dt.datetime.strptime(sample.strftime(value), value).date()
    except ValueError:
        back = None
    if back != sample:
        raise ValueError(f"'{value}' is not a date format that reads back (use e.g. %d/%m/%Y)")
    return value


class Source(Strict):
    """How the extract is stored."""

    kind: Literal["csv", "csv_folder", "xlsx", "jsonl", "redcap"]
    encoding: Literal["utf-8", "utf-8-sig", "cp1252", "iso-8859-1"] = "utf-8"
    delimiter: str = Field(",", min_length=1, max_length=1)
    decimal: Literal[".", ","] = "."
    date_format: str = "%Y-%m-%d"
    # csv and redcap: the column saying which table a row belongs to (REDCap: redcap_repeat_instrument)
    row_type_column: str | None = None
    # columns deliberately left out in every table: neither identifiers nor needed (globs allowed)
    drop: list[str] = []

    _date_format = field_validator("date_format")(_check_date_format)


class Column(Strict):
    """One local column: `to` a variable (or `variable___code`), or a calendar date that becomes a `day`."""

    to: str | None = None
    day: str | None = None
    values: ValueMap | None = None
    value_map: str | None = None
    split: str | None = Field(None, min_length=1)
    convert: Conversion | None = None
    decimals: int | None = Field(None, ge=0, le=6)
    date_format: str | None = None
    also: dict[str, Text] = {}

    @field_validator("date_format")
    @classmethod
    def _date_format(cls, value: str | None) -> str | None:
        return None if value is None else _check_date_format(value)


def _shorthand(value: object) -> object:
    # `"Sexo": sex` is short for `"Sexo": {to: sex}`.
    return {"to": value} if isinstance(value, str) else value


class Table(Strict):
    """Rows of the extract: once-level (one row per patient) or the instances of a repeating form."""

    name: str
    # csv/redcap: the row type value; xlsx: the sheet; csv_folder: the file; jsonl: the dotted path of
    # a nested list ("" = the top-level objects)
    rows: str = ""
    form: str | None = None
    key: str | None = None
    same_names: bool | None = None
    identifiers: dict[str, IdentifierKind] = {}
    columns: dict[str, Annotated[Column, BeforeValidator(_shorthand)]] = {}
    constants: dict[str, Text] = {}
    drop: list[str] = []


class PatientSpec(Strict):
    """Where the patient's linkage key and index dates are, and which variables receive what they give."""

    table: str
    mrn: str
    mrn_pattern: str
    infusion_date: str
    infusion_year: str
    birth_date: str | None = None
    age: str | None = None
    age_top_code: int = Field(90, ge=18, le=130)

    @field_validator("mrn_pattern")
    @classmethod
    def _pattern(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a regular expression: {exc}") from None
        return value


class Profile(Strict):
    site: str
    description: str = ""
    source: Source
    patient: PatientSpec
    value_maps: dict[str, ValueMap] = {}
    tables: list[Table] = Field(min_length=1)


@dataclass(frozen=True)
class LoadedProfile:
    """A profile and the parsed YAML it came from, to point later problems at lines."""

    profile: Profile
    file: str
    data: Any

    def problem(self, message: str, *loc: int | str) -> Problem:
        return Problem(self.file, line_of(self.data, loc), message)


def load_profile(path: Path) -> LoadedProfile:
    """Read and shape-check one profile; raise ProfileError listing every problem with its line."""
    shown = str(path)
    if not path.is_file():
        raise ProfileError([Problem(shown, 1, "no such profile file")])
    try:
        data = read_yaml(path, shown)
    except DefinitionError as exc:
        raise ProfileError(exc.problems) from None
    if not isinstance(data, dict):
        raise ProfileError([Problem(shown, 1, "expected a mapping of keys to values")])
    try:
        profile = Profile.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = tuple(error["loc"])
            where = ".".join(str(part) for part in loc) or "document"
            problems.append(Problem(shown, line_of(data, loc), f"{where}: {error['msg']}"))
        raise ProfileError(problems) from None
    return LoadedProfile(profile, shown, data)
