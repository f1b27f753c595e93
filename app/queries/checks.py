"""Queries that checks keep: opened by a warning, reopened when it fires again, answered when it passes.

Every save of form instances hands over what it checked (`Checked`); one look-up of the patients'
queries, then one statement per table for whatever opens, reopens or is answered, however many
instances (a single save passes one or two, a bulk upload a chunk of patients' worth). A query is
only reopened or answered by a save that changed a field its check reads: a save elsewhere in the
form says nothing about it, and the site's own answer stands until the data change. So does a
monitor's close: a check that still fires on unchanged data opens nothing new, and it reopens the
closed query only when a save changes what the check reads.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.auth.actor import Actor
from app.core.database import insert_rows
from app.forms.engine import Issue
from app.forms.labels import label_in
from app.models import DataQuery, QueryMessage, Record

_QUERIES = cast(Table, DataQuery.__table__)
_MESSAGES = cast(Table, QueryMessage.__table__)

RESOLVED = {
    "en": "Answered automatically: the data were changed and the check now passes.",
    "es": "Respondida automáticamente: los datos se han cambiado y la comprobación ya se cumple.",
}
FIRES_AGAIN = {
    "en": "Reopened automatically: the data were changed and the check fails again: {message}",
    "es": "Reabierta automáticamente: los datos se han cambiado y la comprobación vuelve a fallar: {message}",
}

# Built once: every save of a form instance runs it.
_KNOWN = select(
    DataQuery.id,
    DataQuery.record_pk,
    DataQuery.form,
    DataQuery.instance,
    DataQuery.field,
    DataQuery.code,
    DataQuery.status,
    DataQuery.origin,
).where(
    DataQuery.record_pk.in_(bindparam("pks", expanding=True)),
    DataQuery.origin == "check",
)


# What a recalculation checks on the instances it changes: the ranges of their calculated fields.
RANGE_CHECKS: Mapping[str, frozenset[str]] = {"soft_range": frozenset()}


@dataclass(frozen=True, slots=True)
class Checked:
    """One saved form instance: what the save changed in it and what the checks said."""

    record: Record
    form: str
    instance: int
    warnings: tuple[Issue, ...]  # every warning of the save, this form's and other forms'
    # The checks that ran on this instance, by code, with the fields each reads (a range check reads
    # the field it is on, so none are listed for `soft_range`).
    checks: Mapping[str, frozenset[str]] = field(default_factory=dict)
    changed: frozenset[str] = frozenset()  # fields whose stored value changed

    def touched(self, code: str | None, name: str | None) -> bool:
        """Whether this save changed what the check `code` on field `name` reads."""
        if code == "soft_range":
            return name in self.changed
        return code is not None and bool(self.checks.get(code, frozenset()) & self.changed)


@dataclass
class _Plan:
    opening: list[tuple[Checked, Issue, str, int]] = field(default_factory=list)
    reopening: list[tuple[int, Checked, Issue]] = field(default_factory=list)
    answering: list[tuple[int, Checked, str | None]] = field(default_factory=list)


def sync_check_queries(session: Session, actor: Actor, checked: list[Checked]) -> tuple[int, int]:
    """Open, reopen and answer the queries of the checks these saves ran: (opened, answered)."""
    if not checked:
        return 0, 0
    with session.no_autoflush:
        rows = session.execute(_KNOWN, {"pks": list({c.record.id for c in checked})}).all()
    plan = _plan(checked, rows)
    now = _now()
    opened = _open(session, actor, now, plan.opening)
    if plan.reopening:
        _set_status(session, [qid for qid, _, _ in plan.reopening], "open", now)
    if plan.answering:
        _set_status(session, [qid for qid, _, _ in plan.answering], "answered", now)
    reopened = [(qid, _fires_again(issue)) for qid, _, issue in plan.reopening]
    _insert_messages(session, actor, now, "reopen", reopened)
    _insert_messages(session, actor, now, "answer", [(qid, RESOLVED) for qid, _, _ in plan.answering])
    entries = [
        *(
            _entry("query_opened", qid, c, form, instance, i.field, "open", texts, actor)
            for qid, (c, i, form, instance), texts in opened
        ),
        *(
            _entry("query_open", qid, c, c.form, c.instance, i.field, "open", texts, actor)
            for (qid, c, i), (_, texts) in zip(plan.reopening, reopened, strict=True)
        ),
        *(
            _entry("query_answered", qid, c, c.form, c.instance, name, "answered", RESOLVED, actor)
            for qid, c, name in plan.answering
        ),
    ]
    audit.append_many(session, actor, entries)
    return len(opened), len(plan.answering)


Row = tuple[int, int, str, int, str | None, str | None, str, str]  # as _KNOWN selects them


def _plan(checked: list[Checked], rows: Sequence[Row]) -> _Plan:
    plan = _Plan()
    # A check's key may have several queries, ended ones and at most one still in play: that one
    # counts, else the latest ended one.
    rank = {"open": 2, "answered": 1}
    known: dict[tuple[int, str, int, str | None, str | None], tuple[int, str, str]] = {}
    for qid, pk, form, number, name, code, status, origin in sorted(
        rows, key=lambda r: (rank.get(r[6], 0), r[0])
    ):
        known[(pk, form, number, name, code)] = (qid, status, origin)
    saved = {(c.record.id, c.form, c.instance): c for c in checked}
    firing: set[tuple[int, str, int, str | None, str]] = set()
    for c in checked:
        for issue in c.warnings:
            form = issue.form or c.form
            instance = issue.instance if issue.instance is not None else c.instance
            key = (c.record.id, form, instance, issue.field, issue.code)
            firing.add(key)
            found = known.get(key)
            if found is None:
                known[key] = (0, "open", "check")  # opened once, however many saves in the batch raise it
                plan.opening.append((c, issue, form, instance))
            elif found[0] and (form, instance) == (c.form, c.instance) and c.touched(issue.code, issue.field):
                # The data changed and the check fails again: an answer or a close no longer covers
                # it. A cancelled query (raised in error) is not brought back: a new one opens.
                if found[1] in ("answered", "closed"):
                    plan.reopening.append((found[0], c, issue))
                    known[key] = (found[0], "open", found[2])
                elif found[1] == "cancelled":
                    plan.opening.append((c, issue, form, instance))
                    known[key] = (0, "open", "check")
    for (pk, form, instance, name, code), (qid, status, origin) in known.items():
        save = saved.get((pk, form, instance))
        if (
            save is not None
            and qid
            and status == "open"
            and origin == "check"
            and code in save.checks
            and (pk, form, instance, name, code) not in firing
            and save.touched(code, name)
        ):
            plan.answering.append((qid, save, name))
    return plan


def _open(
    session: Session, actor: Actor, now: datetime, opening: list[tuple[Checked, Issue, str, int]]
) -> list[tuple[int, tuple[Checked, Issue, str, int], dict[str, str]]]:
    if not opening:
        return []
    rows = [
        {
            "record_pk": c.record.id,
            "form": form,
            "instance": instance,
            "field": issue.field,
            "status": "open",
            "origin": "check",
            "code": issue.code,
            "opened_at": now,
            "opened_by": actor.user_id,
            "updated_at": now,
        }
        for c, issue, form, instance in opening
    ]
    ids = session.scalars(insert(_QUERIES).returning(_QUERIES.c.id, sort_by_parameter_order=True), rows).all()
    opened = [(qid, item, dict(item[1].message)) for qid, item in zip(ids, opening, strict=True)]
    _insert_messages(session, actor, now, "open", [(qid, texts) for qid, _, texts in opened])
    return opened


def _fires_again(issue: Issue) -> dict[str, str]:
    return {
        lang: FIRES_AGAIN[lang].format(message=text)
        for lang, text in issue.message.items()
        if lang in FIRES_AGAIN
    }


def _set_status(session: Session, ids: list[int], status: str, now: datetime) -> None:
    session.execute(
        update(DataQuery).where(DataQuery.id.in_(ids)).values(status=status, updated_at=now),
        execution_options={"synchronize_session": False},
    )


def _insert_messages(
    session: Session, actor: Actor, now: datetime, kind: str, messages: list[tuple[int, dict[str, str]]]
) -> None:
    """One INSERT for a message the platform wrote on each of many queries: in the actor's language,
    and in every language, so that each reader sees their own."""
    if not messages:
        return
    rows = [
        {
            "query_id": qid,
            "at": now,
            "author_id": actor.user_id,
            "author": actor.email,
            "kind": kind,
            "text": label_in(texts, actor.language),
            "texts": texts,
        }
        for qid, texts in messages
    ]
    insert_rows(session, _MESSAGES, rows)


def _entry(
    action: str,
    qid: int,
    c: Checked,
    form: str,
    instance: int,
    name: str | None,
    status: str,
    texts: dict[str, str],
    actor: Actor,
) -> audit.Entry:
    change = {"field": name, "query": qid, "status": status, "text": label_in(texts, actor.language)}
    return audit.Entry(action, c.record.record_id, form, instance, [change])


def _now() -> datetime:
    return datetime.now(UTC)
