"""The life of a data query: open -> answered -> closed (or cancelled), each step a message and audit.

Warning-level checks open queries automatically when data is saved (`checks.py` keeps those);
monitors open them by hand. The site's data manager answers; the monitor closes or cancels. All
scoping goes through records.scope.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.auth.actor import Actor, Role
from app.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.forms.model import CompiledStudy
from app.models import DataQuery, QueryMessage, Record, Site
from app.records.patient import load_patient
from app.records.scope import visible_records
from app.records.service import form_state

OPEN_STATES = ("open", "answered")
STATUSES = ("open", "answered", "closed", "cancelled")


@dataclass(frozen=True)
class QueryView:
    query: DataQuery
    record_id: str
    site: str
    messages: list[QueryMessage]


def _now() -> datetime:
    return datetime.now(UTC)


def _add_message(session: Session, query: DataQuery, actor: Actor, kind: str, text: str) -> None:
    session.add(
        QueryMessage(
            query_id=query.id, at=_now(), author_id=actor.user_id, author=actor.email, kind=kind, text=text
        )
    )


def _audit(session: Session, actor: Actor, record: Record, query: DataQuery, action: str, text: str) -> None:
    audit.append(
        session,
        actor,
        action,
        record_id=record.record_id,
        form=query.form,
        instance=query.instance,
        changes=[{"field": query.field, "query": query.id, "status": query.status, "text": text}],
    )


def check_target(session: Session, study: CompiledStudy, record: Record, form: str, instance: int) -> None:
    """A query names an instance that exists (a once-form's only one, even before it is saved)."""
    form_state(study, load_patient(session, study, record), form, instance)  # NotFound if not


def open_query(
    session: Session,
    actor: Actor,
    record: Record,
    form: str,
    instance: int,
    field: str | None,
    text: str,
    *,
    origin: str = "monitor",
    code: str | None = None,
) -> DataQuery:
    now = _now()
    query = DataQuery(
        record_pk=record.id,
        form=form,
        instance=instance,
        field=field,
        status="open",
        origin=origin,
        code=code,
        opened_at=now,
        opened_by=actor.user_id,
        updated_at=now,
    )
    session.add(query)
    session.flush()
    _add_message(session, query, actor, "open", text)
    _audit(session, actor, record, query, "query_opened", text)
    return query


def _scoped(actor: Actor) -> Select[DataQuery, str, str]:
    records = visible_records(actor).subquery()
    return (
        select(DataQuery, records.c.record_id, Site.code)
        .join(records, DataQuery.record_pk == records.c.id)
        .join(Site, Site.id == records.c.site_id)
    )


def get_query(session: Session, actor: Actor, query_id: int) -> QueryView:
    row = session.execute(_scoped(actor).where(DataQuery.id == query_id)).first()
    if row is None:
        raise NotFound(f"no query {query_id}")
    messages = list(
        session.scalars(
            select(QueryMessage).where(QueryMessage.query_id == query_id).order_by(QueryMessage.id)
        )
    )
    return QueryView(row[0], row[1], row[2], messages)


def list_queries(
    session: Session,
    actor: Actor,
    *,
    site: str | None = None,
    status: str | None = None,
    record_id: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[QueryView]:
    query = _scoped(actor)
    if site:
        query = query.where(Site.code == site)
    if status:
        query = query.where(DataQuery.status == status)
    if record_id:
        query = query.where(DataQuery.record_pk.in_(select(Record.id).where(Record.record_id == record_id)))
    rows = session.execute(query.order_by(DataQuery.id).limit(limit).offset(offset)).all()
    return [QueryView(q, rid, code, []) for q, rid, code in rows]


def count_open_by_record(session: Session, actor: Actor, record_pks: list[int]) -> dict[int, int]:
    query = (
        select(DataQuery.record_pk, func.count())
        .where(DataQuery.record_pk.in_(record_pks), DataQuery.status.in_(OPEN_STATES))
        .group_by(DataQuery.record_pk)
    )
    return {pk: n for pk, n in session.execute(query).all()}


TRANSITIONS = {
    "answer": (frozenset({Role.site_manager}), ("open", "answered"), "answered"),
    "close": (frozenset({Role.monitor}), ("open", "answered"), "closed"),
    "cancel": (frozenset({Role.monitor}), ("open", "answered"), "cancelled"),
    "reopen": (frozenset({Role.monitor}), ("closed", "answered"), "open"),
}


def check_can_open(actor: Actor) -> None:
    """Queries are opened by monitors (warning checks open theirs through open_for_warnings)."""
    if actor.role != Role.monitor:
        raise Forbidden("only monitors open queries")


def allowed_actions(role: str, status: str) -> list[str]:
    """What a role may do to a query in this status (answer, close, cancel, reopen)."""
    return [
        action for action, (roles, sources, _) in TRANSITIONS.items() if role in roles and status in sources
    ]


def transition(session: Session, actor: Actor, query_id: int, action: str, text: str) -> QueryView:
    """Answer (site data manager), close, cancel or reopen (monitor) a query, with a message; as in
    REDCap, a monitor may close one without a word."""
    roles, sources, target = TRANSITIONS[action]
    view = get_query(session, actor, query_id)
    if actor.role not in roles:
        raise Forbidden(f"a {actor.role} cannot {action} a query")
    if view.query.status not in sources:
        raise Conflict(f"query {query_id} is {view.query.status}: it cannot be {action}ed")
    if not text.strip() and action != "close":
        raise ValidationFailed(
            f"a message is required to {action} a query",
            errors=[{"field": "text", "code": "required", "message": "a message is required"}],
        )
    record = session.scalar(select(Record).where(Record.id == view.query.record_pk))
    assert record is not None
    view.query.status = target
    view.query.updated_at = _now()
    _add_message(session, view.query, actor, action, text)
    _audit(session, actor, record, view.query, f"query_{target}", text)
    session.flush()
    return get_query(session, actor, query_id)
