"""The audit trail is append-only and hash-chained; tampering is caught; concurrent writers never fork it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import DBAPIError

from app.audit.chain import canonical_json
from app.audit.service import Entry, append, append_many, verify
from app.auth.actor import Actor
from app.core import migrations
from app.core.database import make_engine, make_session_factory
from app.models import AuditEvent

REPO = Path(__file__).resolve().parents[2]
ACTOR = Actor(1, "dm@site.example", "site_entry", 1, "HCB", "api")


@pytest.fixture
def fresh_engine(fresh_db_url: str) -> Engine:
    migrations.upgrade(fresh_db_url, "head")
    engine = make_engine(fresh_db_url)
    yield engine
    engine.dispose()


def _write(engine: Engine, count: int, record: str = "HCB-0001-X") -> None:
    sessions = make_session_factory(engine)
    for i in range(count):
        with sessions.begin() as session:
            append(
                session,
                ACTOR,
                "form_saved",
                record_id=record,
                form="demographics",
                instance=1,
                changes=[{"field": "weight_kg", "old": str(i), "new": str(i + 1)}],
                reason=None,
            )


def _verify(engine: Engine) -> tuple[int, object]:
    with make_session_factory(engine).begin() as session:
        return verify(session)


def test_an_intact_chain_verifies(fresh_engine: Engine) -> None:
    _write(fresh_engine, 5)
    assert _verify(fresh_engine) == (5, None)


def test_events_in_one_transaction_chain_to_each_other(fresh_engine: Engine) -> None:
    with make_session_factory(fresh_engine).begin() as session:
        append(session, ACTOR, "record_created", record_id="HCB-0001-X")
        append(session, ACTOR, "form_created", record_id="HCB-0001-X")
        append_many(session, ACTOR, [Entry("form_saved", "HCB-0001-X"), Entry("form_complete", "HCB-0001-X")])
        first, second, third, fourth = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        assert second.prev_hash == first.hash
        assert third.prev_hash == second.hash and fourth.prev_hash == third.hash
        assert [e.action for e in (first, second, third, fourth)] == [
            "record_created",
            "form_created",
            "form_saved",
            "form_complete",
        ]
    assert _verify(fresh_engine) == (4, None)


def test_a_rolled_back_transaction_leaves_no_event(fresh_engine: Engine) -> None:
    sessions = make_session_factory(fresh_engine)
    with sessions() as session:
        append(session, ACTOR, "form_saved", record_id="HCB-0001-X")
        session.flush()
        session.rollback()
    _write(fresh_engine, 1)
    assert _verify(fresh_engine) == (1, None)


def test_the_database_refuses_to_update_or_delete_events(fresh_engine: Engine) -> None:
    _write(fresh_engine, 1)
    for statement in ("UPDATE audit_events SET reason = 'x'", "DELETE FROM audit_events"):
        with pytest.raises(DBAPIError, match="append-only"), fresh_engine.begin() as connection:
            connection.execute(text(statement))
    with make_session_factory(fresh_engine).begin() as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == 1


def _disable_protection(engine: Engine) -> None:
    """What an attacker with the database owner's credentials would do first."""
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only"))
        else:
            connection.execute(text("DROP TRIGGER audit_events_no_update"))
            connection.execute(text("DROP TRIGGER audit_events_no_delete"))


def _cli_verify(url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "EDC_DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "audit", "verify"],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=120,
    )


@pytest.mark.parametrize(
    "tamper",
    [
        "UPDATE audit_events SET reason = 'nobody will notice' WHERE id = 3",
        "UPDATE audit_events SET changes = '[]' WHERE id = 3",
        "DELETE FROM audit_events WHERE id = 3",
    ],
)
def test_edc_audit_verify_names_the_first_tampered_event(
    fresh_engine: Engine, fresh_db_url: str, tamper: str
) -> None:
    _write(fresh_engine, 5)
    assert _cli_verify(fresh_db_url).returncode == 0
    _disable_protection(fresh_engine)
    with fresh_engine.begin() as connection:
        connection.execute(text(tamper))
    done = _cli_verify(fresh_db_url)
    assert done.returncode == 1, done.stdout + done.stderr
    expected = "audit event 4" if tamper.startswith("DELETE") else "audit event 3"
    assert expected in done.stderr
    assert "Traceback" not in done.stderr


def test_concurrent_writers_do_not_fork_the_chain(fresh_engine: Engine) -> None:
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            _write(fresh_engine, 10, record=f"HCB-000{n}-X")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert _verify(fresh_engine) == (40, None)


_json_leaf = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**63), 2**63 - 1), st.text(), st.floats(allow_nan=False)
)
_json = st.recursive(
    _json_leaf,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


@given(_json)
def test_the_fast_canonical_json_is_byte_for_byte_the_standard_one(value: object) -> None:
    # Hashes of events written before the fast path must still verify: the bytes may never change.
    standard = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    assert canonical_json(value) == standard
