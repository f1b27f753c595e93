"""Site scoping, in one place: every query for records goes through `visible_records`.

Site roles see their own site only; monitors and coordinators see every site; admins manage users
and tokens and see no patient data. A patient outside the caller's scope is reported as not found,
exactly as if it did not exist.
"""

from __future__ import annotations

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session

from app.auth.actor import Actor, Role
from app.core.errors import Forbidden, NotFound
from app.models import Record

READERS = frozenset({Role.site_entry, Role.site_manager, Role.monitor, Role.coordinator})


def _check_reader(actor: Actor) -> None:
    if actor.role not in READERS:
        raise Forbidden(f"the role '{actor.role}' has no access to patient data")


def visible_records(actor: Actor) -> Select[Record]:
    _check_reader(actor)
    query = select(Record).where(Record.deleted_at.is_(None))
    if actor.is_site_bound:
        query = query.where(Record.site_id == actor.site_id)
    return query


# `visible_records` for one study ID, built once: every form read and save starts with it, and
# composing the SELECT costs more than running it.
_ONE = select(Record).where(Record.deleted_at.is_(None), Record.record_id == bindparam("record_id"))
_ONE_AT_SITE = _ONE.where(Record.site_id == bindparam("site_id"))


def get_record(session: Session, actor: Actor, record_id: str, *, for_update: bool = False) -> Record:
    _check_reader(actor)
    query = _ONE_AT_SITE if actor.is_site_bound else _ONE
    if for_update:
        query = query.with_for_update()
    record = session.scalar(query, {"record_id": record_id, "site_id": actor.site_id})
    if record is None:
        raise NotFound(f"no patient '{record_id}'")
    return record
