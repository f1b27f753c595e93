"""REDCap's choice lists, `1, Label | 2, Other label`, read and written.

A code runs to the first comma, so labels may hold commas; codes may be letters.
"""

from __future__ import annotations

import re

from app.forms.schema import Choice

CODE = re.compile(r"^[A-Za-z0-9_.\-]+$")


def parse_choices(text: str) -> tuple[list[tuple[str, str]], list[str]]:
    """(code, label) pairs in order, and a warning for each item that could not be read."""
    pairs: list[tuple[str, str]] = []
    warnings: list[str] = []
    seen: set[str] = set()
    # Old dictionaries separate items with line breaks instead of bars.
    for item in re.split(r"\s*(?:\||\\n|\n)\s*", text.strip()):
        if not item:
            continue
        code, comma, label = item.partition(",")
        code, label = code.strip(), label.strip()
        if not comma:
            label = code
        if not CODE.match(code):
            warnings.append(f"choice '{item}' has no usable code (letters, digits, _ . -): dropped")
        elif code in seen:
            warnings.append(f"choice code '{code}' appears twice: the second ('{label}') was dropped")
        else:
            seen.add(code)
            pairs.append((code, label or code))
    return pairs, warnings


def format_choices(choices: list[Choice], lang: str) -> str:
    return " | ".join(f"{c.code}, {label_in(c.label, lang)}" for c in choices)


def label_in(labels: dict[str, str], lang: str) -> str:
    """The text in `lang`, else in the first language that has one."""
    return labels.get(lang) or next(iter(labels.values()), "")
