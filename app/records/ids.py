"""Study IDs: the site's code, a sequence number and a check character, e.g. `HCB-0007-K`.

The check character is the Luhn mod 36 digit of the code and number, so a mistyped character or two
swapped neighbours are caught before a lookup ever runs.
"""

from __future__ import annotations

import re

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_SHAPE = re.compile(r"^([A-Z][A-Z0-9]{1,9})-(\d{4,})-([0-9A-Z])$")


def check_character(payload: str) -> str:
    n = len(ALPHABET)
    factor, total = 2, 0
    for char in reversed(payload):
        addend = factor * ALPHABET.index(char)
        factor = 1 if factor == 2 else 2
        total += addend // n + addend % n
    return ALPHABET[(n - total % n) % n]


def make_record_id(site_code: str, sequence: int) -> str:
    number = f"{sequence:04d}"
    return f"{site_code}-{number}-{check_character(site_code + number)}"


def is_well_formed(record_id: str) -> bool:
    """Whether `record_id` has the right shape and its check character matches."""
    match = _SHAPE.match(record_id)
    if match is None:
        return False
    code, number, check = match.groups()
    return check_character(code + number) == check
