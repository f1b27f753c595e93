"""The last check before anything is written: no direct identifier of the input survives in the output.

Two searches over every output cell: the identifiers actually read from the extract (each name, MRN,
national ID, lot number... and every calendar date in many formats), matched as whole tokens so that a
pseudonym's hex digits never match by accident; and patterns of identifiers in general (DNI, NIE, US SSN,
calendar dates, labelled record numbers, the site's MRN format). Findings name the column and row,
never the value.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from app.forms.identifiers import MONTH_NAME_DATE
from app.pseudonymise.profile import IdentifierKind

DATE_FORMATS = (
    "%Y-%m-%d", "%d/%m/%Y", "%m/%d/%Y", "%d-%m-%Y", "%m-%d-%Y", "%Y/%m/%d", "%d.%m.%Y", "%Y%m%d",
    "%d/%m/%y", "%m/%d/%y", "%d-%m-%y",
)  # fmt: skip
PATTERNS = {
    "a Spanish DNI": re.compile(r"\b\d{8}[A-Z]\b", re.IGNORECASE),
    "a Spanish NIE": re.compile(r"\b[XYZ]\d{7}[A-Z]\b", re.IGNORECASE),
    "a US social security number": re.compile(r"\b\d{3}-\d{2}-\d{4}\b"),
    "a calendar date": re.compile(
        r"\b(\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{4}|\d{1,2}/\d{1,2}/\d{2})\b"
    ),
    "a calendar date with a month name": MONTH_NAME_DATE,
    "a labelled record number": re.compile(
        r"\b(MRN|NHC|DNI|NIE|NIF|SSN|NUSS|CIP|NUHSA|record)\b\W{0,3}[A-Z]{0,3}\d", re.IGNORECASE
    ),
}
# Words that are part of many names but identify no one.
_PARTICLES = {"de", "del", "la", "las", "los", "y", "i", "da", "das", "do", "dos", "van", "von", "der", "di"}
_KIND_TEXT = {
    IdentifierKind.name: "a patient's name",
    IdentifierKind.mrn: "a medical record number",
    IdentifierKind.national_id: "a national ID",
    IdentifierKind.ssn: "a social security number",
    IdentifierKind.birth_date: "a date of birth",
    IdentifierKind.date: "a calendar date of the input",
    IdentifierKind.lot_number: "a lot number",
}
_WORD = re.compile(r"[^\W_]+")
_JOINED = re.compile(r"[^\W_]+(?:[-/.][^\W_]+)+")
_DIGITS = re.compile(r"\d+(?:[-/.]\d+)+")  # a date inside a longer token, as in 2021-03-05T10:00


def normalise(text: str) -> str:
    """Case and accents folded, so that `GARCÍA` and `garcia` are the same name."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def tokens(text: str) -> set[str]:
    folded = normalise(text)
    return set(_WORD.findall(folded)) | set(_JOINED.findall(folded)) | set(_DIGITS.findall(folded))


@dataclass
class Known:
    """Every identifier read from the extract, as whole tokens and (for names) whole phrases."""

    tokens: dict[str, str] = field(default_factory=dict)
    phrases: dict[str, str] = field(default_factory=dict)

    def remember(self, kind: IdentifierKind, text: str) -> None:
        what = _KIND_TEXT.get(kind, f"an identifier ({kind.value})")
        folded = normalise(text).strip()
        if kind == IdentifierKind.name:
            words = [w for w in _WORD.findall(folded) if len(w) >= 3 and w not in _PARTICLES]
            for word in words:
                self.tokens[word] = what
            if len(words) > 1:
                self.phrases[" ".join(_WORD.findall(folded))] = what
            return
        for variant in (folded, re.sub(r"[^\w]", "", folded), folded.lstrip("0")):
            if len(variant) >= 4:
                self.tokens[variant] = what

    def remember_date(self, date: dt.date, kind: IdentifierKind = IdentifierKind.date) -> None:
        what = _KIND_TEXT[kind]
        for date_format in DATE_FORMATS:
            self.tokens[date.strftime(date_format)] = what
        for first, second in ((date.day, date.month), (date.month, date.day)):
            for sep in "/-.":
                self.tokens[f"{first}{sep}{second}{sep}{date.year}"] = what

    def find(self, cell: str) -> str | None:
        for token in tokens(cell):
            if token in self.tokens:
                return self.tokens[token]
        if self.phrases and any(c.isalpha() for c in cell):
            padded = f" {' '.join(_WORD.findall(normalise(cell)))} "
            for phrase, what in self.phrases.items():
                if f" {phrase} " in padded:
                    return what
        return None


@dataclass(frozen=True)
class OutCell:
    """One output cell with where it is and where it came from, for a finding a person can act on."""

    column: str
    text: str
    row: int
    where: str
    mrn_like_checked: bool


def find_identifiers(cells: Iterable[OutCell], known: Known, mrn_pattern: re.Pattern[str]) -> list[str]:
    findings = []
    for cell in cells:
        if not cell.text:
            continue
        what = known.find(cell.text) or _pattern(cell.text)
        if (
            what is None
            and cell.mrn_like_checked
            and any(mrn_pattern.fullmatch(t) for t in _raw_tokens(cell))
        ):
            what = "a value in the site's MRN format"
        if what is not None:
            findings.append(f"output row {cell.row} ({cell.where}), column '{cell.column}': holds {what}")
    return findings


def _pattern(text: str) -> str | None:
    return next((what for what, pattern in PATTERNS.items() if pattern.search(text)), None)


def _raw_tokens(cell: OutCell) -> set[str]:
    return {cell.text.strip(), *re.findall(r"[^\W_]+(?:[-/.][^\W_]+)*", cell.text)}
