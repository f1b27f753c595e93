"""The dashboard's numbers: one page of patients with a status per form, and progress for the selection.

A fixed number of queries whatever the page size (the page, its statuses in one grouped query, its open
queries) plus three aggregates over the whole selection; all of it starts from `visible_records`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from app.auth.actor import Actor
from app.forms.model import CompiledStudy
from app.models import DataQuery, FormData, Record, Site
from app.queries.service import OPEN_STATES, count_open_by_record
from app.records.scope import visible_records

PAGE_SIZE = 50
# The least advanced instance speaks for a repeating form: what still needs work shows first.
RANK = {"incomplete": 0, "complete": 1, "verified": 2, "locked": 3}
DONE = ("complete", "verified", "locked")


@dataclass
class Cell:
    status: str = "empty"
    count: int = 0

    def add(self, status: str, count: int) -> None:
        if self.count == 0 or RANK[status] < RANK[self.status]:
            self.status = status
        self.count += count


@dataclass
class PatientRow:
    record_id: str
    site: str
    cells: dict[str, Cell]
    open_queries: int


@dataclass
class Progress:
    patients: int = 0
    by_status: dict[str, int] = field(default_factory=lambda: dict.fromkeys(RANK, 0))
    once_done: int = 0
    once_total: int = 0
    queries: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OPEN_STATES, 0))

    @property
    def percent(self) -> int:
        return round(100 * self.once_done / self.once_total) if self.once_total else 0


@dataclass
class Dashboard:
    rows: list[PatientRow]
    page: int
    pages: int
    progress: Progress
    sites: list[tuple[str, str]]


def shown_status(status: str, locked: bool) -> str:
    return "locked" if locked else status


PSEUDONYM_PREFIX = 8  # a shorter search is a study ID's digits, not a pseudonym


def selection(actor: Actor, site: str | None, search: str) -> Select[Record]:
    query = visible_records(actor)
    if site and not actor.is_site_bound:
        query = query.where(Record.site_id.in_(select(Site.id).where(Site.code == site)))
    text = search.strip()
    if text:
        matches = Record.record_id.contains(text.upper(), autoescape=True)
        if len(text) >= PSEUDONYM_PREFIX:
            # A site finds a patient from its own linkage file: MRN -> pseudonym -> study ID.
            pseudonym = func.lower(Record.site_pseudonym)
            matches = or_(matches, pseudonym.startswith(text.lower(), autoescape=True))
        query = query.where(matches)
    return query


def load_dashboard(
    session: Session, study: CompiledStudy, actor: Actor, *, site: str | None, search: str, page: int
) -> Dashboard:
    query = selection(actor, site, search)
    progress = _progress(session, study, query)
    pages = max(1, -(-progress.patients // PAGE_SIZE))
    page = min(max(page, 1), pages)
    records = list(
        session.scalars(query.order_by(Record.id.desc()).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE))
    )
    sites = list(session.execute(select(Site.id, Site.code, Site.name).order_by(Site.code)))
    codes = {site_id: code for site_id, code, _ in sites}
    cells = _cells(session, [r.id for r in records])
    queries = count_open_by_record(session, actor, [r.id for r in records])
    rows = [
        PatientRow(r.record_id, codes[r.site_id], cells.get(r.id, {}), queries.get(r.id, 0)) for r in records
    ]
    choices = [] if actor.is_site_bound else [(code, name) for _, code, name in sites]
    return Dashboard(rows, page, pages, progress, choices)


def _cells(session: Session, pks: list[int]) -> dict[int, dict[str, Cell]]:
    locked = FormData.locked_at.is_not(None).label("locked")
    rows = session.execute(
        select(FormData.record_pk, FormData.form, FormData.status, locked, func.count())
        .where(FormData.record_pk.in_(pks), FormData.deleted_at.is_(None))
        .group_by(FormData.record_pk, FormData.form, FormData.status, locked)
    )
    cells: dict[int, dict[str, Cell]] = {}
    for pk, form, status, is_locked, count in rows:
        cells.setdefault(pk, {}).setdefault(form, Cell()).add(shown_status(status, is_locked), count)
    return cells


def _progress(session: Session, study: CompiledStudy, query: Select[Record]) -> Progress:
    ids = query.with_only_columns(Record.id)
    progress = Progress(patients=session.scalar(select(func.count()).select_from(ids.subquery())) or 0)
    once = {name for name, cform in study.forms.items() if not cform.repeating}
    progress.once_total = progress.patients * len(once)
    locked = FormData.locked_at.is_not(None).label("locked")
    statuses = session.execute(
        select(FormData.form, FormData.status, locked, func.count())
        .where(FormData.record_pk.in_(ids), FormData.deleted_at.is_(None))
        .group_by(FormData.form, FormData.status, locked)
    )
    for form, status, is_locked, count in statuses:
        shown = shown_status(status, is_locked)
        progress.by_status[shown] = progress.by_status.get(shown, 0) + count
        if form in once and shown in DONE:
            progress.once_done += count
    open_queries = session.execute(
        select(DataQuery.status, func.count())
        .where(DataQuery.record_pk.in_(ids), DataQuery.status.in_(OPEN_STATES))
        .group_by(DataQuery.status)
    )
    progress.queries.update({status: count for status, count in open_queries})
    return progress
