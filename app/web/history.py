"""Who changed what, when and why: a patient's audit events, optionally for one form, entry or field."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy import select

from app.core.deps import SessionDep, StudyDep
from app.forms.model import CompiledStudy
from app.models import AuditEvent
from app.records.scope import get_record
from app.web.auth import ReadActor, check_csrf
from app.web.display import show_value
from app.web.formview import form_urls
from app.web.htmlroute import HtmlRoute
from app.web.i18n import TEXTS, Translator
from app.web.render import page

router = APIRouter(route_class=HtmlRoute, dependencies=[Depends(check_csrf)], include_in_schema=False)


@dataclass
class Change:
    at: datetime
    who: str
    role: str
    action: str
    where: str
    field: str
    old: str
    new: str
    reason: str


def _known(t: Translator, key: str, fallback: str) -> str:
    return t(key) if key in TEXTS else fallback


def _values(
    study: CompiledStudy, event: AuditEvent, change: dict[str, Any], t: Translator
) -> tuple[str, str, str]:
    """The field's label and the old and new values as people read them."""
    name = change.get("field")
    if name == "_status":
        old, new = change.get("old"), change.get("new")
        return t("status"), t(f"status_{old}") if old else "", t(f"status_{new}") if new else ""
    cform = study.forms.get(event.form or "")
    cfield = cform.fields.get(str(name)) if cform is not None else None
    label = t.label(cfield.spec.label) if cfield is not None else str(name or "")
    if "query" in change:  # a query on the whole form names no field
        return label if name else t("whole_form"), "", str(change.get("text", ""))
    old, new = (None if v is None else str(v) for v in (change.get("old"), change.get("new")))
    return label, show_value(study, cfield, old, t), show_value(study, cfield, new, t)


def changes_of(
    study: CompiledStudy, events: list[AuditEvent], field: str | None, t: Translator
) -> list[Change]:
    found = []
    for event in events:
        entries = [c for c in event.changes if field is None or c.get("field") == field]
        if field is not None and not entries:
            continue
        cform = study.forms.get(event.form or "")
        where = t.label(cform.spec.label) if cform is not None else ""
        if cform is not None and cform.repeating and event.instance is not None:
            where += f" · {t('entry_n', n=event.instance)}"
        for change in entries or [{}]:
            label, old, new = _values(study, event, change, t) if change else ("", "", "")
            found.append(
                Change(
                    event.at,
                    event.actor,
                    _known(t, f"role_{event.role}", event.role),
                    _known(t, f"audit_{event.action}", event.action),
                    where,
                    label,
                    old,
                    new,
                    event.reason or "",
                )
            )
    return found


@router.get("/records/{record_id}/history")
def history(
    request: Request,
    record_id: str,
    session: SessionDep,
    study: StudyDep,
    actor: ReadActor,
    form: Annotated[str | None, Query(max_length=64)] = None,
    instance: int | None = None,
    field: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    t = Translator(actor.language)
    record = get_record(session, actor, record_id)
    query = select(AuditEvent).where(AuditEvent.record_id == record.record_id)
    if form:
        query = query.where(AuditEvent.form == form)
    if instance is not None:
        query = query.where(AuditEvent.instance == instance)
    events = list(session.scalars(query.order_by(AuditEvent.id.desc())))
    cform = study.forms.get(form or "")
    back = form_urls(record_id, cform, instance or 1, False).form if cform is not None else None
    cfield = cform.fields.get(field or "") if cform is not None else None
    title = t("history_of_field", field=t.label(cfield.spec.label)) if cfield else t("history_title")
    return page(
        request,
        "history.html",
        title=title,
        record_id=record_id,
        changes=changes_of(study, events, field, t),
        back=back,
        form_label=t.label(cform.spec.label) if cform is not None else None,
    )
