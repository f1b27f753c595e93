"""Run Alembic programmatically against a database URL, from any working directory."""

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

import app
from app.core.database import make_engine


class MigrationsNotFound(RuntimeError):
    pass


def migrations_dir() -> Path:
    """The `migrations/` folder beside the package (a checkout) or in the working directory (an image)."""
    candidates = [Path(app.__file__).resolve().parent.parent / "migrations", Path.cwd() / "migrations"]
    for candidate in candidates:
        if (candidate / "env.py").is_file():
            return candidate
    searched = ", ".join(str(candidate) for candidate in candidates)
    raise MigrationsNotFound(f"no Alembic migrations folder found (looked in {searched})")


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.set_main_option("path_separator", "os")
    # Passed as an attribute, not an ini option, so that '%' in a password needs no escaping.
    config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)


def is_current(database_url: str) -> bool:
    """Whether the database's schema is at the newest revision this code knows."""
    head = ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision() == head
    finally:
        engine.dispose()
