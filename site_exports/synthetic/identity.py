"""Synthetic direct identifiers, as a hospital system carries them: names, record numbers, national IDs.

All invented. Spanish DNI and NIE carry a valid check letter, US social security numbers avoid the
ranges never issued, so the extracts look like the real thing to the pseudonymisation step's guard.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

# (men, women)
_US_FIRST = (
    ["James", "Robert", "Michael", "David", "Thomas"],
    ["Linda", "Patricia", "Barbara", "Susan", "Karen"],
)
_US_LAST = ["Harrison", "Whitfield", "Okafor", "Lindqvist", "Brennan", "Castellano", "Nakamura", "Delgado"]
_ES_FIRST = (
    ["José", "Íñigo", "Francisco", "Álvaro", "Ramón"],
    ["María", "Lucía", "Carmen", "Begoña", "Pilar"],
)
_CA_FIRST = (["Jordi", "Oriol", "Pau", "Xavier", "Joan"], ["Montserrat", "Núria", "Mercè", "Laia", "Roser"])
_ES_LAST = ["Fernández", "Núñez", "Peña", "Muñoz", "Etxeberria", "Sáez", "Ibáñez", "Quintana", "Gallardo"]
_CA_LAST = ["Puigdomènech", "Vilaró", "Ferrer", "Soler", "Pujol", "Casals", "Riera", "Bosch", "Llorens"]
_DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"


@dataclass(frozen=True)
class Identity:
    first: str
    middle: str
    last1: str
    last2: str
    mrn: str
    national_id: str
    ssn: str
    phone: str
    lot: str
    health_card: str
    record_id: str
    admission: dt.date
    us: bool

    @property
    def full(self) -> str:
        if self.us:
            return f"{self.last1}, {self.first} {self.middle}."
        return f"{self.first} {self.last1} {self.last2}"

    @property
    def lasts(self) -> str:
        return f"{self.last1} {self.last2}"

    @property
    def first_middle(self) -> str:
        return f"{self.first} {self.middle}."


def _dni(rng: random.Random) -> str:
    if rng.random() < 0.25:
        prefix = rng.choice("XYZ")
        number = rng.randint(0, 9_999_999)
        check = int(f"{'XYZ'.index(prefix)}{number:07d}") % 23
        return f"{prefix}{number:07d}{_DNI_LETTERS[check]}"
    number = rng.randint(10_000_000, 79_999_999)
    return f"{number}{_DNI_LETTERS[number % 23]}"


def make_identity(
    rng: random.Random,
    names: str,
    mrn_prefix: str,
    mrn_digits: int,
    number: int,
    infusion: dt.date,
    male: bool,
) -> Identity:
    us = names == "us"
    first = rng.choice((_US_FIRST if us else _CA_FIRST if names == "ca" else _ES_FIRST)[0 if male else 1])
    lasts = _US_LAST if us else _CA_LAST if names == "ca" else _ES_LAST
    last1, last2 = rng.sample(lasts, 2)
    mrn = f"{mrn_prefix}{rng.randint(10 ** (mrn_digits - 1), 10**mrn_digits - 1)}"
    ssn = f"{rng.randint(100, 665)}-{rng.randint(10, 99)}-{rng.randint(1000, 9999)}"
    phone = (
        f"(503) 555-0{rng.randint(100, 199)}"
        if us
        else f"6{rng.randint(10, 99)} {rng.randint(100, 999)} {rng.randint(100, 999)}"
    )
    lot = f"LT{infusion:%y}{rng.randint(1000, 9999)}-{rng.randint(10, 99)}"
    card = f"{last1[:2].upper()}{last2[:2].upper()}{rng.randint(10**9, 10**10 - 1)}"
    card = card.encode("ascii", "ignore").decode()
    return Identity(
        first, rng.choice("ABCDEJKLMRT"), last1, last2, mrn, _dni(rng), ssn, phone, lot, card,
        str(number + 1), infusion - dt.timedelta(days=rng.randint(8, 12)), us,
    )  # fmt: skip
