"""JSON API for patients and their forms under /api/v1/records. Every write calls records.service."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Response, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.actor import Actor
from app.auth.dependencies import CurrentActor
from app.core.database import INT_MAX
from app.core.deps import SessionDep, StudyDep, run_and_commit
from app.core.problems import PROBLEM_RESPONSES
from app.core.responses import SafeJSONResponse
from app.forms.engine import Issue
from app.forms.model import CompiledStudy
from app.forms.stored import from_stored
from app.forms.values import to_json
from app.models import AuditEvent, FormData, Record, Site
from app.queries.service import count_open_by_record
from app.records import service, workflow
from app.records.schemas import (
    AuditEventOut,
    FormOut,
    FormStatusOut,
    FormWrite,
    IssueOut,
    RecordCreate,
    RecordCreated,
    RecordList,
    RecordOut,
    StatusChange,
)
from app.records.scope import get_record, visible_records
from app.records.service import FormState, SaveOutcome

router = APIRouter(prefix="/api/v1/records", tags=["records"], responses=PROBLEM_RESPONSES)
IfMatch = Annotated[
    str | None, Header(description="The ETag you read; a stale one gets 412 and changes nothing.")
]
Reason = Annotated[str | None, Query(max_length=2000, description="Why the data is deleted (required).")]


def _form_out(
    study: CompiledStudy, state: FormState, outcome: SaveOutcome | None = None, language: str = "en"
) -> FormOut:
    cform = service.form_of(study, state.form)
    typed = from_stored(cform, state.data)
    inputs = {k: to_json(v) for k, v in typed.items() if cform.fields[k].is_input}
    computed = {c.name: to_json(typed.get(c.name)) for c in cform.calcs}
    out = FormOut(
        record_id=state.record_id,
        form=state.form,
        instance=state.instance,
        status=state.status,
        locked=state.locked,
        version=state.version,
        definition_version=state.definition_version,
        updated_at=state.updated_at,
        values=inputs,
        computed=computed,
    )
    if outcome is not None:
        out.changed = [c["field"] for c in outcome.changes]
        out.warnings = [_issue_out(i, language) for i in outcome.warnings]
        out.queries_opened = outcome.queries_opened
        out.queries_answered = outcome.queries_answered
    return out


def _issue_out(issue: Issue, language: str) -> IssueOut:
    return IssueOut(
        field=issue.field,
        code=issue.code,
        severity=issue.severity.value,
        message=issue.message.get(language) or issue.message.get("en", issue.code),
        messages=issue.message,
        value=None if issue.value is None else str(issue.value),
        form=issue.form,
        instance=issue.instance,
    )


def _respond(
    study: CompiledStudy,
    state: FormState,
    actor: Actor,
    outcome: SaveOutcome | None = None,
    status_code: int = 200,
) -> Response:
    # A ready response: FastAPI then skips validating it again against FormOut.
    out = _form_out(study, state, outcome, actor.language)
    return SafeJSONResponse(
        out.model_dump(mode="json"), status_code=status_code, headers={"ETag": state.etag}
    )


# Every endpoint is `async def` and hands its whole unit of work (queries, service call, the
# response, the commit) to one thread-pool call, `run_and_commit`: no database I/O on the event loop,
# and one hop to the thread pool instead of one per `def` endpoint, response validation and commit.


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=RecordCreated,
    summary="Create a patient at your site",
)
async def create_record(
    session: SessionDep, actor: CurrentActor, body: RecordCreate | None = None
) -> RecordCreated:
    pseudonym = body.site_pseudonym if body else None
    return await run_and_commit(session, lambda: _create(session, actor, pseudonym))


def _create(session: Session, actor: Actor, site_pseudonym: str | None) -> RecordCreated:
    return RecordCreated(record_id=service.create_record(session, actor, site_pseudonym).record_id)


@router.get("", response_model=RecordList, summary="List the patients you may see")
async def list_records(
    session: SessionDep,
    actor: CurrentActor,
    site: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=INT_MAX)] = 0,
) -> RecordList:
    return await run_and_commit(session, lambda: _list(session, actor, site, limit, offset))


def _list(session: Session, actor: Actor, site: str | None, limit: int, offset: int) -> RecordList:
    query = visible_records(actor)
    if site:
        query = query.where(Record.site_id.in_(select(Site.id).where(Site.code == site)))
    records = list(session.scalars(query.order_by(Record.id).limit(limit).offset(offset)))
    codes: dict[int, str] = {site_id: code for site_id, code in session.execute(select(Site.id, Site.code))}
    pks = [r.id for r in records]
    forms: dict[int, list[FormStatusOut]] = {pk: [] for pk in pks}
    rows = session.execute(
        select(FormData.record_pk, FormData.form, FormData.instance, FormData.status, FormData.locked_at)
        .where(FormData.record_pk.in_(pks), FormData.deleted_at.is_(None))
        .order_by(FormData.record_pk, FormData.form, FormData.instance)
    )
    for pk, form, instance, state, locked_at in rows:
        forms[pk].append(
            FormStatusOut(form=form, instance=instance, status=state, locked=locked_at is not None)
        )
    queries = count_open_by_record(session, actor, pks)
    items = [
        RecordOut(
            record_id=r.record_id,
            site=codes[r.site_id],
            created_at=r.created_at,
            open_queries=queries.get(r.id, 0),
            forms=forms[r.id],
        )
        for r in records
    ]
    return RecordList(items=items, limit=limit, offset=offset)


@router.get("/{record_id}", response_model=RecordOut, summary="One patient with the status of each form")
async def get_record_summary(record_id: str, session: SessionDep, actor: CurrentActor) -> RecordOut:
    return await run_and_commit(session, lambda: _summary(session, actor, record_id))


def _summary(session: Session, actor: Actor, record_id: str) -> RecordOut:
    record = get_record(session, actor, record_id)
    site = session.get(Site, record.site_id)
    assert site is not None
    rows = session.scalars(
        select(FormData)
        .where(FormData.record_pk == record.id, FormData.deleted_at.is_(None))
        .order_by(FormData.form, FormData.instance)
    )
    forms = [
        FormStatusOut(form=r.form, instance=r.instance, status=r.status, locked=r.locked_at is not None)
        for r in rows
    ]
    return RecordOut(
        record_id=record.record_id,
        site=site.code,
        created_at=record.created_at,
        open_queries=count_open_by_record(session, actor, [record.id]).get(record.id, 0),
        forms=forms,
    )


@router.get("/{record_id}/audit", response_model=list[AuditEventOut], summary="The patient's history")
async def record_audit(record_id: str, session: SessionDep, actor: CurrentActor) -> list[AuditEventOut]:
    return await run_and_commit(session, lambda: _audit(session, actor, record_id))


def _audit(session: Session, actor: Actor, record_id: str) -> list[AuditEventOut]:
    record = get_record(session, actor, record_id)
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.record_id == record.record_id).order_by(AuditEvent.id)
    )
    # Read into the response model here, in the thread, while the rows are at hand.
    return [AuditEventOut.model_validate(event, from_attributes=True) for event in events]


@router.get("/{record_id}/forms/{form}", response_model=FormOut, summary="Read a once-form")
async def read_once(
    record_id: str, form: str, session: SessionDep, study: StudyDep, actor: CurrentActor
) -> Response:
    return await run_and_commit(session, lambda: _read(session, study, actor, record_id, form, None))


@router.put("/{record_id}/forms/{form}", response_model=FormOut, summary="Save (replace) a once-form")
async def save_once(
    record_id: str,
    form: str,
    body: FormWrite,
    session: SessionDep,
    study: StudyDep,
    actor: CurrentActor,
    if_match: IfMatch = None,
) -> Response:
    return await run_and_commit(
        session, lambda: _save(session, study, actor, record_id, form, None, body, if_match=if_match)
    )


@router.post(
    "/{record_id}/forms/{form}",
    response_model=FormOut,
    status_code=status.HTTP_201_CREATED,
    summary="Add an instance of a repeating form",
)
async def add_instance(
    record_id: str, form: str, body: FormWrite, session: SessionDep, study: StudyDep, actor: CurrentActor
) -> Response:
    return await run_and_commit(
        session, lambda: _save(session, study, actor, record_id, form, None, body, new_instance=True)
    )


@router.delete("/{record_id}/forms/{form}", response_model=FormOut, summary="Delete a once-form's data")
async def delete_once(
    record_id: str,
    form: str,
    session: SessionDep,
    study: StudyDep,
    actor: CurrentActor,
    reason: Reason = None,
    if_match: IfMatch = None,
) -> Response:
    return await run_and_commit(
        session, lambda: _delete(session, study, actor, record_id, form, None, reason, if_match)
    )


@router.post("/{record_id}/forms/{form}/status", response_model=FormOut, summary="Complete, verify, lock...")
async def status_once(
    record_id: str,
    form: str,
    body: StatusChange,
    session: SessionDep,
    study: StudyDep,
    actor: CurrentActor,
    if_match: IfMatch = None,
) -> Response:
    return await run_and_commit(
        session, lambda: _change_status(session, study, actor, record_id, form, None, body, if_match)
    )


@router.get("/{record_id}/forms/{form}/{instance}", response_model=FormOut, summary="Read one instance")
async def read_instance(
    record_id: str, form: str, instance: int, session: SessionDep, study: StudyDep, actor: CurrentActor
) -> Response:
    return await run_and_commit(session, lambda: _read(session, study, actor, record_id, form, instance))


@router.put("/{record_id}/forms/{form}/{instance}", response_model=FormOut, summary="Replace one instance")
async def save_instance(
    record_id: str,
    form: str,
    instance: int,
    body: FormWrite,
    session: SessionDep,
    study: StudyDep,
    actor: CurrentActor,
    if_match: IfMatch = None,
) -> Response:
    return await run_and_commit(
        session, lambda: _save(session, study, actor, record_id, form, instance, body, if_match=if_match)
    )


@router.delete("/{record_id}/forms/{form}/{instance}", response_model=FormOut, summary="Delete one instance")
async def delete_instance(
    record_id: str,
    form: str,
    instance: int,
    session: SessionDep,
    study: StudyDep,
    actor: CurrentActor,
    reason: Reason = None,
    if_match: IfMatch = None,
) -> Response:
    return await run_and_commit(
        session, lambda: _delete(session, study, actor, record_id, form, instance, reason, if_match)
    )


@router.post(
    "/{record_id}/forms/{form}/{instance}/status",
    response_model=FormOut,
    summary="Complete, verify, lock... one instance",
)
async def status_instance(
    record_id: str,
    form: str,
    instance: int,
    body: StatusChange,
    session: SessionDep,
    study: StudyDep,
    actor: CurrentActor,
    if_match: IfMatch = None,
) -> Response:
    return await run_and_commit(
        session, lambda: _change_status(session, study, actor, record_id, form, instance, body, if_match)
    )


def _read(
    session: Session, study: CompiledStudy, actor: Actor, record_id: str, form: str, instance: int | None
) -> Response:
    return _respond(study, service.read_form(session, study, actor, record_id, form, instance), actor)


def _save(
    session: Session,
    study: CompiledStudy,
    actor: Actor,
    record_id: str,
    form: str,
    instance: int | None,
    body: FormWrite,
    *,
    if_match: str | None = None,
    new_instance: bool = False,
) -> Response:
    outcome = service.save_form(
        session,
        study,
        actor,
        record_id,
        form,
        instance,
        body.values,
        reason=body.reason,
        if_match=if_match,
        new_instance=new_instance,
    )
    status_code = status.HTTP_201_CREATED if new_instance else status.HTTP_200_OK
    return _respond(study, outcome.state, actor, outcome, status_code)


def _delete(
    session: Session,
    study: CompiledStudy,
    actor: Actor,
    record_id: str,
    form: str,
    instance: int | None,
    reason: str | None,
    if_match: str | None,
) -> Response:
    state = service.delete_instance(session, study, actor, record_id, form, instance, reason, if_match)
    return _respond(study, state, actor)


def _change_status(
    session: Session,
    study: CompiledStudy,
    actor: Actor,
    record_id: str,
    form: str,
    instance: int | None,
    body: StatusChange,
    if_match: str | None,
) -> Response:
    state = workflow.change_status(
        session, study, actor, record_id, form, instance, body.action, body.reason, if_match
    )
    return _respond(study, state, actor)
