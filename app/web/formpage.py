"""Data-entry pages: show, save and preview a form instance. Saving calls `records.service.save_form`.

Addresses: a once-form at /records/{id}/forms/{form}; a repeating form's instance at .../{form}/{n} and
a new one at .../{form}/new. A refused save shows the page again with the errors next to the fields and
nothing saved; a stale one (someone saved in between) shows both versions, keeping the user's values.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from app.auth.actor import Actor
from app.core.deps import SessionDep, StudyDep
from app.core.errors import DomainError, NotFound, PreconditionFailed, ValidationFailed
from app.forms.model import CForm, CompiledStudy
from app.records.patient import Patient, load_patient
from app.records.scope import get_record
from app.records.service import FormState, form_of, form_state, save_form, state_of
from app.records.workflow import change_status, plan_status
from app.web.auth import ReadActor, WebActor, check_csrf
from app.web.evaluation import evaluate, issues_from_errors, raw_from_post, raw_from_stored
from app.web.formview import build_form_page, conflict_rows, field_queries, form_urls
from app.web.htmlroute import HtmlRoute
from app.web.i18n import Translator
from app.web.posted import Posted, text_of
from app.web.render import json_response, page, redirect, set_flash

router = APIRouter(route_class=HtmlRoute, dependencies=[Depends(check_csrf)], include_in_schema=False)
FORM = "/records/{record_id}/forms/{form}"

COMMA_LANGUAGES = frozenset({"es"})  # page languages whose readers write a decimal comma


def load_instance(
    session: Session,
    study: CompiledStudy,
    actor: Actor,
    record_id: str,
    form: str,
    instance: int | None,
    new: bool = False,
) -> tuple[CForm, Patient, FormState]:
    """The form, the patient and the instance's stored state (empty for a new instance)."""
    cform = form_of(study, form)
    record = get_record(session, actor, record_id)
    patient = load_patient(session, study, record)
    if new:
        return cform, patient, state_of(record, form, patient.next_instance(form), None)
    return cform, patient, form_state(study, patient, form, instance)


def show(
    request: Request,
    session: Session,
    study: CompiledStudy,
    actor: Actor,
    record_id: str,
    form: str,
    instance: int | None,
    *,
    new: bool = False,
    status: int = 200,
    raw: dict[str, object] | None = None,
    errors: list[dict[str, object]] | None = None,
    version: str | None = None,
    reason: str = "",
) -> Response:
    """The page of one instance: stored values, or the values of a refused post with its errors.

    `?check=complete` on the address shows what keeps a stored instance from being marked complete
    (where "Save and mark complete" leads when the checks refuse it), without changing anything."""
    t = Translator(actor.language)
    cform, patient, state = load_instance(session, study, actor, record_id, form, instance, new)
    if errors is None and request.query_params.get("check") == "complete" and state.status == "incomplete":
        try:
            plan_status(study, actor, patient, form, instance, "complete")
        except ValidationFailed as exc:
            errors = exc.errors
        except DomainError:
            pass  # not this user's to complete, or not completable now: the page says so elsewhere
    values = raw if raw is not None else raw_from_stored(cform, state.data)
    evaluation = evaluate(study, cform, values, patient.data, state.instance, t)
    if raw is None and state.status == "empty":
        evaluation.issues = [i for i in evaluation.issues if i.code != "required"]
    queries = field_queries(session, actor, record_id, form, state.instance) if state.version else {}
    form_page = build_form_page(
        study,
        actor,
        cform,
        state,
        values,
        evaluation,
        queries,
        t,
        is_new=new,
        submitted=raw is not None,
        errors=None if errors is None else issues_from_errors(errors, form, t),
    )
    form_page.version = version if version is not None else str(state.version)
    form_page.reason = reason
    if status == 409:
        form_page.conflict = conflict_rows(study, cform, state.data, evaluation.canonical, t)
        form_page.version = str(state.version)
    return page(request, "form.html", status=status, form=form_page, title=form_page.title)


def save(
    request: Request,
    session: Session,
    study: CompiledStudy,
    actor: Actor,
    record_id: str,
    form: str,
    instance: int | None,
    posted: Posted,
    new: bool = False,
) -> Response:
    cform = form_of(study, form)
    raw = raw_from_post(cform, posted, decimal_comma=actor.language in COMMA_LANGUAGES)
    version, reason = text_of(posted, "_version"), text_of(posted, "_reason")
    try:
        outcome = save_form(
            session,
            study,
            actor,
            record_id,
            form,
            instance,
            raw,
            reason=reason or None,
            if_match=f'"{version}"' if version.isdigit() else None,
            new_instance=new,
        )
    except ValidationFailed as exc:
        session.rollback()  # a refused save leaves no trace, whatever the service had begun
        return show(
            request,
            session,
            study,
            actor,
            record_id,
            form,
            instance,
            new=new,
            status=422,
            raw=raw,
            errors=exc.errors,
            version=version,
            reason=reason,
        )
    except PreconditionFailed:
        session.rollback()
        return show(
            request,
            session,
            study,
            actor,
            record_id,
            form,
            instance,
            new=new,
            status=409,
            raw=raw,
            reason=reason,
        )
    if text_of(posted, "_then") == "complete" and outcome.state.status == "incomplete":
        return _complete_after_save(request, session, study, actor, record_id, form, outcome.state.instance)
    if outcome.unchanged:
        set_flash(request, "no_changes", "info")
    elif any(c["field"] == "_status" and c["old"] == "verified" for c in outcome.changes):
        set_flash(request, "saved_verification_withdrawn", "warn")
    elif outcome.queries_opened:
        set_flash(request, "saved_with_queries", "warn", n=outcome.queries_opened)
    elif outcome.queries_answered:
        set_flash(request, "saved_queries_answered", n=outcome.queries_answered)
    elif missing := sum(1 for w in outcome.warnings if w.code == "required"):
        set_flash(request, "saved_still_missing", "warn", n=missing)
    else:
        set_flash(request, "saved")
    return redirect(request, form_urls(record_id, cform, outcome.state.instance, False).form)


def _complete_after_save(
    request: Request,
    session: Session,
    study: CompiledStudy,
    actor: Actor,
    record_id: str,
    form: str,
    instance: int,
) -> Response:
    """ "Save and mark complete": the save stands whatever the completion checks say (as in REDCap,
    where a form is saved with its status); what keeps it from being complete is shown on the page."""
    cform = form_of(study, form)
    number = instance if cform.repeating else None
    here = form_urls(record_id, cform, instance, False).form
    try:
        change_status(session, study, actor, record_id, form, number, "complete")
    except ValidationFailed as exc:  # nothing of the status change was stored: the save commits alone
        set_flash(request, "saved_not_completed", "warn", n=len(exc.errors or []))
        # A page of its own (not this POST's answer, which a reload would send again), showing why.
        return redirect(request, f"{here}?check=complete")
    set_flash(request, "saved_and_completed")
    return redirect(request, here)


def _existing(instance: int) -> int:
    if instance < 1:
        raise NotFound(f"no instance {instance}: instances are numbered from 1")
    return instance


@router.get(FORM)
def once_form(
    request: Request, record_id: str, form: str, session: SessionDep, study: StudyDep, actor: ReadActor
) -> Response:
    if form_of(study, form).repeating:
        get_record(session, actor, record_id)
        return redirect(request, f"/records/{record_id}#form-{form}")
    return show(request, session, study, actor, record_id, form, None)


@router.post(FORM)
def save_once(
    request: Request,
    record_id: str,
    form: str,
    posted: Posted,
    session: SessionDep,
    study: StudyDep,
    actor: WebActor,
) -> Response:
    return save(request, session, study, actor, record_id, form, None, posted)


@router.post(FORM + "/preview")
def preview(
    request: Request,
    record_id: str,
    form: str,
    posted: Posted,
    session: SessionDep,
    study: StudyDep,
    actor: ReadActor,
    instance: int | None = None,
) -> Response:
    """What the engine makes of the values being typed: hidden fields, calculations, issues (JSON)."""
    cform = form_of(study, form)
    patient = load_patient(session, study, get_record(session, actor, record_id))
    number = instance if instance is not None else patient.next_instance(form) if cform.repeating else 1
    raw = raw_from_post(cform, posted, decimal_comma=actor.language in COMMA_LANGUAGES)
    evaluation = evaluate(study, cform, raw, patient.data, number, Translator(actor.language))
    return json_response(request, evaluation.as_json())


@router.get(FORM + "/new")
def new_instance(
    request: Request, record_id: str, form: str, session: SessionDep, study: StudyDep, actor: ReadActor
) -> Response:
    if not form_of(study, form).repeating:
        return redirect(request, FORM.format(record_id=record_id, form=form))
    return show(request, session, study, actor, record_id, form, None, new=True)


@router.post(FORM + "/new")
def save_new(
    request: Request,
    record_id: str,
    form: str,
    posted: Posted,
    session: SessionDep,
    study: StudyDep,
    actor: WebActor,
) -> Response:
    return save(request, session, study, actor, record_id, form, None, posted, new=True)


@router.get(FORM + "/{instance}")
def instance_form(
    request: Request,
    record_id: str,
    form: str,
    instance: int,
    session: SessionDep,
    study: StudyDep,
    actor: ReadActor,
) -> Response:
    return show(request, session, study, actor, record_id, form, _existing(instance))


@router.post(FORM + "/{instance}")
def save_instance(
    request: Request,
    record_id: str,
    form: str,
    instance: int,
    posted: Posted,
    session: SessionDep,
    study: StudyDep,
    actor: WebActor,
) -> Response:
    return save(request, session, study, actor, record_id, form, _existing(instance), posted)
