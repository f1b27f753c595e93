"""The data-quality report as a page (HTML) and as files (`quality.html`, `quality.csv`)."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from app.exports.quality.report import QualityReport
from app.forms.labels import label_in

WORDS = {
    "en": {
        "quality": "Data quality",
        "back": "Back to the coordination page",
        "generated": "Generated",
        "version": "definition version",
        "site": "Site",
        "patients": "Patients",
        "completeness": "Completeness",
        "soft": "Values outside the expected range",
        "checks": "Failing checks",
        "queries": "Unresolved queries (open or answered)",
        "answered": "answered, awaiting the monitor",
        "oldest": "Oldest query (days)",
        "completeness_help": (
            "Of the form instances where a field is asked (its show-if holds), how many hold a value, "
            "and how many a missing-data code instead; once-forms count one instance per patient."
        ),
        "form": "Form",
        "field": "Field",
        "expected": "Asked",
        "filled": "Value",
        "coded": "Missing-data code",
        "patient": "Patient",
        "severity": "Severity",
        "check": "Check",
        "value": "Value",
        "message": "Message",
        "status": "Status",
        "opened": "Opened",
        "age": "Age (days)",
    },
    "es": {
        "quality": "Calidad de los datos",
        "back": "Volver a la página de coordinación",
        "generated": "Generado",
        "version": "versión de la definición",
        "site": "Centro",
        "patients": "Pacientes",
        "completeness": "Compleción",
        "soft": "Valores fuera del rango esperado",
        "checks": "Comprobaciones que fallan",
        "queries": "Consultas sin cerrar (abiertas o respondidas)",
        "answered": "respondidas, pendientes del monitor",
        "oldest": "Consulta más antigua (días)",
        "completeness_help": (
            "De los formularios en que se pregunta un campo (se cumple su condición), cuántos tienen un "
            "valor y cuántos un código de dato ausente; los formularios únicos cuentan uno por paciente."
        ),
        "form": "Formulario",
        "field": "Campo",
        "expected": "Preguntado",
        "filled": "Valor",
        "coded": "Código de dato ausente",
        "patient": "Paciente",
        "severity": "Gravedad",
        "check": "Comprobación",
        "value": "Valor",
        "message": "Mensaje",
        "status": "Estado",
        "opened": "Abierta",
        "age": "Antigüedad (días)",
    },
}


CSV_HEADERS = (
    "site",
    "section",
    "record_id",
    "form",
    "instance",
    "field",
    "expected",
    "filled",
    "missing_codes",
    "completeness",
    "severity",
    "check",
    "value",
    "message",
    "status",
    "opened_at",
    "age_days",
)


def quality_csv(report: QualityReport) -> str:
    """One tidy CSV: a row per field (completeness), per finding and per open query."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADERS)
    for c in report.completeness:
        share = f"{c.share:.3f}" if c.expected else ""
        writer.writerow(
            [c.site, "completeness", "", c.form, "", c.field, c.expected, c.filled, c.coded, share] + [""] * 7
        )
    for f in report.findings:
        writer.writerow(
            [
                f.site,
                f.kind,
                f.record_id,
                f.form,
                f.instance,
                f.field,
                "",
                "",
                "",
                "",
                f.severity,
                f.code,
                f.value,
                f.message,
                "",
                "",
                "",
            ]
        )
    for q in report.queries:
        writer.writerow(
            [q.site, "query", q.record_id, q.form, q.instance, q.field]
            + [""] * 5
            + [q.code, "", "", q.status, q.opened_at.isoformat(timespec="seconds"), q.age_days]
        )
    return out.getvalue()


def _sites(report: QualityReport) -> list[dict[str, Any]]:
    sites = []
    for code, patients in report.patients.items():
        completeness = [c for c in report.completeness if c.site == code]
        expected = sum(c.expected for c in completeness)
        filled = sum(c.filled for c in completeness)
        queries = [q for q in report.queries if q.site == code]
        sites.append(
            {
                "code": code,
                "patients": patients,
                "share": f"{100 * filled / expected:.0f}%" if expected else "",
                "completeness": completeness,
                "soft": [f for f in report.findings if f.site == code and f.kind == "soft_range"],
                "checks": [f for f in report.findings if f.site == code and f.kind == "check"],
                "queries": queries,
                "answered": sum(1 for q in queries if q.status == "answered"),
                "oldest": max((q.age_days for q in queries), default=""),
            }
        )
    return sites


def render_quality_html(report: QualityReport, back: str | None = None) -> str:
    """The report as one page, for the coordinator's web pages (with a link `back`) or a file."""
    env = Environment(
        loader=PackageLoader("app.exports", "templates"), autoescape=select_autoescape(["html"])
    )
    return env.get_template("quality.html").render(
        lang=report.lang,
        w=WORDS.get(report.lang, WORDS["en"]),
        title=label_in(report.study.spec.title, report.lang),
        generated=report.generated_at.isoformat(timespec="minutes"),
        version=report.study.version,
        sites=_sites(report),
        back=back,
    )


def write_quality(report: QualityReport, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    html, csv = folder / "quality.html", folder / "quality.csv"
    html.write_text(render_quality_html(report), encoding="utf-8")
    csv.write_text(quality_csv(report), encoding="utf-8")
    return [html, csv]
