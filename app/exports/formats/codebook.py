"""`codebook.html`: the study's codebook (`forms.describe`) followed by what this export holds.

The added section lists every table and column with its labels, codes, missing-data codes and names
in Stata and SPSS, the scheme each format uses for missing-data codes, the names changed to fit a
format, the filters and sharing options applied, and the identifiers left out. Each column's notes
(top-coded, Parquet's missing-data column, labels a format shortened) are in the export's language,
and a top-code the definition declares says there whether this export applied it.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from app.exports.codebook_rows import codebook_rows, shortened_text
from app.exports.columns import Labels
from app.exports.formats.readstat import (
    Shortened,
    shortened_file_labels,
    spss_code,
    stata_letter,
)
from app.exports.options import limit_text
from app.exports.plan import Plan
from app.forms.describe import WORDS as DEFINITION_WORDS
from app.forms.describe import render_html
from app.forms.labels import label_in

WORDS = {
    "en": {
        "export": "This export",
        "filters": "Filters and sharing options",
        "missing_scheme": "Missing-data codes in each format",
        "missing_csv": "written as the code itself (a blank cell is a value never entered).",
        "missing_parquet": "numeric columns are typed; the code is in the text column `<variable>__missing`.",
        "missing_stata": "extended missing values, labelled:",
        "missing_spss": "user-missing values, labelled:",
        "missing_odm": 'ItemData with IsNull="Yes" and a flag from code list CL.MISSING.',
        "checkboxes": "A multiple choice is one 0/1 column per code, named variable___code.",
        "renames": "Names changed to fit a format",
        "limits": (
            "Stata allows 32 characters (28 for a variable with value labels, whose label set is named "
            "after it plus a number), SPSS 64 bytes, Excel sheet names 31 characters."
        ),
        "identifiers": "Direct identifiers, never exported",
        "table": "Table",
        "format": "Format",
        "variable": "Variable",
        "name_in_format": "Name in the format",
        "label": "Label",
        "type": "Type",
        "values": "Values",
        "missing_codes": "Missing-data codes",
        "notes": "Notes",
        "rows": "rows",
        "declared_not_applied": (
            "the definition declares: {declared}; this export did not apply it "
            "(values above {n} are shown as entered)"
        ),
        "declared_changed": "the definition declares: {declared}; this export applied {m} instead",
    },
    "es": {
        "export": "Esta exportación",
        "filters": "Filtros y opciones de difusión",
        "missing_scheme": "Códigos de dato ausente en cada formato",
        "missing_csv": "se escriben tal cual (una celda vacía es un valor nunca introducido).",
        "missing_parquet": (
            "las columnas numéricas tienen tipo; el código está en la columna `<variable>__missing`."
        ),
        "missing_stata": "valores ausentes extendidos, con etiqueta:",
        "missing_spss": "valores ausentes de usuario, con etiqueta:",
        "missing_odm": 'ItemData con IsNull="Yes" y una marca de la lista CL.MISSING.',
        "checkboxes": "Una respuesta múltiple es una columna 0/1 por código, llamada variable___codigo.",
        "renames": "Nombres cambiados para cumplir los límites de un formato",
        "limits": (
            "Stata admite 32 caracteres (28 si la variable tiene etiquetas de valor, cuyo conjunto se nombra "
            "como ella más un número), SPSS 64 bytes y las hojas de Excel 31 caracteres."
        ),
        "identifiers": "Identificadores directos, nunca exportados",
        "table": "Tabla",
        "format": "Formato",
        "variable": "Variable",
        "name_in_format": "Nombre en el formato",
        "label": "Etiqueta",
        "type": "Tipo",
        "values": "Valores",
        "missing_codes": "Códigos de dato ausente",
        "notes": "Notas",
        "rows": "filas",
        "declared_not_applied": (
            "la definición declara: {declared}; esta exportación no lo aplicó "
            "(los valores por encima de {n} se muestran tal cual)"
        ),
        "declared_changed": "la definición declara: {declared}; esta exportación aplicó {m} en su lugar",
    },
}


def _shown(value: object) -> object:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    return value


def export_section(plan: Plan) -> str:
    snapshot = plan.snapshot
    lang = snapshot.lang
    w = WORDS.get(lang, WORDS["en"])
    env = Environment(
        loader=PackageLoader("app.exports", "templates"), autoescape=select_autoescape(["html"])
    )
    rows = codebook_rows(plan)
    missing = [
        {"code": m.code, "stata": stata_letter(i), "spss": spss_code(i)}
        for i, m in enumerate(snapshot.study.spec.missing_codes)
    ]
    identifiers = [
        f.name for cform in snapshot.study.forms.values() for f in cform.fields.values() if f.spec.identifier
    ]

    def t(labels: Labels) -> str:
        return label_in(labels, lang)

    # The file labels belong to no column: a sentence of their own closes the section.
    titles = "; ".join(shortened_text(Shortened(limit), lang) for limit in shortened_file_labels(plan))
    return env.get_template("export_codebook.html").render(
        w=w,
        file_notes=titles[:1].upper() + titles[1:],
        t=t,
        formats=plan.formats,
        filters={key: _shown(value) for key, value in snapshot.options.describe().items()},
        missing=missing,
        renames=plan.renames,
        identifiers=identifiers,
        tables=[(table, [r for r in rows if r.table == table.name]) for table in snapshot.tables],
    )


def _top_code_text(plan: Plan) -> Callable[[str, Decimal], str]:
    """How the definition's codebook words a declared top-code: as declared, and whether this export
    applied it (a coordinator may switch it off or change it)."""
    lang = plan.snapshot.lang
    w, said = WORDS.get(lang, WORDS["en"]), DEFINITION_WORDS.get(lang, DEFINITION_WORDS["en"])["top_code"]
    applied = plan.snapshot.options.top_code

    def text(name: str, declared: Decimal) -> str:
        words, limit = said.format(n=declared), applied.get(name)
        if limit == declared:
            return words
        if limit is None:
            return w["declared_not_applied"].format(declared=words, n=declared)
        return w["declared_changed"].format(declared=words, m=limit_text(limit))

    return text


def write_codebook(plan: Plan, folder: Path) -> list[str]:
    page = render_html(plan.snapshot.study, plan.snapshot.lang, _top_code_text(plan))
    section = export_section(plan)
    at = page.rfind("</body>")
    (folder / "codebook.html").write_text(page[:at] + section + page[at:], encoding="utf-8")
    return ["codebook.html"]
