"""An upload from file to report: recorded in `uploads`, run now or queued for a worker.

The database is the queue: a queued upload is claimed by the first worker that flips its status
from `queued` to `running` (a conditional UPDATE, so two workers never take the same one; on
PostgreSQL several workers share the table, on SQLite the write lock serialises them).
"""

from __future__ import annotations

import hashlib
import shutil
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Select, false, select, update
from sqlalchemy.orm import Session, sessionmaker

from app.audit import service as audit
from app.auth.actor import Actor, Role
from app.auth.service import actor_for_user
from app.core.errors import Forbidden, NotFound
from app.forms.model import CompiledStudy
from app.models import Upload, User
from app.uploads.columns import layout
from app.uploads.reader import FileRefused, read_rows
from app.uploads.service import UploadReport, apply_upload

UPLOADERS = frozenset({Role.site_manager})
# Rows done so far by uploads running in this process (SQLite cannot commit progress beside the
# upload's own open write transaction; PostgreSQL also gets it committed, for other processes).
PROGRESS: dict[int, int] = {}


def _now() -> datetime:
    return datetime.now(UTC)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def register(
    session: Session, actor: Actor, path: Path, filename: str, *, dry_run: bool, keep_in: Path | None = None
) -> Upload:
    """Record the upload; with `keep_in`, keep a copy of the file there for a worker to process."""
    if actor.role not in UPLOADERS:
        raise Forbidden("bulk upload is for site data managers (role site_manager)")
    batch_id = uuid.uuid4().hex
    stored = None
    if keep_in is not None:
        keep_in.mkdir(parents=True, exist_ok=True)
        stored = keep_in / f"{batch_id}{Path(filename).suffix.lower()}"
        shutil.copyfile(path, stored)
    upload = Upload(
        batch_id=batch_id,
        user_id=actor.user_id,
        site_id=actor.site_id,
        filename=filename[:255],
        sha256=sha256_of(path),
        size_bytes=path.stat().st_size,
        dry_run=dry_run,
        status="queued",
        stored_path=str(stored) if stored else None,
        rows_done=0,
        summary={},
        errors=[],
        created_at=_now(),
    )
    session.add(upload)
    session.flush()
    return upload


def process(
    session: Session, study: CompiledStudy, actor: Actor, upload: Upload, path: Path, on_progress: Any = None
) -> UploadReport:
    """Run one registered upload in the caller's transaction and record its outcome and audit event."""
    session.info[audit.WAIT_FOR_CHAIN] = True
    upload.status, upload.started_at = "running", upload.started_at or _now()
    batch_actor = actor.via(f"upload:{upload.batch_id}")
    report = UploadReport()
    try:
        header, rows = read_rows(path, upload.filename)
        report = apply_upload(
            session,
            study,
            batch_actor,
            layout(study, header),
            rows,
            dry_run=upload.dry_run,
            progress=on_progress,
        )
    except FileRefused as exc:
        report.error(exc.row or 1, exc.code, exc.message, field=exc.column)
    # Study IDs of a dry run or a refused upload were never kept: none are given out.
    kept = not upload.dry_run and not report.errors
    upload.summary = {
        **report.counts(),
        "ignored_columns": report.ignored_columns,
        "new_patients": report.new_patients if kept else [],
    }
    upload.errors = report.errors
    upload.rows_done = report.rows
    upload.status = "rejected" if report.errors else "done"
    upload.finished_at = _now()
    audit.append(
        session,
        batch_actor,
        "upload_dry_run" if upload.dry_run else "upload",
        changes=[
            {
                "field": "file",
                "filename": upload.filename,
                "sha256": upload.sha256,
                "status": upload.status,
                **report.counts(),
            }
        ],
    )
    return report


def visible_uploads(actor: Actor) -> Select[Upload]:
    """Uploads the actor may see: their own site's, or every site's for monitors and coordinators."""
    query = select(Upload)
    if actor.is_site_bound:
        return query.where(Upload.site_id == actor.site_id)
    if actor.role not in (Role.monitor, Role.coordinator):
        return query.where(false())
    return query


def get_upload(session: Session, actor: Actor, upload_id: int) -> Upload:
    upload = session.scalar(visible_uploads(actor).where(Upload.id == upload_id))
    if upload is None:
        raise NotFound(f"no upload {upload_id}")
    return upload


def claim_next(session_factory: sessionmaker[Session], worker: str) -> int | None:
    """Take the oldest queued upload for this worker; None when the queue is empty."""
    # Polling reads without SQLite's write lock, so an idle worker never holds up the pages and API.
    with session_factory() as session:
        session.connection(execution_options={"sqlite_begin": "DEFERRED"})
        candidate = session.scalar(
            select(Upload.id)
            .where(Upload.status == "queued", Upload.stored_path.is_not(None))
            .order_by(Upload.id)
            .limit(1)
        )
    if candidate is None:
        return None
    with session_factory.begin() as session:
        taken = session.execute(
            update(Upload)
            .where(Upload.id == candidate, Upload.status == "queued")
            .values(status="running", worker=worker, started_at=_now())
        )
        return candidate if taken.rowcount == 1 else None  # type: ignore[attr-defined]


def run_claimed(session_factory: sessionmaker[Session], study: CompiledStudy, upload_id: int) -> None:
    """Process a claimed upload in one transaction; progress is committed separately as it goes."""
    with session_factory.begin() as session:
        upload = session.get(Upload, upload_id)
        assert upload is not None and upload.stored_path is not None
        user = session.get(User, upload.user_id) if upload.user_id else None
        if user is None:
            upload.status, upload.errors = "failed", [{"code": "no_user", "message": "the uploader is gone"}]
            return
        actor = actor_for_user(session, user, "api")

        shared = session.get_bind().dialect.name != "sqlite"

        def progress(rows: int) -> None:
            PROGRESS[upload_id] = rows
            if shared and rows % 500 == 0:
                with session_factory.begin() as side:
                    side.execute(update(Upload).where(Upload.id == upload_id).values(rows_done=rows))

        path = Path(upload.stored_path)
        try:
            process(session, study, actor, upload, path, progress)
        finally:
            PROGRESS.pop(upload_id, None)
    path.unlink(missing_ok=True)


def mark_failed(session_factory: sessionmaker[Session], upload_id: int) -> None:
    """An upload that crashed its worker: recorded as failed (its data was rolled back)."""
    with session_factory.begin() as session:
        upload = session.get(Upload, upload_id)
        if upload is not None:
            upload.status, upload.finished_at = "failed", _now()
            upload.errors = [
                {
                    "row": None,
                    "code": "internal_error",
                    "message": "the upload could not be processed; nothing was stored",
                }
            ]
