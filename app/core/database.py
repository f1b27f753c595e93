"""Engines, sessions and the portable column types shared by every model."""

import json
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import DateTime, Dialect, Engine, MetaData, Table, create_engine, event, make_url
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

SQLITE_BUSY_TIMEOUT_MS = 5000
# A number naming a row or a position (an id, an instance, an offset, a page) must fit the databases'
# integer columns: a larger one is refused as bad input, never handed to the driver (which fails).
INT_MAX = 2**31 - 1
SQLITE_BEGIN_MODES = frozenset({"DEFERRED", "IMMEDIATE", "EXCLUSIVE"})
# A bulk upload's page cache on SQLite (KiB). Its audit events land at random places of the unique
# hash indexes, which outgrow the default 2 MB cache after a few thousand patients: measured 5% off a
# 10,000-patient upload. Only the upload's connection gets it, and only while the upload runs.
BULK_CACHE_KIB = 65536

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every database; naive datetimes are refused."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: attach a timezone before storing it")
        utc = value.astimezone(UTC)
        # SQLite has no timezone type: store UTC wall time so text ordering matches time ordering.
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for `url`; SQLite gets WAL, foreign keys, a busy timeout and BEGIN IMMEDIATE."""
    sa_url = make_url(url)
    if sa_url.drivername == "postgresql":
        sa_url = sa_url.set(drivername="postgresql+psycopg")
    kwargs.setdefault("json_serializer", dumps_json)
    engine = create_engine(sa_url, **kwargs)
    if sa_url.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _configure_sqlite_connection)
        event.listen(engine, "begin", _begin_sqlite_transaction)
    return engine


def dumps_json(value: Any) -> str:
    """JSON columns (form data, audit changes) written by orjson: the bulk upload's hottest encoder.

    orjson refuses what the standard library accepts (a lone surrogate in a typed text, an integer
    beyond 64 bits); those few values take the slow path rather than fail the save.
    """
    try:
        return orjson.dumps(value).decode("utf-8")
    except orjson.JSONEncodeError:
        return json.dumps(value)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def _configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    # Take transaction control away from the sqlite3 module so that `_begin_sqlite_transaction` decides.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def _begin_sqlite_transaction(connection: Connection) -> None:
    # IMMEDIATE takes the write lock up front: a deferred transaction that reads and then writes
    # fails with "database is locked" instead of waiting out the busy timeout. A read-only unit of
    # work can opt out with execution_options(sqlite_begin="DEFERRED").
    mode = connection.get_execution_options().get("sqlite_begin", "IMMEDIATE")
    if mode not in SQLITE_BEGIN_MODES:
        raise ValueError(f"sqlite_begin must be one of {sorted(SQLITE_BEGIN_MODES)}, not {mode!r}")
    connection.exec_driver_sql(f"BEGIN {mode}")


@contextmanager
def bulk_write_cache(session: Session) -> Iterator[None]:
    """A larger SQLite page cache for the session's connection while a bulk write runs."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        yield
        return
    found = connection.exec_driver_sql("PRAGMA cache_size").scalar()
    before = int(found) if found is not None else -2000
    connection.exec_driver_sql(f"PRAGMA cache_size=-{BULK_CACHE_KIB}")
    try:
        yield
    finally:
        # A broken connection is dropped by the pool; the error that broke it is the one to report.
        with suppress(SQLAlchemyError):
            if not connection.invalidated:
                connection.exec_driver_sql(f"PRAGMA cache_size={before}")


def insert_rows(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """INSERT many rows through the driver's executemany, each value through its column's type.

    For the bulk write path only: SQLAlchemy's own executemany spends more per row building
    parameters than the database spends storing it (measured: twice the time for audit events).
    Every row must have the same keys; values are converted by the same bind processors
    SQLAlchemy would use, memoised per value for the constants a batch repeats (its timestamp).
    """
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    names = list(rows[0])
    quote = dialect.identifier_preparer.quote
    style = dialect.paramstyle
    marks = {
        "qmark": ["?"] * len(names),
        "format": ["%s"] * len(names),
        "numeric": [f":{i + 1}" for i in range(len(names))],
        "named": [f":{name}" for name in names],
        "pyformat": [f"%({name})s" for name in names],
    }[style]
    sql = (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(n) for n in names)}) VALUES ({', '.join(marks)})"
    )
    processors = [table.c[name].type.bind_processor(dialect) for name in names]
    keyed = style in ("named", "pyformat")
    last_in: list[Any] = [None] * len(names)
    last_out: list[Any] = [None] * len(names)
    converted: list[Any] = []
    for row in rows:
        values = [row[name] for name in names]
        for i, process in enumerate(processors):
            value = values[i]
            if process is None or value is None:
                continue
            if value is not last_in[i]:
                last_in[i], last_out[i] = value, process(value)
            values[i] = last_out[i]
        converted.append(dict(zip(names, values, strict=True)) if keyed else tuple(values))
    connection.exec_driver_sql(sql, converted)
