"""Read a study directory (`study.yaml` plus one YAML file per form) into schema models.

Every problem is collected with its file and line before anything is raised, so a user fixing a
definition sees the whole list at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from app.forms.problems import DefinitionError, Problem
from app.forms.schema import Form, Study
from app.forms.yamlfile import line_of, read_yaml

STUDY_FILE = "study.yaml"

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Source:
    """Where a model came from, to point problems at lines."""

    file: str
    data: Any

    def line(self, *loc: int | str) -> int:
        return line_of(self.data, loc)

    def problem(self, message: str, *loc: int | str) -> Problem:
        return Problem(self.file, self.line(*loc), message)


@dataclass(frozen=True)
class RawDefinition:
    directory: Path
    study: Study
    study_source: Source
    forms: list[tuple[Form, Source]]
    texts: dict[str, bytes]


def _validate(model: type[M], source: Source, problems: list[Problem]) -> M | None:
    try:
        return model.model_validate(source.data)
    except ValidationError as exc:
        for error in exc.errors():
            loc = tuple(error["loc"])
            where = ".".join(str(part) for part in loc) or "document"
            problems.append(source.problem(f"{where}: {error['msg']}", *loc))
        return None


def _read(path: Path, shown: str, problems: list[Problem], texts: dict[str, bytes]) -> Source | None:
    try:
        data = read_yaml(path, shown)
        texts[path.name] = path.read_bytes()
    except DefinitionError as exc:
        problems.extend(exc.problems)
        return None
    if not isinstance(data, dict):
        problems.append(Problem(shown, 1, "expected a mapping of keys to values"))
        return None
    return Source(shown, data)


def load_directory(directory: Path, shown_as: str | None = None) -> RawDefinition:
    """Parse and shape-check every file; raise DefinitionError listing all problems found."""
    prefix = shown_as if shown_as is not None else str(directory)
    problems: list[Problem] = []
    texts: dict[str, bytes] = {}
    study_path = directory / STUDY_FILE
    if not study_path.is_file():
        raise DefinitionError(
            [Problem(f"{prefix}/{STUDY_FILE}", 1, "no study file: every definition needs one")]
        )
    study_source = _read(study_path, f"{prefix}/{STUDY_FILE}", problems, texts)
    study = _validate(Study, study_source, problems) if study_source else None
    forms: list[tuple[Form, Source]] = []
    if study is not None and study_source is not None:
        for index, name in enumerate(study.forms):
            path = directory / f"{name}.yaml"
            if not path.is_file():
                problems.append(
                    study_source.problem(
                        f"form '{name}' is listed but {name}.yaml does not exist", "forms", index
                    )
                )
                continue
            source = _read(path, f"{prefix}/{name}.yaml", problems, texts)
            form = _validate(Form, source, problems) if source else None
            if form is not None and source is not None:
                if form.name != name:
                    problems.append(
                        source.problem(f"form name '{form.name}' differs from its file name", "name")
                    )
                forms.append((form, source))
        listed = {f"{name}.yaml" for name in study.forms} | {STUDY_FILE}
        for extra in sorted(p.name for p in directory.glob("*.yaml") if p.name not in listed):
            problems.append(Problem(f"{prefix}/{extra}", 1, f"'{extra}' is not listed in the study's forms"))
    if problems or study is None or study_source is None:
        raise DefinitionError(problems)
    return RawDefinition(directory, study, study_source, forms, texts)
