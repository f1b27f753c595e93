"""Alembic environment: the URL comes from the caller (`edc db upgrade`) or from EDC_DATABASE_URL."""

from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection, pool

from app.core.database import make_engine
from app.core.settings import get_settings
from app.models import Base

config = context.config
if config.config_file_name is not None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata


def database_url() -> str:
    url = config.attributes.get("database_url")
    return str(url) if url else get_settings().database_url


def run_migrations_offline() -> None:
    url = database_url()
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=url.startswith("sqlite"),
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = make_engine(database_url(), poolclass=pool.NullPool)
    with engine.connect() as connection:
        is_sqlite = connection.dialect.name == "sqlite"
        if is_sqlite:
            # Batch migrations rebuild tables; with foreign keys on, dropping a parent would cascade.
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        run_migrations(connection, is_sqlite=is_sqlite)
        if is_sqlite:
            check_sqlite_foreign_keys(connection)
    engine.dispose()


def run_migrations(connection: Connection, *, is_sqlite: bool) -> None:
    # make_engine lets SQLAlchemy emit BEGIN on SQLite, so DDL there is transactional as on PostgreSQL.
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=is_sqlite,
        transactional_ddl=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def check_sqlite_foreign_keys(connection: Connection) -> None:
    violations = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    connection.rollback()
    if violations:
        raise RuntimeError(f"migration left foreign key violations: {violations}")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
