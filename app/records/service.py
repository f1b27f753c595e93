"""The one write path: validate, diff, store, audit. Web pages, the JSON API and bulk upload all call it.

Services flush, never commit: the caller's transaction (one per request or per upload) commits data and
its audit events together, or neither.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.auth.actor import Actor, Role
from app.core.errors import Conflict, Forbidden, NotFound, PreconditionFailed, ValidationFailed
from app.forms.engine import Issue, forms_reading, recompute, validate
from app.forms.model import CForm, CompiledStudy
from app.forms.stored import to_stored
from app.models import FormData, Record, Site
from app.queries.service import open_for_warnings
from app.records.ids import make_record_id
from app.records.patient import Patient, load_patient
from app.records.scope import get_record

WRITERS = frozenset({Role.site_entry, Role.site_manager})


@dataclass
class FormState:
    record_id: str
    form: str
    instance: int
    data: dict[str, str]
    status: str
    locked: bool
    version: int
    definition_version: str | None
    updated_at: datetime | None

    @property
    def etag(self) -> str:
        return f'"{self.version}"'


@dataclass
class SaveOutcome:
    state: FormState
    created: bool
    changes: list[dict[str, Any]]
    warnings: list[Issue] = field(default_factory=list)
    queries_opened: int = 0

    @property
    def unchanged(self) -> bool:
        return not self.created and not self.changes


def _now() -> datetime:
    return datetime.now(UTC)


def require_writer(actor: Actor) -> None:
    if actor.role not in WRITERS:
        raise Forbidden(f"a {actor.role} cannot change patient data")


def form_of(study: CompiledStudy, form: str) -> CForm:
    cform = study.forms.get(form)
    if cform is None:
        raise NotFound(f"no form '{form}' in study {study.spec.id} (forms: {', '.join(study.forms)})")
    return cform


def state_of(record: Record, form: str, instance: int, row: FormData | None) -> FormState:
    if row is None or row.deleted_at is not None:
        return FormState(record.record_id, form, instance, {}, "empty", False, 0, None, None)
    return FormState(
        record.record_id,
        form,
        instance,
        dict(row.data),
        row.status,
        row.locked_at is not None,
        row.version,
        row.definition_version,
        row.updated_at,
    )


def create_record(session: Session, actor: Actor, site_pseudonym: str | None = None) -> Record:
    """A new patient at the actor's own site, with the next study ID of that site."""
    require_writer(actor)
    if actor.site_id is None:
        raise Forbidden("only a user of a site can create patients")
    if site_pseudonym is not None:
        clash = session.scalar(select(Record).where(Record.site_pseudonym == site_pseudonym))
        if clash is not None:
            shown = f" ({clash.record_id})" if clash.site_id == actor.site_id else ""
            raise Conflict(f"a patient with this site pseudonym already exists{shown}")
    # One UPDATE both locks the site row and takes the next number, on SQLite and PostgreSQL alike.
    seq = session.scalar(
        update(Site)
        .where(Site.id == actor.site_id)
        .values(last_record_seq=Site.last_record_seq + 1)
        .returning(Site.last_record_seq)
    )
    assert seq is not None and actor.site_code is not None
    record = Record(
        record_id=make_record_id(actor.site_code, seq),
        site_id=actor.site_id,
        site_pseudonym=site_pseudonym,
        created_at=_now(),
    )
    session.add(record)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict("a patient with this site pseudonym already exists") from None
    changes = [{"field": "site_pseudonym", "old": None, "new": site_pseudonym}] if site_pseudonym else []
    audit.append(session, actor, "record_created", record_id=record.record_id, changes=changes)
    return record


def read_form(
    session: Session, study: CompiledStudy, actor: Actor, record_id: str, form: str, instance: int | None
) -> FormState:
    cform = form_of(study, form)
    record = get_record(session, actor, record_id)
    number = instance_number(cform, instance)
    row = find_row(session, record, form, number)
    if cform.repeating and (row is None or row.deleted_at is not None):
        raise NotFound(f"patient '{record_id}' has no instance {number} of '{form}'")
    return state_of(record, form, number, row)


def instance_number(cform: CForm, instance: int | None) -> int:
    if not cform.repeating:
        if instance not in (None, 1):
            raise NotFound(f"'{cform.name}' is filled once per patient: it has no instance {instance}")
        return 1
    if instance is None:
        raise NotFound(f"'{cform.name}' is a repeating form: name the instance")
    return instance


def find_row(session: Session, record: Record, form: str, number: int) -> FormData | None:
    return session.scalar(
        select(FormData).where(
            FormData.record_pk == record.id, FormData.form == form, FormData.instance == number
        )
    )


def check_etag(state: FormState, if_match: str | None) -> None:
    """A stale If-Match means someone saved in between: refuse rather than overwrite their change."""
    if if_match is not None and if_match.strip() not in (state.etag, f"W/{state.etag}"):
        raise PreconditionFailed(
            f"'{state.form}' of {state.record_id} was changed since you read it "
            f"(your version {if_match}, now {state.etag}): reload and apply your change again"
        )


def reason_required(detail: str) -> ValidationFailed:
    error = {"field": None, "code": "reason_required", "severity": "error", "message": detail}
    return ValidationFailed(detail, errors=[error])


def issue_dict(issue: Issue, language: str) -> dict[str, Any]:
    return {
        "field": issue.field,
        "code": issue.code,
        "severity": issue.severity.value,
        "message": issue.message.get(language) or issue.message.get("en"),
        "messages": issue.message,
        "value": None if issue.value is None else str(issue.value),
        "form": issue.form,
        "instance": issue.instance,
    }


def _diff(old: dict[str, str], new: dict[str, str]) -> list[dict[str, Any]]:
    return [
        {"field": name, "old": old.get(name), "new": new.get(name)}
        for name in sorted(old.keys() | new.keys())
        if old.get(name) != new.get(name)
    ]


def save_form(
    session: Session,
    study: CompiledStudy,
    actor: Actor,
    record_id: str,
    form: str,
    instance: int | None,
    raw: dict[str, Any],
    *,
    reason: str | None = None,
    if_match: str | None = None,
    merge: bool = False,
    new_instance: bool = False,
    create_missing: bool = False,
    patient: Patient | None = None,
    deferred_warnings: list[tuple[str, int, Issue]] | None = None,
) -> SaveOutcome:
    """Validate raw values for one form instance and store what changed, with its audit event.

    `merge` keeps stored values of fields not named in `raw` (bulk upload of partial columns);
    otherwise the instance is replaced. `create_missing` creates a repeating instance under the
    number given (an upload names its instances). Hard errors raise ValidationFailed and change nothing.
    With `deferred_warnings`, warnings are collected there for the caller to open queries in one go.
    """
    require_writer(actor)
    cform = form_of(study, form)
    if new_instance and not cform.repeating:
        raise Conflict(f"'{form}' is filled once per patient: use PUT to save it")
    if patient is None:
        patient = load_patient(session, study, get_record(session, actor, record_id))
    record = patient.record
    number = patient.next_instance(form) if new_instance else instance_number(cform, instance)
    row = patient.row(form, number)
    live = row is not None and row.deleted_at is None
    if cform.repeating and not (new_instance or create_missing or live):
        raise NotFound(f"patient '{record_id}' has no instance {number} of '{form}'")
    before = state_of(record, form, number, row)
    check_etag(before, if_match)
    if before.locked:
        raise Conflict(f"'{form}' of {record_id} is locked: it must be unlocked before it can change")

    values = dict(raw)
    if merge and live:
        for name, text in before.data.items():
            spec = cform.fields.get(name)
            if name not in values and spec is not None and spec.is_input:
                values[name] = text
    result = validate(study, form, values, patient=patient.data, instance=number)
    if not result.ok:
        errors = [issue_dict(i, actor.language) for i in result.errors]
        raise ValidationFailed(
            f"{len(errors)} value(s) of '{form}' for {record_id} were rejected; nothing was saved",
            errors=errors,
        )
    after = to_stored({**result.values, **result.computed})
    changes = _diff(before.data, after)
    if before.status in ("complete", "verified") and changes and not (reason and reason.strip()):
        raise reason_required(
            f"'{form}' of {record_id} is {before.status}: a reason for the change is required"
        )
    if not changes and live:
        return SaveOutcome(before, False, [], result.warnings)

    status = "complete" if before.status == "verified" else before.status if live else "incomplete"
    row = _store(session, study, actor, record, form, number, row, after, status)
    if before.status != status and live:
        changes.append({"field": "_status", "old": before.status, "new": status})
    audit.append(
        session,
        actor,
        "form_saved" if live else "form_created",
        record_id=record.record_id,
        form=form,
        instance=number,
        changes=changes,
        reason=reason,
    )
    _update_patient(patient, cform, number, row, result.values, result.computed)
    _recalculate_readers(session, study, actor, patient, form)
    if deferred_warnings is not None:
        deferred_warnings.extend((form, number, w) for w in result.warnings)
        opened = 0
    else:
        opened = open_for_warnings(session, actor, record, form, number, result.warnings)
    return SaveOutcome(state_of(record, form, number, row), not live, changes, result.warnings, opened)


def _store(
    session: Session,
    study: CompiledStudy,
    actor: Actor,
    record: Record,
    form: str,
    number: int,
    row: FormData | None,
    data: dict[str, str],
    status: str,
) -> FormData:
    now = _now()
    if row is None:
        row = FormData(record_pk=record.id, form=form, instance=number, version=0)
        session.add(row)
    row.data = data
    row.status = status
    row.version = (row.version or 0) + 1
    row.definition_version = study.version
    row.updated_at = now
    row.updated_by = actor.user_id
    row.deleted_at = None
    row.deleted_reason = None
    return row


def _update_patient(
    patient: Patient,
    cform: CForm,
    number: int,
    row: FormData,
    values: dict[str, Any],
    computed: dict[str, Any],
) -> None:
    patient.rows[(cform.name, number)] = row
    typed = {k: v for k, v in {**values, **computed}.items() if v is not None}
    if cform.repeating:
        patient.data.repeating.setdefault(cform.name, {})[number] = typed
    else:
        patient.data.once[cform.name] = typed


def _recalculate_readers(
    session: Session, study: CompiledStudy, actor: Actor, patient: Patient, changed: str
) -> None:
    """Calculations elsewhere that read the changed form (e.g. a dose per kg of body weight)."""
    for reader in forms_reading(study, changed):
        instances = (
            patient.data.repeating.get(reader.name, {})
            if reader.repeating
            else {1: patient.data.once[reader.name]}
            if reader.name in patient.data.once
            else {}
        )
        for number, values in list(instances.items()):
            computed = recompute(
                study, reader.name, values, patient.data, number if reader.repeating else None
            )
            row = patient.row(reader.name, number)
            assert row is not None
            after = {**{k: v for k, v in row.data.items() if k not in computed}, **to_stored(computed)}
            changes = _diff(row.data, after)
            if not changes:
                continue
            row.data = after
            row.version += 1
            row.updated_at = _now()
            audit.append(
                session,
                actor,
                "form_recalculated",
                record_id=patient.record.record_id,
                form=reader.name,
                instance=number,
                changes=changes,
                reason=f"recalculated after a change in '{changed}'",
            )
            _update_patient(patient, reader, number, row, values, computed)


def delete_instance(
    session: Session,
    study: CompiledStudy,
    actor: Actor,
    record_id: str,
    form: str,
    instance: int | None,
    reason: str | None,
    if_match: str | None = None,
) -> FormState:
    """Soft-delete: the values stay in the database and the audit trail, out of every view and export."""
    require_writer(actor)
    if not (reason and reason.strip()):
        raise reason_required("a reason is required to delete data")
    cform = form_of(study, form)
    record = get_record(session, actor, record_id)
    number = instance_number(cform, instance)
    row = find_row(session, record, form, number)
    if row is None or row.deleted_at is not None:
        raise NotFound(f"patient '{record_id}' has no data in '{form}' instance {number}")
    before = state_of(record, form, number, row)
    check_etag(before, if_match)
    if before.locked:
        raise Conflict(f"'{form}' of {record_id} is locked: it must be unlocked before it can be deleted")
    row.deleted_at = _now()
    row.deleted_reason = reason
    row.version += 1
    changes = [{"field": name, "old": text, "new": None} for name, text in sorted(row.data.items())]
    audit.append(
        session,
        actor,
        "form_deleted",
        record_id=record.record_id,
        form=form,
        instance=number,
        changes=changes,
        reason=reason,
    )
    session.flush()
    return state_of(record, form, number, row)
