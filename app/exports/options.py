"""What an export is asked for, checked against the study before any data is read."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from http import HTTPStatus
from pathlib import Path
from typing import Any

from app.core.errors import DomainError
from app.exports.columns import variable_column
from app.forms.model import CompiledStudy
from app.forms.values import plain, to_text

# Order matters: it is the order files are written in and listed.
FORMATS = ("csv", "parquet", "stata", "spss", "xlsx", "r", "odm", "datapackage")
# Formats that read the CSV files, which are then written too.
NEEDS_CSV = frozenset({"r", "datapackage"})
STATUSES = ("complete", "verified")


class BadOption(DomainError):
    """An option that cannot be honoured (unknown format, site, language, variable...).

    `option` names the CLI flag at fault, if one is, and `problem` says what is wrong without it,
    so that a page can name its own field instead of the flag."""

    def __init__(self, detail: str, *, option: str | None = None, problem: str | None = None) -> None:
        super().__init__(detail)
        self.option, self.problem = option, problem

    @classmethod
    def of(cls, option: str, problem: str) -> BadOption:
        """`--by: 'x' is not a coded variable`, with its parts kept."""
        return cls(f"{option}: {problem}", option=option, problem=problem)


class NothingToExport(DomainError):
    status_code = HTTPStatus.UNPROCESSABLE_ENTITY
    code = "nothing-to-export"


class OutputUnavailable(DomainError):
    """The output folder cannot be written (not writable, or already holds files)."""

    status_code = HTTPStatus.CONFLICT
    code = "output-unavailable"


@dataclass(frozen=True)
class ExportOptions:
    out: Path
    formats: tuple[str, ...] = FORMATS
    sites: tuple[str, ...] = ()
    status: str | None = None
    lang: str | None = None
    drop_free_text: bool = False
    # Over the study's declared top-codes: a number sets (or adds) a variable's limit, None switches
    # that variable's off. Once `checked`, this is the complete list applied, defaults included.
    top_code: Mapping[str, Decimal | None] = field(default_factory=dict)
    study_top_codes: bool = True  # False: only `top_code` applies, none of the study's defaults

    def describe(self) -> dict[str, Any]:
        """The filters and sharing options, as recorded in the manifest and the audit trail."""
        return {
            "formats": list(self.formats),
            "sites": list(self.sites),
            "status": self.status,
            "lang": self.lang,
            "drop_free_text": self.drop_free_text,
            "top_code": {
                name: str(limit) for name, limit in sorted(self.top_code.items()) if limit is not None
            },
        }


def split_list(values: Iterable[str] | None) -> tuple[str, ...]:
    """`["csv,parquet", "odm"]` -> `("csv", "parquet", "odm")`: repeated options and commas both work."""
    found: list[str] = []
    for value in values or ():
        found.extend(part.strip() for part in value.split(",") if part.strip())
    return tuple(dict.fromkeys(found))


def parse_top_code(values: Iterable[str] | None) -> dict[str, Decimal | None]:
    """`["score=90", "other=none"]` -> `{"score": Decimal(90), "other": None}` (None: switched off)."""
    limits: dict[str, Decimal | None] = {}
    for value in split_list(values):
        name, sep, limit = value.partition("=")
        try:
            if not sep or not name.strip():
                raise InvalidOperation
            number = None if limit.strip().lower() == "none" else Decimal(limit.strip())
            if number is not None and not number.is_finite():
                raise InvalidOperation
            limits[name.strip()] = number
        except InvalidOperation:
            problem = f"wants VARIABLE=NUMBER or VARIABLE=none, not '{value}'"
            raise BadOption(f"--top-code {problem}", option="--top-code", problem=problem) from None
    return limits


def limit_text(limit: Decimal) -> str:
    """`Decimal("90.0")` -> `"90"`: a limit as written in cells, notes and the coordination page."""
    return to_text(plain(limit))


def declared_top_codes(study: CompiledStudy) -> dict[str, Decimal]:
    """The top-codes the definition declares (`top_code:` on a field or derived variable)."""
    limits: dict[str, Decimal] = {}
    for cform in study.forms.values():
        for cfield in cform.fields.values():
            if cfield.spec.top_code is not None:
                limits[cfield.name] = cfield.spec.top_code
    for derived in study.derived:
        if derived.spec.top_code is not None:
            limits[derived.name] = derived.spec.top_code
    return limits


def top_code_text(limits: Mapping[str, Decimal]) -> str:
    """`{"score": Decimal(90)}` -> `"score=90"`, as the coordination page and `--top-code` read it."""
    return ", ".join(f"{name}={limit_text(limit)}" for name, limit in limits.items())


def check_formats(formats: Iterable[str]) -> tuple[str, ...]:
    chosen = set(formats) or set(FORMATS)
    unknown = sorted(chosen - set(FORMATS))
    if unknown:
        raise BadOption(f"unknown format '{unknown[0]}' (formats: {', '.join(FORMATS)})")
    if chosen & NEEDS_CSV:
        chosen.add("csv")
    return tuple(f for f in FORMATS if f in chosen)


def checked(study: CompiledStudy, options: ExportOptions) -> ExportOptions:
    """The options with defaults filled in (the study's top-codes merged into `top_code`).

    A BadOption names the first thing that cannot be done.
    """
    known_sites = [s.code for s in study.spec.sites]
    for code in options.sites:
        if code not in known_sites:
            raise BadOption(f"unknown site '{code}' (sites: {', '.join(known_sites)})")
    if options.status is not None and options.status not in STATUSES:
        raise BadOption(f"unknown status '{options.status}' (one of: {', '.join(STATUSES)})")
    lang = options.lang or study.spec.languages[0]
    if lang not in study.spec.languages:
        raise BadOption(f"language '{lang}' is not one of the study's: {', '.join(study.spec.languages)}")
    for name in options.top_code:
        check_numeric_variable(study, name, "--top-code")
    return replace(
        options,
        formats=check_formats(options.formats),
        lang=lang,
        top_code=applied_top_codes(study, options),
        study_top_codes=False,  # merged in already: checking twice changes nothing
    )


def applied_top_codes(study: CompiledStudy, options: ExportOptions) -> dict[str, Decimal]:
    """The study's declared top-codes (unless left out) with the coordinator's asked over them."""
    limits: dict[str, Decimal | None] = {}
    if options.study_top_codes:
        limits.update(declared_top_codes(study))
    limits.update(options.top_code)
    return {name: limit for name, limit in sorted(limits.items()) if limit is not None}


def check_numeric_variable(study: CompiledStudy, name: str, option: str) -> None:
    """A variable that can be compared with a number: a measurement, not a code."""
    column = variable_column(study, name)
    if column is None:
        raise BadOption.of(option, f"the study has no variable '{name}'")
    if not column.numeric or column.codes:
        raise BadOption.of(option, f"'{name}' is not a numeric variable")
