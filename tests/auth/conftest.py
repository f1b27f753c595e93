"""A session per test inside a transaction that is rolled back, on SQLite and on PostgreSQL."""

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from app.models import AuditEvent, Site

SITES = {"AUTHA": "Alpha Hospital", "AUTHB": "Beta Hospital"}


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session whose work, commits included (they only release a savepoint), is rolled back."""
    with engine.connect() as connection:
        outer = connection.begin()
        session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
        # Other test modules may have committed events to this shared database: count only ours.
        session.info["audit_floor"] = session.scalar(select(func.max(AuditEvent.id))) or 0
        try:
            yield session
        finally:
            session.close()
            outer.rollback()


@pytest.fixture
def sites(session: Session) -> dict[str, Site]:
    """Two sites, AUTHA and AUTHB."""
    made = {code: Site(code=code, name=name, country="US", language="en") for code, name in SITES.items()}
    session.add_all(made.values())
    session.flush()
    return made


def audit_events(session: Session, action: str | None = None) -> list[AuditEvent]:
    """The audit events written by this test, oldest first."""
    query = select(AuditEvent).where(AuditEvent.id > session.info["audit_floor"]).order_by(AuditEvent.id)
    if action is not None:
        query = query.where(AuditEvent.action == action)
    return list(session.scalars(query))
