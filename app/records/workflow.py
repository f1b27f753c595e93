"""Form status: incomplete -> complete -> verified, and locks.

Site users complete and reopen; the site's data manager locks and unlocks; a monitor verifies.
Marking a form complete runs its completion checks; completing the patient's last form runs the
study's record-level completion checks too.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from app.auth.actor import Actor, Role
from app.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.forms.engine import validate, validate_completion
from app.forms.model import CompiledStudy
from app.records import changes as store
from app.records.changes import FormChange
from app.records.patient import Patient, load_patient
from app.records.scope import get_record
from app.records.service import (
    FormState,
    check_etag,
    form_of,
    instance_number,
    issue_dict,
    reason_required,
    state_of,
)

SITE = frozenset({Role.site_entry, Role.site_manager})
# action: (who may, from which statuses, to which status; None keeps the status and changes the lock)
ACTIONS: dict[str, tuple[frozenset[str], tuple[str, ...], str | None]] = {
    "complete": (SITE, ("incomplete",), "complete"),
    "reopen": (SITE, ("complete",), "incomplete"),
    "verify": (frozenset({Role.monitor}), ("complete",), "verified"),
    "unverify": (frozenset({Role.monitor}), ("verified",), "complete"),
    "lock": (frozenset({Role.site_manager}), ("complete", "verified"), None),
    "unlock": (frozenset({Role.site_manager}), ("complete", "verified"), None),
}


def change_status(
    session: Session,
    study: CompiledStudy,
    actor: Actor,
    record_id: str,
    form: str,
    instance: int | None,
    action: str,
    reason: str | None = None,
    if_match: str | None = None,
) -> FormState:
    if action not in ACTIONS:
        raise NotFound(f"unknown action '{action}' (one of {', '.join(ACTIONS)})")
    form_of(study, form)
    patient = load_patient(session, study, get_record(session, actor, record_id))
    change = plan_status(study, actor, patient, form, instance, action, reason, if_match)
    store.write(session, actor, [change])
    return state_of(patient.record, form, change.row.instance, change.row)


def plan_status(
    study: CompiledStudy,
    actor: Actor,
    patient: Patient,
    form: str,
    instance: int | None,
    action: str,
    reason: str | None = None,
    if_match: str | None = None,
) -> FormChange:
    """Check a status change against the patient in memory and return it, unstored."""
    if action not in ACTIONS:
        raise NotFound(f"unknown action '{action}' (one of {', '.join(ACTIONS)})")
    roles, sources, target = ACTIONS[action]
    cform = form_of(study, form)
    record_id = patient.record.record_id
    if actor.role not in roles:
        raise Forbidden(f"a {actor.role} cannot {action} a form")
    number = instance_number(cform, instance)
    row = patient.row(form, number)
    state = state_of(patient.record, form, number, row)
    if row is None or state.status == "empty":
        raise NotFound(f"'{form}' of {record_id} has no data yet")
    check_etag(state, if_match)
    if state.status not in sources:
        raise Conflict(f"'{form}' of {record_id} is {state.status}: it cannot be {action}ed")
    if action == "lock" and state.locked or action == "unlock" and not state.locked:
        raise Conflict(f"'{form}' of {record_id} is already {'locked' if state.locked else 'unlocked'}")
    if state.locked and action not in ("unlock",):
        raise Conflict(f"'{form}' of {record_id} is locked: unlock it first")
    if action == "unlock" and not (reason and reason.strip()):
        # Unlocking reopens data that was declared final: the trail says why, as for any change.
        raise reason_required(f"a reason is required to unlock '{form}' of {record_id}")
    if action == "complete":
        _check_completion(study, patient, form, number, state.data, actor.language)
    if target is not None:
        changed = replace(row, status=target, version=row.version + 1)
    else:
        locked_at = datetime.now(UTC) if action == "lock" else None
        changed = replace(row, locked_at=locked_at, version=row.version + 1)
    old = "locked" if state.locked else state.status
    new = "locked" if changed.locked_at is not None else changed.status
    patient.rows[(form, number)] = changed
    return FormChange(
        patient.record,
        changed,
        f"form_{action}",
        [{"field": "_status", "old": old, "new": new}],
        reason,
        created=False,
        base_version=row.version,
    )


def _check_completion(
    study: CompiledStudy, patient: Patient, form: str, number: int, data: dict[str, str], language: str
) -> None:
    inputs = {
        name: text
        for name, text in data.items()
        if name in study.forms[form].fields and study.forms[form].fields[name].is_input
    }
    result = validate(study, form, inputs, patient=patient.data, instance=number, completing=True)
    errors = [issue_dict(i, language) for i in result.errors]
    if patient.record_complete(study, apart=(form, number)):  # completing it completes the record
        errors += [
            issue_dict(i, language) for i in validate_completion(study, patient.data) if i.severity == "error"
        ]
    if errors:
        raise ValidationFailed(
            f"'{form}' cannot be marked complete: {len(errors)} check(s) fail", errors=errors
        )
