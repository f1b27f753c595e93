"""`codebook.html` in the export's language, and what it says about the study's declared top-code.

The definition declares `top_code: 90` on age_at_infusion; the codebook's definition section says so,
and says when this export did not apply it as declared.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.exports.conftest import StudyDb

DECLARED = {
    "en": "exports show values above 90 as 90 unless the coordinator asks otherwise",
    "es": "las exportaciones muestran los valores por encima de 90 como 90 salvo que la coordinación "
    "pida otra cosa",
}


def _codebook(study_db: StudyDb, out: Path, **options: Any) -> str:
    result = study_db.export(out, **options)
    return (result.folder / "codebook.html").read_text(encoding="utf-8")


def test_the_notes_on_each_variable_are_in_the_export_language(study_db: StudyDb, tmp_path: Path) -> None:
    page = _codebook(study_db, tmp_path / "es", formats=("csv", "parquet"), lang="es", drop_free_text=True)
    assert "truncada: los valores por encima de 90 se muestran como 90" in page
    assert "Parquet: códigos de dato ausente en height_cm__missing" in page
    assert "omitida: texto libre (--drop-free-text)" in page
    assert "top-coded" not in page and "missing-data codes in" not in page and "left out" not in page


@pytest.mark.parametrize(
    ("lang", "not_applied"),
    [
        (
            "en",
            "the definition declares: {}; this export did not apply it "
            "(values above 90 are shown as entered)",
        ),
        (
            "es",
            "la definición declara: {}; esta exportación no lo aplicó (los valores por encima de 90 se "
            "muestran tal cual)",
        ),
    ],
    ids=["en", "es"],
)
def test_without_top_codes_the_definition_section_says_this_export_did_not_apply_it(
    study_db: StudyDb, tmp_path: Path, lang: str, not_applied: str
) -> None:
    page = _codebook(study_db, tmp_path / "out", formats=("csv",), lang=lang, study_top_codes=False)
    assert not_applied.format(DECLARED[lang]) in page
    assert page.count(DECLARED[lang]) == 1  # nowhere without the export's word on it


def test_an_overridden_top_code_is_named_beside_the_declared_one(study_db: StudyDb, tmp_path: Path) -> None:
    asked = {"age_at_infusion": Decimal(92)}
    page = _codebook(study_db, tmp_path / "out", formats=("csv",), top_code=asked)
    assert f"the definition declares: {DECLARED['en']}; this export applied 92 instead" in page
    assert "top-coded: values above 92 are shown as 92" in page


def test_a_top_code_applied_as_declared_is_described_as_declared(study_db: StudyDb, tmp_path: Path) -> None:
    page = _codebook(study_db, tmp_path / "out", formats=("csv",), lang="es")
    assert DECLARED["es"] in page and "la definición declara" not in page
