"""A readable codebook of a study definition, as HTML or Markdown, in one of the study's languages."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from app.forms.model import CompiledStudy
from app.forms.schema import Range

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "codebook": "Codebook",
        "version": "Definition version",
        "day0": "Day 0",
        "derived": "Derived variables",
        "missing": "Missing-data codes",
        "repeating": "Repeating form",
        "once": "Once per patient",
        "key": "key",
        "variable": "Variable",
        "label": "Label",
        "type": "Type",
        "values": "Values and ranges",
        "rules": "Rules",
        "yes": "Yes",
        "no": "No",
        "hard": "allowed",
        "bound_today": "today",
        "bound_current_year": "current year",
        "soft": "expected",
        "required": "required",
        "required_if": "required if",
        "show_if": "asked if",
        "identifier": "direct identifier",
        "checks": "Checks",
        "check": "Check",
        "severity": "Severity",
        "message": "Message",
        "when": "when",
        "at_completion": "at completion",
        "patient_checks": "Patient-level checks",
        "definition": "Definition",
        "expression": "Expression",
        "settings": "Settings",
        "top_code": "exports show values above {n} as {n} unless the coordinator asks otherwise",
    },
    "es": {
        "codebook": "Libro de códigos",
        "version": "Versión de la definición",
        "day0": "Día 0",
        "derived": "Variables derivadas",
        "missing": "Códigos de dato ausente",
        "repeating": "Formulario repetible",
        "once": "Una vez por paciente",
        "key": "clave",
        "variable": "Variable",
        "label": "Etiqueta",
        "type": "Tipo",
        "values": "Valores y rangos",
        "rules": "Reglas",
        "yes": "Sí",
        "no": "No",
        "hard": "permitido",
        "bound_today": "hoy",
        "bound_current_year": "año en curso",
        "soft": "esperado",
        "required": "obligatorio",
        "required_if": "obligatorio si",
        "show_if": "se pregunta si",
        "identifier": "identificador directo",
        "checks": "Comprobaciones",
        "check": "Comprobación",
        "severity": "Gravedad",
        "message": "Mensaje",
        "when": "cuando",
        "at_completion": "al completar",
        "patient_checks": "Comprobaciones por paciente",
        "definition": "Definición",
        "expression": "Expresión",
        "settings": "Parámetros",
        "top_code": "las exportaciones muestran los valores por encima de {n} como {n} salvo que "
        "la coordinación pida otra cosa",
    },
}


def bounds(rng: Range, words: dict[str, str] | None = None) -> str:
    """A range as readers see it: `today` and `current_year` in words, negative bounds spaced out."""
    named = words or WORDS["en"]

    def shown(bound: object) -> str:
        if bound is None:
            return ""
        text = str(bound)
        return named.get(f"bound_{text}", text) if text in ("today", "current_year") else text

    low, high = shown(rng.min), shown(rng.max)
    return f"{low} – {high}" if low.startswith("-") or high.startswith("-") else f"{low}–{high}"


def _translator(lang: str, fallback: str):  # type: ignore[no-untyped-def]
    def t(labels: dict[str, str] | None) -> str:
        if not labels:
            return ""
        return labels.get(lang) or labels.get(fallback) or next(iter(labels.values()))

    return t


def render_html(
    study: CompiledStudy, lang: str, top_code_text: Callable[[str, Decimal], str] | None = None
) -> str:
    """The definition's codebook page. `top_code_text(variable, limit)` words a declared top-code
    (an export's codebook says there whether it applied it); by default, what the definition says."""
    env = Environment(loader=PackageLoader("app.forms", "templates"), autoescape=select_autoescape(["html"]))
    template = env.get_template("codebook.html")
    words = WORDS.get(lang, WORDS["en"])
    return template.render(
        study=study,
        lang=lang,
        words=words,
        bounds=lambda rng: bounds(rng, words),
        t=_translator(lang, study.spec.languages[0]),
        top_code_text=top_code_text or (lambda name, limit: words["top_code"].format(n=limit)),
    )


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(study: CompiledStudy, lang: str) -> str:
    t = _translator(lang, study.spec.languages[0])
    w = WORDS.get(lang, WORDS["en"])
    lines = [f"# {t(study.spec.title)}", "", f"{w['version']} {study.version}", ""]
    for form in study.forms.values():
        kind = w["repeating"] if form.repeating else w["once"]
        lines += [
            f"## {t(form.spec.label)} (`{form.name}`)",
            "",
            kind,
            "",
            f"| {w['variable']} | {w['label']} | {w['type']} | {w['values']} | {w['rules']} |",
            "|---|---|---|---|---|",
        ]
        for f in form.fields.values():
            s = f.spec
            values = "<br>".join(f"`{c.code}` = {t(c.label)}" for c in s.choices or [])
            if s.range:
                values += f"<br>{w['hard']}: {bounds(s.range, w)}"
            if s.soft_range:
                values += f"<br>{w['soft']}: {bounds(s.soft_range, w)}"
            if s.top_code is not None:
                values += "<br>" + w["top_code"].format(n=s.top_code)
            rules = []
            if s.required:
                rules.append(w["required"])
            if s.required_if:
                rules.append(f"{w['required_if']} `{s.required_if}`")
            if s.show_if:
                rules.append(f"{w['show_if']} `{s.show_if}`")
            if s.calc:
                rules.append(f"= `{s.calc}`")
            kind_text = s.type.value + (f", {s.units}" if s.units else "")
            lines.append(
                f"| `{f.name}` | {_cell(t(s.label))} | {kind_text} | {_cell(values)} "
                f"| {_cell('; '.join(rules))} |"
            )
        for r in form.rules:
            lines.append(f"\n- **{r.spec.severity.value}** `{r.spec.check}`: {t(r.spec.message)}")
        lines.append("")
    lines += [
        f"## {w['derived']}",
        "",
        f"| {w['variable']} | {w['label']} | {w['definition']} | {w['expression']} |",
        "|---|---|---|---|",
    ]
    for d in study.derived:
        definition = t(d.spec.definition)
        if d.spec.top_code is not None:
            definition += "<br>" + w["top_code"].format(n=d.spec.top_code)
        lines.append(
            f"| `{d.name}` | {_cell(t(d.spec.label))} | {_cell(definition)} | `{_cell(d.spec.expr)}` |"
        )
    return "\n".join(lines) + "\n"


def write_codebook(study: CompiledStudy, out: Path, lang: str) -> None:
    text = (
        render_markdown(study, lang)
        if out.suffix.lower() in (".md", ".markdown")
        else render_html(study, lang)
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
