"""Storing planned form changes: one INSERT and one UPDATE for all the rows, one for their audit events.

`service.plan_save` (and the workflow's `plan_status`) decide what changes, in memory; `write` is the
only code that writes `form_data`. A single save from a page or the API passes one change, a bulk upload
a few thousand: both take the same statements, executed once per batch instead of once per row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, bindparam, update
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.auth.actor import Actor
from app.core.database import insert_rows
from app.core.errors import PreconditionFailed
from app.models import FormData, Record
from app.records.patient import StoredForm

_TABLE = cast(Table, FormData.__table__)
_VALUES = (
    "data",
    "status",
    "version",
    "locked_at",
    "definition_version",
    "updated_at",
    "deleted_at",
    "deleted_reason",
)


@dataclass(slots=True)
class FormChange:
    """One audited change of one form instance: the row as it is after the change, and why."""

    record: Record
    row: StoredForm
    action: str
    changes: list[dict[str, Any]]
    reason: str | None
    created: bool
    # The version the change was planned on: if the stored row moved on meanwhile, the write fails.
    base_version: int

    def entry(self) -> audit.Entry:
        # A form's changes are field diffs of canonical texts: plain JSON by construction.
        return audit.Entry(
            self.action,
            self.record.record_id,
            self.row.form,
            self.row.instance,
            self.changes,
            self.reason,
            plain_changes=True,
        )


def write(session: Session, actor: Actor, changes: Sequence[FormChange]) -> None:
    """Store the final state of every changed row and one audit event per change, in order."""
    final: dict[tuple[int, str, int], tuple[FormChange, FormChange]] = {}
    for change in changes:
        key = (change.record.id, change.row.form, change.row.instance)
        first = final[key][0] if key in final else change
        final[key] = (first, change)
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for (pk, form, instance), (first, last) in final.items():
        values = {name: getattr(last.row, name) for name in _VALUES}
        values["updated_by"] = actor.user_id
        if first.created:
            inserts.append({"record_pk": pk, "form": form, "instance": instance, **values})
        else:
            keys = {"k_pk": pk, "k_form": form, "k_instance": instance, "k_version": first.base_version}
            updates.append(keys | values)
    if inserts:
        insert_rows(session, _TABLE, inserts)
    if updates:
        _update(session, updates)
    audit.append_many(session, actor, (change.entry() for change in changes))


# Built once: composing the statement costs more than SQLite takes to run it for one row.
_UPDATE = (
    update(_TABLE)
    .where(
        _TABLE.c.record_pk == bindparam("k_pk"),
        _TABLE.c.form == bindparam("k_form"),
        _TABLE.c.instance == bindparam("k_instance"),
        # Optimistic check: two writers who read the same version cannot both store.
        _TABLE.c.version == bindparam("k_version"),
    )
    .values({name: bindparam(name) for name in (*_VALUES, "updated_by")})
)


def _update(session: Session, updates: list[dict[str, Any]]) -> None:
    result = session.connection().execute(_UPDATE, updates)
    dialect = session.get_bind().dialect
    sane = dialect.supports_sane_multi_rowcount if len(updates) > 1 else dialect.supports_sane_rowcount
    if sane and result.rowcount != len(updates):
        raise PreconditionFailed(
            "a form was changed by someone else while this change was being saved: reload and try again"
        )
