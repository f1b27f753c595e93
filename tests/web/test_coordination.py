"""The coordinating centre's pages: quality report, cohort summary, export download, who may see them."""

from __future__ import annotations

import csv
import io
import json
import time
import zipfile

from lxml import html

from app.web.cookies import COOKIE, decode
from tests.web.conftest import SECRET_KEY, Web, idle_for, post

DEMOGRAPHICS = {"age_at_infusion": "57", "sex": "2", "weight_kg": "70.5"}


def test_a_coordinator_downloads_the_export_and_reads_the_reports(web: Web) -> None:
    entry = web.login("entry_fhcc")
    record_id = web.new_patient(entry)
    post(entry, f"/records/{record_id}/forms/demographics", DEMOGRAPHICS)
    coordinator = web.login("coordinator")
    hub = coordinator.get("/coordination")
    assert hub.status_code == 200 and "Export the dataset" in hub.text
    before = web.audit_count("export")
    download = post(coordinator, "/coordination/export", {"formats": ["csv", "stata"]}, page="/coordination")
    assert download.status_code == 200 and download.headers["content-type"] == "application/zip"
    names = set(zipfile.ZipFile(io.BytesIO(download.content)).namelist())
    assert {"patients.csv", "patients.dta", "manifest.json", "codebook.html"} <= names
    assert web.audit_count("export") == before + 1
    quality = coordinator.get("/coordination/quality")
    assert quality.status_code == 200 and "FHCC" in quality.text
    assert '<a href="/coordination">' in quality.text  # a way back from the report page
    assert coordinator.get("/coordination/quality.csv").headers["content-type"].startswith("text/csv")
    summary = coordinator.get("/coordination/summary")
    assert summary.status_code == 200 and "<table" in summary.text
    assert '<a href="/coordination">' in summary.text


def test_the_export_form_starts_with_the_study_top_codes(web: Web) -> None:
    entry = web.login("entry_fhcc")
    record_id = web.new_patient(entry)
    post(entry, f"/records/{record_id}/forms/demographics", {**DEMOGRAPHICS, "age_at_infusion": "95"})
    coordinator = web.login("coordinator")
    assert 'value="age_at_infusion=90"' in coordinator.get("/coordination").text
    for field, age in [("age_at_infusion=90", "90"), ("", "95"), ("age_at_infusion=93", "93")]:
        data = {"formats": ["csv"], "top_code": field}
        download = post(coordinator, "/coordination/export", data, page="/coordination")
        assert download.status_code == 200, download.text
        patients = zipfile.ZipFile(io.BytesIO(download.content)).read("patients.csv").decode("utf-8")
        ages = {r["record_id"]: r["age_at_infusion"] for r in csv.DictReader(io.StringIO(patients))}
        assert ages[record_id] == age, field


def test_site_users_cannot_use_the_coordination_pages(web: Web) -> None:
    entry = web.login("entry_fhcc")
    assert entry.get("/coordination").status_code == 403
    monitor = web.login("monitor")
    assert monitor.get("/coordination").status_code == 200
    assert "Export the dataset" not in monitor.get("/coordination").text
    refused = post(monitor, "/coordination/export", {"formats": ["csv"]}, page="/coordination")
    assert refused.status_code == 403


def test_reading_the_reports_counts_as_activity(web: Web) -> None:
    coordinator = web.login("coordinator")
    for address in ("/coordination/quality", "/coordination/quality.csv", "/coordination/summary"):
        idle_for(coordinator, 5 * 60)
        response = coordinator.get(address)
        assert response.status_code == 200, address
        renewed = decode(response.cookies[COOKIE], SECRET_KEY)
        assert renewed is not None and renewed.seen >= int(time.time()) - 5, address
    # Their own policy (inline style, nothing else) is kept, not replaced by the pages' one.
    assert response.headers["content-security-policy"].startswith("default-src 'none'")


def test_the_export_form_chooses_sites_and_the_language_of_labels(web: Web) -> None:
    for who in ("entry_fhcc", "entry_hcb"):
        client = web.login(who)
        post(client, f"/records/{web.new_patient(client)}/forms/demographics", DEMOGRAPHICS)
    coordinator = web.login("coordinator")
    hub = coordinator.get("/coordination").text
    assert 'name="sites" value="HCB" checked' in hub and 'name="sites" value="FHCC" checked' in hub
    data = {"formats": ["csv"], "sites": ["FHCC"], "sites_shown": "1", "lang": "es"}
    download = post(coordinator, "/coordination/export", data, page="/coordination")
    assert download.status_code == 200, download.text
    archive = zipfile.ZipFile(io.BytesIO(download.content))
    patients = list(csv.DictReader(io.StringIO(archive.read("patients.csv").decode("utf-8"))))
    assert patients and {r["record_id"].split("-")[0] for r in patients} == {"FHCC"}
    filters = json.loads(archive.read("manifest.json"))["filters"]
    assert (filters["sites"], filters["lang"]) == (["FHCC"], "es")
    assert "Sexo" in archive.read("codebook.html").decode("utf-8")  # labels in Spanish
    twice = {"formats": ["csv"], "sites": ["FHCC", "FHCC"], "sites_shown": "1"}
    download = post(coordinator, "/coordination/export", twice, page="/coordination")
    assert json.loads(zipfile.ZipFile(io.BytesIO(download.content)).read("manifest.json"))["filters"][
        "sites"
    ] == ["FHCC"]
    unknown = {"formats": ["csv"], "sites": ["FHCC", "XYZ"], "sites_shown": "1"}
    refused = post(coordinator, "/coordination/export", unknown, page="/coordination")
    assert refused.status_code == 400 and "unknown site &#39;XYZ&#39;" in refused.text
    nothing = post(coordinator, "/coordination/export", {"sites_shown": "1"}, page="/coordination")
    assert nothing.status_code == 303 and nothing.headers["location"] == "/coordination"
    assert "Tick at least one site to export." in coordinator.get("/coordination").text


def test_the_summary_form_starts_with_the_study_incidence_and_refuses_in_place(web: Web) -> None:
    coordinator = web.login("coordinator")
    hub = html.fromstring(coordinator.get("/coordination").text)
    # The study's settings: Table 1 by dose group, the TRM incidence with relapse competing (CRF.md).
    filled = {
        i.get("name"): i.get("value") for i in hub.xpath("//form[@action='/coordination/summary']//input")
    }
    assert filled == {
        "by": "dose_group",
        "event": "trm",
        "event_time": "death_day",
        "competing": "relapse",
        "competing_time": "relapse_day",
        "censor_time": "last_followup_day",
    }
    shown = coordinator.get("/coordination/summary", params=filled)
    assert shown.status_code == 200 and "Aalen–Johansen" in shown.text
    assert "Aalen–Johansen" in coordinator.get("/coordination/summary").text  # the study's, unasked
    table_only = coordinator.get("/coordination/summary", params={**filled, "event": ""})
    assert table_only.status_code == 200 and "Aalen–Johansen" not in table_only.text
    # A variable that cannot group: the page says so above its form and keeps what was asked.
    refused = coordinator.get("/coordination/summary", params={**filled, "by": "age_at_infusion"})
    assert refused.status_code == 400
    page = html.fromstring(refused.text)
    problem = page.get_element_by_id("summary-problem").text_content()
    assert problem == "Group by (a coded variable): 'age_at_infusion' is not a coded variable"
    assert page.xpath("//input[@name='by']/@value") == ["age_at_infusion"]
    # So does the export, for a top-code it cannot read.
    data = {"formats": ["csv"], "top_code": "age_at_infusion=abc"}
    bad = post(coordinator, "/coordination/export", data, page="/coordination")
    assert bad.status_code == 400
    said = html.fromstring(bad.text).get_element_by_id("export-problem").text_content()
    assert said.startswith("Top-code (VARIABLE=N, comma-separated): ") and "VARIABLE=NUMBER" in said, said
