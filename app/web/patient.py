"""A patient's page: the once-forms with their status, and each repeating form as a table of entries."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from app.core.deps import SessionDep, StudyDep
from app.forms.model import CForm, CompiledStudy
from app.models import Site
from app.queries.service import OPEN_STATES, list_queries
from app.records.patient import Patient, load_patient
from app.records.scope import get_record
from app.records.service import WRITERS, state_of
from app.web.auth import ReadActor, check_csrf
from app.web.display import field_labels, show_value
from app.web.grid import shown_status
from app.web.htmlroute import HtmlRoute
from app.web.i18n import Translator
from app.web.render import page

router = APIRouter(route_class=HtmlRoute, dependencies=[Depends(check_csrf)], include_in_schema=False)
COLUMNS = 4


@dataclass
class Entry:
    number: int
    values: list[str]
    status: str
    queries: int


@dataclass
class FormSummary:
    cform: CForm
    label: str
    status: str = "empty"
    queries: int = 0
    columns: list[str] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)


def _columns(cform: CForm) -> list[str]:
    """What identifies an entry at a glance: its key, its calculations, then its first fields."""
    names = list(cform.spec.key) + [c.name for c in cform.calcs if c.name not in cform.spec.key][:3]
    names += [f.name for f in cform.inputs if f.name not in names]
    return names[:COLUMNS]


def _sort_key(patient: Patient, cform: CForm, number: int) -> tuple[bool, object, int]:
    key = cform.spec.key[0] if cform.spec.key else None
    value = patient.data.repeating.get(cform.name, {}).get(number, {}).get(key) if key else None
    return (value is None, value if isinstance(value, int | float) else 0, number)


def summarise(
    study: CompiledStudy, patient: Patient, queries: Counter[tuple[str, int]], t: Translator
) -> list[FormSummary]:
    summaries = []
    for cform in study.forms.values():
        summary = FormSummary(cform, t.label(cform.spec.label))
        if not cform.repeating:
            state = state_of(patient.record, cform.name, 1, patient.row(cform.name, 1))
            summary.status = shown_status(state.status, state.locked)
            summary.queries = queries[(cform.name, 1)]
        else:
            summary.columns = [t.label(cform.fields[name].spec.label) for name in _columns(cform)]
            numbers = [
                n for (form, n), row in patient.rows.items() if form == cform.name and not row.deleted_at
            ]
            for number in sorted(numbers, key=lambda n: _sort_key(patient, cform, n)):
                row = patient.rows[(cform.name, number)]
                values = [show_value(study, cform.fields[c], row.data.get(c), t) for c in _columns(cform)]
                status = shown_status(row.status, row.locked_at is not None)
                summary.entries.append(Entry(number, values, status, queries[(cform.name, number)]))
        summaries.append(summary)
    return summaries


@router.get("/records/{record_id}")
def patient_page(
    request: Request, record_id: str, session: SessionDep, study: StudyDep, actor: ReadActor
) -> Response:
    t = Translator(actor.language)
    record = get_record(session, actor, record_id)
    patient = load_patient(session, study, record)
    site = session.get(Site, record.site_id)
    views = [v for v in list_queries(session, actor, record_id=record_id, limit=1000)]
    open_views = [v for v in views if v.query.status in OPEN_STATES]
    counts = Counter((v.query.form, v.query.instance) for v in open_views)
    forms = summarise(study, patient, counts, t)
    return page(
        request,
        "patient.html",
        title=f"{t('patient')} {record_id}",
        record=record,
        site=site,
        once=[f for f in forms if not f.cform.repeating],
        repeating=[f for f in forms if f.cform.repeating],
        queries=open_views,
        labels={name: t.label(cform.spec.label) for name, cform in study.forms.items()},
        fields=field_labels(study, t),
        can_write=actor.role in WRITERS,
    )
