"""The one write path: validate, diff, store, audit. Web pages, the JSON API and bulk upload all call it.

`plan_save` validates one form instance against the patient in memory and returns what would change;
`changes.write` stores a batch of such changes with their audit events. `save_form` does both for one
save; a bulk upload plans a chunk of patients, then writes them in one go.

Services flush, never commit: the caller's transaction (one per request or per upload) commits data and
its audit events together, or neither.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from sqlalchemy import Table, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.auth.actor import Actor, Role
from app.core.errors import Conflict, Forbidden, NotFound, PreconditionFailed, ValidationFailed
from app.forms.engine import Issue, forms_reading, recompute, validate, validate_completion
from app.forms.model import CForm, CompiledStudy
from app.forms.schema import Severity
from app.forms.stored import to_stored
from app.models import Record, Site
from app.queries.checks import RANGE_CHECKS, Checked, sync_check_queries
from app.records import changes as store
from app.records.changes import FormChange
from app.records.ids import make_record_id
from app.records.patient import Patient, StoredForm, load_patient
from app.records.scope import get_record

WRITERS = frozenset({Role.site_entry, Role.site_manager})
_RECORDS = cast(Table, Record.__table__)


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
    queries_answered: int = 0
    # What the data queries need to know of each instance written: what changed, what the checks said.
    checked: list[Checked] = field(default_factory=list)
    # What to store: the saved instance first, then calculations elsewhere it changed. Empty if unchanged.
    writes: list[FormChange] = field(default_factory=list)

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


def state_of(record: Record, form: str, instance: int, row: StoredForm | None) -> FormState:
    if row is None or not row.live:
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
    return create_records(session, actor, [site_pseudonym])[0]


def create_records(session: Session, actor: Actor, pseudonyms: Sequence[str | None]) -> list[Record]:
    """New patients at the actor's site, numbered in order, in one INSERT (a bulk upload's new patients)."""
    require_writer(actor)
    if actor.site_id is None or actor.site_code is None:
        raise Forbidden("only a user of a site can create patients")
    named = [p for p in pseudonyms if p is not None]
    if len(set(named)) != len(named):
        raise Conflict("the same site pseudonym is given to two new patients")
    if named:
        clash = session.scalar(select(Record).where(Record.site_pseudonym.in_(named)).limit(1))
        if clash is not None:
            shown = f" ({clash.record_id})" if clash.site_id == actor.site_id else ""
            raise Conflict(f"a patient with this site pseudonym already exists{shown}")
    # One UPDATE both locks the site row and reserves the numbers, on SQLite and PostgreSQL alike.
    last = session.scalar(
        update(Site)
        .where(Site.id == actor.site_id)
        .values(last_record_seq=Site.last_record_seq + len(pseudonyms))
        .returning(Site.last_record_seq)
    )
    assert last is not None
    now = _now()
    first = last - len(pseudonyms) + 1
    rows = [
        {
            "record_id": make_record_id(actor.site_code, first + i),
            "site_id": actor.site_id,
            "site_pseudonym": pseudonym,
            "created_at": now,
        }
        for i, pseudonym in enumerate(pseudonyms)
    ]
    try:
        ids = session.scalars(
            insert(_RECORDS).returning(_RECORDS.c.id, sort_by_parameter_order=True), rows
        ).all()
    except IntegrityError:  # a concurrent request took the pseudonym after the check above
        raise Conflict("a patient with this site pseudonym already exists") from None
    records = [Record(id=pk, **row) for pk, row in zip(ids, rows, strict=True)]
    audit.append_many(
        session,
        actor,
        (
            audit.Entry(
                "record_created",
                record.record_id,
                changes=[{"field": "site_pseudonym", "old": None, "new": record.site_pseudonym}]
                if record.site_pseudonym
                else [],
            )
            for record in records
        ),
    )
    return records


def read_form(
    session: Session, study: CompiledStudy, actor: Actor, record_id: str, form: str, instance: int | None
) -> FormState:
    form_of(study, form)
    patient = load_patient(session, study, get_record(session, actor, record_id))
    return form_state(study, patient, form, instance)


def form_state(study: CompiledStudy, patient: Patient, form: str, instance: int | None) -> FormState:
    """The stored state of one instance of a patient already loaded (empty for an unsaved once-form)."""
    cform = form_of(study, form)
    number = instance_number(cform, instance)
    row = patient.row(form, number)
    if cform.repeating and (row is None or not row.live):
        raise NotFound(f"patient '{patient.record.record_id}' has no instance {number} of '{form}'")
    return state_of(patient.record, form, number, row)


def instance_number(cform: CForm, instance: int | None) -> int:
    if not cform.repeating:
        if instance not in (None, 1):
            raise NotFound(f"'{cform.name}' is filled once per patient: it has no instance {instance}")
        return 1
    if instance is None:
        raise NotFound(f"'{cform.name}' is a repeating form: name the instance")
    return instance


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


def _same_numbers_kept(old: dict[str, str], new: dict[str, str], computed: dict[str, Any]) -> dict[str, str]:
    """`new`, with the stored text of each calculated number that has not changed in value: '400.0'
    stored before calculations dropped trailing zeros is still 400, and no change (none to audit,
    to withdraw a verification for, or to refuse under a lock)."""
    for name, value in computed.items():
        stored = old.get(name)
        if isinstance(value, Decimal | int) and stored is not None and stored != new.get(name):
            try:
                if Decimal(stored) == value:
                    new[name] = stored
            except InvalidOperation:
                pass
    return new


def _diff(old: dict[str, str], new: dict[str, str]) -> list[dict[str, Any]]:
    if not old:  # a new instance (the bulk of an upload): every value is new
        return [{"field": name, "old": None, "new": new[name]} for name in sorted(new)]
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
    new_instance: bool = False,
    patient: Patient | None = None,
) -> SaveOutcome:
    """Validate raw values for one form instance and store what changed, with its audit event.

    The instance is replaced by `raw`. Hard errors raise ValidationFailed and change nothing;
    warnings save the data and open a data query each, except a required value still blank (the
    site's to fill before completing the form). A caller saving several forms of one
    patient passes the `patient` it loaded, which each save keeps up to date.
    """
    require_writer(actor)
    if patient is None:
        patient = load_patient(session, study, get_record(session, actor, record_id))
    outcome = plan_save(
        study,
        actor,
        patient,
        form,
        instance,
        raw,
        reason=reason,
        if_match=if_match,
        new_instance=new_instance,
    )
    store.write(session, actor, outcome.writes)
    if outcome.writes:
        outcome.queries_opened, outcome.queries_answered = sync_check_queries(session, actor, outcome.checked)
    return outcome


def checked(
    study: CompiledStudy,
    record: Record,
    form: str,
    instance: int,
    warnings: list[Issue],
    changes: list[dict[str, Any]],
) -> Checked:
    """What a save of one instance tells the data queries: the range checks and the form's own rules
    ran on it (rules of other forms that read it warn about those forms, and run on their saves)."""
    changed = frozenset(c["field"] for c in changes)
    # A value still missing is the site's to fill before completing the form, not a query's.
    raised = tuple(w for w in warnings if w.code != "required")
    return Checked(record, form, instance, raised, form_of(study, form).save_checks, changed)


def plan_save(
    study: CompiledStudy,
    actor: Actor,
    patient: Patient,
    form: str,
    instance: int | None,
    raw: dict[str, Any],
    *,
    reason: str | None = None,
    if_match: str | None = None,
    merge: bool = False,
    new_instance: bool = False,
    create_missing: bool = False,
) -> SaveOutcome:
    """Validate and diff one form instance against the patient in memory; store nothing.

    The patient is updated in memory, so the next plan for the same patient sees this one.
    `merge` keeps stored values of fields not named in `raw` (bulk upload of partial columns);
    otherwise the instance is replaced. `create_missing` creates a repeating instance under the
    number given (an upload names its instances). Hard errors raise and leave the patient as it was.
    """
    require_writer(actor)
    cform = form_of(study, form)
    record = patient.record
    if new_instance and not cform.repeating:
        raise Conflict(f"'{form}' is filled once per patient: use PUT to save it")
    number = patient.next_instance(form) if new_instance else instance_number(cform, instance)
    row = patient.row(form, number)
    live = row is not None and row.live
    if cform.repeating and not (new_instance or create_missing or live):
        raise NotFound(f"patient '{record.record_id}' has no instance {number} of '{form}'")
    before = state_of(record, form, number, row)
    check_etag(before, if_match)
    if before.locked:
        raise Conflict(f"'{form}' of {record.record_id} is locked: it must be unlocked before it can change")

    values = dict(raw)
    if merge and live:
        for name, text in before.data.items():
            spec = cform.fields.get(name)
            if name not in values and spec is not None and spec.is_input:
                values[name] = text
    # A form marked complete stays complete only while its completion checks hold: an edit of it
    # (with a reason) is checked as completing it would be, required values included.
    finished = live and before.status in ("complete", "verified")
    result = validate(study, form, values, patient=patient.data, instance=number, completing=finished)
    if not result.ok:
        errors = [issue_dict(i, actor.language) for i in result.errors]
        raise ValidationFailed(
            f"{len(errors)} value(s) of '{form}' for {record.record_id} were rejected; nothing was saved",
            errors=errors,
        )
    typed = {**result.values, **result.computed}
    after = _same_numbers_kept(before.data, to_stored(typed), result.computed)
    changes = _diff(before.data, after)
    if before.status in ("complete", "verified") and changes and not (reason and reason.strip()):
        raise reason_required(
            f"'{form}' of {record.record_id} is {before.status}: a reason for the change is required"
        )
    if not changes and live:
        return SaveOutcome(before, False, [], result.warnings)

    status = "complete" if before.status == "verified" else before.status if live else "incomplete"
    saved = StoredForm(
        form,
        number,
        after,
        status=status,
        version=(row.version if row is not None else 0) + 1,
        definition_version=study.version,
        updated_at=_now(),
    )
    if before.status != status and live:
        changes.append({"field": "_status", "old": before.status, "new": status})
    writes = [
        FormChange(
            record,
            saved,
            "form_saved" if live else "form_created",
            changes,
            reason,
            created=row is None,
            base_version=row.version if row is not None else 0,
        )
    ]
    patient.keep(study, saved, {k: v for k, v in typed.items() if v is not None})
    try:
        recalculated, recalculated_checks = _recalculate_readers(study, patient, form)
    except Conflict:  # a locked reader: the save is refused, and the patient left as it was
        if row is None:
            patient.forget(study, form, number)
        else:
            patient.keep(study, row)
        raise
    writes += recalculated
    state = state_of(record, form, number, saved)
    outcome = SaveOutcome(state, not live, changes, result.warnings, writes=writes)
    outcome.checked = [checked(study, record, form, number, result.warnings, changes)]
    outcome.checked += recalculated_checks
    return outcome


def _recalculate_readers(
    study: CompiledStudy, patient: Patient, changed: str
) -> tuple[list[FormChange], list[Checked]]:
    """Calculations elsewhere that read the changed form (e.g. a dose per kg of body weight), with
    what their range checks now say. A verified reader goes back to complete, as an edited form does;
    a locked one refuses the change (Conflict), with the patient put back as it was."""
    writes: list[FormChange] = []
    checks: list[Checked] = []
    replaced: list[StoredForm] = []  # to put back if a locked reader refuses the change
    for reader in forms_reading(study, changed):
        instances = (
            patient.data.repeating.get(reader.name, {})
            if reader.repeating
            else {1: patient.data.once[reader.name]}
            if reader.name in patient.data.once
            else {}
        )
        for number, values in list(instances.items()):
            computed, warnings = recompute(
                study, reader.name, values, patient.data, number if reader.repeating else None
            )
            row = patient.row(reader.name, number)
            assert row is not None
            fresh = {**{k: v for k, v in row.data.items() if k not in computed}, **to_stored(computed)}
            after = _same_numbers_kept(row.data, fresh, computed)
            changes = _diff(row.data, after)
            if not changes:
                continue
            if row.locked_at is not None:
                # Locked data are final: a calculation in them does not move under the lock.
                for old in reversed(replaced):
                    patient.keep(study, old)
                where = f"'{reader.name}' {number}" if reader.repeating else f"'{reader.name}'"
                moving = ", ".join(c["field"] for c in changes)
                raise Conflict(
                    f"this change to '{changed}' would recalculate {moving} in {where} of "
                    f"{patient.record.record_id}, which is locked: unlock it first"
                )
            status = "complete" if row.status == "verified" else row.status
            if status != row.status:  # as an edit does, a recalculation withdraws the verification
                changes.append({"field": "_status", "old": row.status, "new": status})
            saved = replace(row, data=after, status=status, version=row.version + 1, updated_at=_now())
            writes.append(
                FormChange(
                    patient.record,
                    saved,
                    "form_recalculated",
                    changes,
                    f"recalculated after a change in '{changed}'",
                    created=False,
                    base_version=row.version,
                )
            )
            typed = {k: v for k, v in {**values, **computed}.items() if v is not None}
            replaced.append(row)
            patient.keep(study, saved, typed)
            fields = frozenset(c["field"] for c in changes)
            checks.append(Checked(patient.record, reader.name, number, tuple(warnings), RANGE_CHECKS, fields))
    return writes, checks


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
    patient = load_patient(session, study, get_record(session, actor, record_id))
    number = instance_number(cform, instance)
    row = patient.row(form, number)
    if row is None or not row.live:
        raise NotFound(f"patient '{record_id}' has no data in '{form}' instance {number}")
    before = state_of(patient.record, form, number, row)
    check_etag(before, if_match)
    if before.locked:
        raise Conflict(f"'{form}' of {record_id} is locked: it must be unlocked before it can be deleted")
    deleted = replace(row, version=row.version + 1, deleted_at=_now(), deleted_reason=reason)
    changes = [{"field": name, "old": text, "new": None} for name, text in sorted(row.data.items())]
    change = FormChange(
        patient.record, deleted, "form_deleted", changes, reason, created=False, base_version=row.version
    )
    patient.keep(study, deleted)
    # What other forms calculate from this one moves with it, as after a save.
    recalculated, checks = _recalculate_readers(study, patient, form)
    _check_still_complete(study, actor, patient, f"deleting '{form}' {number} of {record_id}")
    store.write(session, actor, [change, *recalculated])
    if checks:
        sync_check_queries(session, actor, checks)
    return state_of(patient.record, form, number, deleted)


def _check_still_complete(study: CompiledStudy, actor: Actor, patient: Patient, what: str) -> None:
    """A record whose forms are all complete passed the study's completion checks: a deletion may
    not leave it complete and failing them (the last anakinra entry of a complete record, say)."""
    if not patient.record_complete(study):
        return
    failing = [i for i in validate_completion(study, patient.data) if i.severity == Severity.error]
    if failing:
        raise ValidationFailed(
            f"{what} would leave a complete record failing {len(failing)} completion check(s): mark one "
            "of its forms incomplete first, or add the entry that replaces it before deleting this one",
            errors=[issue_dict(i, actor.language) for i in failing],
        )
