"""A study definition as a REDCap data dictionary (CSV, the 18 standard columns).

The first row is REDCap's record id field, in the first form. What a classic REDCap project
cannot hold (rules, derived variables, repeating forms, aggregates) is reported as warnings.
"""

from __future__ import annotations

from pathlib import Path

from app.forms.model import CompiledStudy
from app.forms.redcap.columns import Row, write_dictionary
from app.forms.redcap.row_export import export_row, record_id_row


def export_dictionary(study: CompiledStudy, out: Path, lang: str) -> list[str]:
    """Write the dictionary to `out`; the warnings list what it could not express."""
    rows, warnings = dictionary_rows(study, lang)
    write_dictionary(out, rows)
    return warnings


def dictionary_rows(study: CompiledStudy, lang: str) -> tuple[list[Row], list[str]]:
    forms = list(study.forms.values())
    if not forms:
        return [], ["the study has no forms"]
    rows = [record_id_row(study, forms[0].name)]
    warnings: list[str] = []
    seen: dict[str, str] = {}
    for cform in forms:
        if cform.repeating:
            key = f" (its key {', '.join(cform.spec.key)} is not enforced there)" if cform.spec.key else ""
            warnings.append(
                f"form '{cform.name}' is repeating: enable it as a repeating instrument in REDCap{key}"
            )
        if cform.spec.rules:
            names = ", ".join(rule.name for rule in cform.spec.rules)
            warnings.append(f"form '{cform.name}': rules are not part of a REDCap dictionary: {names}")
        for cfield in cform.fields.values():
            if cfield.name in seen:
                warnings.append(
                    f"variable '{cfield.name}' is in forms '{seen[cfield.name]}' and '{cform.name}': "
                    "REDCap needs unique names, rename one before loading this dictionary there"
                )
            seen.setdefault(cfield.name, cform.name)
            row, field_warnings = export_row(cfield, study, lang)
            rows.append(row)
            warnings.extend(field_warnings)
    if study.spec.rules:
        warnings.append(
            f"study rules are not part of a REDCap dictionary: "
            f"{', '.join(rule.name for rule in study.spec.rules)}"
        )
    if study.spec.derived:
        warnings.append(
            f"derived variables are not part of a REDCap dictionary: "
            f"{', '.join(d.name for d in study.spec.derived)}"
        )
    return rows, warnings
