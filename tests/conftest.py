"""Database fixtures: every test that takes `db_url` runs on SQLite and on PostgreSQL."""

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, make_url, pool
from sqlalchemy.exc import OperationalError

from app.core import migrations
from app.core.database import make_engine
from tests.apiclient import Api, make_api

POSTGRES_URL = os.environ.get("EDC_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REQUIRE_POSTGRES = os.environ.get("EDC_TEST_REQUIRE_POSTGRES") == "1"


def _postgres_admin_engine() -> Engine:
    engine = make_engine(POSTGRES_URL, poolclass=pool.NullPool, connect_args={"connect_timeout": 3})
    try:
        engine.connect().close()
    except OperationalError as error:
        message = f"PostgreSQL unreachable at {POSTGRES_URL} (set EDC_TEST_POSTGRES_URL): {error.orig}"
        if REQUIRE_POSTGRES:
            pytest.fail(f"{message}; EDC_TEST_REQUIRE_POSTGRES=1 requires it", pytrace=False)
        pytest.skip(message)
    return engine


@contextmanager
def _postgres_schema() -> Iterator[str]:
    """A fresh, empty schema used through search_path, so concurrent test runs never collide."""
    admin = _postgres_admin_engine()
    schema = f"edc_test_{uuid.uuid4().hex[:12]}"
    with admin.begin() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    try:
        url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


@contextmanager
def _new_database(backend: str, folder: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{folder / f'{uuid.uuid4().hex[:12]}.db'}"
    else:
        with _postgres_schema() as url:
            yield url


@pytest.fixture(scope="session", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An empty database for the whole test session, one per backend."""
    with _new_database(request.param, tmp_path_factory.mktemp("db")) as url:
        yield url


@pytest.fixture
def fresh_db_url(db_url: str, tmp_path: Path) -> Iterator[str]:
    """An empty database of the same backend as `db_url`, for a test that must start from nothing."""
    with _new_database(make_url(db_url).get_backend_name(), tmp_path) as url:
        yield url


@pytest.fixture(scope="session")
def migrated_db_url(db_url: str) -> str:
    """`db_url` upgraded to the newest migration."""
    migrations.upgrade(db_url, "head")
    return db_url


@pytest.fixture(scope="session")
def engine(migrated_db_url: str) -> Iterator[Engine]:
    engine = make_engine(migrated_db_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def api(migrated_db_url: str) -> Iterator[Api]:
    """The app on this backend with users of every role at two sites (HCB, FHCC) and their tokens."""
    yield from make_api(migrated_db_url)
