"""Site isolation for every endpoint and role: another site's patient does not exist for you."""

from __future__ import annotations

from typing import Any

import pytest

from tests.records.conftest import Api
from tests.records.test_api import DAY, DEMOGRAPHICS


@pytest.fixture(scope="module")
def hcb_patient(api: Api) -> dict[str, Any]:
    record_id = api.new_record("entry_hcb")
    api.call("PUT", f"/api/v1/records/{record_id}/forms/demographics", json={"values": DEMOGRAPHICS})
    api.call("POST", f"/api/v1/records/{record_id}/forms/daily_assessment", json={"values": DAY})
    query = api.call(
        "POST",
        f"/api/v1/records/{record_id}/queries",
        "monitor",
        json={"form": "demographics", "field": "ecog", "text": "ECOG 1 at 57?"},
    )
    assert query.status_code == 201, query.text
    return {"record_id": record_id, "query_id": query.json()["id"]}


def endpoints(record_id: str, query_id: int) -> list[tuple[str, str, dict[str, Any]]]:
    base = f"/api/v1/records/{record_id}"
    form = f"{base}/forms/demographics"
    day = f"{base}/forms/daily_assessment"
    return [
        ("GET", base, {}),
        ("GET", f"{base}/audit", {}),
        ("GET", form, {}),
        ("PUT", form, {"json": {"values": DEMOGRAPHICS}}),
        ("DELETE", form, {"params": {"reason": "r"}}),
        ("POST", f"{form}/status", {"json": {"action": "complete"}}),
        ("POST", day, {"json": {"values": {**DAY, "assess_day": "9"}}}),
        ("GET", f"{day}/1", {}),
        ("PUT", f"{day}/1", {"json": {"values": DAY}}),
        ("DELETE", f"{day}/1", {"params": {"reason": "r"}}),
        ("POST", f"{day}/1/status", {"json": {"action": "complete"}}),
        ("POST", f"{base}/queries", {"json": {"form": "demographics", "text": "?"}}),
        ("GET", f"/api/v1/queries/{query_id}", {}),
        ("POST", f"/api/v1/queries/{query_id}/answer", {"json": {"text": "yes"}}),
        ("POST", f"/api/v1/queries/{query_id}/close", {"json": {"text": "ok"}}),
    ]


@pytest.mark.parametrize("who", ["entry_fhcc", "manager_fhcc"])
def test_another_sites_patient_is_not_found_on_every_endpoint(
    api: Api, hcb_patient: dict[str, Any], who: str
) -> None:
    before = api.audit_count()
    for method, url, kwargs in endpoints(hcb_patient["record_id"], hcb_patient["query_id"]):
        response = api.call(method, url, who, **kwargs)
        assert response.status_code == 404, (method, url, response.status_code, response.text)
        assert hcb_patient["record_id"] not in response.text or "no patient" in response.text
    assert api.audit_count() == before
    listed = api.call("GET", "/api/v1/records?limit=1000", who).json()["items"]
    assert hcb_patient["record_id"] not in {r["record_id"] for r in listed}
    queries = api.call("GET", "/api/v1/queries?limit=1000", who).json()
    assert hcb_patient["query_id"] not in {q["id"] for q in queries}


def test_admins_see_no_patient_data(api: Api, hcb_patient: dict[str, Any]) -> None:
    for method, url, kwargs in endpoints(hcb_patient["record_id"], hcb_patient["query_id"]):
        response = api.call(method, url, "admin", **kwargs)
        assert response.status_code == 403, (method, url, response.status_code)


@pytest.mark.parametrize("who", ["monitor", "coordinator"])
def test_central_roles_read_every_site_but_do_not_change_data(
    api: Api, hcb_patient: dict[str, Any], who: str
) -> None:
    record_id = hcb_patient["record_id"]
    assert api.call("GET", f"/api/v1/records/{record_id}/forms/demographics", who).status_code == 200
    assert api.call("GET", f"/api/v1/records/{record_id}/audit", who).status_code == 200
    sites = {r["site"] for r in api.call("GET", "/api/v1/records?limit=1000", who).json()["items"]}
    assert {"HCB"} <= sites
    write = api.call(
        "PUT", f"/api/v1/records/{record_id}/forms/demographics", who, json={"values": DEMOGRAPHICS}
    )
    assert write.status_code == 403
    assert api.call("POST", "/api/v1/records", who).status_code == 403


def test_query_thread_site_answers_monitor_closes(api: Api, hcb_patient: dict[str, Any]) -> None:
    query_id = hcb_patient["query_id"]
    assert (
        api.call("POST", f"/api/v1/queries/{query_id}/answer", "entry_hcb", json={"text": "x"}).status_code
        == 403
    )
    answered = api.call(
        "POST", f"/api/v1/queries/{query_id}/answer", "manager_hcb", json={"text": "Confirmed in chart"}
    )
    assert answered.json()["status"] == "answered"
    closed = api.call("POST", f"/api/v1/queries/{query_id}/close", "monitor", json={"text": "Thanks"})
    assert closed.json()["status"] == "closed"
    assert [m["kind"] for m in closed.json()["messages"]] == ["open", "answer", "close"]
    again = api.call("POST", f"/api/v1/queries/{query_id}/close", "monitor", json={"text": "again"})
    assert again.status_code == 409
