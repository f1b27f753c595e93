"""Why the pseudonymisation step stopped. Whatever the reason, nothing was written."""

from __future__ import annotations

from app.forms.problems import Problem

# More than this many problems are summarised: the first ones are enough to fix the profile or extract.
SHOWN = 50


class PseudonymiseError(Exception):
    """The step refused to write anything; `lines` says why, one reason per line."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines[:SHOWN] + ([f"... and {len(lines) - SHOWN} more"] if len(lines) > SHOWN else [])
        super().__init__("\n".join(self.lines))


class ProfileError(PseudonymiseError):
    """The site profile is malformed or does not fit the study: `file:line: message` per problem."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems)
        super().__init__([str(p) for p in self.problems])


class ExtractError(PseudonymiseError):
    """The extract cannot be read as the profile describes it (each line names the file, row and column)."""


class IdentifierFound(PseudonymiseError):
    """A direct identifier would have reached the upload file."""


class KeyFileError(PseudonymiseError):
    """The key file is missing, unreadable or not a key."""

    def __init__(self, message: str) -> None:
        super().__init__([message])
