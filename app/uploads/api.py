"""JSON API for bulk uploads: POST a file (multipart part `file`), read the report, download it as CSV."""

from __future__ import annotations

import csv
import io
import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field

from app.auth.dependencies import CurrentActor
from app.core.deps import RowId, SessionDep, StudyDep
from app.core.errors import DomainError
from app.core.problems import PROBLEM_RESPONSES
from app.core.responses import SafeJSONResponse
from app.models import Upload
from app.uploads import jobs
from app.uploads.reader import FileRefused, kind_of

router = APIRouter(prefix="/api/v1/uploads", tags=["uploads"], responses=PROBLEM_RESPONSES)
REPORT_COLUMNS = ["row", "record", "form", "instance", "field", "value", "code", "message"]


class NewPatient(BaseModel):
    row: int = Field(description="The first row of the patient in the file")
    site_pseudonym: str
    record_id: str = Field(description="The study ID the platform gave the patient")


class UploadOut(BaseModel):
    id: int
    batch_id: str
    filename: str
    sha256: str
    size_bytes: int
    dry_run: bool
    status: str
    rows_done: int
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    patients_created: int = 0
    # Entries whose {form}_complete column marked them complete (their values may be unchanged).
    completed: int = 0
    queries_opened: int = 0
    queries_answered: int = 0
    ignored_columns: list[str] = []
    new_patients: list[NewPatient] = []
    errors: list[dict[str, Any]] = []
    status_url: str
    report_csv_url: str


def _out(upload: Upload) -> UploadOut:
    counts = {
        k: int(upload.summary.get(k, 0))
        for k in (
            "created",
            "updated",
            "unchanged",
            "rejected",
            "patients_created",
            "completed",
            "queries_opened",
            "queries_answered",
        )
    }
    rows = max(upload.rows_done, jobs.PROGRESS.get(upload.id, 0))
    return UploadOut(
        id=upload.id,
        batch_id=upload.batch_id,
        filename=upload.filename,
        sha256=upload.sha256,
        size_bytes=upload.size_bytes,
        dry_run=upload.dry_run,
        status=upload.status,
        rows_done=rows,
        errors=upload.errors,
        ignored_columns=[str(c) for c in upload.summary.get("ignored_columns", [])],
        new_patients=[NewPatient(**p) for p in upload.summary.get("new_patients", [])],
        status_url=f"/api/v1/uploads/{upload.id}",
        report_csv_url=f"/api/v1/uploads/{upload.id}/report.csv",
        **counts,
    )


class UploadRefused(DomainError):
    code = "upload-refused"


@router.post(
    "",
    response_model=UploadOut,
    summary="Upload a REDCap flat file (CSV, JSON or XLSX)",
    responses={
        202: {"description": "Queued: poll status_url"},
        422: {"description": "Rejected: the report lists every problem; nothing was stored"},
    },
)
def post_upload(
    file: UploadFile,
    request: Request,
    session: SessionDep,
    study: StudyDep,
    actor: CurrentActor,
    dry_run: Annotated[bool, Query(description="Validate everything, store nothing.")] = False,
) -> Any:
    settings = request.app.state.settings
    name = file.filename or "upload.csv"
    try:
        kind_of(name)
    except FileRefused as exc:
        raise UploadRefused(exc.message) from None
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"upload{Path(name).suffix.lower()}"
        with path.open("wb") as handle:
            shutil.copyfileobj(file.file, handle, 1 << 20)
        background = path.stat().st_size > settings.upload_async_bytes
        upload = jobs.register(
            session, actor, path, name, dry_run=dry_run, keep_in=settings.upload_dir if background else None
        )
        if background:
            return SafeJSONResponse(_out(upload).model_dump(mode="json"), status_code=202)
        jobs.process(session, study, actor, upload, path)
    status = 422 if upload.status == "rejected" else 200
    return SafeJSONResponse(_out(upload).model_dump(mode="json"), status_code=status)


@router.get("", response_model=list[UploadOut], summary="Your site's uploads, newest first")
def list_uploads(
    session: SessionDep, actor: CurrentActor, limit: Annotated[int, Query(ge=1, le=500)] = 50
) -> list[UploadOut]:
    query = jobs.visible_uploads(actor).order_by(Upload.id.desc()).limit(limit)
    return [_out(u) for u in session.scalars(query)]


@router.get("/{upload_id}", response_model=UploadOut, summary="Status, progress and report of an upload")
def get_upload(upload_id: RowId, session: SessionDep, actor: CurrentActor) -> UploadOut:
    return _out(jobs.get_upload(session, actor, upload_id))


def _safe(value: Any) -> str:
    # A spreadsheet must never execute a cell of our report as a formula.
    text = "" if value is None else str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@router.get("/{upload_id}/report.csv", summary="The upload's problems as CSV")
def report_csv(upload_id: RowId, session: SessionDep, actor: CurrentActor) -> Response:
    upload = jobs.get_upload(session, actor, upload_id)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(REPORT_COLUMNS)
    for error in upload.errors:
        writer.writerow([_safe(error.get(c)) for c in REPORT_COLUMNS])
    headers = {"Content-Disposition": f'attachment; filename="upload-{upload.id}-report.csv"'}
    return Response(buffer.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)
