"""Appending events to the audit trail and checking the chain.

Events are added in the caller's transaction, so data and its audit commit together or not at all.
Writers are serialised on the chain's tail: SQLite by its write lock (BEGIN IMMEDIATE), PostgreSQL by a
transaction-scoped advisory lock; the unique `prev_hash` is the last line of defence against a fork.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app.audit.chain import GENESIS, hash_of
from app.auth.actor import Actor
from app.models import AuditEvent

# An arbitrary, fixed key for pg_advisory_xact_lock: "the audit chain's tail".
_CHAIN_LOCK_KEY = 0x45444341  # "EDCA"


def _tail(session: Session) -> str:
    transaction = session.get_transaction()
    cached = session.info.get("audit_tail")
    if cached is not None and cached[0] is transaction:
        return str(cached[1])
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHAIN_LOCK_KEY})
    last = session.scalar(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1))
    return last or GENESIS


def append(
    session: Session,
    actor: Actor,
    action: str,
    *,
    record_id: str | None = None,
    form: str | None = None,
    instance: int | None = None,
    changes: list[dict[str, Any]] | None = None,
    reason: str | None = None,
) -> AuditEvent:
    """Add one event to the chain within the current transaction."""
    event = AuditEvent(
        at=datetime.now(UTC),
        action=action,
        actor_id=actor.user_id,
        actor=actor.email,
        role=actor.role,
        site=actor.site_code,
        source=actor.source,
        record_id=record_id,
        form=form,
        instance=instance,
        changes=changes or [],
        reason=reason,
        prev_hash=_tail(session),
    )
    event.hash = hash_of(event)
    session.add(event)
    session.info["audit_tail"] = (session.get_transaction(), event.hash)
    return event


@dataclass(frozen=True)
class Break:
    event_id: int
    problem: str

    def __str__(self) -> str:
        return f"audit event {self.event_id}: {self.problem}"


def verify(session: Session) -> tuple[int, Break | None]:
    """Recompute the whole chain; return how many events were checked and the first break, if any."""
    expected_prev = GENESIS
    checked = 0
    for event in _events(session):
        if event.prev_hash != expected_prev:
            return checked, Break(event.id, "does not follow the previous event (prev_hash mismatch)")
        if hash_of(event) != event.hash:
            return checked, Break(event.id, "content does not match its hash (the event was altered)")
        expected_prev = event.hash
        checked += 1
    return checked, None


def _events(session: Session) -> Iterator[AuditEvent]:
    query = select(AuditEvent).order_by(AuditEvent.id).execution_options(yield_per=1000)
    yield from session.scalars(query)
