"""Bad definitions: every problem is reported with its file and line, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from app.forms.compile import load_study
from app.forms.problems import DefinitionError
from tests.forms.conftest import REPO, choices, write_study


def problems(directory: Path) -> list[str]:
    with pytest.raises(DefinitionError) as caught:
        load_study(directory, shown_as="forms")
    return [str(p) for p in caught.value.problems]


def simple(tmp_path: Path, **form: Any) -> Path:
    body = {"fields": [{"name": "x", "type": "integer"}], **form}
    return write_study(tmp_path / "s", {"f": body})


def test_malformed_yaml_names_the_line(tmp_path: Path) -> None:
    directory = simple(tmp_path)
    (directory / "f.yaml").write_text("name: f\nlabel: {en: F, es: F\nfields: []\n", encoding="utf-8")
    found = problems(directory)
    assert len(found) == 1 and found[0].startswith("forms/f.yaml:") and "malformed YAML" in found[0]


def test_unknown_key_names_key_and_line(tmp_path: Path) -> None:
    directory = simple(tmp_path)
    text = (
        (directory / "f.yaml")
        .read_text(encoding="utf-8")
        .replace("type: integer", "type: integer\n  colour: red")
    )
    (directory / "f.yaml").write_text(text, encoding="utf-8")
    assert problems(directory) == ["forms/f.yaml:8: fields.0.colour: Extra inputs are not permitted"]


def test_duplicate_yaml_key(tmp_path: Path) -> None:
    directory = simple(tmp_path)
    text = (directory / "f.yaml").read_text(encoding="utf-8") + "name: g\n"
    (directory / "f.yaml").write_text(text, encoding="utf-8")
    assert problems(directory) == [f"forms/f.yaml:{len(text.splitlines())}: duplicate key 'name'"]


def test_duplicate_variable_across_forms(tmp_path: Path) -> None:
    directory = write_study(
        tmp_path / "s",
        {
            "f": {"fields": [{"name": "x", "type": "integer"}]},
            "g": {"fields": [{"name": "x", "type": "text"}]},
        },
    )
    assert problems(directory) == ["forms/g.yaml:6: variable 'x' is already defined in form 'f'"]


def test_bad_choice_lists(tmp_path: Path) -> None:
    directory = write_study(
        tmp_path / "s",
        {
            "f": {
                "fields": [
                    {"name": "a", "type": "choice"},
                    {"name": "b", "type": "choice", "choices": choices((1, "one"), (1, "uno"))},
                    {"name": "d", "type": "integer", "choices": choices((1, "one"))},
                ]
            }
        },
    )
    found = "\n".join(problems(directory))
    assert "a: a choice field needs choices" in found
    assert "b: choice code '1' appears twice" in found
    assert "d: a integer field cannot have choices" in found


def test_shape_errors_come_first_in_every_file(tmp_path: Path) -> None:
    directory = write_study(
        tmp_path / "s",
        {
            "f": {
                "fields": [{"name": "c", "type": "choice", "choices": [{"code": "bad code", "label": "x"}]}]
            },
            "g": {"fields": [{"name": "Bad", "type": "integer"}]},
        },
    )
    found = problems(directory)
    assert any(
        p.startswith("forms/f.yaml:") and "fields.0.choices.0.code: String should match" in p for p in found
    )
    assert any(
        p.startswith("forms/g.yaml:") and "fields.0.name: String should match pattern" in p for p in found
    )


def test_missing_translation_and_bad_names(tmp_path: Path) -> None:
    directory = write_study(
        tmp_path / "s",
        {
            "f": {
                "fields": [
                    {
                        "name": "a_very_long_variable_name_indeed",
                        "type": "integer",
                        "label": {"en": "only English"},
                    },
                ]
            }
        },
    )
    found = "\n".join(problems(directory))
    assert "longer than 26 characters" in found
    assert "label: no 'es' text" in found


def test_listed_form_without_file_and_stray_file(tmp_path: Path) -> None:
    directory = simple(tmp_path)
    (directory / "f.yaml").rename(directory / "g.yaml")
    found = problems(directory)
    assert any(
        p.startswith("forms/study.yaml:") and "form 'f' is listed but f.yaml does not exist" in p
        for p in found
    )
    assert "forms/g.yaml:1: 'g.yaml' is not listed in the study's forms" in found


def test_a_folder_without_study_file(tmp_path: Path) -> None:
    assert problems(tmp_path) == ["forms/study.yaml:1: no study file: every definition needs one"]


def test_cli_check_prints_problems_and_exits_non_zero(tmp_path: Path) -> None:
    directory = simple(tmp_path, rules=[{"name": "r", "check": "x >", "message": {"en": "m", "es": "m"}}])
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", "forms", "check", str(directory)],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert f"{directory}/f.yaml:13: check: expression ends too early" in done.stderr


def test_cli_check_passes_a_valid_definition(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", "forms", "check", str(simple(tmp_path))],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stderr
    assert "OK" in done.stdout


def test_a_repeating_form_may_reuse_a_once_form_name(tmp_path: Path) -> None:
    directory = write_study(
        tmp_path / "s",
        {
            "f": {"fields": [{"name": "x", "type": "integer"}]},
            "g": {
                "repeating": True,
                "fields": [{"name": "x", "type": "text"}, {"name": "x", "type": "text"}],
            },
        },
    )
    assert problems(directory) == ["forms/g.yaml:12: variable 'x' is already defined in form 'g'"]
