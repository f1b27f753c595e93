"""`POST /api/v1/exports` (coordinators) and `GET /api/v1/quality` (CSV, scoped to the caller's sites).

An export is returned as a zip of the files (`"delivery": "zip"`, the default), or written on the
server under `EDC_EXPORTS_DIR` in a new folder whose name is returned (`"delivery": "folder"`).
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
import zipfile
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.background import BackgroundTask

from app.auth.actor import Role
from app.auth.dependencies import CurrentActor, require_roles
from app.core.deps import SessionDep, StudyDep
from app.core.problems import PROBLEM_RESPONSES
from app.core.responses import SafeJSONResponse
from app.exports.options import ExportOptions, OutputUnavailable
from app.exports.quality.render import quality_csv
from app.exports.quality.report import quality_report
from app.exports.service import ExportResult, run_export

router = APIRouter(prefix="/api/v1", tags=["exports"], responses=PROBLEM_RESPONSES)


class ExportRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    formats: list[str] = Field(default=[], description="csv, parquet, stata, spss, xlsx, r, odm, datapackage")
    sites: list[str] = Field(default=[], description="Site codes; none means every site.")
    status: Literal["complete", "verified"] | None = None
    lang: str | None = None
    drop_free_text: bool = False
    top_code: dict[str, Decimal | None] = Field(
        default={},
        description="Top-coding: values of a variable above N are exported as N. Omitted, the study's "
        "declared top-codes apply (`top_code` in the definition, listed in the codebook). A mapping is "
        "merged over them: a number sets or adds a variable's limit, null switches that variable's "
        'declared top-code off, e.g. {"variable_a": 90, "variable_b": null}.',
    )
    delivery: Literal["zip", "folder"] = "zip"


class ExportOut(BaseModel):
    folder: str
    patients: int
    by_site: dict[str, int]
    rows: dict[str, int]
    files: dict[str, str]
    warnings: list[str]


def _options(body: ExportRequest, out: Path) -> ExportOptions:
    return ExportOptions(
        out=out,
        formats=tuple(body.formats),
        sites=tuple(body.sites),
        status=body.status,
        lang=body.lang,
        drop_free_text=body.drop_free_text,
        top_code=body.top_code,
    )


def zip_export(result: ExportResult, path: Path) -> None:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name in result.files:
            archive.write(result.folder / name, name)


@router.post(
    "/exports",
    dependencies=[Depends(require_roles(Role.coordinator))],
    responses={200: {"content": {"application/zip": {}}, "description": "The export as a zip"}},
    status_code=status.HTTP_200_OK,
)
def create_export(
    body: ExportRequest,
    actor: CurrentActor,
    session: SessionDep,
    study: StudyDep,
    request: Request,
) -> Response:
    """Export every patient in the chosen formats, with codebook and manifest (coordinators only)."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    name = f"{study.spec.id}-{stamp}-{secrets.token_hex(3)}"
    settings = request.app.state.settings
    if body.delivery == "folder":
        if settings.exports_dir is None:
            raise OutputUnavailable(
                "this server keeps no exports (EDC_EXPORTS_DIR is not set): ask for a zip"
            )
        result = run_export(session, study, actor, _options(body, settings.exports_dir / name))
        out = ExportOut(
            folder=name,
            patients=result.patients,
            by_site=result.site_counts,
            rows=result.rows,
            files=result.files,
            warnings=result.warnings,
        )
        return SafeJSONResponse(out.model_dump(), status_code=status.HTTP_201_CREATED)
    scratch = Path(tempfile.mkdtemp(prefix="edc-export-"))
    try:
        result = run_export(session, study, actor, _options(body, scratch / name))
        zip_export(result, scratch / f"{name}.zip")
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    return FileResponse(
        scratch / f"{name}.zip",
        media_type="application/zip",
        filename=f"{name}.zip",
        background=BackgroundTask(shutil.rmtree, scratch, ignore_errors=True),
    )


@router.get("/quality", response_class=Response, responses={200: {"content": {"text/csv": {}}}})
def quality(
    actor: CurrentActor,
    session: SessionDep,
    study: StudyDep,
    site: Annotated[list[str] | None, Query(description="Site codes (default: every site you see).")] = None,
) -> Response:
    """The data-quality report as CSV: completeness, soft-range values, failing checks, open queries."""
    report = quality_report(session, study, actor, site or [])
    return Response(quality_csv(report), media_type="text/csv; charset=utf-8")
