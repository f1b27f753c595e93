"""Applying an upload: every row through records.service.save_form, all of it or none of it.

Rows are grouped per patient as they stream by (rows of one patient normally follow each other;
a patient met again later is simply loaded again). The whole upload runs in a savepoint: any error,
or a dry run, rolls it back, and the report lists every problem with its row, record, form,
instance, field, value, code and message.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

from sqlalchemy.orm import Session

from app.auth.actor import Actor
from app.core.errors import DomainError, ValidationFailed
from app.forms.engine import Issue
from app.forms.model import CForm, CompiledStudy
from app.forms.schema import FieldType
from app.models import AuditEvent, DataQuery, FormData, QueryMessage, Record
from app.queries.service import open_for_many_warnings
from app.records import service, workflow
from app.records.ids import is_well_formed
from app.records.patient import Patient, load_patient
from app.records.scope import visible_records
from app.uploads.columns import FormColumns, Layout, check_identifier_values
from app.uploads.reader import Row

REDCAP_COMPLETE = "2"
FORGETTABLE = (Record, FormData, AuditEvent, DataQuery, QueryMessage)


@dataclass
class UploadReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    patients_created: int = 0
    rows: int = 0
    values: int = 0
    warnings: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    def error(self, row: Row | int, code: str, message: str, **where: Any) -> None:
        number = row.number if isinstance(row, Row) else row
        entry = {
            "row": number,
            "record": None,
            "form": None,
            "instance": None,
            "field": None,
            "value": None,
            "code": code,
            "message": message,
        }
        entry.update({k: v for k, v in where.items() if k in entry})
        self.errors.append(entry)

    def counts(self) -> dict[str, int]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "patients_created": self.patients_created,
            "rows": self.rows,
            "values": self.values,
            "warnings": self.warnings,
            "errors": len(self.errors),
        }


def _patient_key(row: Row) -> str:
    record_id = row.cells.get("record_id", "").strip()
    if record_id:
        return f"record:{record_id}"
    return f"pseudonym:{row.cells.get('site_pseudonym', '').strip()}"


def _raw_values(cform: CForm, columns: FormColumns, cells: dict[str, str]) -> dict[str, Any]:
    """The form's values in this row; a column present but blank clears the stored value."""
    raw: dict[str, Any] = {}
    for name, names in columns.fields.items():
        cfield = cform.fields[name]
        if cfield.spec.type == FieldType.multichoice:
            ticked = [c.rsplit("___", 1)[1] for c in names if cells.get(c, "").strip() == "1"]
            missing = [c.upper() for c in ticked if c.upper() in cfield.missing_codes]
            raw[name] = missing[0] if missing and len(ticked) == 1 else ticked
        else:
            raw[name] = cells.get(names[0], "")
    return raw


class _Upload:
    def __init__(
        self, session: Session, study: CompiledStudy, actor: Actor, layout: Layout, report: UploadReport
    ) -> None:
        self.session, self.study, self.actor, self.layout, self.report = session, study, actor, layout, report
        self.once_forms = [f for f in study.forms.values() if not f.repeating and f.name in layout.forms]

    def record_for(self, key: str, rows: list[Row]) -> Record | None:
        first = rows[0]
        if key.startswith("record:"):
            record_id = key.split(":", 1)[1]
            record = None
            if is_well_formed(record_id):
                record = self.session.scalar(visible_records(self.actor).where(Record.record_id == record_id))
            if record is None:
                for row in rows:
                    self.report.error(
                        row,
                        "unknown_record",
                        f"no patient '{record_id}' at your site "
                        "(check the study ID, or leave record_id blank and give site_pseudonym)",
                        record=record_id,
                        field="record_id",
                        value=record_id,
                    )
            return record
        pseudonym = key.split(":", 1)[1]
        if not pseudonym:
            for row in rows:
                self.report.error(
                    row, "no_patient", "record_id and site_pseudonym are both blank", field="record_id"
                )
            return None
        record = self.session.scalar(visible_records(self.actor).where(Record.site_pseudonym == pseudonym))
        if record is not None:
            return record
        try:
            record = service.create_record(self.session, self.actor, pseudonym)
        except DomainError as exc:
            self.report.error(first, exc.code, exc.detail, field="site_pseudonym", value=pseudonym)
            return None
        self.report.patients_created += 1
        return record

    def apply_patient(self, key: str, rows: list[Row]) -> None:
        for row in rows:
            self.check_row(row)
        record = self.record_for(key, rows)
        if record is None:
            self.report.rejected += len(rows)
            return
        ordered = sorted(
            rows, key=lambda r: (bool(r.cells.get("redcap_repeat_instrument", "").strip()), r.number)
        )
        patient = load_patient(self.session, self.study, record)
        self.warnings: list[tuple[str, int, Issue]] = []
        for row in ordered:
            before = len(self.report.errors)
            self.apply_row(patient, row)
            if len(self.report.errors) > before:
                self.report.rejected += 1
        open_for_many_warnings(self.session, self.actor, record, self.warnings)

    def check_row(self, row: Row) -> None:
        self.report.rows += 1
        check_identifier_values(self.layout, row.number, row.cells)
        dag = row.cells.get("redcap_data_access_group", "").strip()
        if dag and dag.upper() != (self.actor.site_code or ""):
            self.report.error(
                row,
                "wrong_site",
                f"redcap_data_access_group '{dag}' is not your site ({self.actor.site_code})",
                field="redcap_data_access_group",
                value=dag,
            )

    def apply_row(self, patient: Patient, row: Row) -> None:
        record = patient.record
        if row.ragged:
            self.report.error(
                row,
                "ragged_row",
                f"row {row.number} has a different number of cells than the header",
                record=record.record_id,
            )
            return
        instrument = row.cells.get("redcap_repeat_instrument", "").strip()
        if not instrument:
            for cform in self.once_forms:
                self.save(patient, row, cform, None)
            return
        repeating = self.study.forms.get(instrument)
        if repeating is None or not repeating.repeating:
            self.report.error(
                row,
                "unknown_form",
                f"'{instrument}' is not a repeating form of the study",
                record=record.record_id,
                field="redcap_repeat_instrument",
                value=instrument,
            )
            return
        text = row.cells.get("redcap_repeat_instance", "").strip()
        if not text.isdigit() or int(text) < 1:
            self.report.error(
                row,
                "bad_instance",
                f"redcap_repeat_instance '{text}' is not a positive number",
                record=record.record_id,
                form=instrument,
                field="redcap_repeat_instance",
                value=text,
            )
            return
        self.save(patient, row, repeating, int(text))

    def save(self, patient: Patient, row: Row, cform: CForm, instance: int | None) -> None:
        record = patient.record
        columns = self.layout.forms.get(cform.name)
        if columns is None:
            return
        raw = _raw_values(cform, columns, row.cells)
        number = instance or 1
        stored = patient.row(cform.name, number)
        if not any(v not in ("", []) for v in raw.values()) and (
            stored is None or stored.deleted_at is not None
        ):
            return
        self.report.values += sum(1 for v in raw.values() if v not in ("", []))
        where = {"record": record.record_id, "form": cform.name, "instance": instance}
        try:
            outcome = service.save_form(
                self.session,
                self.study,
                self.actor,
                record.record_id,
                cform.name,
                instance,
                raw,
                merge=True,
                create_missing=True,
                patient=patient,
                deferred_warnings=self.warnings,
                reason="bulk upload",
            )
        except ValidationFailed as exc:
            for error in exc.errors or []:
                self.report.error(
                    row,
                    error["code"],
                    str(error.get("message") or exc.detail),
                    **where,
                    field=error.get("field"),
                    value=error.get("value"),
                )
            return
        except DomainError as exc:
            self.report.error(row, exc.code, exc.detail, **where)
            return
        self.report.warnings += len(outcome.warnings)
        if outcome.created:
            self.report.created += 1
        elif outcome.changes:
            self.report.updated += 1
        else:
            self.report.unchanged += 1
        self.complete_if_marked(record, row, cform, instance, columns, where)

    def complete_if_marked(
        self,
        record: Record,
        row: Row,
        cform: CForm,
        instance: int | None,
        columns: FormColumns,
        where: dict[str, Any],
    ) -> None:
        if columns.status is None or row.cells.get(columns.status, "").strip() != REDCAP_COMPLETE:
            return
        state = service.read_form(
            self.session, self.study, self.actor, record.record_id, cform.name, instance
        )
        if state.status != "incomplete":
            return
        try:
            workflow.change_status(
                self.session,
                self.study,
                self.actor,
                record.record_id,
                cform.name,
                instance,
                "complete",
                "bulk upload",
            )
        except DomainError as exc:
            for error in exc.errors or [{"code": exc.code, "message": exc.detail}]:
                self.report.error(
                    row,
                    str(error.get("code")),
                    str(error.get("message")),
                    **where,
                    field=error.get("field") or columns.status,
                )


def _forget_patient_rows(session: Session) -> None:
    """Keep memory flat over a long upload: a patient's rows are written; the session can let them go."""
    session.flush()
    for instance in list(session.identity_map.values()):
        if isinstance(instance, FORGETTABLE):
            session.expunge(instance)


def apply_upload(
    session: Session,
    study: CompiledStudy,
    actor: Actor,
    layout: Layout,
    rows: Iterable[Row],
    *,
    dry_run: bool,
    progress: Callable[[int], None] | None = None,
) -> UploadReport:
    """Validate and store every row; roll all of it back on any error or when `dry_run`."""
    report = UploadReport()
    upload = _Upload(session, study, actor, layout, report)
    savepoint = session.begin_nested()
    try:
        for key, group in groupby(rows, key=_patient_key):
            upload.apply_patient(key, list(group))
            _forget_patient_rows(session)
            if progress is not None:
                progress(report.rows)
    except BaseException:
        savepoint.rollback()
        raise
    if dry_run or report.errors:
        savepoint.rollback()
    else:
        savepoint.commit()
    return report
