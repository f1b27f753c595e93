"""The coordinating centre's pages: data-quality report, cohort summary, and the export download.

The reports are the exports package's own HTML documents; the export runs `run_export` exactly as
`edc export` and `POST /api/v1/exports` do, and is sent as a zip.
"""

from __future__ import annotations

import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from starlette.background import BackgroundTask

from app.auth.actor import Role
from app.core.deps import SessionDep, StudyDep
from app.core.errors import Forbidden
from app.exports.api import zip_export
from app.exports.options import FORMATS, ExportOptions, declared_top_codes, parse_top_code, top_code_text
from app.exports.quality.render import quality_csv, render_quality_html
from app.exports.quality.report import quality_report
from app.exports.service import run_export
from app.exports.summary.render import render_summary_html
from app.exports.summary.report import SummaryOptions, cohort_summary
from app.web.auth import ReadActor, WebActor, check_csrf
from app.web.htmlroute import HtmlRoute
from app.web.i18n import LANGUAGE_NAMES, Translator
from app.web.posted import Posted, text_of
from app.web.render import finish, page, redirect, set_flash

router = APIRouter(route_class=HtmlRoute, dependencies=[Depends(check_csrf)], include_in_schema=False)
CENTRAL = (Role.monitor, Role.coordinator)
# The reports are standalone documents with their own inline style: a policy of their own.
REPORT_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}
SUMMARY_FIELDS = ("by", "event", "event_time", "competing", "competing_time", "censor_time")
SUMMARY_KEYS = ("group_by", "event", "event_day", "competing", "competing_day", "censor_day")


@router.get("/coordination")
def coordination(request: Request, study: StudyDep, actor: ReadActor) -> Response:
    if actor.role not in CENTRAL:
        raise Forbidden("the coordination pages are for monitors and coordinators")
    default_by = str(study.setting("summary_by") or "")
    fields = [
        (name, key, default_by if name == "by" else "")
        for name, key in zip(SUMMARY_FIELDS, SUMMARY_KEYS, strict=True)
    ]
    return page(
        request,
        "coordination.html",
        title=Translator(actor.language)("coordination"),
        can_export=actor.role == Role.coordinator,
        formats=FORMATS,
        sites=study.spec.sites,
        export_languages=[(code, LANGUAGE_NAMES.get(code, code)) for code in study.spec.languages],
        summary_fields=fields,
        top_code=top_code_text(declared_top_codes(study)),
    )


@router.get("/coordination/quality")
def quality_page(
    request: Request,
    session: SessionDep,
    study: StudyDep,
    actor: ReadActor,
    site: Annotated[list[str] | None, Query()] = None,
) -> Response:
    report = quality_report(session, study, actor, site or [], actor.language)
    html = render_quality_html(report, back="/coordination")
    return finish(request, HTMLResponse(html, headers=REPORT_HEADERS))


@router.get("/coordination/quality.csv")
def quality_download(request: Request, session: SessionDep, study: StudyDep, actor: ReadActor) -> Response:
    report = quality_report(session, study, actor, [], actor.language)
    headers = {"Content-Disposition": 'attachment; filename="quality.csv"'}
    csv = Response(quality_csv(report), media_type="text/csv; charset=utf-8", headers=headers)
    return finish(request, csv)


@router.get("/coordination/summary")
def summary_page(request: Request, session: SessionDep, study: StudyDep, actor: ReadActor) -> Response:
    def given(name: str) -> str | None:
        return request.query_params.get(name, "").strip() or None

    options = SummaryOptions(
        by=given("by"),
        event=given("event"),
        event_time=given("event_time"),
        competing=given("competing"),
        competing_time=given("competing_time"),
        censor_time=given("censor_time"),
        lang=actor.language,
    )
    html = render_summary_html(cohort_summary(session, study, actor, options), back="/coordination")
    return finish(request, HTMLResponse(html, headers=REPORT_HEADERS))


@router.post("/coordination/export")
def export_download(
    request: Request, session: SessionDep, study: StudyDep, actor: WebActor, posted: Posted
) -> Response:
    formats = tuple(str(f) for f in posted.getlist("formats")) or FORMATS
    sites = tuple(dict.fromkeys(str(s) for s in posted.getlist("sites")))
    if "sites_shown" in posted and not sites:  # every box unticked: not "all sites" by surprise
        set_flash(request, "no_site_chosen", "error")
        return redirect(request, "/coordination")
    if set(sites) == {site.code for site in study.spec.sites}:
        sites = ()  # all of them, as the CLI says it; any unknown code is refused by the export
    name = f"{study.spec.id}-{datetime.now(UTC):%Y%m%dT%H%M%SZ}"
    scratch = Path(tempfile.mkdtemp(prefix="edc-export-"))
    try:
        options = ExportOptions(
            out=scratch / name,
            formats=formats,
            status=text_of(posted, "status") or None,
            sites=sites,
            lang=text_of(posted, "lang") or actor.language,
            drop_free_text=bool(text_of(posted, "drop_free_text")),
            top_code=parse_top_code([text_of(posted, "top_code")]),
            # The field starts with the study's top-codes: what it holds when posted is all that applies.
            study_top_codes="top_code" not in posted,
        )
        result = run_export(session, study, actor, options)
        zip_export(result, scratch / f"{name}.zip")
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    download = FileResponse(
        scratch / f"{name}.zip",
        media_type="application/zip",
        filename=f"{name}.zip",
        background=BackgroundTask(shutil.rmtree, scratch, ignore_errors=True),
    )
    return finish(request, download)
