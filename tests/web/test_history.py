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
