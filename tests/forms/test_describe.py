"""The readable codebook of a definition (`edc forms describe`)."""

from __future__ import annotations

from app.forms.compile import load_study
from app.forms.describe import render_html, render_markdown
from tests.apiclient import REPO


def test_symbolic_and_negative_bounds_read_as_words_and_two_numbers() -> None:
    study = load_study(REPO / "forms")
    spanish, english = render_html(study, "es"), render_markdown(study, "en")
    assert "2017–año en curso" in spanish and "2017–current year" in english
    assert "current_year" not in spanish + english
    assert "-14 – -1" in english
