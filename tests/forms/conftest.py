"""Small study definitions written to a temporary folder, for tests of the language and engine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from app.forms.compile import load_study
from app.forms.model import CompiledStudy

REPO = Path(__file__).resolve().parents[2]


def label(text: str) -> dict[str, str]:
    return {"en": text, "es": text}


def write_study(directory: Path, forms: dict[str, dict[str, Any]], **study: Any) -> Path:
    """Write study.yaml and one file per form; `forms` maps a form name to its fields/rules/options."""
    directory.mkdir(parents=True, exist_ok=True)
    document = {
        "id": "test",
        "title": label("Test"),
        "version": "1",
        "languages": ["en", "es"],
        "forms": list(forms),
        **study,
    }
    (directory / "study.yaml").write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    for name, body in forms.items():
        form = {"name": name, "label": label(name), **body}
        for f in form.get("fields", []):
            f.setdefault("label", label(f["name"]))
        (directory / f"{name}.yaml").write_text(yaml.safe_dump(form, sort_keys=False), encoding="utf-8")
    return directory


def choices(*pairs: tuple[Any, str]) -> list[dict[str, Any]]:
    return [{"code": code, "label": label(text)} for code, text in pairs]


@pytest.fixture
def make_study(tmp_path: Path):  # type: ignore[no-untyped-def]
    def make(forms: dict[str, dict[str, Any]], **study: Any) -> CompiledStudy:
        return load_study(write_study(tmp_path / "study", forms, **study))

    return make
