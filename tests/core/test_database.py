import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import Column, Engine, Integer, MetaData, Table, insert, select
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import Session

from app.core.database import BULK_CACHE_KIB, UTCDateTime, bulk_write_cache, make_engine


@pytest.fixture
def sqlite_path(tmp_path: Path) -> Path:
    return tmp_path / "edc.db"


def test_sqlite_connections_use_wal_foreign_keys_and_a_busy_timeout(sqlite_path: Path) -> None:
    engine = make_engine(f"sqlite:///{sqlite_path}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() > 0
    engine.dispose()


def test_sqlite_transactions_take_the_write_lock_when_they_begin(sqlite_path: Path) -> None:
    engine = make_engine(f"sqlite:///{sqlite_path}")
    with engine.connect() as connection:
        connection.exec_driver_sql("SELECT 1")
        other = sqlite3.connect(sqlite_path, timeout=0, isolation_level=None)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        other.close()
    engine.dispose()


def test_sqlite_read_only_work_can_begin_deferred(sqlite_path: Path) -> None:
    engine = make_engine(f"sqlite:///{sqlite_path}")
    with engine.connect().execution_options(sqlite_begin="DEFERRED") as connection:
        connection.exec_driver_sql("SELECT 1")
        other = sqlite3.connect(sqlite_path, timeout=0, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        other.close()
    engine.dispose()


def test_a_bulk_write_gets_a_large_page_cache_and_gives_it_back(sqlite_path: Path) -> None:
    engine = make_engine(f"sqlite:///{sqlite_path}", pool_size=1, max_overflow=0)
    with Session(engine) as session:
        default = session.connection().exec_driver_sql("PRAGMA cache_size").scalar()
        with bulk_write_cache(session):
            inside = session.connection().exec_driver_sql("PRAGMA cache_size").scalar()
        after = session.connection().exec_driver_sql("PRAGMA cache_size").scalar()
    assert inside == -BULK_CACHE_KIB != default
    assert after == default
    engine.dispose()


def test_a_broken_connection_during_a_bulk_write_reports_its_own_error(sqlite_path: Path) -> None:
    engine = make_engine(f"sqlite:///{sqlite_path}")
    failure = pytest.raises(RuntimeError, match="the upload's own failure")
    with Session(engine) as session, failure, bulk_write_cache(session):
        session.connection().invalidate()
        raise RuntimeError("the upload's own failure")
    engine.dispose()


@pytest.fixture
def fresh_engine(fresh_db_url: str) -> Iterator[Engine]:
    engine = make_engine(fresh_db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def events(fresh_engine: Engine) -> Table:
    table = Table("utc_probe", MetaData(), Column("id", Integer, primary_key=True), Column("at", UTCDateTime))
    table.create(fresh_engine)
    return table


def test_datetimes_come_back_as_the_same_instant_in_utc(fresh_engine: Engine, events: Table) -> None:
    paris_summer = timezone(timedelta(hours=2))
    written = datetime(2026, 7, 1, 14, 30, 15, 123456, tzinfo=paris_summer)
    with fresh_engine.begin() as connection:
        connection.execute(insert(events).values(id=1, at=written))
    with fresh_engine.connect() as connection:
        read = connection.execute(select(events.c.at)).scalar_one()
    assert read == written
    assert read.tzinfo == UTC
    assert read.hour == 12


def test_naive_datetimes_are_refused(fresh_engine: Engine, events: Table) -> None:
    with pytest.raises(StatementError, match="naive datetime"), fresh_engine.begin() as connection:
        connection.execute(insert(events).values(id=2, at=datetime(2026, 7, 1, 14, 30)))
