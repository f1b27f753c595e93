"""Loading one patient's stored forms, as rows to update and as typed data for the engine."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.forms.engine import PatientData
from app.forms.model import CompiledStudy
from app.forms.stored import from_stored
from app.models import FormData, Record


@dataclass
class Patient:
    record: Record
    rows: dict[tuple[str, int], FormData] = field(default_factory=dict)
    data: PatientData = field(default_factory=PatientData)

    def row(self, form: str, instance: int) -> FormData | None:
        return self.rows.get((form, instance))

    def next_instance(self, form: str) -> int:
        """Instance numbers are never reused, not even after a deletion."""
        return max((i for f, i in self.rows if f == form), default=0) + 1


def load_patient(session: Session, study: CompiledStudy, record: Record) -> Patient:
    patient = Patient(record)
    rows = session.scalars(select(FormData).where(FormData.record_pk == record.id))
    for row in rows:
        patient.rows[(row.form, row.instance)] = row
        cform = study.forms.get(row.form)
        if cform is None or row.deleted_at is not None:
            continue
        values = from_stored(cform, row.data)
        if cform.repeating:
            patient.data.repeating.setdefault(row.form, {})[row.instance] = values
        else:
            patient.data.once[row.form] = values
    return patient
