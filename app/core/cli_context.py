"""What CLI commands share: one transaction on the configured database, the configured study."""

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.orm import Session

from app.core.database import make_engine, make_session_factory
from app.core.errors import DomainError
from app.core.settings import get_settings
from app.forms.compile import load_study
from app.forms.model import CompiledStudy
from app.forms.problems import DefinitionError


def configured_study() -> CompiledStudy:
    """The study in EDC_FORMS_DIR; a broken definition prints its problems and exits 1."""
    directory = get_settings().forms_dir
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
    engine = make_engine(get_settings().database_url)
    try:
        with make_session_factory(engine).begin() as session:
            yield session
    except DomainError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(1) from None
    except SQLAlchemyError as exc:
        cause = exc.orig if isinstance(exc, DBAPIError) else exc
        first_line = (str(cause).strip().splitlines() or [type(cause).__name__])[0]
        typer.echo(f"error: database error: {first_line} (has `edc db upgrade` been run?)", err=True)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()
