"""The write path below the API: a change planned on a stale copy of a form is refused, not stored."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.auth.service import actor_for_user
from app.core.errors import Conflict, PreconditionFailed
from app.models import AuditEvent, FormData, User
from app.records import changes, service
from app.records.patient import load_patient
from app.records.scope import get_record
from tests.apiclient import Api
from tests.records.test_api import DOSE

VALUES = {"age_at_infusion": "57", "sex": "2", "height_cm": "165.0", "weight_kg": "70.0", "ecog": "1"}


def test_a_change_planned_on_an_old_version_is_refused_and_nothing_is_stored(api: Api) -> None:
    record_id = api.new_record()
    saved = api.call("PUT", f"/api/v1/records/{record_id}/forms/demographics", json={"values": VALUES})
    assert saved.status_code == 200, saved.text
    app = api.client.app
    study = app.state.study  # type: ignore[attr-defined]
    with app.state.session_factory() as session:  # type: ignore[attr-defined]
        user = session.scalars(select(User).where(User.email == "entry_hcb@records.test")).one()
        actor = actor_for_user(session, user, "test")
        stale = load_patient(session, study, get_record(session, actor, record_id))
        # Someone else saves the same form after `stale` was read...
        service.save_form(session, study, actor, record_id, "demographics", None, {**VALUES, "ecog": "2"})
        events = session.scalar(select(func.count()).select_from(AuditEvent))
        # ...so a change planned on the old copy must not overwrite theirs.
        outcome = service.plan_save(
            study, actor, stale, "demographics", None, {**VALUES, "weight_kg": "71.0"}
        )
        with pytest.raises(PreconditionFailed):
            changes.write(session, actor, outcome.writes)
        stored = session.scalars(
            select(FormData).where(FormData.record_pk == stale.record.id, FormData.form == "demographics")
        ).one()
        assert stored.data["ecog"] == "2" and stored.data["weight_kg"] == "70.0"
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == events
        session.rollback()


def with_a_dose(api: Api, record_id: str) -> None:
    """Demographics (70 kg) and one anakinra entry, whose dose per kg reads the weight."""
    api.call("PUT", f"/api/v1/records/{record_id}/forms/demographics", json={"values": VALUES})
    api.call("POST", f"/api/v1/records/{record_id}/forms/anakinra", json={"values": DOSE})


def lock_the_dose(api: Api, record_id: str) -> None:
    url = f"/api/v1/records/{record_id}/forms/anakinra/1/status"
    assert api.call("POST", url, json={"action": "complete"}).status_code == 200
    assert api.call("POST", url, "manager_hcb", json={"action": "lock"}).status_code == 200


def test_a_save_refused_by_a_locked_reader_leaves_the_patient_as_it_was(api: Api) -> None:
    record_id = api.new_record()
    with_a_dose(api, record_id)
    lock_the_dose(api, record_id)
    app = api.client.app
    study = app.state.study  # type: ignore[attr-defined]
    with app.state.session_factory() as session:  # type: ignore[attr-defined]
        user = session.scalars(select(User).where(User.email == "entry_hcb@records.test")).one()
        actor = actor_for_user(session, user, "test")
        patient = load_patient(session, study, get_record(session, actor, record_id))
        rows, once = dict(patient.rows), dict(patient.data.once)
        dose_row = dict(patient.data.repeating["anakinra"])
        with pytest.raises(Conflict, match="locked"):
            service.plan_save(study, actor, patient, "demographics", None, {**VALUES, "weight_kg": "90.0"})
        # An upload plans the patient's next rows on the same copy: it must still be the stored one.
        assert patient.rows == rows and patient.data.once == once
        assert patient.data.repeating["anakinra"] == dose_row
        session.rollback()


def test_a_calculated_number_stored_with_trailing_zeros_is_not_a_change(api: Api) -> None:
    # Stored before calculations dropped their trailing zeros: '800.0' is still 800.
    record_id = api.new_record()
    with_a_dose(api, record_id)
    app = api.client.app
    with app.state.session_factory.begin() as session:  # type: ignore[attr-defined]
        row = session.scalars(
            select(FormData).where(FormData.form == "anakinra").order_by(FormData.id.desc())
        ).first()
        assert row is not None and row.data["anakinra_mg_day"] == "800"
        row.data = {**row.data, "anakinra_mg_day": "800.0"}
    lock_the_dose(api, record_id)
    # A save that changes nothing the locked entry reads goes through, and leaves it as stored.
    saved = api.call(
        "PUT", f"/api/v1/records/{record_id}/forms/demographics", json={"values": {**VALUES, "ecog": "2"}}
    )
    assert saved.status_code == 200, saved.text
    kept = api.call("GET", f"/api/v1/records/{record_id}/forms/anakinra/1").json()
    assert kept["locked"] is True and kept["version"] == 3
