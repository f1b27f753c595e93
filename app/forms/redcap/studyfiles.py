"""The files of an imported study folder: writing them, and finding which field a problem points at."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from app.forms.problems import Problem
from app.forms.redcap.errors import OutputFolderError
from app.forms.redcap.row_import import Converted
from app.forms.yamlfile import LineDict, LineList, read_yaml

STUDY_FILE = "study.yaml"


@dataclass
class StudyFiles:
    out: Path
    study: dict[str, Any]
    forms: dict[str, list[Converted]]

    def file_names(self) -> set[str]:
        return {STUDY_FILE} | {f"{form}.yaml" for form in self.forms}

    def prepare(self) -> None:
        """Create the folder; refuse one holding other YAML files, which would join the study."""
        if self.out.exists() and not self.out.is_dir():
            raise OutputFolderError(f"{self.out} exists and is not a folder")
        strangers = sorted(p.name for p in self.out.glob("*.yaml") if p.name not in self.file_names())
        if strangers:
            raise OutputFolderError(f"{self.out} already holds {', '.join(strangers)}: use an empty folder")
        self.out.mkdir(parents=True, exist_ok=True)

    def write(self) -> None:
        _dump(self.out / STUDY_FILE, self.study)
        for form, fields in self.forms.items():
            document = {"name": form, "label": _form_label(form), "fields": [c.finish() for c in fields]}
            _dump(self.out / f"{form}.yaml", document)

    def locate(self, problem: Problem) -> tuple[Converted, str | None] | None:
        """The field a problem is about, and which of its keys (`show_if`, `calc`...) when it is one."""
        path = Path(problem.file)
        fields = self.forms.get(path.stem)
        if fields is None or path.name == STUDY_FILE:
            return None
        document = read_yaml(self.out / path.name, problem.file)
        items = document.get("fields") if isinstance(document, LineDict) else None
        if not isinstance(items, LineList):
            return None
        index = max((i for i, line in enumerate(items.item_lines) if line <= problem.line), default=None)
        if index is None or index >= len(fields):
            return None
        item = items[index]
        key_lines = item.key_lines if isinstance(item, LineDict) else {}
        key = next((k for k, line in key_lines.items() if line == problem.line), None)
        return fields[index], key


def _form_label(form: str) -> str:
    # The dictionary holds only instrument names; REDCap keeps their labels elsewhere.
    return form.replace("_", " ").strip().capitalize()


def _dump(path: Path, data: dict[str, Any]) -> None:
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110)
    path.write_text(text, encoding="utf-8")
