"""What a dictionary says that our language cannot, kept as `REDCap <what>: <value>` annotation lines.

The importer appends one line per such value (a `date_dmy` display format, a matrix group, a file
field's validation, logic it could not translate...), so the codebook shows it and the exporter puts
it back in its column: a dictionary survives the round trip even where our language is narrower.
"""

from __future__ import annotations

import re

KEYS = (
    "validation",
    "choices",
    "slider labels",
    "calculation",
    "branching logic",
    "required",
    "min",
    "max",
    "custom alignment",
    "question number",
    "matrix group",
    "matrix ranking",
    "codes",
)
# Dictionary columns about survey layout, each kept as the marker named here.
LAYOUT_COLUMNS = {
    "alignment": "custom alignment",
    "question_number": "question number",
    "matrix_group": "matrix group",
    "matrix_ranking": "matrix ranking",
}
_LINE = re.compile(rf"^REDCap ({'|'.join(KEYS)}): (.*)$")


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\r", "\\r").replace("\n", "\\n")


def _unescape(value: str) -> str:
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "r": "\r"}.get(m.group(1), m.group(1)), value)


def join_markers(annotation: str, markers: dict[str, str]) -> str | None:
    """The annotation followed by one line per marker; None when both are empty."""
    lines = [annotation] if annotation else []
    lines.extend(f"REDCap {key}: {_escape(value)}" for key, value in markers.items() if value)
    return "\n".join(lines) or None


def split_markers(annotation: str | None) -> tuple[str, dict[str, str]]:
    """The annotation without marker lines, and the markers."""
    kept: list[str] = []
    markers: dict[str, str] = {}
    for line in (annotation or "").split("\n"):
        match = _LINE.match(line)
        if match:
            markers[match.group(1)] = _unescape(match.group(2))
        else:
            kept.append(line)
    return "\n".join(kept).strip("\n"), markers
