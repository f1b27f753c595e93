"""Validation messages in every language the platform speaks, keyed by issue code."""

from __future__ import annotations

from typing import Any

from app.forms.labels import label_in

_MESSAGES: dict[str, dict[str, str]] = {
    "unknown_field": {
        "en": "form '{form}' has no variable '{field}'",
        "es": "el formulario '{form}' no tiene la variable '{field}'",
    },
    "calculated": {
        "en": "'{field}' is calculated by the platform and cannot be entered",
        "es": "'{field}' lo calcula la plataforma y no se puede introducir",
    },
    "not_input": {
        "en": "'{field}' is not a data field",
        "es": "'{field}' no es un campo de datos",
    },
    "required": {"en": "a value is required", "es": "este dato es obligatorio"},
    "required_later": {
        "en": "a value is required before the form can be marked complete",
        "es": "este dato es obligatorio para poder marcar el formulario como completo",
    },
    "identifier_value": {
        "en": "this looks like {what}: direct identifiers are not entered in this study "
        "(no names, record numbers, IDs or calendar dates; write study days)",
        "es": "esto parece {what}: en este estudio no se introducen identificadores directos (ni "
        "nombres, ni números de historia, ni documentos, ni fechas de calendario; escriba días de estudio)",
    },
    "hidden_value": {
        "en": "a value was given but this field is not asked here (shown only if {condition})",
        "es": "se ha dado un valor pero este campo no se pregunta aquí (solo si {condition})",
    },
    "not_integer": {"en": "'{value}' is not a whole number", "es": "'{value}' no es un número entero"},
    "not_number": {"en": "'{value}' is not a number", "es": "'{value}' no es un número"},
    "decimal_comma": {
        "en": "'{value}' has a decimal comma: write it with a point, {suggestion}",
        "es": "'{value}' lleva coma decimal: escríbalo con punto, {suggestion}",
    },
    "precision": {
        "en": "'{value}' has too many decimals: {precision} at most",
        "es": "'{value}' tiene demasiados decimales: {precision} como máximo",
    },
    "not_date": {
        "en": "'{value}' is not a date (YYYY-MM-DD)",
        "es": "'{value}' no es una fecha (AAAA-MM-DD)",
    },
    "not_datetime": {
        "en": "'{value}' is not a date and time (YYYY-MM-DD HH:MM)",
        "es": "'{value}' no es una fecha y hora (AAAA-MM-DD HH:MM)",
    },
    "not_time": {"en": "'{value}' is not a time (HH:MM)", "es": "'{value}' no es una hora (HH:MM)"},
    "not_text": {"en": "'{value}' is not text", "es": "'{value}' no es texto"},
    "invalid_choice": {
        "en": "'{value}' is not one of the codes {codes}",
        "es": "'{value}' no es uno de los códigos {codes}",
    },
    "too_long": {
        "en": "text is longer than {max_length} characters",
        "es": "el texto tiene más de {max_length} caracteres",
    },
    "invalid_format": {
        "en": "'{value}' is not a valid {format}",
        "es": "'{value}' no es un {format} válido",
    },
    "missing_code_not_allowed": {
        "en": "missing-data code '{value}' is not allowed here",
        "es": "el código de dato ausente '{value}' no está permitido aquí",
    },
    "missing_code_alone": {
        "en": "missing-data code {missing} must be the only value (given: {value})",
        "es": "el código de dato ausente {missing} debe ser el único valor (dado: {value})",
    },
    "out_of_range": {
        "en": "{value} is outside the allowed range {range}",
        "es": "{value} está fuera del rango permitido {range}",
    },
    "soft_range": {
        "en": "{value} is outside the expected range {range}: please confirm",
        "es": "{value} está fuera del rango esperado {range}: confírmelo, por favor",
    },
    "calc_out_of_range": {
        "en": "calculated value {value} is outside the allowed range {range}",
        "es": "el valor calculado {value} está fuera del rango permitido {range}",
    },
    "duplicate_key": {
        "en": "another entry of '{form_label}' already has {key}",
        "es": "otro registro de '{form_label}' ya tiene {key}",
    },
    "identifier": {
        "en": "'{field}' is a direct identifier and this study does not accept identifiers",
        "es": "'{field}' es un identificador directo y este estudio no acepta identificadores",
    },
    "not_list": {
        "en": "a multiple choice takes a list of codes, not '{value}'",
        "es": "una respuesta múltiple es una lista de códigos, no '{value}'",
    },
}


def message(code: str, **params: Any) -> dict[str, str]:
    """The message in every language; a parameter given as {language: text} (a label) is shown in each."""
    templates = _MESSAGES[code]
    return {lang: text.format(**_in(params, lang)) for lang, text in templates.items()}


def _in(params: dict[str, Any], lang: str) -> dict[str, Any]:
    return {
        name: label_in(value, lang) if isinstance(value, dict) else value for name, value in params.items()
    }
