"""English and Spanish: every text in both, the user's language by default, switchable by link."""

from __future__ import annotations

import re
from pathlib import Path

from app.web.i18n import LANGUAGES, TEXTS
from app.web.i18n import text as words_for
from tests.web.conftest import Web

TEMPLATES = Path(__file__).resolve().parents[2] / "app" / "web" / "templates"
SOURCES = Path(__file__).resolve().parents[2] / "app" / "web"


def test_every_text_exists_in_every_language_with_the_same_placeholders() -> None:
    for key, texts in TEXTS.items():
        plural = {lang: texts[lang] for lang in texts if not lang.endswith("_one")}
        assert set(plural) == set(LANGUAGES), key
        placeholders = {lang: set(re.findall(r"{(\w+)}", words)) for lang, words in texts.items()}
        assert placeholders["en"] == placeholders["es"], key
        singular = {lang for lang in texts if lang.endswith("_one")}
        # A singular form is all or none, and needs no placeholder its plural does not have.
        assert singular in (set(), {f"{lang}_one" for lang in LANGUAGES}), key
        assert all(placeholders[lang] <= placeholders[lang.removesuffix("_one")] for lang in singular), key


def test_every_key_the_pages_use_exists() -> None:
    used = set()
    for template in TEMPLATES.glob("*.html"):
        used |= set(re.findall(r"""\bt\('(\w+)'""", template.read_text(encoding="utf-8")))
    for module in SOURCES.glob("*.py"):
        if module.name != "i18n.py":
            used |= set(
                re.findall(r"""(?:set_flash\(request, |\bt\()f?"(\w+)""", module.read_text(encoding="utf-8"))
            )
    # A key ending in "_" is a prefix completed at run time (t('status_' ~ status)).
    missing = {k for k in used if not k.endswith("_") and k not in TEXTS}
    missing |= {k for k in used if k.endswith("_") and not any(key.startswith(k) for key in TEXTS)}
    assert len(used) > 100 and not missing, sorted(missing)


def test_a_spanish_user_reads_spanish_labels(web: Web) -> None:
    client = web.login("entry_hcb")
    record_id = web.new_patient(client)
    page = client.get(f"/records/{record_id}/forms/daily_assessment/new").text
    assert '<html lang="es">' in page
    for text in ("Evaluación diaria del SLC/ICANS", "Temperatura máxima", "Hipotensión", "Guardar", "Sí"):
        assert text in page, text


def test_the_language_can_be_switched_and_the_choice_is_remembered(web: Web) -> None:
    client = web.login("entry_hcb")
    english = client.get("/records?lang=en")
    assert "New patient" in english.text and '<html lang="en">' in english.text
    assert "edc_lang=en" in english.headers["set-cookie"]
    assert "New patient" in client.get("/records").text
    assert "Nuevo paciente" in client.get("/records?lang=es").text
    assert "Nuevo paciente" in client.get("/records").text


def test_error_pages_speak_the_users_language(web: Web) -> None:
    client = web.login("entry_hcb")
    assert "No encontrado" in client.get("/records/NOPE-0001-X").text
    assert "No encontrado" in client.get("/records/NOPE-0001-X/forms/no_such_form").text
    refused = client.post("/records", data={})
    assert refused.status_code == 403 and "No se ha aceptado este formulario" in refused.text


def test_counts_of_one_read_in_the_singular_where_a_text_has_one() -> None:
    assert words_for("not_saved", "en", n=1) == "Not saved: 1 problem to fix."
    assert words_for("not_saved", "es", n=3) == "No se ha guardado: hay 3 problemas que corregir."
    assert words_for("entries", "es", n=1) == "1 registro" and words_for("entries", "en", n=2) == "2 entries"
    assert words_for("signed_out_idle", "en", n=1).startswith("You were signed out after a minute without")
    assert words_for("signed_out_idle", "es", n=1).startswith("Se cerró su sesión tras un minuto sin")
    assert not any("(s)" in value or "(es)" in value for entry in TEXTS.values() for value in entry.values())
