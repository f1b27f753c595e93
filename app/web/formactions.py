"""A form's workflow from the pages: complete, reopen, verify, lock (records.workflow); delete an entry."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from app.auth.actor import Actor
from app.core.deps import SessionDep, StudyDep
from app.core.errors import Conflict, PreconditionFailed, ValidationFailed
from app.forms.model import CompiledStudy
from app.records.service import delete_instance, form_of, read_form
from app.records.workflow import change_status
from app.web.auth import ReadActor, WebActor, check_csrf
from app.web.display import show_value
from app.web.formpage import FORM, show
from app.web.formview import form_urls
from app.web.htmlroute import HtmlRoute
from app.web.i18n import Translator
from app.web.posted import Posted, text_of
from app.web.render import page, redirect, set_flash

router = APIRouter(route_class=HtmlRoute, dependencies=[Depends(check_csrf)], include_in_schema=False)


def _if_match(posted: Posted) -> str | None:
    version = text_of(posted, "_version")
    return f'"{version}"' if version.isdigit() else None


def act(
    request: Request,
    session: Session,
    study: CompiledStudy,
    actor: Actor,
    record_id: str,
    form: str,
    instance: int | None,
    posted: Posted,
) -> Response:
    action = text_of(posted, "_action")
    cform = form_of(study, form)
    here = form_urls(record_id, cform, instance or 1, False).form
    reason = text_of(posted, "_reason") or None
    try:
        change_status(session, study, actor, record_id, form, instance, action, reason, _if_match(posted))
    except ValidationFailed as exc:
        session.rollback()
        if any(e.get("code") == "reason_required" for e in exc.errors or []):
            set_flash(request, "unlock_reason_required", "error")
            return redirect(request, here)
        # Completion checks failed: the page again, with what stands in the way next to the fields.
        set_flash(request, "cannot_complete", "error", n=len(exc.errors or []))
        return show(request, session, study, actor, record_id, form, instance, status=422, errors=exc.errors)
    except PreconditionFailed:
        session.rollback()
        set_flash(request, "stale_action", "error")
        return redirect(request, here)
    except Conflict as exc:
        session.rollback()
        set_flash(request, "action_refused", "error", detail=exc.detail)
        return redirect(request, here)
    set_flash(request, f"done_{action}")
    return redirect(request, here)


@router.post(FORM + "/status")
def status_once(
    request: Request,
    record_id: str,
    form: str,
    posted: Posted,
    session: SessionDep,
    study: StudyDep,
    actor: WebActor,
) -> Response:
    return act(request, session, study, actor, record_id, form, None, posted)


@router.post(FORM + "/{instance}/status")
def status_instance(
    request: Request,
    record_id: str,
    form: str,
    instance: int,
    posted: Posted,
    session: SessionDep,
    study: StudyDep,
    actor: WebActor,
) -> Response:
    return act(request, session, study, actor, record_id, form, instance, posted)


def _delete_page(
    request: Request,
    session: Session,
    study: CompiledStudy,
    actor: Actor,
    record_id: str,
    form: str,
    instance: int,
    status: int = 200,
    problem: str | None = None,
    blocked: list[str] | None = None,
) -> Response:
    t = Translator(actor.language)
    cform = form_of(study, form)
    state = read_form(session, study, actor, record_id, form, instance)
    summary = [
        (t.label(f.spec.label), show_value(study, f, state.data.get(f.name), t))
        for f in cform.inputs
        if state.data.get(f.name)
    ][:6]
    what = f"{t.label(cform.spec.label)} · {t('entry_n', n=instance)}"
    urls = form_urls(record_id, cform, instance, False)
    return page(
        request,
        "delete.html",
        status=status,
        title=t("delete_title", what=what),
        what=what,
        summary=summary,
        state=state,
        urls=urls,
        problem=problem,
        blocked=blocked or [],
    )


@router.get(FORM + "/{instance}/delete")
def confirm_delete(
    request: Request,
    record_id: str,
    form: str,
    instance: int,
    session: SessionDep,
    study: StudyDep,
    actor: ReadActor,
) -> Response:
    return _delete_page(request, session, study, actor, record_id, form, instance)


@router.post(FORM + "/{instance}/delete")
def delete(
    request: Request,
    record_id: str,
    form: str,
    instance: int,
    posted: Posted,
    session: SessionDep,
    study: StudyDep,
    actor: WebActor,
) -> Response:
    reason = text_of(posted, "_reason")
    try:
        delete_instance(session, study, actor, record_id, form, instance, reason, _if_match(posted))
    except ValidationFailed as exc:
        session.rollback()
        t = Translator(actor.language)
        checks = [str(e.get("message", "")) for e in exc.errors or [] if e.get("code") != "reason_required"]
        if checks:  # the record is complete and the deletion would break its completion checks
            return _delete_page(
                request, session, study, actor, record_id, form, instance, 422, blocked=checks
            )
        return _delete_page(
            request, session, study, actor, record_id, form, instance, 422, t("delete_reason_required")
        )
    label = Translator(actor.language).label(form_of(study, form).spec.label)
    set_flash(request, "deleted", n=instance, form=label)
    return redirect(request, f"/records/{record_id}#form-{form}")
