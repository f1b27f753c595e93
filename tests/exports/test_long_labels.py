"""Labels longer than Stata or SPSS allow: cut between words, never inside a character, and listed.

SPSS keeps 120 bytes of a value label, 255 of a variable label and 64 of a file label; Stata keeps 80
characters of a variable or file label. ReadStat would cut anywhere, even inside a UTF-8 character.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pyreadstat
import pytest

from app.exports.formats.readstat import (
    SPSS_FILE_LABEL,
    SPSS_VALUE_LABEL,
    SPSS_VARIABLE_LABEL,
    STATA_FILE_LABEL,
    STATA_VARIABLE_LABEL,
)
from app.exports.options import ExportOptions
from app.exports.service import run_export
from app.forms.compile import load_study
from tests.exports.conftest import REPO, StudyDb

QUESTION = (
    "Índice de señales clínicas según el médico: ¿qué puntuación máxima alcanzó el niño en la "
    "evaluación diaria del síndrome?"
)
ANSWER = (
    "Sí, según la evaluación clínica del equipo médico, con confirmación posterior por parte del "
    "comité de revisión independiente del ensayo"
)
LONG_FIELD = f"""
  - name: long_labels
    type: choice
    label: {{en: "{QUESTION}", es: "{QUESTION}"}}
    choices:
      - {{code: 1, label: {{en: "No", es: "No"}}}}
      - {{code: 2, label: {{en: "{ANSWER}", es: "{ANSWER}"}}}}
"""
NOTES = {
    "en": [
        "SPSS value label for code 2 shortened to 120 bytes",
        "Stata variable label shortened to 80 characters",
        "SPSS file label (the study&#39;s title) shortened to 64 bytes",
        "Stata file label (the study&#39;s title) shortened to 80 characters / 256 bytes",
    ],
    "es": [
        "etiqueta de valor de SPSS del código 2 acortada a 120 bytes",
        "etiqueta de variable de Stata acortada a 80 caracteres",
        "etiqueta de archivo de SPSS (el título del estudio) acortada a 64 bytes",
        "Etiqueta de archivo de Stata (el título del estudio) acortada a 80 caracteres / 256 bytes",
    ],
}


def _ends_a_word(cut: str, whole: str) -> bool:
    return whole.startswith(cut) and whole[len(cut)] == " "


def test_a_cut_never_splits_a_character_and_prefers_a_word_boundary() -> None:
    assert SPSS_VALUE_LABEL.fit("x" * 119 + "ñ") == "x" * 119  # ñ's two bytes straddle the limit
    words = SPSS_VALUE_LABEL.fit("palabras " * 20)  # byte 120 falls inside the 14th word
    assert words == " ".join(["palabras"] * 13) and _ends_a_word(words, "palabras " * 20)
    assert SPSS_VALUE_LABEL.fit("x" * 200 + " y") == "x" * 120  # one long word: cut inside it
    assert STATA_VARIABLE_LABEL.fit("é" * 100) == "é" * 80  # Stata counts characters, not bytes
    assert STATA_FILE_LABEL.fit("😀" * 70) == "😀" * 64  # ReadStat keeps 256 bytes of it
    assert SPSS_VALUE_LABEL.fit(ANSWER[:40]) == ANSWER[:40]


@pytest.mark.parametrize("lang", ["es", "en"])
def test_long_labels_are_cut_between_words_and_listed_in_the_codebook(
    study_db: StudyDb, tmp_path: Path, lang: str
) -> None:
    forms = tmp_path / "forms"
    shutil.copytree(REPO / "forms", forms)
    with (forms / "demographics.yaml").open("a", encoding="utf-8") as handle:
        handle.write(LONG_FIELD)
    study = load_study(forms)
    with study_db.sessions.begin() as session:
        options = ExportOptions(out=tmp_path / "out", formats=("stata", "spss"), lang=lang)
        result = run_export(session, study, study_db.actor(session, "coordinator"), options)
    _, spss = pyreadstat.read_sav(result.folder / "patients.sav", metadataonly=True)
    _, stata = pyreadstat.read_dta(result.folder / "patients.dta", metadataonly=True)
    answer = spss.variable_value_labels["long_labels"][2]
    assert len(answer.encode()) <= 120 and _ends_a_word(answer, ANSWER)
    assert spss.column_labels[spss.column_names.index("long_labels")] == QUESTION  # within 255 bytes
    question = stata.column_labels[stata.column_names.index("long_labels")]
    assert len(question) <= 80 < len(question.encode()) and _ends_a_word(question, QUESTION)
    title = study.spec.title[lang]
    assert spss.file_label == SPSS_FILE_LABEL.fit(title) and _ends_a_word(spss.file_label, title)
    assert stata.file_label == STATA_FILE_LABEL.fit(title) and _ends_a_word(stata.file_label, title)
    codebook = (result.folder / "codebook.html").read_text(encoding="utf-8")
    assert all(note in codebook for note in NOTES[lang]), codebook[codebook.index('id="export"') :]
    assert "SPSS variable label" not in codebook and SPSS_VARIABLE_LABEL.fit(QUESTION) == QUESTION
