"""Bulk upload over HTTP on SQLite and PostgreSQL: atomic, idempotent, every problem reported."""

from __future__ import annotations

import csv
import io
import json
import time
import uuid
import zipfile
from typing import Any

import pytest
from openpyxl import Workbook

from tests.apiclient import Api

HEADER = [
    "record_id",
    "redcap_repeat_instrument",
    "redcap_repeat_instance",
    "site_pseudonym",
    "age_at_infusion",
    "sex",
    "weight_kg",
    "height_cm",
    "ecog",
    "assess_day",
    "tmax_c",
    "hypotension",
    "vasopressors_n",
    "o2_device",
    "disease",
    "disease_other",
]


def pseudonym() -> str:
    return uuid.uuid4().hex + uuid.uuid4().hex


def patient_rows(key: str, **changes: str) -> list[dict[str, str]]:
    once = {
        "site_pseudonym": key,
        "age_at_infusion": "57",
        "sex": "2",
        "weight_kg": "70.5",
        "height_cm": "165.0",
        "ecog": "1",
        "disease": "1",
    }
    day1 = {
        "site_pseudonym": key,
        "redcap_repeat_instrument": "daily_assessment",
        "redcap_repeat_instance": "1",
        "assess_day": "2",
        "tmax_c": "38.6",
        "hypotension": "0",
        "o2_device": "0",
    }
    day2 = {
        **day1,
        "redcap_repeat_instance": "2",
        "assess_day": "3",
        "hypotension": "1",
        "vasopressors_n": "1",
    }
    rows = [once, day1, day2]
    for name, value in changes.items():
        row, field = name.split("__")
        rows[int(row)][field] = value
    return rows


def to_csv(rows: list[dict[str, str]], header: list[str] = HEADER, delimiter: str = ",") -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, header, delimiter=delimiter, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def send(api: Api, content: bytes, name: str = "upload.csv", who: str = "manager_hcb", **params: Any) -> Any:
    return api.call("POST", "/api/v1/uploads", who, files={"file": (name, content)}, params=params)


def record_for(api: Api, key: str) -> str | None:
    items = api.call("GET", "/api/v1/records?limit=1000", "manager_hcb").json()["items"]
    before = {r["record_id"] for r in items}
    _ = before
    for item in items:
        audit = api.call("GET", f"/api/v1/records/{item['record_id']}/audit", "manager_hcb").json()
        if any(
            c.get("new") == key for e in audit for c in e["changes"] if c.get("field") == "site_pseudonym"
        ):
            return str(item["record_id"])
    return None


def test_a_new_patient_is_created_and_reuploading_changes_nothing(api: Api) -> None:
    key = pseudonym()
    content = to_csv(patient_rows(key))
    first = send(api, content)
    assert first.status_code == 200, first.text
    report = first.json()
    assert (report["status"], report["patients_created"], report["created"], report["rejected"]) == (
        "done",
        1,
        4,
        0,
    )
    assert report["ignored_columns"] == []
    record_id = record_for(api, key)
    assert record_id is not None and record_id.startswith("HCB-")
    # The site learns each new patient's study ID, which its queries will name.
    assert report["new_patients"] == [{"row": 2, "site_pseudonym": key, "record_id": record_id}]
    day2 = api.call("GET", f"/api/v1/records/{record_id}/forms/daily_assessment/2").json()
    assert day2["computed"]["crs_grade"] == 3
    events = api.call("GET", f"/api/v1/records/{record_id}/audit").json()
    assert {e["source"] for e in events} == {f"upload:{report['batch_id']}"}
    before = api.audit_count()
    again = send(api, content).json()
    assert (again["status"], again["created"], again["updated"], again["unchanged"]) == ("done", 0, 0, 4)
    assert again["new_patients"] == []
    assert api.audit_count() == before + 1  # only the upload itself is recorded


def test_a_changed_row_updates_only_what_changed(api: Api) -> None:
    key = pseudonym()
    send(api, to_csv(patient_rows(key)))
    changed = send(api, to_csv(patient_rows(key, **{"0__ecog": "2"}))).json()
    assert (changed["updated"], changed["unchanged"]) == (1, 3)
    record_id = record_for(api, key)
    last = api.call("GET", f"/api/v1/records/{record_id}/audit").json()[-1]
    assert last["changes"] == [{"field": "ecog", "old": "1", "new": "2"}]


def test_a_dry_run_validates_and_stores_nothing(api: Api) -> None:
    key = pseudonym()
    report = send(api, to_csv(patient_rows(key)), dry_run="true").json()
    assert (report["status"], report["dry_run"], report["created"]) == ("done", True, 4)
    assert record_for(api, key) is None
    assert report["patients_created"] == 1 and report["new_patients"] == []  # no study ID was kept
    # The upload's own audit event follows the chain as it was, not the rolled-back rows' events.
    assert api.audit_intact()


def test_planted_errors_are_reported_exactly_and_nothing_is_stored(api: Api) -> None:
    good, bad = pseudonym(), pseudonym()
    rows = patient_rows(good) + patient_rows(bad, **{"0__sex": "7", "1__tmax_c": "50", "2__hypotension": "0"})
    response = send(api, to_csv(rows))
    assert response.status_code == 422
    found = [
        (e["row"], e["form"], e["instance"], e["field"], e["value"], e["code"])
        for e in response.json()["errors"]
    ]
    assert found == [
        (5, "demographics", None, "sex", "7", "invalid_choice"),
        (6, "daily_assessment", 1, "tmax_c", "50", "out_of_range"),
        (7, "daily_assessment", 2, "vasopressors_n", "1", "hidden_value"),
    ]
    assert response.json()["rejected"] == 3
    assert record_for(api, good) is None  # all or nothing
    # The patients were new: the study IDs they briefly had were rolled back, so none is named.
    assert [e["record"] for e in response.json()["errors"]] == [None, None, None]
    assert api.audit_intact()


def test_a_missing_data_code_ticked_alone_is_stored_and_beside_answers_is_reported(api: Api) -> None:
    boxes = ["prophylaxis___0", "prophylaxis___1", "prophylaxis___UNK"]  # as a spreadsheet may spell them
    header = ["record_id", "site_pseudonym", "product", *boxes]
    alone, mixed = pseudonym(), pseudonym()
    rows = [
        {
            "site_pseudonym": alone,
            "product": "1",
            "prophylaxis___0": "0",
            "prophylaxis___1": "0",
            boxes[2]: "1",
        },
        {
            "site_pseudonym": mixed,
            "product": "1",
            "prophylaxis___0": "0",
            "prophylaxis___1": "1",
            boxes[2]: "1",
        },
    ]
    refused = send(api, to_csv(rows, header))
    assert refused.status_code == 422
    assert [(e["row"], e["field"], e["code"]) for e in refused.json()["errors"]] == [
        (3, "prophylaxis", "missing_code_alone")
    ]
    assert "must be the only value" in refused.json()["errors"][0]["message"]
    assert record_for(api, alone) is None
    stored = send(api, to_csv(rows[:1], header))
    assert stored.status_code == 200, stored.text
    record_id = record_for(api, alone)
    form = api.call("GET", f"/api/v1/records/{record_id}/forms/cart_infusion").json()
    assert form["values"]["prophylaxis"] == "UNK"


def test_a_value_in_a_column_of_a_form_the_row_does_not_hold_is_refused(api: Api) -> None:
    header = [*HEADER, "prophylaxis___1"]
    rows = patient_rows(pseudonym(), **{"1__weight_kg": "99.9", "0__tmax_c": "39.1"})
    rows[2]["prophylaxis___1"] = "0"  # an unticked box is no value: REDCap writes them as 0
    refused = send(api, to_csv(rows, header))
    assert refused.status_code == 422 and refused.json()["rejected"] == 2
    found = [(e["row"], e["form"], e["field"], e["value"], e["code"]) for e in refused.json()["errors"]]
    assert found == [
        (2, "daily_assessment", "tmax_c", "39.1", "wrong_row_for_column"),
        (3, "demographics", "weight_kg", "99.9", "wrong_row_for_column"),
    ]
    assert "leave it blank here" in refused.json()["errors"][0]["message"]


def test_calculated_columns_of_a_redcap_export_are_read_past_and_reported(api: Api) -> None:
    key = pseudonym()
    header = [*HEADER, "crs_grade"]
    rows = patient_rows(key, **{"0__weight_kg": "160"})  # outside the expected range: one data query
    rows[2]["crs_grade"] = "1"  # what the site's copy said; the platform computes 3 from the row
    report = send(api, to_csv(rows, header)).json()
    assert (report["status"], report["ignored_columns"], report["queries_opened"]) == (
        "done",
        ["crs_grade"],
        1,
    )
    record_id = record_for(api, key)
    day2 = api.call("GET", f"/api/v1/records/{record_id}/forms/daily_assessment/2").json()
    assert day2["computed"]["crs_grade"] == 3


def test_a_corrected_value_answers_the_query_its_check_opened(api: Api) -> None:
    key = pseudonym()
    first = send(api, to_csv(patient_rows(key, **{"0__weight_kg": "160"}))).json()
    assert first["queries_opened"] == 1
    fixed = send(api, to_csv(patient_rows(key, **{"0__weight_kg": "150"}))).json()
    assert (fixed["updated"], fixed["queries_answered"]) == (1, 1)
    record_id = record_for(api, key)
    assert [q["status"] for q in api.call("GET", f"/api/v1/queries?record_id={record_id}").json()] == [
        "answered"
    ]


def test_an_instance_number_too_large_for_the_database_is_reported(api: Api) -> None:
    rows = patient_rows(pseudonym(), **{"1__redcap_repeat_instance": str(2**64)})
    refused = send(api, to_csv(rows))
    assert refused.status_code == 422
    assert [(e["row"], e["code"]) for e in refused.json()["errors"]] == [(3, "bad_instance")]


def test_report_csv_never_executes_a_cell(api: Api) -> None:
    rows = patient_rows(
        pseudonym(), **{"0__disease": "99", "0__disease_other": '=HYPERLINK("x")', "0__ecog": "-1"}
    )
    report = send(api, to_csv(rows)).json()
    text = api.call("GET", report["report_csv_url"], "manager_hcb").text
    assert "'-1" in text and "\n=" not in text and ",=" not in text


@pytest.mark.parametrize(
    ("content", "name", "code"),
    [
        (b"age_at_infusion;sex\n57;2\n", "x.csv", "wrong_delimiter"),
        (
            "site_pseudonym,disease_other\nabc,Dolor en el pecho, señal\n".encode("cp1252"),
            "x.csv",
            "wrong_encoding",
        ),
        (b"site_pseudonym,sex,sex\nabc,1,1\n", "x.csv", "duplicate_column"),
        (b"site_pseudonym,shoe_size\nabc,44\n", "x.csv", "unknown_columns"),
        (b"site_pseudonym,nombre\nabc,Maria\n", "x.csv", "identifier_column"),
        (b"site_pseudonym,disease_other\nabc,DNI 12345678Z\n", "x.csv", "identifier_value"),
        (b"site_pseudonym,disease_other\nabc,seen 03/04/2021\n", "x.csv", "identifier_value"),
        (b"site_pseudonym,disease_other\nabc,relapse on 3 de marzo de 2021\n", "x.csv", "identifier_value"),
        (b"site_pseudonym,disease_other\nabc,13OCT1964\n", "x.csv", "identifier_value"),
        (b"", "x.csv", "empty_file"),
        (b"PK\x03\x04 truncated", "x.xlsx", "damaged_xlsx"),
        (b"{not json", "x.json", "malformed_json"),
    ],
)
def test_bad_files_are_refused_whole_with_a_clear_reason(
    api: Api, content: bytes, name: str, code: str
) -> None:
    before = api.audit_count()
    response = send(api, content, name)
    assert response.status_code == 422, response.text
    assert [e["code"] for e in response.json()["errors"]] == [code]
    assert api.audit_count() == before + 1


def test_a_zip_bomb_disguised_as_xlsx_is_refused_unopened(api: Api) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (30 * 1024 * 1024))
    response = send(api, buffer.getvalue(), "bomb.xlsx")
    assert [e["code"] for e in response.json()["errors"]] == ["xlsx_too_large"]


def test_ragged_rows_and_other_sites(api: Api) -> None:
    key = pseudonym()
    text = to_csv(patient_rows(key)).decode() + f",,,{key},1,2,3\n"
    other = api.new_record("entry_fhcc")
    foreign = f"{other},,,,57,2,70.5,165.0,1,,,,,,1,\n"
    past_the_header = "," * len(HEADER) + "72\n"  # its only value lies beyond the last column
    response = send(api, (text + foreign + past_the_header).encode())
    codes = {(e["row"], e["code"]) for e in response.json()["errors"]}
    assert codes == {(5, "ragged_row"), (6, "unknown_record"), (7, "no_patient")}
    dag = send(
        api,
        to_csv(
            [{**patient_rows(pseudonym())[0], "redcap_data_access_group": "fhcc"}],
            [*HEADER, "redcap_data_access_group"],
        ),
    )
    assert [e["code"] for e in dag.json()["errors"]] == ["wrong_site"]


def test_xlsx_and_json_uploads(api: Api) -> None:
    key = pseudonym()
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for row in patient_rows(key):
        sheet.append([row.get(c, "") or None for c in HEADER])
    buffer = io.BytesIO()
    book.save(buffer)
    assert send(api, buffer.getvalue(), "extract.xlsx").json()["created"] == 4
    assert send(api, json.dumps(patient_rows(key)).encode(), "extract.json").json()["unchanged"] == 4


def test_only_site_data_managers_upload(api: Api) -> None:
    assert send(api, to_csv(patient_rows(pseudonym())), who="entry_hcb").status_code == 403
    assert send(api, to_csv(patient_rows(pseudonym())), who="monitor").status_code == 403


def test_an_oversized_upload_is_refused_before_it_is_read(api: Api) -> None:
    response = api.call(
        "POST",
        "/api/v1/uploads",
        "manager_hcb",
        content=b"x" * 100,
        headers={"Content-Length": str(2 * 1024**3), "Content-Type": "multipart/form-data; b=x"},
    )
    assert response.status_code == 413


def test_a_large_upload_runs_in_the_background(api: Api) -> None:
    settings = api.client.app.state.settings  # type: ignore[attr-defined]
    threshold = settings.upload_async_bytes
    settings.upload_async_bytes = 10
    try:
        key = pseudonym()
        queued = send(api, to_csv(patient_rows(key)))
    finally:
        settings.upload_async_bytes = threshold
    assert queued.status_code == 202
    status = queued.json()
    deadline = time.monotonic() + 30
    while status["status"] in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.2)
        status = api.call("GET", queued.json()["status_url"], "manager_hcb").json()
    assert (status["status"], status["created"]) == ("done", 4)
    assert record_for(api, key) is not None
    assert api.call("GET", queued.json()["status_url"], "manager_fhcc").status_code == 404
