"""JSON API for data queries: list, read, open (monitor), answer (site), close/cancel/reopen (monitor)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from app.auth.actor import Actor
from app.auth.dependencies import CurrentActor
from app.core.database import INT_MAX
from app.core.deps import RowId, SessionDep, StudyDep, run_and_commit
from app.core.errors import NotFound
from app.core.problems import PROBLEM_RESPONSES
from app.forms.model import CompiledStudy
from app.queries import service
from app.records.scope import get_record
from app.records.service import form_of

router = APIRouter(prefix="/api/v1", tags=["queries"], responses=PROBLEM_RESPONSES)


class MessageOut(BaseModel):
    at: datetime
    author: str
    kind: str
    text: str  # in the caller's language where the platform wrote it in several
    texts: dict[str, str] | None = None  # every language, for messages the platform wrote


class QueryOut(BaseModel):
    id: int
    record_id: str
    site: str
    form: str
    instance: int
    field: str | None
    status: str
    origin: str
    code: str | None
    opened_at: datetime
    updated_at: datetime
    messages: list[MessageOut] = []


class QueryOpen(BaseModel):
    model_config = ConfigDict(extra="forbid")
    form: str
    instance: int = Field(default=1, ge=1, le=INT_MAX)
    field: str | None = None
    text: str = Field(min_length=1, max_length=4000)


class QueryReply(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(default="", max_length=4000, description="Required, except to close a query.")


def _out(view: service.QueryView, language: str) -> QueryOut:
    """The query for a reader of `language`: the platform's own messages in it."""
    q = view.query
    return QueryOut(
        id=q.id,
        record_id=view.record_id,
        site=view.site,
        form=q.form,
        instance=q.instance,
        field=q.field,
        status=q.status,
        origin=q.origin,
        code=q.code,
        opened_at=q.opened_at,
        updated_at=q.updated_at,
        messages=[
            MessageOut(at=m.at, author=m.author, kind=m.kind, text=m.text_in(language), texts=m.texts)
            for m in view.messages
        ],
    )


# As in the records API: `async def` endpoints whose whole unit of work, commit included, runs in
# one thread-pool call (`run_and_commit`), never on the event loop.


@router.get("/queries", response_model=list[QueryOut], summary="List queries you may see")
async def list_queries(
    session: SessionDep,
    actor: CurrentActor,
    site: str | None = None,
    status_: Annotated[
        Literal["open", "answered", "closed", "cancelled"] | None, Query(alias="status")
    ] = None,
    record_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=INT_MAX)] = 0,
) -> list[QueryOut]:
    def work() -> list[QueryOut]:
        views = service.list_queries(
            session, actor, site=site, status=status_, record_id=record_id, limit=limit, offset=offset
        )
        return [_out(v, actor.language) for v in views]

    return await run_and_commit(session, work)


@router.get("/queries/{query_id}", response_model=QueryOut, summary="One query with its messages")
async def get_query(query_id: RowId, session: SessionDep, actor: CurrentActor) -> QueryOut:
    return await run_and_commit(
        session, lambda: _out(service.get_query(session, actor, query_id), actor.language)
    )


@router.post(
    "/records/{record_id}/queries",
    response_model=QueryOut,
    status_code=status.HTTP_201_CREATED,
    summary="Open a query on a field (monitors)",
)
async def open_query(
    record_id: str, body: QueryOpen, session: SessionDep, study: StudyDep, actor: CurrentActor
) -> QueryOut:
    return await run_and_commit(session, lambda: _open(session, study, actor, record_id, body))


def _open(session: Session, study: CompiledStudy, actor: Actor, record_id: str, body: QueryOpen) -> QueryOut:
    record = get_record(session, actor, record_id)
    service.check_can_open(actor)
    cform = form_of(study, body.form)
    if body.field is not None and body.field not in cform.fields:
        raise NotFound(f"form '{body.form}' has no variable '{body.field}'")
    service.check_target(session, study, record, body.form, body.instance)
    query = service.open_query(session, actor, record, body.form, body.instance, body.field, body.text)
    return _out(service.get_query(session, actor, query.id), actor.language)


@router.post(
    "/queries/{query_id}/{action}",
    response_model=QueryOut,
    summary="Answer (site data manager), close, cancel or reopen (monitor) a query",
)
async def act_on_query(
    query_id: RowId,
    action: Literal["answer", "close", "cancel", "reopen"],
    body: QueryReply,
    session: SessionDep,
    actor: CurrentActor,
) -> QueryOut:
    return await run_and_commit(
        session, lambda: _out(service.transition(session, actor, query_id, action, body.text), actor.language)
    )
