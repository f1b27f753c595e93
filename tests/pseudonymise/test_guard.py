"""The guard's pattern for calendar dates written with a month name, in English, Spanish and Catalan."""

from __future__ import annotations

import re
import unicodedata

import pytest

from app.pseudonymise.guard import MONTH_NAME_DATE, Known, OutCell, find_identifiers

DATES = [
    "infusión 8 de marzo de 2023",
    "nacida 13-oct-1964",
    "8 March 2023",
    "March 8, 2023",
    "Mar 8 2023",
    "8 març 2023",
    "3 de set. de 2021",
    "8 d'octubre de 2023",
    "1r de gener del 2020",
    "the 8th of March, 2023",
    "Sept. 3, 21",
    "12-DIC-22",
    "13OCT1964",
    "desembre 24 2020",
    "8 MARÇ 2023",
    unicodedata.normalize("NFD", "8 de març de 23"),  # the accent as a combining character
]
NOT_DATES = [
    "5 mg",
    "mar",
    "may improve",
    "dose 2 x 3",
    "grade 3 may 20 mg",
    "3 may 20.5",
    "sepsis 3 días",
    "Mar 2023",
    "8 de marzo",
    "tocilizumab 8 mg/kg",
    "des de 2021",
    "CD19 ag 2023",
    "32 mar 2023",
    "4c6f12dec2023ab",  # hex digits of a pseudonym
]


@pytest.mark.parametrize("text", DATES)
def test_a_date_with_a_month_name_is_found(text: str) -> None:
    assert MONTH_NAME_DATE.search(text), text


@pytest.mark.parametrize("text", NOT_DATES)
def test_clinical_text_is_not_taken_for_a_date(text: str) -> None:
    assert not MONTH_NAME_DATE.search(text), text


def test_the_pattern_can_be_joined_with_other_checks() -> None:
    joined = re.compile(rf"(?:{MONTH_NAME_DATE.pattern})|(?:\b\d{{3}}-\d{{2}}-\d{{4}}\b)", re.IGNORECASE)
    assert joined.search("nacida 13-oct-1964") and not joined.search("may improve")


def test_a_month_name_date_in_any_cell_is_a_finding_that_never_shows_the_value() -> None:
    cells = [
        OutCell("infection_organism", "E. coli, infusión 8 de marzo de 2023", 3, "infections #1", True),
        OutCell("disease_other", "nacida 13-oct-1964", 2, "once-forms", True),
        OutCell("infection_organism", "may improve with 5 mg", 4, "infections #2", True),
    ]
    assert find_identifiers(cells, Known(), re.compile(r"\d{6}")) == [
        "output row 3 (infections #1), column 'infection_organism': holds a calendar date with a month name",
        "output row 2 (once-forms), column 'disease_other': holds a calendar date with a month name",
    ]
