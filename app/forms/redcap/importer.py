"""A REDCap data dictionary as a study definition folder: `study.yaml` plus one file per instrument.

The dictionary's first field is REDCap's record id: it names the platform's record identifier and
is not written as a field. Logic is translated with logic.py; the folder is then checked with
`load_study`, and logic our compiler still refuses (a show-if reading a later field, a code that
is not in the list...) is dropped with a warning and kept as an annotation, so the import stays usable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from app.forms.redcap.columns import Row, read_dictionary
from app.forms.redcap.logic import Untranslatable, Variable, translate
from app.forms.redcap.repair import check_and_repair
from app.forms.redcap.row_import import Converted, convert_row, variable_of
from app.forms.redcap.studyfiles import StudyFiles

STUDY_VERSION = "1.0.0"
MAX_NAME_LENGTH = 100


@dataclass
class ImportReport:
    study_id: str
    forms: int = 0
    fields: int = 0
    warnings: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether the written folder passes `edc forms check`."""
        return not self.problems


def study_id_from(text: str) -> str:
    """A valid study id (lower case, digits, - and _) made from a folder or file name."""
    cleaned = re.sub(r"[^a-z0-9_\-]+", "-", text.lower()).strip("-_")
    return cleaned or "study"


def import_dictionary(dictionary: Path, out: Path, study_id: str | None = None) -> ImportReport:
    """Write the study folder `out` from a REDCap data dictionary; raises DictionaryError if unreadable."""
    source = read_dictionary(dictionary)
    ident = study_id_from(study_id or dictionary.resolve().parent.name)
    report = ImportReport(ident, warnings=list(source.warnings))
    record_id, rows = source.rows[0], source.rows[1:]
    forms = list(dict.fromkeys(row["form"] for row in source.rows))
    converted = {row["name"]: convert_row(row) for row in rows}
    variables = {row["name"]: variable_of(converted[row["name"]].spec, row["form"]) for row in rows}
    _translate(rows, converted, variables, "calc", "choices")
    variables = {row["name"]: variable_of(converted[row["name"]].spec, row["form"]) for row in rows}
    _translate(rows, converted, variables, "show_if", "branching")
    study = {
        "id": ident,
        "title": dictionary.resolve().parent.name or ident,
        "version": STUDY_VERSION,
        "languages": ["en"],
        "record_id_field": record_id["name"],
        "max_name_length": MAX_NAME_LENGTH,
        "privacy": {"refuse_identifiers": False},
        "forms": forms,
    }
    files = StudyFiles(out, study, {form: [] for form in forms})
    for row in rows:
        files.forms[row["form"]].append(converted[row["name"]])
    files.prepare()
    report.problems = check_and_repair(files)
    report.warnings.extend(_record_id_warnings(record_id))
    report.warnings.extend(f"field '{name}': {w}" for name, c in converted.items() for w in c.warnings)
    report.warnings.extend(f"definition check: {problem}" for problem in report.problems)
    report.warnings.extend(_layout_summary(converted))
    report.forms, report.fields = len(forms), len(rows)
    return report


def _translate(
    rows: list[Row], converted: dict[str, Converted], variables: dict[str, Variable], attr: str, column: str
) -> None:
    """Translate one kind of logic of every row (calculations first: logic may read their results)."""
    for row in rows:
        text, target = row[column], converted[row["name"]]
        if not text or (attr == "calc" and row["type"].lower() != "calc"):
            continue
        target.origins[attr] = text
        try:
            translation = translate(text, variables, row["form"])
        except Untranslatable as exc:
            target.drop_logic(attr, str(exc))
            continue
        target.spec[attr] = translation.text
        target.warnings.extend(translation.warnings)


def _record_id_warnings(row: Row) -> list[str]:
    extras = [key for key in ("validation", "branching", "annotation", "note") if row[key]]
    if not extras and row["type"].lower() == "text":
        return []
    dropped = ", ".join([f"type {row['type']}", *(f"{key} '{row[key]}'" for key in extras)])
    return [
        f"record id field '{row['name']}' is assigned by the platform; only its name is kept, not: {dropped}"
    ]


def _layout_summary(converted: dict[str, Converted]) -> list[str]:
    """Matrix groups, alignment and question numbers are survey layout: kept as notes, not shown."""
    used: dict[str, list[str]] = {}
    for name, c in converted.items():
        for key in ("matrix group", "custom alignment", "question number"):
            if key in c.markers:
                used.setdefault(key, []).append(name)
    return [
        f"REDCap {key} kept only as an annotation (layout is not reproduced): {', '.join(names)}"
        for key, names in used.items()
    ]
