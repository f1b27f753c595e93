"""The dashboard: patients of the reader's site (or every site, with a filter) and creating a patient.

Also the site's icon at /favicon.ico, where browsers look for it before reading any page.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, Response

from app.core.database import INT_MAX
from app.core.deps import SessionDep, StudyDep
from app.records.service import WRITERS, create_record
from app.web.auth import ReadActor, WebActor, check_csrf
from app.web.grid import RANK, load_dashboard
from app.web.htmlroute import HtmlRoute
from app.web.render import STATIC_DIR, page, redirect, set_flash, url_with

router = APIRouter(route_class=HtmlRoute, dependencies=[Depends(check_csrf)], include_in_schema=False)


@router.get("/records")
def dashboard(
    request: Request,
    session: SessionDep,
    study: StudyDep,
    actor: ReadActor,
    site: Annotated[str | None, Query(max_length=10)] = None,
    q: Annotated[str, Query(max_length=80)] = "",
    page_number: Annotated[int, Query(alias="page", ge=1, le=INT_MAX // 1000)] = 1,
) -> Response:
    board = load_dashboard(session, study, actor, site=site or None, search=q, page=page_number)
    pages = {
        "previous": url_with(request, page=board.page - 1) if board.page > 1 else None,
        "next": url_with(request, page=board.page + 1) if board.page < board.pages else None,
    }
    return page(
        request,
        "dashboard.html",
        board=board,
        forms=list(study.forms.values()),
        statuses=["empty", *RANK],
        site=site or "",
        q=q,
        pages=pages,
        can_create=actor.role in WRITERS,
    )


@router.post("/records")
def create_patient(request: Request, session: SessionDep, actor: WebActor) -> Response:
    record = create_record(session, actor)
    set_flash(request, "patient_created", record_id=record.record_id)
    return redirect(request, f"/records/{record.record_id}")


@router.get("/favicon.ico")
def favicon() -> Response:
    """The drawing the pages link to, for browsers that ask before reading a page (an SVG)."""
    return FileResponse(
        STATIC_DIR / "favicon.svg",
        media_type="image/svg+xml",
        headers={"Cache-Control": "public, max-age=86400"},
    )
