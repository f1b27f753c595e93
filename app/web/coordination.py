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

from app.auth.actor import Actor, Role
from app.core.deps import SessionDep, StudyDep
from app.core.errors import Forbidden
from app.exports.api import zip_export
from app.exports.options import (
    FORMATS,
    BadOption,
    ExportOptions,
    declared_top_codes,
    parse_top_code,
    top_code_text,
)
from app.exports.quality.render import quality_csv, render_quality_html
from app.exports.quality.report import quality_report
from app.exports.service import run_export
from app.exports.summary.render import render_summary_html
from app.exports.summary.report import SummaryOptions, cohort_summary
from app.forms.model import CompiledStudy
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
# The CLI's flag in an option's problem -> the label of the page's field that holds it.
OPTION_FIELDS = {
    "--by": "group_by",
    "--event": "event",
    "--top-code": "top_code",
    "--vars": "cohort_summary",
}


@router.get("/coordination")
def coordination(request: Request, study: StudyDep, actor: ReadActor) -> Response:
    return _coordination_page(request, study, actor)


def _coordination_page(
    request: Request,
    study: CompiledStudy,
    actor: Actor,
    *,
    summary_values: dict[str, str] | None = None,
    summary_problem: str | None = None,
    export_problem: str | None = None,
) -> Response:
    """The page; after a refused request, with what was asked and why it cannot be done, by its form."""
    if actor.role not in CENTRAL:
        raise Forbidden("the coordination pages are for monitors and coordinators")
    # The study's settings (summary_by, summary_event, ...) fill the fields until a coordinator asks.
    defaults = {name: str(study.setting(f"summary_{name}") or "") for name in SUMMARY_FIELDS}
    values = defaults if summary_values is None else summary_values
    fields = [
        (name, key, values.get(name, "")) for name, key in zip(SUMMARY_FIELDS, SUMMARY_KEYS, strict=True)
    ]
    return page(
        request,
        "coordination.html",
        status=400 if summary_problem or export_problem else 200,
        title=Translator(actor.language)("coordination"),
        can_export=actor.role == Role.coordinator,
        formats=FORMATS,
        sites=study.spec.sites,
        export_languages=[(code, LANGUAGE_NAMES.get(code, code)) for code in study.spec.languages],
        summary_fields=fields,
        summary_problem=summary_problem,
        export_problem=export_problem,
        top_code=top_code_text(declared_top_codes(study)),
    )


def _problem(t: Translator, exc: BadOption) -> str:
    """An option's problem as the page names it: by the field's label, not the CLI's flag."""
    key = OPTION_FIELDS.get(exc.option or "")
    return f"{t(key)}: {exc.problem}" if key and exc.problem else exc.detail


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
        # The form starts with the study's incidence: an event left blank there means none.
        study_incidence="event" not in request.query_params,
    )
    try:
        summary = cohort_summary(session, study, actor, options)
    except BadOption as exc:
        asked = {name: request.query_params.get(name, "") for name in SUMMARY_FIELDS}
        problem = _problem(Translator(actor.language), exc)
        return _coordination_page(request, study, actor, summary_values=asked, summary_problem=problem)
    html = render_summary_html(summary, back="/coordination")
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
    except BadOption as exc:
        shutil.rmtree(scratch, ignore_errors=True)
        session.rollback()
        problem = _problem(Translator(actor.language), exc)
        return _coordination_page(request, study, actor, export_problem=problem)
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
