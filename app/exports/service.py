"""`run_export`: the one export path for the CLI, the API and the coordinator's pages.

Reads a consistent snapshot through the actor's site scope, writes every chosen format into a staging
folder next to the target, hashes the files, writes `manifest.json`, appends the `export` audit event
(flushed, never committed: the caller's transaction commits it) and only then moves the folder into
place. On any failure the staging folder is removed, so no half-written export is ever left behind.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from app.audit import service as audit
from app.auth.actor import Actor, Role
from app.core.errors import Forbidden
from app.exports.audit_trail import audit_frame
from app.exports.formats.codebook import write_codebook
from app.exports.formats.datapackage import write_datapackage
from app.exports.formats.odm import write_odm
from app.exports.formats.readstat import write_spss, write_stata
from app.exports.formats.rscript import write_r
from app.exports.formats.tabular import write_csv, write_parquet
from app.exports.formats.xlsx import write_xlsx
from app.exports.options import ExportOptions, OutputUnavailable, checked, declared_top_codes
from app.exports.plan import Plan, make_plan
from app.exports.snapshot import Snapshot, take_snapshot
from app.forms.model import CompiledStudy
from app.forms.values import plain

Writer = Callable[[Plan, Path], list[str]]
WRITERS: dict[str, Writer] = {
    "csv": write_csv,
    "parquet": write_parquet,
    "stata": write_stata,
    "spss": write_spss,
    "xlsx": write_xlsx,
    "r": write_r,
    "odm": write_odm,
    "datapackage": write_datapackage,
}
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class ExportResult:
    folder: Path
    files: dict[str, str]  # file name -> SHA-256, manifest.json included
    site_counts: dict[str, int]
    rows: dict[str, int]
    warnings: list[str]
    manifest: dict[str, Any]

    @property
    def patients(self) -> int:
        return sum(self.site_counts.values())


def require_coordinator(actor: Actor) -> None:
    if actor.role != Role.coordinator:
        raise Forbidden(f"only a coordinator may export the study's data; you are {actor.role}")


@contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic garbage collection while hundreds of thousands of cells are built.

    Every collection of the oldest generation walks all of them again; pausing it roughly halves the
    time of a large export. Reference counting still frees everything as usual.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def staging_folder(target: Path) -> Path:
    """An empty folder beside `target`, after checking that `target` can take the export."""
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise OutputUnavailable(f"{target} already exists and is not an empty folder: choose a new one")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent))
    except OSError as exc:
        raise OutputUnavailable(f"cannot write the export in {target.parent}: {exc.strerror}") from None


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def build(session: Session, study: CompiledStudy, actor: Actor, options: ExportOptions) -> Plan:
    """The snapshot and everything the writers share (the ODM file also gets the audit trail)."""
    snapshot = take_snapshot(session, study, actor, options)
    plan = make_plan(snapshot)
    if "odm" in options.formats:
        record_ids = snapshot.patients.frame[study.spec.record_id_field].to_list()
        plan.audit = audit_frame(session, record_ids)
    return plan


def write_files(plan: Plan, folder: Path) -> list[str]:
    written = []
    for fmt in plan.formats:
        written.extend(WRITERS[fmt](plan, folder))
    written.extend(write_codebook(plan, folder))
    return written


def _number(limit: Decimal) -> int | float:
    exact = plain(limit)
    return int(exact) if exact == exact.to_integral_value() else float(exact)


def _filters(snapshot: Snapshot) -> dict[str, Any]:
    """The options as described, top-codes as JSON numbers: a declared one switched off is null."""
    top_code: dict[str, int | float | None] = dict.fromkeys(declared_top_codes(snapshot.study))
    top_code |= {
        name: _number(limit) for name, limit in snapshot.options.top_code.items() if limit is not None
    }
    return {**snapshot.options.describe(), "top_code": dict(sorted(top_code.items()))}


def _manifest(
    snapshot: Snapshot, actor: Actor, files: dict[str, str], folder: Path, warnings: list[str]
) -> Any:
    study = snapshot.study
    return {
        "study": study.spec.id,
        "definition_version": study.version,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "user": actor.email,
        "role": actor.role,
        "filters": _filters(snapshot),
        "patients": {"total": sum(snapshot.site_counts.values()), "by_site": snapshot.site_counts},
        "rows": {t.name: t.frame.height for t in snapshot.tables},
        "files": {
            name: {"sha256": digest, "bytes": (folder / name).stat().st_size}
            for name, digest in files.items()
        },
        "warnings": warnings,
    }


def run_export(session: Session, study: CompiledStudy, actor: Actor, options: ExportOptions) -> ExportResult:
    """Write an export of every patient the actor sees (coordinators only) into `options.out`."""
    require_coordinator(actor)
    options = checked(study, options)
    target = options.out.absolute()
    staging = staging_folder(target)
    try:
        with paused_gc():
            plan = build(session, study, actor, options)
            try:
                names = write_files(plan, staging)
            except OSError as exc:
                raise OutputUnavailable(f"writing the export in {staging} failed: {exc}") from None
        files = {name: sha256_of(staging / name) for name in sorted(names)}
        manifest = _manifest(plan.snapshot, actor, files, staging, plan.warnings)
        text = json.dumps(manifest, ensure_ascii=False, indent=2) + "\n"
        (staging / MANIFEST).write_text(text, encoding="utf-8")
        change = {"folder": str(target), "filters": manifest["filters"], "patients": manifest["patients"]}
        audit.append(session, actor, "export", changes=[{**change, "files": files}])
        session.flush()
        if target.exists():
            target.rmdir()
        os.rename(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    files[MANIFEST] = sha256_of(target / MANIFEST)
    return ExportResult(target, files, plan.snapshot.site_counts, manifest["rows"], plan.warnings, manifest)
