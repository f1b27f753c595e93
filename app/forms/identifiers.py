"""What a value that names a patient looks like, whoever enters it: a site's upload or a person on a
form. One list for every entry path, so that what an upload refuses a page refuses too.

The site's own pseudonymisation step (`app/pseudonymise/guard.py`) searches more widely, knowing the
extract's names and MRNs; these patterns need no such knowledge.
"""

from __future__ import annotations

import re

from app.forms.schema import Labels

# A calendar date written with a month name or abbreviation (English, Spanish, Catalan), day-month-year
# (`8 de marzo de 2023`, `13-oct-1964`, `13OCT1964`, `3 de set. de 2021`, `8 d'octubre de 2023`) or
# month-day-year (`March 8, 2023`, `Mar 8 2023`). One pattern without inline flags or named groups, so
# that other checks can join it with theirs; accents may be composed or decomposed (`març`, `marc`).
_MONTH = (
    r"(?:january|february|march|april|may|june|july|august|september|october|november|december"
    r"|enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|noviembre|diciembre"
    r"|gener|febrer|mar[cç]\u0327?|maig|juny|juliol|agost|setembre|novembre|desembre"
    r"|jan|feb|febr|mar|apr|abr|jun|jul|aug|ago|ag|sep|sept|set|oct|nov|dec|ene|dic|gen|des)"
    r"(?![^\W\d_])\.?"
)
_DAY = r"(?<!\w)(?:0?[1-9]|[12]\d|3[01])(?:st|nd|rd|th|º|ª|r)?"
_YEAR = (  # not a dose or a count: `3 may 20 mg`
    r"(?:(?:1[89]|20)\d\d|\d\d)(?!\w|[.,]\d|\s*(?:%|(?:mg|mcg|µg|ug|g|kg|ml|dl|l|mmol|ui|iu|u|x|h|min"
    r"|days?|d[ií]as?|dies|veces|times|patients?|pacientes?)(?!\w)))"
)
_LINK = r"(?:\s*d['’]\s*|\s*[-/.,]?\s*(?:(?:de|del|of)\s+)?)"  # `8 de marzo`, `8 d'octubre`, `13-oct`
MONTH_NAME_DATE = re.compile(
    rf"(?:{_DAY}{_LINK}{_MONTH}{_LINK}{_YEAR}"
    rf"|(?<![^\W\d_]){_MONTH}{_LINK}{_DAY}(?:\s*[-/.,]\s*|\s+)(?:(?:de|del|of)\s+)?{_YEAR})",
    re.IGNORECASE,
)

# Each pattern with what it looks like, in every language the platform speaks.
IDENTIFIER_VALUES: dict[str, tuple[re.Pattern[str], Labels]] = {
    "dni": (re.compile(r"\b\d{8}[A-HJ-NP-TV-Z]\b"), {"en": "a Spanish DNI", "es": "un DNI"}),
    "nie": (re.compile(r"\b[XYZ]\d{7}[A-HJ-NP-TV-Z]\b"), {"en": "a Spanish NIE", "es": "un NIE"}),
    "ssn": (
        re.compile(r"\b\d{3}-\d{2}-\d{4}\b"),
        {"en": "a US social security number", "es": "un número de la seguridad social de EE. UU."},
    ),
    "date": (
        re.compile(r"\b(\d{4}-\d{2}-\d{2}|\d{1,2}[/-]\d{1,2}[/-]\d{4})\b"),
        {"en": "a calendar date", "es": "una fecha de calendario"},
    ),
    "month_date": (
        MONTH_NAME_DATE,
        {"en": "a calendar date with a month name", "es": "una fecha de calendario con el nombre del mes"},
    ),
    "record_number": (
        # Not CIP (a Catalan health card, but also ciprofloxacin: "CIP 500 mg"); "MRN12345" too.
        re.compile(r"\b(MRN|NHC|DNI|NIE|NIF|SSN|NUSS|NUHSA)\W{0,3}[A-Z]{0,3}\d", re.IGNORECASE),
        {"en": "a labelled record number", "es": "un número de historia o identificación"},
    ),
}
# One pass over a value tells whether any pattern may match; the per-pattern loop then names which.
# Month-name dates are searched apart, and not in values of hex digits alone: the pattern is costly,
# and the longest cells of most uploads are site pseudonyms (64 hex digits), which hold no such date.
_ANY = re.compile(
    "|".join(f"(?:{p.pattern})" for p, _ in IDENTIFIER_VALUES.values() if p is not MONTH_NAME_DATE),
    re.IGNORECASE,
)
_HEX = re.compile(r"[0-9a-fA-F]+")
SHORTEST = 8  # no pattern matches fewer characters


def identifier_in(value: str) -> Labels | None:
    """What `value` looks like, if it looks like a direct identifier."""
    if len(value) < SHORTEST:
        return None
    if not _ANY.search(value) and (_HEX.fullmatch(value) or not MONTH_NAME_DATE.search(value)):
        return None
    return next((what for pattern, what in IDENTIFIER_VALUES.values() if pattern.search(value)), None)
