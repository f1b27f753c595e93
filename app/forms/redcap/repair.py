"""Check an imported folder with the real compiler; drop logic it refuses rather than fail the import.

Translation already refuses what REDCap means differently; what remains here are refusals of our
language itself (a show-if reading a later field, a code that is not in the list, a cycle). Each
dropped piece of logic is reported with the compiler's reason and kept as an annotation marker.
"""

from __future__ import annotations

from app.forms.compile import load_study
from app.forms.problems import DefinitionError
from app.forms.redcap.studyfiles import StudyFiles

_LOGIC_KEYS = ("show_if", "calc")


def check_and_repair(files: StudyFiles) -> list[str]:
    """Write the folder until it loads; the problems that remain (none, unless a bug) as text."""
    while True:
        files.write()
        try:
            load_study(files.out)
        except DefinitionError as exc:
            if not _drop_refused_logic(files, exc):
                return [str(problem) for problem in exc.problems]
            continue
        return []


def _drop_refused_logic(files: StudyFiles, error: DefinitionError) -> bool:
    dropped = False
    for problem in error.problems:
        found = files.locate(problem)
        if found is None:
            continue
        converted, key = found
        if key in _LOGIC_KEYS and key in converted.origins and key in converted.spec:
            message = problem.message.removeprefix(f"{key}: ")
            converted.drop_logic(key, f"our compiler says: {message}")
            dropped = True
    return dropped
