"""Applying an upload: every row through the records service's write path, all of it or none of it.

Rows are grouped per patient as they stream by (rows of one patient normally follow each other;
a patient met again later is simply loaded again). Patients are taken a chunk at a time: their
records are found or created in one go, each row is planned with `service.plan_save` against the
patient in memory, and the chunk's changes are written by `changes.write` with one statement per
table. The whole upload runs in a savepoint: any error, or a dry run, rolls it back, and the
report lists every problem with its row, record, form, instance, field, value, code and message.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.actor import Actor
from app.core.database import INT_MAX, bulk_write_cache
from app.core.errors import DomainError
from app.forms.model import CForm, CompiledStudy
from app.forms.schema import FieldType
from app.models import Record
from app.queries.checks import Checked, sync_check_queries
from app.records import service, workflow
from app.records.changes import FormChange, write
from app.records.ids import is_well_formed
from app.records.patient import Patient, load_patients
from app.records.scope import visible_records
from app.uploads.columns import FormColumns, Layout, check_identifier_values
from app.uploads.reader import Row

REDCAP_COMPLETE = "2"
# Patients planned in memory before their rows are written in one go: large enough that a
# statement's cost is spread over many rows, small enough that memory stays flat.
CHUNK = 500


@dataclass
class UploadReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    patients_created: int = 0
    completed: int = 0
    rows: int = 0
    values: int = 0
    warnings: int = 0
    queries_opened: int = 0
    queries_answered: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    # The patients the upload created: row, site_pseudonym, record_id. The site's linkage file maps
    # pseudonyms to its MRNs; this maps them on to the study IDs its queries will name.
    new_patients: list[dict[str, Any]] = field(default_factory=list)
    # Rows with a problem (counted once however many): an error's own row, or every row of a patient
    # that could not be found or created.
    rejected_rows: set[int] = field(default_factory=set)

    @property
    def rejected(self) -> int:
        return len(self.rejected_rows)

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
        if number:
            self.rejected_rows.add(number)

    def counts(self) -> dict[str, int]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "patients_created": self.patients_created,
            "completed": self.completed,
            "rows": self.rows,
            "values": self.values,
            "warnings": self.warnings,
            "queries_opened": self.queries_opened,
            "queries_answered": self.queries_answered,
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
            # A missing-data code ticked alone is read by the engine as that code.
            raw[name] = [columns.codes[c] for c in names if cells.get(c, "").strip() == "1"]
        else:
            raw[name] = cells.get(names[0], "")
    return raw


class _Upload:
    """Plans a chunk of patients in memory, then writes the chunk with one statement per table."""

    def __init__(
        self, session: Session, study: CompiledStudy, actor: Actor, layout: Layout, report: UploadReport
    ) -> None:
        self.session, self.study, self.actor, self.layout, self.report = session, study, actor, layout, report
        self.once_forms = [f for f in study.forms.values() if not f.repeating and f.name in layout.forms]
        # The columns a row may not fill: those of the forms it does not hold (a once row holds the
        # once-forms, a repeating row its own form). REDCap leaves them blank; an unticked box is "0".
        self.owners = layout.owners()
        held = {"": {f.name for f in self.once_forms}}
        held |= {form: {form} for form in layout.forms if form not in held[""]}
        self.foreign = {
            kind: frozenset(c for c, owners in self.owners.items() if not forms.intersection(owners))
            for kind, forms in held.items()
        }
        self.boxes = {c for columns in layout.forms.values() for c in columns.codes}
        self.writes: list[FormChange] = []
        self.new_record_ids: set[str] = set()
        self.checked: list[Checked] = []

    def apply_chunk(self, groups: list[tuple[str, list[Row]]]) -> None:
        for _, rows in groups:
            for row in rows:
                self.check_row(row)
        records = self.records_for(groups)
        patients = {p.record.id: p for p in load_patients(self.session, self.study, records.values())}
        for key, rows in groups:
            record = records.get(key)
            if record is None:
                self.report.rejected_rows.update(row.number for row in rows)
                continue
            self.apply_patient(patients[record.id], rows)
        write(self.session, self.actor, self.writes)
        opened, answered = sync_check_queries(self.session, self.actor, self.checked)
        self.report.queries_opened += opened
        self.report.queries_answered += answered
        self.writes, self.checked = [], []

    def records_for(self, groups: list[tuple[str, list[Row]]]) -> dict[str, Record]:
        """The patient of each group: found by study ID or site pseudonym, or created at the site."""
        keys: dict[str, list[Row]] = {}
        for key, rows in groups:
            keys.setdefault(key, []).extend(rows)
        record_ids = [k.split(":", 1)[1] for k in keys if k.startswith("record:")]
        pseudonyms = [k.split(":", 1)[1] for k in keys if k.startswith("pseudonym:") and k != "pseudonym:"]
        found: dict[str, Record] = {}
        well_formed = [r for r in record_ids if is_well_formed(r)]
        if well_formed:
            query = visible_records(self.actor).where(Record.record_id.in_(well_formed))
            found |= {f"record:{r.record_id}": r for r in self.session.scalars(query)}
        if pseudonyms:
            query = visible_records(self.actor).where(Record.site_pseudonym.in_(pseudonyms))
            found |= {f"pseudonym:{r.site_pseudonym}": r for r in self.session.scalars(query)}
        new = [p for p in pseudonyms if f"pseudonym:{p}" not in found]
        taken = set()
        if new:
            # Held by a patient of another site: refused without saying which patient.
            taken = set(
                self.session.scalars(select(Record.site_pseudonym).where(Record.site_pseudonym.in_(new)))
            )
        creating = [p for p in new if p not in taken]
        if creating:
            created = service.create_records(self.session, self.actor, creating)
            found |= {f"pseudonym:{r.site_pseudonym}": r for r in created}
            self.report.patients_created += len(created)
            self.new_record_ids.update(r.record_id for r in created)
            self.report.new_patients += [
                {
                    "row": keys[f"pseudonym:{r.site_pseudonym}"][0].number,
                    "site_pseudonym": r.site_pseudonym,
                    "record_id": r.record_id,
                }
                for r in created
            ]
        for key, rows in keys.items():
            if key not in found:
                self.no_record(key, rows, taken)
        return found

    def no_record(self, key: str, rows: list[Row], taken: set[str | None]) -> None:
        kind, value = key.split(":", 1)
        if kind == "record":
            for row in rows:
                self.report.error(
                    row,
                    "unknown_record",
                    f"no patient '{value}' at your site "
                    "(check the study ID, or leave record_id blank and give site_pseudonym)",
                    record=value,
                    field="record_id",
                    value=value,
                )
        elif not value:
            for row in rows:
                self.report.error(
                    row, "no_patient", "record_id and site_pseudonym are both blank", field="record_id"
                )
        elif value in taken:
            self.report.error(
                rows[0],
                "conflict",
                "a patient with this site pseudonym already exists at another site",
                field="site_pseudonym",
                value=value,
            )

    def apply_patient(self, patient: Patient, rows: list[Row]) -> None:
        ordered = sorted(
            rows, key=lambda r: (bool(r.cells.get("redcap_repeat_instrument", "").strip()), r.number)
        )
        for row in ordered:
            self.apply_row(patient, row)

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
        if self.stray_values(row, record.record_id, instrument):
            return
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
        if not text.isdigit() or not 1 <= int(text) <= INT_MAX:
            self.report.error(
                row,
                "bad_instance",
                f"redcap_repeat_instance '{text}' is not a whole number from 1 to {INT_MAX}",
                record=record.record_id,
                form=instrument,
                field="redcap_repeat_instance",
                value=text,
            )
            return
        self.save(patient, row, repeating, int(text))

    def stray_values(self, row: Row, record_id: str, instrument: str) -> bool:
        """Values in columns of forms this row does not hold would be silently lost: refuse them."""
        found = False
        foreign = self.foreign.get(instrument, frozenset())
        for column, cell in row.cells.items():
            if column not in foreign:
                continue
            text = cell.strip()
            if not text or (text == "0" and column in self.boxes):
                continue
            owner = self.owners[column][0]
            held = f"'{instrument}' only" if instrument else "the once-per-patient forms"
            goes = (
                f"on a row with redcap_repeat_instrument '{owner}'"
                if owner in self.study.forms and self.study.forms[owner].repeating
                else "on the patient's row with redcap_repeat_instrument blank"
            )
            self.report.error(
                row,
                "wrong_row_for_column",
                f"column '{column}' belongs to '{owner}', but this row holds {held}: "
                f"leave it blank here and give it {goes}",
                record=record_id,
                form=owner,
                field=column,
                value=text,
            )
            found = True
        return found

    def save(self, patient: Patient, row: Row, cform: CForm, instance: int | None) -> None:
        record = patient.record
        columns = self.layout.forms.get(cform.name)
        if columns is None:
            return
        raw = _raw_values(cform, columns, row.cells)
        number = instance or 1
        stored = patient.row(cform.name, number)
        filled = sum(1 for v in raw.values() if v not in ("", []))
        if not filled and (stored is None or not stored.live):
            return
        self.report.values += filled
        where = {"record": record.record_id, "form": cform.name, "instance": instance}
        try:
            outcome = service.plan_save(
                self.study,
                self.actor,
                patient,
                cform.name,
                instance,
                raw,
                merge=True,
                create_missing=True,
                reason="bulk upload",
            )
        except DomainError as exc:
            self.report_error(row, exc, where)
            return
        self.writes += outcome.writes
        if outcome.writes:
            self.checked += outcome.checked
        self.report.warnings += len(outcome.warnings)
        if outcome.created:
            self.report.created += 1
        elif outcome.changes:
            self.report.updated += 1
        else:
            self.report.unchanged += 1
        if columns.status is not None and row.cells.get(columns.status, "").strip() == REDCAP_COMPLETE:
            self.complete(patient, row, cform, number, columns.status, where)

    def complete(
        self, patient: Patient, row: Row, cform: CForm, number: int, column: str, where: dict[str, Any]
    ) -> None:
        stored = patient.row(cform.name, number)
        if stored is None or stored.status != "incomplete":
            return
        try:
            change = workflow.plan_status(
                self.study, self.actor, patient, cform.name, number, "complete", "bulk upload"
            )
        except DomainError as exc:
            self.report_error(row, exc, {**where, "field": column})
            return
        self.writes.append(change)
        self.report.completed += 1

    def report_error(self, row: Row, exc: DomainError, where: dict[str, Any]) -> None:
        for error in exc.errors or [{"code": exc.code, "message": exc.detail}]:
            self.report.error(
                row,
                str(error.get("code")),
                str(error.get("message") or exc.detail),
                **{**where, "field": error.get("field") or where.get("field"), "value": error.get("value")},
            )


def apply_upload(
    session: Session,
    study: CompiledStudy,
    actor: Actor,
    layout: Layout,
    rows: Iterable[Row],
    *,
    dry_run: bool,
    progress: Callable[[int], None] | None = None,
    chunk: int = CHUNK,
) -> UploadReport:
    """Validate and store every row; roll all of it back on any error or when `dry_run`."""
    report = UploadReport(ignored_columns=list(layout.ignored))
    upload = _Upload(session, study, actor, layout, report)
    savepoint = session.begin_nested()
    try:
        with bulk_write_cache(session):
            groups: list[tuple[str, list[Row]]] = []
            for key, group in groupby(rows, key=_patient_key):
                groups.append((key, list(group)))
                if len(groups) >= chunk:
                    upload.apply_chunk(groups)
                    groups = []
                    if progress is not None:
                        progress(report.rows)
            if groups:
                upload.apply_chunk(groups)
                if progress is not None:
                    progress(report.rows)
    except BaseException:
        savepoint.rollback()
        raise
    report.errors.sort(key=lambda error: int(error["row"] or 0))
    if dry_run or report.errors:
        savepoint.rollback()
        # Patients this upload created are rolled back with it: their study IDs mean nothing (the
        # next upload hands them out again), so the report names such a patient by its row only.
        for error in report.errors:
            if error["record"] in upload.new_record_ids:
                error["record"] = None
    else:
        savepoint.commit()
    return report
