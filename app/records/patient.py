"""One patient's stored forms, loaded once: as rows to change and as typed data for the engine.

Rows are plain `StoredForm` values read with one SELECT, not ORM objects: the write path changes
them in memory and `records.changes.write` stores the result, so a bulk upload can keep a chunk
of patients in memory without an identity map growing behind it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from app.forms.engine import PatientData
from app.forms.model import CompiledStudy
from app.forms.stored import from_stored
from app.models import FormData, Record


@dataclass(slots=True)
class StoredForm:
    """One form instance as stored (or about to be): the columns of `form_data` that change."""

    form: str
    instance: int
    data: dict[str, str]
    status: str = "incomplete"
    version: int = 0
    locked_at: datetime | None = None
    definition_version: str | None = None
    updated_at: datetime | None = None
    deleted_at: datetime | None = None
    deleted_reason: str | None = None

    @property
    def live(self) -> bool:
        return self.deleted_at is None


@dataclass
class Patient:
    record: Record
    rows: dict[tuple[str, int], StoredForm] = field(default_factory=dict)
    data: PatientData = field(default_factory=PatientData)

    def row(self, form: str, instance: int) -> StoredForm | None:
        return self.rows.get((form, instance))

    def next_instance(self, form: str) -> int:
        """Instance numbers are never reused, not even after a deletion."""
        return max((i for f, i in self.rows if f == form), default=0) + 1

    def keep(self, study: CompiledStudy, row: StoredForm, typed: dict[str, Any] | None = None) -> None:
        """Make `row` the patient's current state of its form instance (typed values if known)."""
        self.rows[(row.form, row.instance)] = row
        cform = study.forms.get(row.form)
        if cform is None:
            return
        if not row.live:
            if cform.repeating:
                self.data.repeating.get(row.form, {}).pop(row.instance, None)
            else:
                self.data.once.pop(row.form, None)
            return
        values = from_stored(cform, row.data) if typed is None else typed
        if cform.repeating:
            self.data.repeating.setdefault(row.form, {})[row.instance] = values
        else:
            self.data.once[row.form] = values

    def record_complete(self, study: CompiledStudy, apart: tuple[str, int] | None = None) -> bool:
        """Whether the whole record is complete, leaving out the instance `apart` (the one being
        completed): every live form instance complete or verified, and every once-form there. That
        is when the study's record-level completion checks apply."""
        for key, row in self.rows.items():
            if key != apart and row.live and row.status not in ("complete", "verified"):
                return False
        return all(
            (name, 1) in self.rows and self.rows[(name, 1)].live
            for name, cform in study.forms.items()
            if not cform.repeating
        )

    def forget(self, study: CompiledStudy, form: str, instance: int) -> None:
        """Drop a planned instance that will not be stored (its save was refused)."""
        self.rows.pop((form, instance), None)
        if study.forms[form].repeating:
            self.data.repeating.get(form, {}).pop(instance, None)
        else:
            self.data.once.pop(form, None)


_COLUMNS = (
    FormData.record_pk,
    FormData.form,
    FormData.instance,
    FormData.data,
    FormData.status,
    FormData.version,
    FormData.locked_at,
    FormData.definition_version,
    FormData.updated_at,
    FormData.deleted_at,
    FormData.deleted_reason,
)


# Built once (an expanding IN): composing a SELECT costs more than a one-patient query takes.
_LOAD = select(*_COLUMNS).where(FormData.record_pk.in_(bindparam("pks", expanding=True)))


def load_patients(session: Session, study: CompiledStudy, records: Iterable[Record]) -> list[Patient]:
    """Several patients in one query (a bulk upload loads a chunk at a time)."""
    patients = {record.id: Patient(record) for record in records}
    if not patients:
        return []
    rows = session.execute(_LOAD, {"pks": list(patients)})
    for pk, *columns in rows:
        patients[pk].keep(study, StoredForm(*columns))
    return list(patients.values())


def load_patient(session: Session, study: CompiledStudy, record: Record) -> Patient:
    return load_patients(session, study, [record])[0]
