"""A study's texts in one language: labels, messages and the platform's own multilingual notes."""

from __future__ import annotations

from collections.abc import Mapping


def label_in(labels: Mapping[str, str] | None, lang: str, fallback: str = "") -> str:
    """The text in `lang`, else in English, else in any language it has; `fallback` when it has none."""
    if not labels:
        return fallback
    return labels.get(lang) or labels.get("en") or next(iter(labels.values()), fallback)
