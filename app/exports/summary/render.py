"""The cohort summary as a page (`summary.html`, the curve inline as SVG) and as a tidy `summary.csv`."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from app.exports.columns import Labels
from app.exports.summary.report import CohortSummary
from app.forms.labels import label_in

WORDS = {
    "en": {
        "summary": "Cohort summary",
        "generated": "Generated",
        "version": "definition version",
        "by": "by",
        "min_cell": "cells under",
        "table1": "Patient characteristics",
        "variable": "Variable",
        "table1_help": "Numbers: median [interquartile range] (n with a value). Codes: n (% of those with a "
        "value). Missing: blank or a missing-data code. '<N' marks a count suppressed as too small; '*' a "
        "count hidden so that a small one cannot be worked out by subtraction.",
        "incidence": "Cumulative incidence",
        "competing": "competing event",
        "group": "Group",
        "day": "Day",
        "cif": "Cumulative incidence",
        "at_risk": "At risk",
        "events": "Events by then",
        "incidence_help": "Aalen–Johansen estimator with the competing event treated as such (not censored).",
        "excluded": "patients without the times needed are left out.",
        "back": "Back to the coordination page",
    },
    "es": {
        "summary": "Resumen de la cohorte",
        "generated": "Generado",
        "version": "versión de la definición",
        "by": "por",
        "min_cell": "celdas menores de",
        "table1": "Características de los pacientes",
        "variable": "Variable",
        "table1_help": (
            "Números: mediana [rango intercuartílico] (n con valor). Códigos: n (% de los que tienen valor). "
            "Ausente: en blanco o código de dato ausente. '<N' indica un recuento suprimido por pequeño; "
            "'*', uno oculto para que no pueda deducirse uno pequeño restando."
        ),
        "incidence": "Incidencia acumulada",
        "competing": "evento competitivo",
        "group": "Grupo",
        "day": "Día",
        "cif": "Incidencia acumulada",
        "at_risk": "En riesgo",
        "events": "Eventos hasta entonces",
        "incidence_help": (
            "Estimador de Aalen–Johansen, con el evento competitivo tratado como tal (no censurado)."
        ),
        "excluded": "pacientes sin los tiempos necesarios quedan fuera.",
        "back": "Volver a la página de coordinación",
    },
}


def render_summary_html(summary: CohortSummary, back: str | None = None) -> str:
    """The summary as one page, for the coordinator's web pages (with a link `back`) or a file."""
    env = Environment(
        loader=PackageLoader("app.exports", "templates"), autoescape=select_autoescape(["html"])
    )

    def t(labels: Labels) -> str:
        return label_in(labels, summary.lang)

    return env.get_template("summary.html").render(
        lang=summary.lang,
        w=WORDS.get(summary.lang, WORDS["en"]),
        t=t,
        title=label_in(summary.study.spec.title, summary.lang),
        generated=summary.generated_at.isoformat(timespec="minutes"),
        version=summary.study.version,
        by=summary.by,
        min_cell=summary.options.min_cell,
        options=summary.options,
        back=back,
        groups=summary.groups,
        lines=summary.lines,
        curves=summary.curves,
        chart=summary.chart,
        incidence=summary.incidence,
        excluded=summary.excluded,
    )


def summary_csv(summary: CohortSummary) -> str:
    """section, variable, level, group, group_code, statistic, value: one row per cell, after each
    group's size (statistic `n`, variable blank). `group` is the
    label in the summary's language; `group_code` stays the same in every language (the grouping
    variable's code, `__overall__` for everyone, `__ungrouped__` for patients without a code)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["section", "variable", "level", "group", "group_code", "statistic", "value"])
    for group in summary.groups:
        writer.writerow(["table1", "", "", group.label, group.key, "n", group.shown_n])
    for line in summary.lines:
        statistic = "median [IQR]" if line.level == "" else "n (%)"
        for group in summary.groups:
            writer.writerow(
                [
                    "table1",
                    line.variable,
                    line.level,
                    group.label,
                    group.key,
                    statistic,
                    line.cells[group.key],
                ]
            )
    for row in summary.incidence:
        for statistic, value in (
            ("incidence", row.incidence),
            ("at_risk", row.at_risk),
            ("events", row.events),
        ):
            writer.writerow(
                ["incidence", summary.options.event, f"day {row.day}", row.group, row.key, statistic, value]
            )
    return out.getvalue()


def write_summary(summary: CohortSummary, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    html, csv_file = folder / "summary.html", folder / "summary.csv"
    html.write_text(render_summary_html(summary), encoding="utf-8")
    csv_file.write_text(summary_csv(summary), encoding="utf-8")
    return [html, csv_file]
