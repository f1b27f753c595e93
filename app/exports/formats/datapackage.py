"""`datapackage.json`: a Frictionless Tabular Data Package over the CSV files; its schemas are the codebook.

Each field carries its label (`title`), type, the codes it may hold (`constraints.enum`, with their
labels as `categories`) and its definition; the study's missing-data codes are the schemas'
`missingValues`, so validators read them as missing while the CSV keeps them distinct.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from app.exports.columns import PATIENTS, Column, Kind, Role
from app.exports.plan import Plan
from app.exports.snapshot import Table
from app.forms.labels import label_in

TYPES = {Kind.text: "string", Kind.integer: "integer", Kind.decimal: "number"}


def field_descriptor(column: Column, lang: str) -> dict[str, Any]:
    field: dict[str, Any] = {
        "name": column.name,
        "title": label_in(column.label, lang),
        "type": TYPES[column.kind],
    }
    description = " ".join(
        part
        for part in (label_in(column.definition, lang), f"Units: {column.units}." if column.units else "")
        if part
    )
    if description:
        field["description"] = description
    constraints: dict[str, Any] = {}
    if column.role == Role.key:
        constraints["required"] = True
    if column.codes:
        constraints["enum"] = [code for code, _ in column.codes]
        field["categories"] = [
            {"value": code, "label": label_in(labels, lang)} for code, labels in column.codes
        ]
    if constraints:
        field["constraints"] = constraints
    return field


def resource(table: Table, plan: Plan) -> dict[str, Any]:
    lang = plan.snapshot.lang
    keys = [c.name for c in table.spec.columns if c.role == Role.key and c.name != "site"]
    schema: dict[str, Any] = {
        "fields": [field_descriptor(c, lang) for c in table.spec.columns],
        "missingValues": ["", *(m.code for m in plan.snapshot.study.spec.missing_codes)],
        "primaryKey": keys,
    }
    if table.name != PATIENTS:
        record = plan.snapshot.study.spec.record_id_field
        schema["foreignKeys"] = [
            {"fields": [record], "reference": {"resource": PATIENTS, "fields": [record]}}
        ]
    return {
        "name": table.name,
        "path": f"{table.name}.csv",
        "profile": "tabular-data-resource",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "schema": schema,
    }


def write_datapackage(plan: Plan, folder: Path) -> list[str]:
    study, lang = plan.snapshot.study, plan.snapshot.lang
    legend = ", ".join(f"{m.code} = {label_in(m.label, lang)}" for m in study.spec.missing_codes)
    package = {
        "profile": "tabular-data-package",
        "name": study.spec.id,
        "title": label_in(study.spec.title, lang),
        "version": study.version,
        "description": f"Missing-data codes, kept as written in the CSV files: {legend}. See codebook.html.",
        "resources": [resource(t, plan) for t in plan.snapshot.tables],
    }
    text = json.dumps(package, ensure_ascii=False, indent=2)
    (folder / "datapackage.json").write_text(text + "\n", encoding="utf-8")
    return ["datapackage.json"]
