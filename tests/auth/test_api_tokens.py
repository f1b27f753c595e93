"""Bearer tokens as the records API sees them: checked on every request, before the body is."""

import httpx

from app.auth.actor import SYSTEM
from app.auth.service import add_user, deactivate_user
from app.auth.tokens import create_token, revoke_token
from tests.apiclient import Api

VALUES = {"age_at_infusion": "57", "sex": "2", "height_cm": "165.0", "weight_kg": "70.0", "ecog": "1"}


def _new_token(api: Api, email: str) -> str:
    with api.client.app.state.session_factory.begin() as session:  # type: ignore[attr-defined]
        add_user(session, SYSTEM, email, "site_entry", "HCB", None)
        return create_token(session, SYSTEM, email)[1]


def _save(api: Api, secret: str, record_id: str, values: dict[str, str]) -> httpx.Response:
    return api.client.put(
        f"/api/v1/records/{record_id}/forms/demographics",
        json={"values": values},
        headers={"Authorization": f"Bearer {secret}"},
    )


def test_a_token_revoked_elsewhere_is_refused_from_the_next_request_on(api: Api) -> None:
    secret = _new_token(api, "revoked-soon@records.test")
    record_id = api.new_record()
    assert _save(api, secret, record_id, VALUES).status_code == 200

    # As `edc tokens revoke` does it: another session, committed, while the server keeps running.
    with api.client.app.state.session_factory.begin() as session:  # type: ignore[attr-defined]
        revoke_token(session, SYSTEM, secret[:12])
    refused = _save(api, secret, record_id, {**VALUES, "ecog": "2"})

    assert refused.status_code == 401
    assert "was revoked on" in refused.json()["detail"]


def test_a_deactivated_users_token_is_refused_from_the_next_request_on(api: Api) -> None:
    secret = _new_token(api, "leaving@records.test")
    record_id = api.new_record()
    assert _save(api, secret, record_id, VALUES).status_code == 200

    with api.client.app.state.session_factory.begin() as session:  # type: ignore[attr-defined]
        deactivate_user(session, SYSTEM, "leaving@records.test")

    assert _save(api, secret, record_id, VALUES).status_code == 401


def test_a_bad_token_is_refused_before_the_body_is_looked_at(api: Api) -> None:
    record_id = api.new_record()
    response = api.client.put(
        f"/api/v1/records/{record_id}/forms/demographics",
        json={"valeus": {}},
        headers={"Authorization": "Bearer edc_" + "D" * 43},
    )

    assert response.status_code == 401
    assert response.json()["detail"] == "unknown API token"
