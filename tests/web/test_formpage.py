"""Data entry without JavaScript: a plain form post saves through records.service, errors come back inline."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from lxml import html
from sqlalchemy import select, text

from app.audit.service import CHAIN_LOCK_KEY
from app.auth.actor import Actor
from app.core.database import make_engine
from app.core.errors import ValidationFailed
from app.models import FormData
from app.records.service import read_form
from tests.web.conftest import Web, csrf_of, post

DEMOGRAPHICS = {"age_at_infusion": "57", "sex": "2", "weight_kg": "70.5"}


def stored(web: Web, record_id: str, form: str, instance: int | None = None) -> dict[str, str]:
    """What the database holds, read as a monitor (who sees every site)."""
    monitor = Actor(None, "reader@web.test", "monitor", None, None)
    with web.app.state.session_factory() as session:
        return read_form(session, web.app.state.study, monitor, record_id, form, instance).data


def form_url(record_id: str, form: str, instance: int | str | None = None) -> str:
    base = f"/records/{record_id}/forms/{form}"
    return base if instance is None else f"{base}/{instance}"


def save(client: TestClient, url: str, values: dict[str, Any]) -> Any:
    return post(client, url, values)


def test_a_plain_post_saves_and_redirects(web: Web) -> None:
    client = web.login("entry_fhcc")
    record_id = web.new_patient(client)
    response = save(client, form_url(record_id, "demographics"), DEMOGRAPHICS)
    assert response.status_code == 303
    assert response.headers["location"] == form_url(record_id, "demographics")
    assert stored(web, record_id, "demographics") == {**DEMOGRAPHICS, "weight_kg": "70.5"}
    page = client.get(response.headers["location"]).text
    assert "Saved." in page and 'value="70.5"' in page


def test_hard_errors_come_back_inline_and_nothing_is_saved(web: Web) -> None:
    client = web.login("entry_fhcc")
    record_id = web.new_patient(client)
    before = web.audit_count()
    response = save(client, form_url(record_id, "demographics"), {**DEMOGRAPHICS, "age_at_infusion": "12"})
    assert response.status_code == 422
    page = html.fromstring(response.text)
    age = page.get_element_by_id("f-age_at_infusion")
    assert age.get("aria-invalid") == "true" and age.get("value") == "12"
    assert "issues-age_at_infusion" in age.get("aria-describedby")
    assert "outside the allowed range" in page.get_element_by_id("issues-age_at_infusion").text_content()
    assert page.get_element_by_id("error-summary").get("role") == "alert"
    assert page.get_element_by_id("f-weight_kg").get("value") == "70.5"
    assert web.audit_count() == before
    assert stored(web, record_id, "demographics") == {}


def test_a_warning_saves_opens_a_query_and_is_shown_after_the_save(web: Web) -> None:
    client = web.login("entry_fhcc")
    record_id = web.new_patient(client)
    response = save(client, form_url(record_id, "demographics"), {**DEMOGRAPHICS, "weight_kg": "160"})
    assert response.status_code == 303
    page = html.fromstring(client.get(response.headers["location"]).text)
    assert "A warning opened a query" in page.xpath("//div[contains(@class,'flash')]")[0].text_content()
    issues = page.get_element_by_id("issues-weight_kg").text_content()
    assert "outside the expected range" in issues
    assert page.xpath("//div[@data-field='weight_kg']//a[@class='qlink']")


def test_a_correction_answers_the_query_and_says_so(web: Web) -> None:
    client = web.login("entry_fhcc")
    record_id = web.new_patient(client)
    save(client, form_url(record_id, "demographics"), {**DEMOGRAPHICS, "weight_kg": "160"})
    response = save(client, form_url(record_id, "demographics"), {**DEMOGRAPHICS, "weight_kg": "150"})
    assert response.status_code == 303
    assert "A data query was answered: its check now passes" in client.get(response.headers["location"]).text


def test_branching_without_javascript_follows_the_engine(web: Web) -> None:
    client = web.login("entry_fhcc")
    record_id = web.new_patient(client)
    new = form_url(record_id, "daily_assessment", "new")
    page = html.fromstring(client.get(new).text)
    hidden = page.xpath("//div[@data-field='vasopressors_n']")[0]
    assert (
        hidden.get("hidden") is not None
        and page.get_element_by_id("f-vasopressors_n").get("disabled") is not None
    )
    # A value for a field its condition hides is refused, as the API refuses it.
    refused = save(client, new, {"assess_day": "2", "hypotension": "0", "vasopressors_n": "1"})
    assert refused.status_code == 422
    assert (
        "not asked here"
        in html.fromstring(refused.text).get_element_by_id("issues-vasopressors_n").text_content()
    )
    saved = save(
        client, new, {"assess_day": "2", "tmax_c": "39.0", "hypotension": "1", "vasopressors_n": "2"}
    )
    assert saved.status_code == 303
    shown = html.fromstring(client.get(saved.headers["location"]).text)
    assert shown.xpath("//div[@data-field='vasopressors_n']")[0].get("hidden") is None
    assert shown.get_element_by_id("f-crs_grade").text_content() == "4"
    assert stored(web, record_id, "daily_assessment", 1)["crs_grade"] == "4"


def test_a_problem_in_another_form_is_named_by_that_forms_label(web: Web) -> None:
    client = web.login("entry_fhcc")
    record_id = web.new_patient(client)
    course = {"crs_occurred": "1", "crs_onset_day": "40", "icans_occurred": "0"}
    assert save(client, form_url(record_id, "toxicity_course"), course).status_code == 303
    followup = {"relapse": "0", "last_followup_day": "30", "vital_status": "1"}
    response = save(client, form_url(record_id, "followup"), followup)
    assert response.status_code == 422, response.text
    problems = " ".join(html.fromstring(response.text).xpath("//li[contains(@class, 'issue')]//text()"))
    assert "In Course of CRS and ICANS: No study day may be later" in problems
    assert "(here: day 30)" in problems  # the limit, piped into the message
    assert "toxicity_course" not in problems


def test_preview_answers_with_the_engines_view_of_the_values(web: Web) -> None:
    client = web.login("entry_fhcc")
    record_id = web.new_patient(client)
    url = form_url(record_id, "daily_assessment", "new")
    token = csrf_of(client.get(url).text)
    preview = f"/records/{record_id}/forms/daily_assessment/preview"
    data = {"_csrf": token, "assess_day": "1", "tmax_c": "38.5", "hypotension": "1", "vasopressors_n": "1"}
    answer = client.post(preview, data=data).json()
    assert "vasopressors_n" not in answer["hidden"] and "ice_naming" in answer["hidden"]
    assert answer["computed"]["crs_grade"] == "3"
    assert answer["errors"] == 0
    bad = client.post(preview, data={**data, "tmax_c": "45", "hypotension": "0"}).json()
    assert "vasopressors_n" in bad["hidden"]
    assert [(i["field"], i["code"]) for i in bad["issues"]] == [
        ("tmax_c", "out_of_range"),
        ("vasopressors_n", "hidden_value"),
    ]
    assert client.post(preview, data={k: v for k, v in data.items() if k != "_csrf"}).status_code == 403


def test_multiple_choice_is_one_checkbox_per_code_named_after_the_variable(web: Web) -> None:
    client = web.login("entry_fhcc")
    record_id = web.new_patient(client)
    url = form_url(record_id, "eligibility")
    page = html.fromstring(client.get(url).text)
    boxes = page.xpath("//input[@type='checkbox']")
    assert {b.get("name") for b in boxes} == {"refractory_to"} and len(boxes) == 2
    assert page.xpath("//fieldset[.//input[@name='refractory_to']]/legend")
    token = csrf_of(client.get(url).text)
    body = [
        ("_csrf", token),
        ("anakinra_indication", "2"),
        ("refractory_to", "1"),
        ("refractory_to", "2"),
        ("ethics_approval", "1"),
    ]
    response = client.post(
        url,
        content="&".join(f"{k}={v}" for k, v in body),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 303, response.text
    assert stored(web, record_id, "eligibility")["refractory_to"] == "1,2"


def test_a_multiple_choice_not_known_in_the_chart_is_saved_as_a_missing_data_code(web: Web) -> None:
    client = web.login("entry_fhcc")
    record_id = web.new_patient(client)
    url = form_url(record_id, "cart_infusion")
    page = html.fromstring(client.get(url).text)
    missing = page.xpath("//details[@class='missing']//input[@name='prophylaxis']")
    assert [b.get("value") for b in missing] == ["NA", "UNK", "ND"]
    assert all(b.get("type") == "checkbox" for b in missing)
    token = csrf_of(client.get(url).text)
    response = client.post(
        url,
        content=f"_csrf={token}&product=1&prophylaxis=UNK",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 303, response.text
    assert stored(web, record_id, "cart_infusion")["prophylaxis"] == "UNK"
    shown = html.fromstring(client.get(url).text)
    assert shown.xpath("//input[@name='prophylaxis'][@value='UNK']/@checked")
    assert shown.xpath("//details[@class='missing'][.//input[@value='UNK']]/@open")


def test_complete_needs_a_reason_to_change_and_the_reason_is_kept(web: Web) -> None:
    client = web.login("entry_fhcc")
    record_id = web.new_patient(client)
    url = form_url(record_id, "demographics")
    save(client, url, {**DEMOGRAPHICS, "_version": "0"})
    done = post(client, url + "/status", {"_action": "complete", "_version": "1"}, page=url)
    assert done.status_code == 303 and "Marked complete." in client.get(url).text
    assert 'id="reason-box"' in client.get(url).text
    refused = save(client, url, {**DEMOGRAPHICS, "weight_kg": "71", "_version": "2"})
    assert refused.status_code == 422
    assert html.fromstring(refused.text).get_element_by_id("f-_reason").get("aria-invalid") == "true"
    saved = save(
        client, url, {**DEMOGRAPHICS, "weight_kg": "71", "_version": "2", "_reason": "typo in the chart"}
    )
    assert saved.status_code == 303
    history = client.get(f"/records/{record_id}/history?form=demographics&instance=1&field=weight_kg").text
    assert "typo in the chart" in history and "70.5 kg" in history and "71 kg" in history


def test_a_stale_save_shows_both_values_and_loses_nothing(web: Web) -> None:
    client = web.login("entry_fhcc")
    other = web.login("manager_fhcc")
    record_id = web.new_patient(client)
    url = form_url(record_id, "demographics")
    save(client, url, {**DEMOGRAPHICS, "_version": "0"})
    save(other, url, {**DEMOGRAPHICS, "weight_kg": "80.0", "_version": "1"})
    stale = save(client, url, {**DEMOGRAPHICS, "weight_kg": "75.0", "_version": "1"})
    assert stale.status_code == 409
    page = html.fromstring(stale.text)
    row = page.xpath("//table[@class='conflict']/tbody/tr")
    assert [[cell.text_content() for cell in r] for r in row] == [["Weight", "80.0 kg", "75.0 kg"]]
    assert page.get_element_by_id("f-weight_kg").get("value") == "75.0"
    assert page.xpath("//form[@id='crf']//input[@name='_version']/@value") == ["2"]
    assert stored(web, record_id, "demographics")["weight_kg"] == "80.0"


def test_repeating_entries_are_added_edited_and_deleted_with_a_reason(web: Web) -> None:
    client = web.login("entry_fhcc")
    record_id = web.new_patient(client)
    new = form_url(record_id, "infections", "new")
    first = save(client, new, {"infection_day": "5", "infection_category": "5", "infection_grade": "2"})
    assert first.headers["location"] == form_url(record_id, "infections", 1)
    save(client, new, {"infection_day": "9", "infection_category": "5", "infection_grade": "3"})
    edited = save(
        client,
        form_url(record_id, "infections", 2),
        {"infection_day": "10", "infection_category": "5", "infection_grade": "3", "_version": "1"},
    )
    assert edited.status_code == 303
    patient = html.fromstring(client.get(f"/records/{record_id}").text)
    rows = patient.xpath("//section[@id='form-infections']//tbody/tr")
    assert [r.xpath("td")[1].text_content() for r in rows] == ["5", "10"]
    delete = form_url(record_id, "infections", 1) + "/delete"
    no_reason = post(client, delete, {"_version": "1"})
    assert no_reason.status_code == 422 and "Say why the entry is deleted." in no_reason.text
    gone = post(client, delete, {"_version": "1", "_reason": "entered twice"})
    assert gone.status_code == 303
    rows = html.fromstring(client.get(f"/records/{record_id}").text).xpath(
        "//section[@id='form-infections']//tbody/tr"
    )
    assert len(rows) == 1
    assert client.get(form_url(record_id, "infections", 1)).status_code == 404


def test_lock_and_verify_follow_the_roles(web: Web) -> None:
    entry = web.login("entry_fhcc")
    record_id = web.new_patient(entry)
    url = form_url(record_id, "demographics")
    save(entry, url, DEMOGRAPHICS)
    post(entry, url + "/status", {"_action": "complete", "_version": "1"}, page=url)
    assert "action_lock" not in entry.get(url).text and 'value="lock"' not in entry.get(url).text
    assert post(entry, url + "/status", {"_action": "lock", "_version": "2"}, page=url).status_code == 403
    monitor = web.login("monitor")
    assert post(monitor, url + "/status", {"_action": "verify", "_version": "2"}, page=url).status_code == 303
    assert "Verified" in monitor.get(url).text
    manager = web.login("manager_fhcc")
    post(manager, url + "/status", {"_action": "lock", "_version": "3"}, page=url)
    locked = manager.get(url).text
    assert "This form is locked" in locked and 'name="weight_kg"' not in locked and 'value="unlock"' in locked
    post(manager, url + "/status", {"_action": "unlock", "_version": "4"}, page=url)
    assert "Unlocking needs a reason" in manager.get(url).text  # refused: still locked
    post(
        manager,
        url + "/status",
        {"_action": "unlock", "_version": "4", "_reason": "late lab result"},
        page=url,
    )
    assert 'name="weight_kg"' in manager.get(url).text
    assert "late lab result" in manager.get(f"/records/{record_id}/history").text
    changed = save(
        manager, url, {**DEMOGRAPHICS, "weight_kg": "71.0", "_reason": "re-weighed", "_version": "5"}
    )
    assert changed.status_code == 303, changed.text
    page = manager.get(url).text
    assert "verification: the form is complete and needs verifying again" in page


def test_another_sites_patient_does_not_exist(web: Web) -> None:
    fhcc = web.login("entry_fhcc")
    record_id = web.new_patient(fhcc)
    save(fhcc, form_url(record_id, "demographics"), DEMOGRAPHICS)
    hcb = web.login("entry_hcb")
    token = csrf_of(hcb.get("/records").text)
    for method, url in [
        ("GET", f"/records/{record_id}"),
        ("GET", form_url(record_id, "demographics")),
        ("GET", f"/records/{record_id}/history"),
        ("POST", form_url(record_id, "demographics")),
        ("POST", f"/records/{record_id}/forms/demographics/preview"),
        ("GET", form_url(record_id, "daily_assessment", "new")),
    ]:
        response = hcb.request(
            method, url, data={"_csrf": token, "age_at_infusion": "60"} if method == "POST" else None
        )
        assert response.status_code == 404, (method, url)
        assert "No encontrado" in response.text
    assert stored(web, record_id, "demographics")["age_at_infusion"] == "57"


def test_a_save_blocked_by_another_writer_says_busy_and_saves_nothing(web: Web) -> None:
    engine = web.app.state.session_factory.kw["bind"]
    client = web.login("entry_fhcc")
    record_id = web.new_patient(client)
    token = csrf_of(client.get(form_url(record_id, "demographics")).text)
    before = web.audit_count()
    other = make_engine(engine.url.render_as_string(hide_password=False))
    try:
        with other.connect() as holder:
            # What a long bulk upload holds until it commits: SQLite's write lock (the engine begins
            # with BEGIN IMMEDIATE), or on PostgreSQL the audit chain's advisory lock.
            if engine.dialect.name == "postgresql":
                holder.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK_KEY})
            else:
                holder.execute(text("SELECT 1"))
            response = client.post(form_url(record_id, "demographics"), data={"_csrf": token, **DEMOGRAPHICS})
            holder.rollback()
    finally:
        other.dispose()
    assert response.status_code == 503
    assert "Busy: please try again" in response.text and "nothing was saved" in response.text
    assert web.audit_count() == before
    assert stored(web, record_id, "demographics") == {}
    # What was typed is not lost: the page offers to send the same fields again.
    resend = html.fromstring(response.text).xpath("//form[@class='resend']")[0]
    assert resend.get("action") == form_url(record_id, "demographics")
    fields = [(i.get("name"), i.get("value")) for i in resend.xpath(".//input[@type='hidden']")]
    assert fields == [("_csrf", token), *DEMOGRAPHICS.items()]
    again = client.post(resend.get("action"), data=dict(fields))
    assert again.status_code == 303
    assert stored(web, record_id, "demographics") == DEMOGRAPHICS


def test_save_and_mark_complete_in_one_step(web: Web) -> None:
    client = web.login("entry_fhcc")
    record_id = web.new_patient(client)
    url = form_url(record_id, "demographics")
    assert "Save and mark complete" in client.get(url).text
    done = save(client, url, {**DEMOGRAPHICS, "_version": "0", "_then": "complete"})
    assert done.status_code == 303
    page = client.get(url).text
    assert "Saved and marked complete." in page and "Save and mark complete" not in page
    assert stored(web, record_id, "demographics")["weight_kg"] == "70.5"
    with web.app.state.session_factory() as session:
        newest = select(FormData).where(FormData.form == "demographics").order_by(FormData.id.desc())
        row = session.scalars(newest.limit(1)).one()
        assert (row.status, row.version) == ("complete", 2)  # saved, then completed: both audited


def test_save_and_mark_complete_keeps_the_save_when_a_completion_check_fails(web: Web) -> None:
    client = web.login("entry_fhcc")
    record_id = web.new_patient(client)
    url = form_url(record_id, "toxicity_course")
    values = {"crs_occurred": "1", "crs_onset_day": "1", "crs_max_grade": "2", "icans_occurred": "0"}
    answer = save(client, url, {**values, "_version": "0", "_then": "complete"})
    assert answer.status_code == 303 and answer.headers["location"] == f"{url}?check=complete"
    shown = client.get(answer.headers["location"]).text  # a page of its own: a reload sends nothing
    assert "Saved, but not marked complete: 1 check fails" in shown
    assert "resolution day may be left blank only if the patient died" in shown
    assert "resolution day may be left blank" not in client.get(url).text  # only when asked
    assert stored(web, record_id, "toxicity_course")["crs_onset_day"] == "1"  # the save stands
    with web.app.state.session_factory() as session:
        newest = select(FormData).where(FormData.form == "toxicity_course").order_by(FormData.id.desc())
        row = session.scalars(newest.limit(1)).one()
        assert (row.status, row.version) == ("incomplete", 1)


def test_a_deletion_a_complete_record_needs_says_which_check_it_would_break(
    web: Web, monkeypatch: Any
) -> None:
    client = web.login("entry_fhcc")
    record_id = web.new_patient(client)
    new = form_url(record_id, "infections", "new")
    save(client, new, {"infection_day": "5", "infection_category": "5", "infection_grade": "2"})

    def refuse(*args: Any, **kwargs: Any) -> None:  # what the write path answers for such a deletion
        check = {"field": None, "code": "rule", "message": "Every patient has at least one segment."}
        raise ValidationFailed("deleting would leave a complete record failing 1 check", errors=[check])

    monkeypatch.setattr("app.web.formactions.delete_instance", refuse)
    delete = form_url(record_id, "infections", 1) + "/delete"
    refused = post(client, delete, {"_version": "1", "_reason": "entered in error"})
    assert refused.status_code == 422
    alert = html.fromstring(refused.text).xpath("//div[@role='alert' and contains(@class, 'alert-error')]")[0]
    assert "Not deleted: every form of this patient is complete" in alert.text_content()
    assert "Every patient has at least one segment." in alert.text_content()
    assert "Say why the entry is deleted." not in refused.text


def test_a_half_filled_form_is_saved_and_cannot_be_marked_complete_yet(web: Web) -> None:
    client = web.login("entry_fhcc")
    record_id = web.new_patient(client)
    url = form_url(record_id, "demographics")
    saved = save(client, url, {"age_at_infusion": "57", "_version": "0"})  # the rest another day
    assert saved.status_code == 303
    page = client.get(url).text
    assert "Saved. 2 required values are still blank" in page  # sex and weight
    assert "a value is required before the form can be marked complete" in page
    assert stored(web, record_id, "demographics") == {"age_at_infusion": "57"}
    refused = post(client, url + "/status", {"_action": "complete", "_version": "1"}, page=url)
    assert refused.status_code == 422 and "a value is required" in refused.text


def test_a_spanish_page_reads_a_decimal_comma_and_an_english_one_explains_it(web: Web) -> None:
    spanish = web.login("entry_hcb")
    record_id = web.new_patient(spanish)
    url = form_url(record_id, "demographics")
    assert save(spanish, url, {**DEMOGRAPHICS, "weight_kg": "70,5", "_version": "0"}).status_code == 303
    assert stored(web, record_id, "demographics")["weight_kg"] == "70.5"
    english = web.login("entry_fhcc")
    other = web.new_patient(english)
    refused = save(
        english, form_url(other, "demographics"), {**DEMOGRAPHICS, "weight_kg": "70,5", "_version": "0"}
    )
    assert refused.status_code == 422 and "write it with a point, 70.5" in refused.text
