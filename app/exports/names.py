"""Names that fit each format's limits, chosen deterministically and never colliding.

A name that breaks a format's rules (too long, a character it refuses, a reserved word) is replaced by
a valid one: invalid characters become `_`, and a name still too long keeps its start and ends with
`_` and six characters of the SHA-256 of the original, so the same column always gets the same name.
A clash with a name already taken adds `_2`, `_3`... Every change is listed in the codebook.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class NameRules:
    format: str
    max_bytes: int
    allowed: re.Pattern[str]  # one character that may appear in a name
    first: re.Pattern[str]  # what the first character must be
    reserved: frozenset[str]  # compared in lower case
    case_insensitive: bool


@dataclass(frozen=True)
class Rename:
    table: str
    format: str
    name: str
    renamed: str


STATA = NameRules(
    "stata",
    32,
    re.compile(r"[A-Za-z0-9_]"),
    re.compile(r"[A-Za-z_]"),
    frozenset(
        ["_all", "_b", "byte", "_coef", "_cons", "double", "float", "if", "in", "int", "long", "_n"]
        + ["_pi", "_pred", "_rc", "_skip", "strl", "using", "with"]
    ),
    case_insensitive=False,
)
SPSS = NameRules(
    "spss",
    64,
    re.compile(r"[A-Za-z0-9_.@]"),
    re.compile(r"[A-Za-z@]"),
    frozenset(["all", "and", "by", "eq", "ge", "gt", "le", "lt", "ne", "not", "or", "to", "with"]),
    case_insensitive=True,
)
# Excel sheet names: at most 31 characters, none of []:*?/\ and not empty.
SHEET = NameRules("xlsx", 31, re.compile(r"[^\[\]:*?/\\]"), re.compile(r"[^'\[\]:*?/\\]"), frozenset(), True)


def _digest(name: str) -> str:
    return hashlib.sha256(name.encode("utf-8")).hexdigest()[:6]


def _shorten(name: str, limit: int, original: str) -> str:
    if len(name.encode("utf-8")) <= limit:
        return name
    suffix = f"_{_digest(original)}"
    head = name
    while len((head + suffix).encode("utf-8")) > limit:
        head = head[:-1]
    return head + suffix


def valid_name(name: str, rules: NameRules, limit: int | None = None) -> str:
    """The name itself when the format accepts it, otherwise a deterministic valid replacement."""
    fixed = "".join(ch if rules.allowed.fullmatch(ch) else "_" for ch in name) or "v"
    if not rules.first.fullmatch(fixed[0]):
        fixed = "v" + fixed
    if rules.format == "spss" and fixed.endswith("."):
        fixed += "_"
    if fixed.lower() in rules.reserved:
        fixed += "_"
    return _shorten(fixed, limit or rules.max_bytes, name)


def assign_names(
    table: str, names: Iterable[str], rules: NameRules, shorter: Mapping[str, int] | None = None
) -> tuple[dict[str, str], list[Rename]]:
    """Each name's name in the format, unique within the table, and the renames made.

    `shorter` gives some names a tighter limit than the format's (see `plan.STATA_LABELLED`).
    """
    taken: set[str] = set()
    chosen: dict[str, str] = {}
    renames: list[Rename] = []
    for name in names:
        limit = (shorter or {}).get(name, rules.max_bytes)
        candidate = valid_name(name, rules, limit)
        number = 1
        while (candidate.lower() if rules.case_insensitive else candidate) in taken:
            number += 1
            candidate = _shorten(f"{valid_name(name, rules, limit)}_{number}", limit, f"{name}#{number}")
        taken.add(candidate.lower() if rules.case_insensitive else candidate)
        chosen[name] = candidate
        if candidate != name:
            renames.append(Rename(table, rules.format, name, candidate))
    return chosen, renames
