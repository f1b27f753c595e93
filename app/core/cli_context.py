"""What CLI commands share: one transaction on the configured database, the configured study, and
one way to stop with an error (`fail`)."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import typer
from sqlalchemy import make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.orm import Session

from app.core import migrations
from app.core.database import make_engine, make_session_factory
from app.core.errors import DomainError
from app.core.settings import get_settings
from app.forms.compile import load_study
from app.forms.model import CompiledStudy
from app.forms.problems import DefinitionError


def fail(message: str) -> NoReturn:
    """The one way a command reports what stops it: one line on stderr, exit code 1."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


def configured_study() -> CompiledStudy:
    """The study in EDC_FORMS_DIR; a broken definition prints its problems and exits 1."""
    directory = get_settings().forms_dir
    if not directory.is_dir():
        fail(
            f"no study definition folder '{directory}' in {Path.cwd()}: "
            "run edc from the project folder, or set EDC_FORMS_DIR"
        )
    try:
        return load_study(directory)
    except DefinitionError as exc:
        for problem in exc.problems:
            typer.echo(str(problem), err=True)
        raise typer.Exit(1) from None


@contextmanager
def transaction() -> Iterator[Session]:
    """One transaction on EDC_DATABASE_URL: committed when the block ends, rolled back on error.

    A domain error (unknown site, duplicate email...) or a database failure (tables missing, server
    down) is printed as one line and exits 1.
    """
    url = get_settings().database_url
    _refuse_missing_sqlite_file(url)
    engine = make_engine(url)
    try:
        with make_session_factory(engine).begin() as session:
            yield session
    except DomainError as exc:
        fail(exc.detail)
    except SQLAlchemyError as exc:
        fail(f"database error: {_first_line(exc)} (has `edc db upgrade` been run?)")
    finally:
        engine.dispose()


def require_current_database() -> None:
    """For commands that serve or work for a long time: a database that is missing, unreachable or
    not migrated to this version is said at once, in one line, rather than at the first request."""
    url = get_settings().database_url
    _refuse_missing_sqlite_file(url)
    shown = make_url(url).render_as_string(hide_password=True)
    try:
        current = migrations.is_current(url)
    except SQLAlchemyError as exc:
        fail(f"cannot read the database {shown}: {_first_line(exc)}")
    if not current:
        fail(f"the database {shown} is not at this version's schema: run `edc db upgrade`")


def _first_line(exc: SQLAlchemyError) -> str:
    """The driver's own words, first line only: what a person needs, without SQL or a traceback."""
    cause = exc.orig if isinstance(exc, DBAPIError) else exc
    return (str(cause).strip().splitlines() or [type(cause).__name__])[0]


def _refuse_missing_sqlite_file(url: str) -> None:
    """SQLite would quietly create an empty database where none is (a command run from another
    folder, with the default relative URL): say where it looked instead."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return
    path = Path(parsed.database).resolve()
    if not path.exists():
        fail(
            f"no database at {path}: run edc from the project folder (where `make run` made "
            "it), set EDC_DATABASE_URL, or create it with `edc db upgrade`"
        )
