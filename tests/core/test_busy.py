"""SQLite writes one transaction at a time: a save that waits out the busy timeout gets a 503 to
retry, in the API and on the pages, and nothing of it is stored."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text

from app.audit.service import CHAIN_LOCK_KEY
from app.core.database import make_engine
from tests.apiclient import Api

VALUES = {"age_at_infusion": "57", "sex": "2", "height_cm": "165.0", "weight_kg": "70.0", "ecog": "1"}


def _engine(api: Api) -> Engine:
    engine: Engine = api.client.app.state.session_factory.kw["bind"]  # type: ignore[attr-defined]
    return engine


def test_a_save_blocked_by_another_writer_is_a_503_with_retry_after(api: Api) -> None:
    engine = _engine(api)
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's single write lock; PostgreSQL is covered by the audit-chain test")
    record_id = api.new_record()
    events = api.audit_count()
    other = make_engine(engine.url.render_as_string(hide_password=False))
    try:
        with other.connect() as holder:
            # The engine opens transactions with BEGIN IMMEDIATE: this takes the write lock and keeps it.
            holder.execute(text("SELECT 1"))
            response = api.call(
                "PUT", f"/api/v1/records/{record_id}/forms/demographics", json={"values": VALUES}
            )
            holder.rollback()
    finally:
        other.dispose()
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["retry-after"] == "5"
    assert "busy" in response.json()["detail"] and "nothing was saved" in response.json()["detail"]
    assert api.audit_count() == events
    read = api.call("GET", f"/api/v1/records/{record_id}/forms/demographics")
    assert read.json()["status"] == "empty"


def test_a_save_waiting_for_the_audit_chain_on_postgresql_is_a_503(api: Api) -> None:
    engine = _engine(api)
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's audit-chain lock; SQLite is covered by its write lock above")
    record_id = api.new_record()
    events = api.audit_count()
    with engine.connect() as holder:
        # What a long bulk upload does: hold the chain's advisory lock until its transaction ends.
        holder.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK_KEY})
        response = api.call("PUT", f"/api/v1/records/{record_id}/forms/demographics", json={"values": VALUES})
        holder.rollback()
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "5"
    assert "nothing was saved" in response.json()["detail"]
    assert api.audit_count() == events
    assert api.call("GET", f"/api/v1/records/{record_id}/forms/demographics").json()["status"] == "empty"
