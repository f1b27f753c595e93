"""A field's history: who, when, old and new value, why."""

from __future__ import annotations

from lxml import html

from tests.web.conftest import Web, post


def test_a_fields_history_lists_only_its_changes(web: Web) -> None:
    client = web.login("entry_fhcc")
    record_id = web.new_patient(client)
    form = f"/records/{record_id}/forms/demographics"
    post(client, form, {"age_at_infusion": "57", "sex": "2", "weight_kg": "70.5"})
    post(client, form, {"age_at_infusion": "58", "sex": "2", "weight_kg": "70.5"})
    page = html.fromstring(
        client.get(f"/records/{record_id}/history?form=demographics&instance=1&field=sex").text
    )
    rows = [[c.text_content().strip() for c in r.xpath("td")] for r in page.xpath("//table//tbody/tr")]
    assert len(rows) == 1 and rows[0][3:6] == ["Sex", "", "Female"]
    age = html.fromstring(
        client.get(f"/records/{record_id}/history?form=demographics&instance=1&field=age_at_infusion").text
    )
    cells = [[c.text_content().strip() for c in r.xpath("td")] for r in age.xpath("//table//tbody/tr")]
    assert [c[4:6] for c in cells] == [["57", "58"], ["", "57"]]
    assert cells[0][1].startswith("entry_fhcc@web.test")
    whole = client.get(f"/records/{record_id}/history").text
    assert "patient created" in whole


def test_query_events_name_the_field_by_its_label_in_the_readers_language(web: Web) -> None:
    client = web.login("entry_hcb")  # reads Spanish
    record_id = web.new_patient(client)
    post(
        client,
        f"/records/{record_id}/forms/demographics",
        {"age_at_infusion": "57", "sex": "2", "weight_kg": "160"},
    )
    page = html.fromstring(client.get(f"/records/{record_id}/history").text)
    rows = [[c.text_content().strip() for c in r.xpath("td")] for r in page.xpath("//table//tbody/tr")]
    opened = [row for row in rows if row[2].startswith("consulta abierta")]
    assert opened and all(row[3] == "Peso" for row in opened), opened
    assert "weight_kg" not in page.text_content()
