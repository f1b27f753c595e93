"""Data queries on the pages: the list per site, one query's thread, opening one on a field, answering it.

Monitors open, close, cancel and reopen; the site's data manager answers (queries.service decides).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.auth.actor import Actor
from app.core.database import INT_MAX
from app.core.deps import RowId, SessionDep, StudyDep
from app.core.errors import NotFound
from app.forms.model import CField, CForm, CompiledStudy
from app.models import DataQuery, Record, Site
from app.queries import service
from app.records.scope import get_record, visible_records
from app.records.service import form_of, read_form
from app.web.auth import ReadActor, WebActor, check_csrf
from app.web.display import field_labels, show_value
from app.web.formview import form_urls
from app.web.htmlroute import HtmlRoute
from app.web.i18n import Translator
from app.web.posted import Posted, text_of
from app.web.render import page, redirect, set_flash

router = APIRouter(route_class=HtmlRoute, dependencies=[Depends(check_csrf)], include_in_schema=False)
LIST_LIMIT = 500


def _counts(session: Session, actor: Actor, site: str | None) -> dict[str, int]:
    records = visible_records(actor)
    if site:
        records = records.where(Record.site_id.in_(select(Site.id).where(Site.code == site)))
    rows = session.execute(
        select(DataQuery.status, func.count())
        .where(DataQuery.record_pk.in_(records.with_only_columns(Record.id)))
        .group_by(DataQuery.status)
    )
    return {**dict.fromkeys(service.STATUSES, 0), **{status: count for status, count in rows}}


BUTTON_TEXT = {"answer": "answer", "close": "close_query", "cancel": "cancel_query", "reopen": "reopen_query"}


@router.get("/queries")
def query_list(
    request: Request,
    session: SessionDep,
    study: StudyDep,
    actor: ReadActor,
    site: Annotated[str | None, Query(max_length=10)] = None,
    status: Annotated[str | None, Query(max_length=16)] = None,
    record_id: Annotated[str | None, Query(max_length=32)] = None,
) -> Response:
    t = Translator(actor.language)
    site = site if site and not actor.is_site_bound else None
    status = status if status in service.STATUSES else None
    views = service.list_queries(
        session, actor, site=site, status=status, record_id=record_id or None, limit=LIST_LIMIT
    )
    sites = (
        [] if actor.is_site_bound else list(session.execute(select(Site.code, Site.name).order_by(Site.code)))
    )
    labels = {name: t.label(cform.spec.label) for name, cform in study.forms.items()}
    return page(
        request,
        "queries.html",
        fields=field_labels(study, t),
        title=t("queries_title"),
        views=list(reversed(views)),
        counts=_counts(session, actor, site),
        statuses=service.STATUSES,
        sites=sites,
        site=site or "",
        status_filter=status or "",
        record_id=record_id or "",
        labels=labels,
    )


@router.get("/queries/{query_id}")
def query_page(
    request: Request, query_id: RowId, session: SessionDep, study: StudyDep, actor: ReadActor
) -> Response:
    t = Translator(actor.language)
    view = service.get_query(session, actor, query_id)
    query = view.query
    cform = form_of(study, query.form)
    cfield = cform.fields.get(query.field or "")
    state = read_form(
        session, study, actor, view.record_id, query.form, query.instance if cform.repeating else None
    )
    value = show_value(study, cfield, state.data.get(cfield.name), t) if cfield is not None else ""
    buttons = [(action, BUTTON_TEXT[action]) for action in service.allowed_actions(actor.role, query.status)]
    return page(
        request,
        "query.html",
        title=t("query_n", n=query.id),
        view=view,
        form_label=t.label(cform.spec.label),
        field_label=t.label(cfield.spec.label) if cfield is not None else t("whole_form"),
        value=value,
        form_url=form_urls(view.record_id, cform, query.instance, False).form,
        buttons=buttons,
    )


@router.post("/queries/{query_id}/{action}")
def act_on_query(
    request: Request, query_id: RowId, action: str, posted: Posted, session: SessionDep, actor: WebActor
) -> Response:
    if action not in ("answer", "close", "cancel", "reopen"):
        raise NotFound(f"no query action '{action}'")
    text = text_of(posted, "text")
    if not text and action != "close":  # as in REDCap, a monitor may close a query without a word
        set_flash(request, "text_required", "error")
        return redirect(request, f"/queries/{query_id}")
    service.transition(session, actor, query_id, action, text[:4000])
    set_flash(request, f"query_done_{action}")
    return redirect(request, f"/queries/{query_id}")


@router.get("/records/{record_id}/queries/new")
def new_query(
    request: Request,
    record_id: str,
    session: SessionDep,
    study: StudyDep,
    actor: ReadActor,
    form: Annotated[str, Query(max_length=64)],
    instance: Annotated[int, Query(ge=1, le=INT_MAX)] = 1,
    field: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    t = Translator(actor.language)
    get_record(session, actor, record_id)
    cform, cfield = _target(study, actor, form, field)
    return page(
        request,
        "query_new.html",
        title=t("open_query"),
        record_id=record_id,
        form=form,
        instance=instance,
        field=field or "",
        form_label=t.label(cform.spec.label),
        field_label=t.label(cfield.spec.label) if cfield is not None else t("whole_form"),
        form_url=form_urls(record_id, cform, instance, False).form,
    )


def _target(study: CompiledStudy, actor: Actor, form: str, field: str | None) -> tuple[CForm, CField | None]:
    service.check_can_open(actor)
    cform = form_of(study, form)
    if field and field not in cform.fields:
        raise NotFound(f"form '{form}' has no variable '{field}'")
    return cform, cform.fields.get(field) if field else None


@router.post("/records/{record_id}/queries")
def open_query(
    request: Request, record_id: str, posted: Posted, session: SessionDep, study: StudyDep, actor: WebActor
) -> Response:
    form, field, text = text_of(posted, "form"), text_of(posted, "field") or None, text_of(posted, "text")
    number = text_of(posted, "instance")
    instance = int(number) if number.isdigit() and int(number) <= INT_MAX else 1
    record = get_record(session, actor, record_id)
    cform, _ = _target(study, actor, form, field)
    url = form_urls(record_id, cform, instance, False).form
    if not text:
        set_flash(request, "text_required", "error")
        where = urlencode({"form": form, "instance": instance, "field": field or ""})
        return redirect(request, f"/records/{record_id}/queries/new?{where}")
    service.check_target(session, study, record, form, instance)
    service.open_query(session, actor, record, form, instance, field, text[:4000])
    set_flash(request, "query_opened")
    return redirect(request, url)
