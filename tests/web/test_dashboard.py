"""The dashboard: own site only (central roles choose), search, 50 per page, statuses, progress."""

from __future__ import annotations

import re
import uuid

import pytest
from lxml import html

from app.auth.service import actor_for_user, user_by_email
from app.records.service import create_record
from tests.web.conftest import Web, email, post, seed_patients


@pytest.fixture(scope="module")
def lafe(web: Web) -> list[str]:
    """51 patients at LAFE, a site no other test of this module writes to."""
    return seed_patients(web.app, "entry_lafe", 51)


def study_ids(text: str) -> list[str]:
    return [str(a) for a in html.fromstring(text).xpath("//table[@class='grid']/tbody/tr/th/a/text()")]


def test_fifty_patients_per_page_newest_first(web: Web, lafe: list[str]) -> None:
    client = web.login("entry_lafe")
    first = client.get("/records")
    assert study_ids(first.text) == list(reversed(lafe))[:50]
    assert "Page 1 of 2" in first.text
    second = client.get("/records?page=2")
    assert study_ids(second.text) == [lafe[0]]


def test_search_by_study_id(web: Web, lafe: list[str]) -> None:
    client = web.login("entry_lafe")
    target = lafe[7]
    found = client.get(f"/records?q={target.lower()[5:9]}")
    assert target in study_ids(found.text)
    assert study_ids(client.get(f"/records?q={target}").text) == [target]
    assert "No patients found." in client.get("/records?q=ZZZZ").text


def test_a_site_finds_an_uploaded_patient_by_its_pseudonym(web: Web) -> None:
    key = uuid.uuid4().hex * 2  # as edc pseudonymise writes them: 64 hex digits
    with web.app.state.session_factory.begin() as session:
        actor = actor_for_user(session, user_by_email(session, email("entry_fhcc")), "test")
        record_id = create_record(session, actor, key).record_id
    client = web.login("entry_fhcc")
    assert study_ids(client.get(f"/records?q={key}").text) == [record_id]
    assert study_ids(client.get(f"/records?q={key[:8].upper()}").text) == [record_id]  # a prefix will do
    assert "No patients found." in client.get(f"/records?q={key[:7]}").text  # too short to be one
    patient = html.fromstring(client.get(f"/records/{record_id}").text)
    assert patient.xpath("//code[@class='pseudonym']/text()") == [key]
    # Another site's patient stays out of reach, pseudonym or not.
    other = web.login("entry_lafe")
    assert "No patients found." in other.get(f"/records?q={key}").text


def test_a_status_per_form_and_progress_counts(web: Web, lafe: list[str]) -> None:
    client = web.login("entry_lafe")
    page = html.fromstring(client.get("/records?q=" + lafe[0]).text)
    cells = [
        c.text_content()
        for c in page.xpath("//table[@class='grid']/tbody/tr/td//span[contains(@class,'cell ')]")
    ]
    # The first patient had eligibility saved and marked complete; every other form is empty.
    assert cells[0].strip().startswith("●") and "Complete" in cells[0]
    assert all("Empty" in c for c in cells[1:])
    summary = page.xpath("//section[@class='summary']")[0].text_content()
    assert re.search(r"1\s+Patients", summary)


def test_site_users_see_their_site_and_central_roles_choose(web: Web, lafe: list[str]) -> None:
    fhcc = web.login("entry_fhcc")
    web.new_patient(fhcc)
    mine = study_ids(fhcc.get("/records").text)
    assert mine and all(i.startswith("FHCC-") for i in mine)
    assert all(i.startswith("FHCC-") for i in study_ids(fhcc.get("/records?site=LAFE").text))
    monitor = web.login("monitor")
    everyone = monitor.get("/records").text
    assert 'id="site"' in everyone
    assert {i.split("-")[0] for i in study_ids(monitor.get("/records?site=LAFE").text)} == {"LAFE"}
    assert "New patient" not in everyone


def test_create_a_patient(web: Web) -> None:
    client = web.login("entry_fhcc")
    response = post(client, "/records", page="/records")
    assert response.status_code == 303
    record_id = response.headers["location"].rsplit("/", 1)[1]
    assert re.fullmatch(r"FHCC-\d{4}-[A-Z0-9]", record_id)
    page = client.get(response.headers["location"])
    assert f"Patient {record_id} created." in page.text


def test_monitors_cannot_create_patients_and_admins_see_no_patient_data(web: Web) -> None:
    refused = post(web.login("monitor"), "/records", page="/records")
    assert refused.status_code == 403 and "Not allowed" in refused.text
    admin = web.login("admin").get("/records")
    assert admin.status_code == 403 and "Your role does not allow this." in admin.text


def test_each_status_cell_opens_its_form_for_that_patient(web: Web, lafe: list[str]) -> None:
    client = web.login("entry_lafe")
    record_id = lafe[0]
    page = html.fromstring(client.get(f"/records?q={record_id}").text)
    links = page.xpath("//table[@class='grid']/tbody/tr/td/a[@class='cell-link']")
    study = web.app.state.study
    expected = [
        f"/records/{record_id}#form-{name}" if cform.repeating else f"/records/{record_id}/forms/{name}"
        for name, cform in study.forms.items()
    ]
    assert [a.get("href") for a in links] == expected
    assert links[0].text_content().startswith("Eligibility:")  # a link says what it opens
    patient = client.get(f"/records/{record_id}").text
    for href in expected:
        path, _, anchor = href.partition("#")
        if anchor:
            assert f'id="{anchor}"' in patient
        else:
            assert client.get(path).status_code == 200


def test_the_icon_is_linked_from_every_page_and_found_where_browsers_look(web: Web) -> None:
    client = web.client()
    [icon] = html.fromstring(client.get("/login").text).xpath("//head/link[@rel='icon']/@href")
    linked = client.get(icon)
    assert linked.status_code == 200 and linked.headers["content-type"] == "image/svg+xml"
    found = client.get("/favicon.ico")
    assert found.status_code == 200 and found.headers["content-type"].startswith("image/svg+xml")
    assert found.content == linked.content and found.content.startswith(b"<svg")
    assert len(found.content) < 1024
