"""Appending events to the audit trail and checking the chain.

Events are added in the caller's transaction, so data and its audit commit together or not at all.
Writers are serialised on the chain's tail: SQLite by its write lock (BEGIN IMMEDIATE), PostgreSQL by a
transaction-scoped advisory lock; the unique `prev_hash` is the last line of defence against a fork.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, select, text
from sqlalchemy.orm import Session

from app.audit.chain import GENESIS, hash_content, hash_of
from app.auth.actor import Actor
from app.core.database import SQLITE_BUSY_TIMEOUT_MS, insert_rows
from app.models import AuditEvent

AUDIT_TABLE = cast(Table, AuditEvent.__table__)
# A session flag for long background work (an upload) that should wait for the chain, however long.
WAIT_FOR_CHAIN = "audit_wait_for_chain"
# An arbitrary, fixed key for pg_advisory_xact_lock: "the audit chain's tail".
CHAIN_LOCK_KEY = 0x45444341  # "EDCA"


_LAST_HASH = select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)


def _innermost(session: Session) -> object:
    """The transaction the tail cache belongs to: a savepoint's events vanish if it rolls back,
    so the cache is trusted only inside the (sub)transaction that wrote it."""
    return session.get_nested_transaction() or session.get_transaction()


def _tail(session: Session) -> str:
    transaction = _innermost(session)
    cached = session.info.get("audit_tail")
    if cached is not None and cached[0] is transaction:
        return str(cached[1])
    if session.get_bind().dialect.name == "postgresql":
        if not session.info.get(WAIT_FOR_CHAIN):
            # As long as SQLite's busy timeout, then the request is refused as busy (core.errors),
            # rather than hanging while a bulk upload holds the chain.
            session.execute(text(f"SET LOCAL lock_timeout = {SQLITE_BUSY_TIMEOUT_MS}"))
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK_KEY})
    last = session.scalar(_LAST_HASH)
    return last or GENESIS


@dataclass(slots=True)
class Entry:
    """What happened, before it is stamped with the actor, time and chain position."""

    action: str
    record_id: str | None = None
    form: str | None = None
    instance: int | None = None
    changes: list[dict[str, Any]] = field(default_factory=list)
    reason: str | None = None
    # The changes hold only strings, integers and None (see chain.hash_content).
    plain_changes: bool = False


def append_many(session: Session, actor: Actor, entries: Iterable[Entry]) -> int:
    """Add events to the chain, in order, within the current transaction; return how many.

    One INSERT for all of them: ids follow the list order (SQLite and PostgreSQL both assign
    them row by row in a multi-row insert), and `verify` walks the chain in id order.
    """
    prev = _tail(session)
    at = datetime.now(UTC)
    at_text = at.isoformat(timespec="microseconds")
    stamp = {
        "at": at,
        "actor_id": actor.user_id,
        "actor": actor.email,
        "role": str(actor.role),
        "site": actor.site_code,
        "source": actor.source,
    }
    rows: list[dict[str, Any]] = []
    for entry in entries:
        row = {
            **stamp,
            "action": entry.action,
            "record_id": entry.record_id,
            "form": entry.form,
            "instance": entry.instance,
            "changes": entry.changes,
            "reason": entry.reason,
            "prev_hash": prev,
        }
        prev = row["hash"] = hash_content(row, plain_changes=entry.plain_changes, at=at_text)
        rows.append(row)
    if rows:
        insert_rows(session, AUDIT_TABLE, rows)
        session.info["audit_tail"] = (_innermost(session), prev)
    return len(rows)


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
) -> None:
    """Add one event to the chain within the current transaction."""
    append_many(session, actor, [Entry(action, record_id, form, instance, changes or [], reason)])


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
