"""The records API end to end over HTTP, on SQLite and PostgreSQL: what a client sees and what is kept."""

from __future__ import annotations

import random
from typing import Any

from app.demo.synthetic import form_values
from app.forms.compile import load_study
from app.forms.engine import PatientData, validate
from app.records.ids import is_well_formed
from tests.apiclient import REPO
from tests.records.conftest import Api

DEMOGRAPHICS = {"age_at_infusion": "57", "sex": "2", "weight_kg": "70.5", "height_cm": "165.0", "ecog": "1"}
DOSE = {  # 200 mg four times a day: 11.35 mg/kg/d at 70.5 kg
    "anakinra_start_day": "5",
    "anakinra_dose_mg": "200",
    "anakinra_freq": "4",
    "anakinra_route": "2",
    "anakinra_indication": "1",
}


def put_demographics(api: Api, record_id: str, values: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    body = {"values": values if values is not None else DEMOGRAPHICS, **kwargs.pop("body", {})}
    return api.call("PUT", f"/api/v1/records/{record_id}/forms/demographics", json=body, **kwargs)


def test_create_a_patient_at_the_callers_site(api: Api) -> None:
    record_id = api.new_record("entry_hcb")
    assert record_id.startswith("HCB-") and is_well_formed(record_id)
    listed = api.call("GET", "/api/v1/records?limit=1000", "entry_hcb").json()["items"]
    assert record_id in {r["record_id"] for r in listed}
    assert {r["site"] for r in listed} == {"HCB"}


def test_save_and_read_a_once_form_with_typed_values(api: Api) -> None:
    record_id = api.new_record()
    saved = put_demographics(api, record_id, {**DEMOGRAPHICS, "sex": 2, "weight_kg": 70.5})
    assert saved.status_code == 200, saved.text
    body = saved.json()
    assert body["values"] == {
        "age_at_infusion": 57,
        "sex": 2,
        "weight_kg": 70.5,
        "height_cm": 165.0,
        "ecog": 1,
    }
    assert body["status"] == "incomplete" and body["version"] == 1
    assert body["definition_version"].startswith("1.0.0+")
    read = api.call("GET", f"/api/v1/records/{record_id}/forms/demographics")
    assert read.json()["values"] == body["values"]
    assert read.headers["ETag"] == saved.headers["ETag"] == '"1"'


def test_hard_errors_are_all_reported_and_nothing_is_written(api: Api) -> None:
    record_id = api.new_record()
    put_demographics(api, record_id)
    before = api.audit_count()
    bad = {"age_at_infusion": "12", "sex": "3", "weight_kg": "70.55", "shoe_size": "44", "height_cm": "abc"}
    response = put_demographics(api, record_id, bad)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    found = {(e["field"], e["code"]) for e in response.json()["errors"]}
    assert found == {
        ("age_at_infusion", "out_of_range"),
        ("sex", "invalid_choice"),
        ("weight_kg", "precision"),
        ("shoe_size", "unknown_field"),
        ("height_cm", "not_number"),
    }
    assert api.call("GET", f"/api/v1/records/{record_id}/forms/demographics").json()["values"]["sex"] == 2
    assert api.audit_count() == before


def test_a_warning_saves_and_opens_a_query(api: Api) -> None:
    record_id = api.new_record()
    response = put_demographics(api, record_id, {**DEMOGRAPHICS, "weight_kg": "160"})
    assert response.status_code == 200
    assert [(w["field"], w["code"]) for w in response.json()["warnings"]] == [("weight_kg", "soft_range")]
    assert response.json()["queries_opened"] == 1
    queries = api.call("GET", f"/api/v1/queries?record_id={record_id}").json()
    assert [(q["field"], q["status"], q["origin"]) for q in queries] == [("weight_kg", "open", "check")]
    again = put_demographics(api, record_id, {**DEMOGRAPHICS, "weight_kg": "161"})
    assert again.json()["queries_opened"] == 0


def test_a_correction_answers_the_query_its_check_opened(api: Api) -> None:
    record_id = api.new_record()
    put_demographics(api, record_id, {**DEMOGRAPHICS, "weight_kg": "160"})
    [check] = api.call("GET", f"/api/v1/queries?record_id={record_id}").json()
    by_monitor = api.call(
        "POST",
        f"/api/v1/records/{record_id}/queries",
        "monitor",
        json={"form": "demographics", "field": "weight_kg", "text": "Source?"},
    )
    assert by_monitor.status_code == 201, by_monitor.text
    still = put_demographics(api, record_id, {**DEMOGRAPHICS, "weight_kg": "161"})
    assert still.json()["queries_answered"] == 0
    fixed = put_demographics(api, record_id, {**DEMOGRAPHICS, "weight_kg": "150"})
    assert fixed.json()["queries_answered"] == 1
    after = {q["id"]: q["status"] for q in api.call("GET", f"/api/v1/queries?record_id={record_id}").json()}
    assert after == {check["id"]: "answered", by_monitor.json()["id"]: "open"}
    thread = api.call("GET", f"/api/v1/queries/{check['id']}").json()["messages"]
    assert thread[-1]["kind"] == "answer" and "check now passes" in thread[-1]["text"]
    assert thread[-1]["texts"]["es"].startswith("Respondida automáticamente")
    assert thread[0]["texts"]["es"].startswith("160 está fuera del rango esperado")
    assert api.audit_intact()


def queries_of(api: Api, record_id: str) -> list[tuple[str, int, str, str]]:
    found = api.call("GET", f"/api/v1/queries?record_id={record_id}").json()
    return [(q["form"], q["instance"], q["field"], q["status"]) for q in found]


def test_a_value_out_of_range_again_reopens_the_answered_query(api: Api) -> None:
    record_id = api.new_record()
    for weight in ("160", "150", "170"):
        put_demographics(api, record_id, {**DEMOGRAPHICS, "weight_kg": weight})
    assert queries_of(api, record_id) == [("demographics", 1, "weight_kg", "open")]
    [query] = api.call("GET", f"/api/v1/queries?record_id={record_id}").json()
    thread = api.call("GET", f"/api/v1/queries/{query['id']}").json()["messages"]
    assert [m["kind"] for m in thread] == ["open", "answer", "reopen"]
    assert "fails again: 170 is outside the expected range" in thread[-1]["text"]


def test_a_save_that_leaves_the_field_alone_says_nothing_of_its_query(api: Api) -> None:
    record_id = api.new_record()
    put_demographics(api, record_id, {**DEMOGRAPHICS, "weight_kg": "160"})
    put_demographics(api, record_id, {**DEMOGRAPHICS, "weight_kg": "150"})  # answered
    [query] = api.call("GET", f"/api/v1/queries?record_id={record_id}").json()
    reopened = api.call("POST", f"/api/v1/queries/{query['id']}/reopen", "monitor", json={"text": "150?"})
    assert reopened.status_code == 200, reopened.text
    put_demographics(api, record_id, {**DEMOGRAPHICS, "weight_kg": "150", "ecog": "2"})
    assert queries_of(api, record_id) == [
        ("demographics", 1, "weight_kg", "open")
    ]  # the monitor's word stands


def test_a_closed_query_stays_closed_until_the_data_change(api: Api) -> None:
    record_id = api.new_record()
    put_demographics(api, record_id, {**DEMOGRAPHICS, "weight_kg": "160"})
    [query] = api.call("GET", f"/api/v1/queries?record_id={record_id}").json()
    answer = {"text": "Confirmed: 160 kg in the chart"}
    answered = api.call("POST", f"/api/v1/queries/{query['id']}/answer", "manager_hcb", json=answer)
    assert answered.status_code == 200, answered.text
    empty = api.call("POST", f"/api/v1/queries/{query['id']}/answer", "manager_hcb", json={"text": " "})
    assert empty.status_code == 422 and "message is required" in empty.json()["detail"]
    closed = api.call("POST", f"/api/v1/queries/{query['id']}/close", "monitor", json={})  # as in REDCap
    assert closed.status_code == 200, closed.text
    # Another field changes; the weight the monitor accepted does not: no new query.
    later = put_demographics(api, record_id, {**DEMOGRAPHICS, "weight_kg": "160", "ecog": "2"})
    assert later.json()["queries_opened"] == 0
    assert queries_of(api, record_id) == [("demographics", 1, "weight_kg", "closed")]
    # The weight changes and is out of range again: the closed query is reopened, not duplicated.
    put_demographics(api, record_id, {**DEMOGRAPHICS, "weight_kg": "170", "ecog": "2"})
    assert queries_of(api, record_id) == [("demographics", 1, "weight_kg", "open")]
    thread = api.call("GET", f"/api/v1/queries/{query['id']}").json()["messages"]
    assert [m["kind"] for m in thread] == ["open", "answer", "close", "reopen"]


def test_a_cancelled_query_is_not_raised_again_on_unchanged_data(api: Api) -> None:
    record_id = api.new_record()
    put_demographics(api, record_id, {**DEMOGRAPHICS, "weight_kg": "160"})
    [query] = api.call("GET", f"/api/v1/queries?record_id={record_id}").json()
    cancel = api.call("POST", f"/api/v1/queries/{query['id']}/cancel", "monitor", json={"text": "In error"})
    assert cancel.status_code == 200, cancel.text
    put_demographics(api, record_id, {**DEMOGRAPHICS, "weight_kg": "160", "ecog": "2"})
    assert queries_of(api, record_id) == [("demographics", 1, "weight_kg", "cancelled")]
    put_demographics(api, record_id, {**DEMOGRAPHICS, "weight_kg": "170", "ecog": "2"})
    assert sorted(q[3] for q in queries_of(api, record_id)) == ["cancelled", "open"]


def test_a_recalculated_dose_per_kg_opens_and_answers_its_range_query(api: Api) -> None:
    record_id = api.new_record()
    put_demographics(api, record_id)  # 70.5 kg
    added = api.call("POST", f"/api/v1/records/{record_id}/forms/anakinra", json={"values": DOSE})
    assert added.status_code == 201 and added.json()["computed"]["anakinra_mgkg_day"] == 11.35
    put_demographics(api, record_id, {**DEMOGRAPHICS, "weight_kg": "60.0"})  # 13.33 mg/kg/d: above 12
    assert ("anakinra", 1, "anakinra_mgkg_day", "open") in queries_of(api, record_id)
    put_demographics(api, record_id)  # back to 70.5 kg
    assert ("anakinra", 1, "anakinra_mgkg_day", "answered") in queries_of(api, record_id)


def test_a_warning_on_another_once_form_opens_one_query_on_its_only_instance(api: Api) -> None:
    record_id = api.new_record()
    course = {"crs_occurred": "1", "crs_onset_day": "1", "crs_max_grade": "1", "icans_occurred": "0"}
    saved = api.call("PUT", f"/api/v1/records/{record_id}/forms/toxicity_course", json={"values": course})
    assert saved.status_code == 200, saved.text
    day = {"assess_day": "2", "tmax_c": "38.6", "hypotension": "1", "vasopressors_n": "1", "o2_device": "0"}
    for assess_day in ("2", "3"):  # grade 3 each day, against a reported maximum of 1
        added = api.call(
            "POST",
            f"/api/v1/records/{record_id}/forms/daily_assessment",
            json={"values": {**day, "assess_day": assess_day}},
        )
        assert added.status_code == 201, added.text
    queries = api.call("GET", f"/api/v1/queries?record_id={record_id}").json()
    assert [(q["form"], q["instance"], q["field"]) for q in queries] == [
        ("toxicity_course", 1, "crs_max_grade")
    ]
    form = api.call("GET", f"/api/v1/records/{record_id}/forms/toxicity_course/{queries[0]['instance']}")
    assert form.status_code == 200


def test_a_stale_etag_gets_412_and_changes_nothing(api: Api) -> None:
    record_id = api.new_record()
    first = put_demographics(api, record_id)
    put_demographics(
        api, record_id, {**DEMOGRAPHICS, "ecog": "2"}, headers={"If-Match": first.headers["ETag"]}
    )
    stale = put_demographics(
        api, record_id, {**DEMOGRAPHICS, "ecog": "3"}, headers={"If-Match": first.headers["ETag"]}
    )
    assert stale.status_code == 412
    assert api.call("GET", f"/api/v1/records/{record_id}/forms/demographics").json()["values"]["ecog"] == 2


def test_unchanged_save_is_not_audited(api: Api) -> None:
    record_id = api.new_record()
    put_demographics(api, record_id)
    before = api.audit_count()
    again = put_demographics(api, record_id)
    assert again.status_code == 200 and again.json()["changed"] == [] and again.json()["version"] == 1
    assert api.audit_count() == before


def status(api: Api, record_id: str, action: str, who: str, form: str = "demographics", **body: Any) -> Any:
    return api.call(
        "POST", f"/api/v1/records/{record_id}/forms/{form}/status", who, json={"action": action, **body}
    )


def test_complete_form_needs_a_reason_to_change(api: Api) -> None:
    record_id = api.new_record()
    put_demographics(api, record_id)
    assert status(api, record_id, "complete", "entry_hcb").json()["status"] == "complete"
    no_reason = put_demographics(api, record_id, {**DEMOGRAPHICS, "ecog": "2"})
    assert no_reason.status_code == 422
    assert no_reason.json()["errors"][0]["code"] == "reason_required"
    with_reason = put_demographics(
        api, record_id, {**DEMOGRAPHICS, "ecog": "2"}, body={"reason": "chart re-read"}
    )
    assert with_reason.status_code == 200
    events = api.call("GET", f"/api/v1/records/{record_id}/audit").json()
    last = events[-1]
    assert last["reason"] == "chart re-read"
    assert last["changes"] == [{"field": "ecog", "old": "1", "new": "2"}]


def test_lock_verify_and_roles(api: Api) -> None:
    record_id = api.new_record()
    put_demographics(api, record_id)
    assert status(api, record_id, "lock", "manager_hcb").status_code == 409  # not complete yet
    status(api, record_id, "complete", "entry_hcb")
    assert status(api, record_id, "lock", "entry_hcb").status_code == 403
    assert status(api, record_id, "verify", "manager_hcb").status_code == 403
    assert status(api, record_id, "verify", "monitor").json()["status"] == "verified"
    locked = status(api, record_id, "lock", "manager_hcb")
    assert locked.json()["locked"] is True
    refused = put_demographics(api, record_id, {**DEMOGRAPHICS, "ecog": "2"}, body={"reason": "x"})
    assert refused.status_code == 409 and "locked" in refused.json()["detail"]
    refused = status(api, record_id, "unlock", "manager_hcb")
    assert refused.status_code == 422 and refused.json()["errors"][0]["code"] == "reason_required"
    assert status(api, record_id, "unlock", "manager_hcb", reason="late lab result").json()["locked"] is False
    edited = put_demographics(api, record_id, {**DEMOGRAPHICS, "ecog": "2"}, body={"reason": "typo"})
    assert edited.json()["status"] == "complete"  # an edit withdraws the verification
    monitor_write = put_demographics(api, record_id, DEMOGRAPHICS, who="monitor")
    assert monitor_write.status_code == 403


DAY = {"assess_day": "3", "tmax_c": "39.2", "hypotension": "1", "vasopressors_n": "1", "o2_device": "0"}


def test_repeating_form_instances(api: Api) -> None:
    record_id = api.new_record()
    url = f"/api/v1/records/{record_id}/forms/daily_assessment"
    first = api.call("POST", url, json={"values": DAY})
    assert first.status_code == 201, first.text
    assert first.json()["instance"] == 1
    assert first.json()["computed"]["crs_grade"] == 3
    duplicate = api.call("POST", url, json={"values": DAY})
    assert duplicate.status_code == 422
    assert duplicate.json()["errors"][0]["code"] == "duplicate_key"
    assert duplicate.json()["errors"][0]["messages"] == {
        "en": "another entry of 'Daily CRS/ICANS assessment' already has Study day of this assessment = 3",
        "es": "otro registro de 'Evaluación diaria del SLC/ICANS' ya tiene "
        "Día de estudio de esta evaluación = 3",
    }
    second = api.call(
        "POST", url, json={"values": {**DAY, "assess_day": "4", "hypotension": "0", "vasopressors_n": ""}}
    )
    assert second.json()["instance"] == 2 and second.json()["computed"]["crs_grade"] == 1
    replaced = api.call("PUT", f"{url}/2", json={"values": {**DAY, "assess_day": "4", "vasopressors_n": "2"}})
    assert replaced.json()["computed"]["crs_grade"] == 4
    assert api.call("DELETE", f"{url}/2").status_code == 422  # no reason
    assert api.call("DELETE", f"{url}/2", params={"reason": "entered twice"}).status_code == 200
    assert api.call("GET", f"{url}/2").status_code == 404
    third = api.call("POST", url, json={"values": {**DAY, "assess_day": "4"}})
    assert third.json()["instance"] == 3  # numbers are never reused


def test_hidden_field_value_is_an_error(api: Api) -> None:
    record_id = api.new_record()
    url = f"/api/v1/records/{record_id}/forms/daily_assessment"
    response = api.call("POST", url, json={"values": {**DAY, "hypotension": "0"}})
    assert response.status_code == 422
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [
        ("vasopressors_n", "hidden_value")
    ]


def test_a_change_of_weight_recalculates_doses_per_kg(api: Api) -> None:
    record_id = api.new_record()
    put_demographics(api, record_id)
    dose = {
        "anakinra_start_day": "5",
        "anakinra_stop_day": "7",
        "anakinra_dose_mg": "100",
        "anakinra_freq": "4",
        "anakinra_route": "2",
        "anakinra_indication": "1",
    }
    added = api.call("POST", f"/api/v1/records/{record_id}/forms/anakinra", json={"values": dose})
    assert added.status_code == 201, added.text
    assert added.json()["computed"]["anakinra_mgkg_day"] == round(400 / 70.5, 2)
    put_demographics(api, record_id, {**DEMOGRAPHICS, "weight_kg": "80.0"})
    after = api.call("GET", f"/api/v1/records/{record_id}/forms/anakinra/1").json()
    assert after["computed"]["anakinra_mgkg_day"] == 5.0
    actions = [e["action"] for e in api.call("GET", f"/api/v1/records/{record_id}/audit").json()]
    assert actions[-1] == "form_recalculated"


def test_site_pseudonym_is_unique(api: Api) -> None:
    created = api.call("POST", "/api/v1/records", json={"site_pseudonym": "a1b2c3d4e5f6a7b8"})
    assert created.status_code == 201
    again = api.call("POST", "/api/v1/records", json={"site_pseudonym": "a1b2c3d4e5f6a7b8"})
    assert again.status_code == 409
    assert created.json()["record_id"] in again.json()["detail"]
    elsewhere = api.call("POST", "/api/v1/records", "entry_fhcc", json={"site_pseudonym": "a1b2c3d4e5f6a7b8"})
    assert elsewhere.status_code == 409 and "HCB" not in elsewhere.json()["detail"]


def test_bad_requests_get_problem_json(api: Api) -> None:
    record_id = api.new_record()
    base = f"/api/v1/records/{record_id}/forms"
    cases = [
        (api.call("PUT", f"{base}/nonexistent", json={"values": {}}), 404),
        (
            api.call(
                "PUT",
                f"{base}/demographics",
                content=b"{not json",
                headers={"Content-Type": "application/json"},
            ),
            400,
        ),
        (api.call("PUT", f"{base}/demographics", json={"values": {"x": "y" * 70_000}}), 413),
        (api.call("PUT", f"{base}/demographics", json={"valeus": {}}), 422),
        (api.client.get("/api/v1/records"), 401),
        (api.client.get("/api/v1/records", headers={"Authorization": "Bearer edc_not-a-real-token"}), 401),
        (api.call("GET", "/api/v1/records/HCB-9999-Z"), 404),
        (api.call("GET", "/api/v1/records", "admin"), 403),
    ]
    for response, expected in cases:
        assert response.status_code == expected, (response.request.url, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert "Traceback" not in response.text


def send_json(api: Api, url: str, body: str) -> Any:
    """A PUT of JSON text as it is (a client library would refuse to encode some of it)."""
    return api.call("PUT", url, content=body.encode("ascii"), headers={"Content-Type": "application/json"})


def test_inputs_found_by_fuzzing_get_a_4xx_and_change_nothing(api: Api) -> None:
    """Numbers too large for the database, JSON's non-finite numbers and lone surrogates, queries on
    instances that do not exist: each once answered 500."""
    record_id = api.new_record()
    put_demographics(api, record_id)
    before = api.audit_count()
    huge = 2**64
    cases = [
        (api.call("GET", f"/api/v1/records?offset={huge}"), 422),
        (api.call("GET", f"/api/v1/queries?offset={huge}"), 422),
        (api.call("GET", f"/api/v1/queries/{huge}"), 422),
        (api.call("POST", f"/api/v1/queries/{huge}/answer", "manager_hcb", json={"text": "x"}), 422),
        (api.call("GET", f"/api/v1/uploads/{huge}", "manager_hcb"), 422),
        (api.call("GET", f"/api/v1/uploads/{huge}/report.csv", "manager_hcb"), 422),
        (
            api.call(
                "POST",
                f"/api/v1/records/{record_id}/queries",
                "monitor",
                json={"form": "daily_assessment", "instance": 2**63, "text": "x"},
            ),
            422,
        ),
        (
            send_json(
                api,
                f"/api/v1/records/{record_id}/forms/demographics",
                '{"values": {"age_at_infusion": 1e400}}',
            ),
            422,
        ),
        (
            send_json(api, f"/api/v1/records/{record_id}/forms/demographics", '{"values": {"\\ud800": "1"}}'),
            422,
        ),
        (
            send_json(
                api, f"/api/v1/records/{record_id}/forms/disease", '{"values": {"disease_other": "\\ud800"}}'
            ),
            422,
        ),
        (
            api.call(
                "POST",
                f"/api/v1/records/{record_id}/queries",
                "monitor",
                json={"form": "daily_assessment", "instance": 999, "text": "x"},
            ),
            404,
        ),
        (
            api.call(
                "POST",
                f"/api/v1/records/{record_id}/queries",
                "monitor",
                json={"form": "demographics", "instance": 5, "text": "x"},
            ),
            404,
        ),
    ]
    for response, expected in cases:
        assert response.status_code == expected, (response.request.url, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
    assert api.audit_count() == before


def test_the_audit_trail_holds_every_change(api: Api) -> None:
    record_id = api.new_record()
    put_demographics(api, record_id)
    put_demographics(api, record_id, {**DEMOGRAPHICS, "ecog": "2"})
    events = api.call("GET", f"/api/v1/records/{record_id}/audit").json()
    assert [e["action"] for e in events] == ["record_created", "form_created", "form_saved"]
    assert events[1]["actor"] == "entry_hcb@records.test" and events[1]["site"] == "HCB"
    assert events[1]["source"] == "api"
    assert {"field": "weight_kg", "old": None, "new": "70.5"} in events[1]["changes"]
    assert events[2]["changes"] == [{"field": "ecog", "old": "1", "new": "2"}]


def test_a_form_with_calculations_can_be_marked_complete(api: Api) -> None:
    record_id = api.new_record()
    api.call("POST", f"/api/v1/records/{record_id}/forms/daily_assessment", json={"values": DAY})
    done = api.call(
        "POST", f"/api/v1/records/{record_id}/forms/daily_assessment/1/status", json={"action": "complete"}
    )
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "complete" and done.json()["computed"]["crs_grade"] == 3


def test_a_change_that_would_recalculate_a_locked_form_is_refused(api: Api) -> None:
    record_id = api.new_record()
    put_demographics(api, record_id)  # 70.5 kg: 11.35 mg/kg/d
    api.call("POST", f"/api/v1/records/{record_id}/forms/anakinra", json={"values": DOSE})
    assert status(api, record_id, "complete", "entry_hcb", form="anakinra/1").status_code == 200
    assert status(api, record_id, "lock", "manager_hcb", form="anakinra/1").status_code == 200
    before = api.audit_count()
    refused = put_demographics(api, record_id, {**DEMOGRAPHICS, "weight_kg": "100.0"})
    assert refused.status_code == 409, refused.text
    assert (
        "anakinra_mgkg_day in 'anakinra' 1" in refused.json()["detail"]
        and "locked" in refused.json()["detail"]
    )
    dose = api.call("GET", f"/api/v1/records/{record_id}/forms/anakinra/1").json()
    assert dose["computed"]["anakinra_mgkg_day"] == 11.35 and api.audit_count() == before
    # A change the locked form does not read goes through.
    assert put_demographics(api, record_id, {**DEMOGRAPHICS, "ecog": "2"}).status_code == 200


def test_a_recalculation_withdraws_the_verification_as_an_edit_does(api: Api) -> None:
    record_id = api.new_record()
    put_demographics(api, record_id)
    api.call("POST", f"/api/v1/records/{record_id}/forms/anakinra", json={"values": DOSE})
    status(api, record_id, "complete", "entry_hcb", form="anakinra/1")
    assert status(api, record_id, "verify", "monitor", form="anakinra/1").json()["status"] == "verified"
    put_demographics(api, record_id, {**DEMOGRAPHICS, "weight_kg": "80.0"})
    dose = api.call("GET", f"/api/v1/records/{record_id}/forms/anakinra/1").json()
    assert (dose["status"], dose["computed"]["anakinra_mgkg_day"]) == ("complete", 10.0)


def test_deleting_what_a_complete_record_needs_is_refused(api: Api) -> None:
    record_id = api.new_record()
    url = f"/api/v1/records/{record_id}/forms"
    study = load_study(REPO / "forms")
    rng, patient = random.Random(3), PatientData()
    for cform in study.forms.values():
        if cform.repeating and cform.name != "anakinra":
            continue
        for _ in range(30):  # synthetic values that this form accepts whole, complete
            values = DOSE if cform.name == "anakinra" else form_values(study, cform, rng, patient)
            if not validate(study, cform.name, values, patient=patient, instance=1, completing=True).ok:
                continue
            method = "POST" if cform.repeating else "PUT"
            saved = api.call(method, f"{url}/{cform.name}", json={"values": values})
            if saved.status_code in (200, 201):
                break
        assert saved.status_code in (200, 201), saved.text
        typed = validate(study, cform.name, values, patient=patient, instance=1)
        if cform.repeating:
            patient.repeating[cform.name] = {1: {**typed.values, **typed.computed}}
        else:
            patient.once[cform.name] = {**typed.values, **typed.computed}
    for cform in study.forms.values():
        if not cform.repeating or cform.name == "anakinra":
            path = f"{cform.name}/1" if cform.repeating else cform.name
            done = status(api, record_id, "complete", "entry_hcb", form=path)
            assert done.status_code == 200, done.text
    refused = api.call("DELETE", f"{url}/anakinra/1", params={"reason": "entered in error"})
    assert refused.status_code == 422, refused.text
    assert "would leave a complete record failing 1 completion check" in refused.json()["detail"]
    assert "at least one anakinra segment" in refused.json()["errors"][0]["message"]
    assert api.call("GET", f"{url}/anakinra/1").status_code == 200  # still there
    # Add the entry that replaces it, then delete: the record stays complete and passes.
    api.call("POST", f"{url}/anakinra", json={"values": DOSE})
    assert api.call("DELETE", f"{url}/anakinra/1", params={"reason": "entered in error"}).status_code == 200


def test_free_text_that_looks_like_an_identifier_is_refused_as_in_an_upload(api: Api) -> None:
    record_id = api.new_record()
    url = f"/api/v1/records/{record_id}/forms/infections"
    infection = {
        "infection_day": "12",
        "infection_category": "1",
        "infection_site": "1",
        "infection_grade": "2",
    }
    before = api.audit_count()
    for text, what in (
        ("E. coli; pt DOB 03/12/1961", "a calendar date"),
        ("Juan DNI 12345678Z", "a Spanish DNI"),
        ("E. coli, MRN 12345678", "a labelled record number"),
        ("E. coli, 8 de marzo de 2023", "a calendar date with a month name"),
    ):
        refused = api.call("POST", url, json={"values": {**infection, "infection_organism": text}})
        assert refused.status_code == 422, refused.text
        [error] = refused.json()["errors"]
        assert (error["field"], error["code"]) == ("infection_organism", "identifier_value")
        assert error["message"].startswith(f"this looks like {what}:")
        assert error["messages"]["es"].startswith("esto parece ")
    assert api.audit_count() == before
    fine = api.call("POST", url, json={"values": {**infection, "infection_organism": "E. coli ESBL"}})
    assert fine.status_code == 201, fine.text


def test_an_edit_of_a_complete_form_may_not_blank_a_required_value(api: Api) -> None:
    record_id = api.new_record()
    put_demographics(api, record_id)
    assert status(api, record_id, "complete", "entry_hcb").status_code == 200
    blank = {k: v for k, v in DEMOGRAPHICS.items() if k != "weight_kg"}
    refused = put_demographics(api, record_id, blank, body={"reason": "chart re-read"})
    assert refused.status_code == 422, refused.text
    assert [(e["field"], e["code"]) for e in refused.json()["errors"]] == [("weight_kg", "required")]
    read = api.call("GET", f"/api/v1/records/{record_id}/forms/demographics").json()
    assert (read["status"], read["values"]["weight_kg"]) == ("complete", 70.5)
