"""Every data-entry page, for every form of the study: labelled inputs, grouped choices, described errors."""

from __future__ import annotations

import pytest
from lxml import html

from tests.web.conftest import Web, post

FORMS = [
    "eligibility",
    "demographics",
    "disease",
    "cart_infusion",
    "daily_assessment",
    "toxicity_course",
    "tocilizumab",
    "corticosteroids",
    "anakinra",
    "infections",
    "followup",
]


@pytest.fixture(scope="module")
def record_id(web: Web) -> str:
    return web.new_patient(web.login("entry_fhcc"))


@pytest.mark.parametrize("form", FORMS)
def test_every_input_has_a_label_and_every_choice_group_a_legend(web: Web, record_id: str, form: str) -> None:
    client = web.login("entry_fhcc")
    cform = web.app.state.study.forms[form]
    url = f"/records/{record_id}/forms/{form}" + ("/new" if cform.repeating else "")
    page = html.fromstring(client.get(url).text)
    labels = set(page.xpath("//label/@for"))
    controls = page.xpath(
        "//form[@id='crf']//*[self::input or self::select or self::textarea or self::output]"
    )
    for control in controls:
        if control.get("type") == "hidden":
            continue
        assert control.get("id") in labels, html.tostring(control)
    named = {c.get("name") for c in controls if c.get("name") and not c.get("name").startswith("_")}
    assert named == {f.name for f in cform.inputs if not f.refused}
    for group in page.xpath("//form[@id='crf']//input[@type='radio' or @type='checkbox']"):
        fieldset = group.xpath("ancestor::fieldset[1]")
        assert fieldset and fieldset[0].xpath("legend"), group.get("name")
    for calendar in page.xpath("//input[@data-studyday-for]"):
        assert calendar.get("name") is None


def test_errors_are_announced_and_tied_to_their_field(web: Web, record_id: str) -> None:
    client = web.login("entry_fhcc")
    url = f"/records/{record_id}/forms/cart_infusion"
    # A required value left blank no longer refuses a save (as in REDCap): an unknown code does.
    response = post(client, url, {"product": "42", "ld_start_day": "3", "prophylaxis": ["0", "1"]})
    assert response.status_code == 422
    page = html.fromstring(response.text)
    summary = page.get_element_by_id("error-summary")
    assert summary.get("role") == "alert"
    links = summary.xpath(".//a/@href")
    assert links == ["#f-product", "#f-ld_start_day", "#f-prophylaxis-0"]
    product = page.get_element_by_id("f-product")
    assert product.tag == "select" and product.get("aria-invalid") == "true"
    assert "issues-product" in product.get("aria-describedby")
    for box in page.xpath("//input[@name='prophylaxis']"):
        assert box.get("aria-invalid") == "true"
    fieldset = page.xpath("//fieldset[.//input[@name='prophylaxis']]")[0]
    assert "issues-prophylaxis" in fieldset.get("aria-describedby")
    assert "cannot be ticked together" in page.get_element_by_id("issues-prophylaxis").text_content()
    assert page.xpath("//div[@id='live' and @aria-live='polite']")


def test_status_is_never_colour_alone(web: Web, record_id: str) -> None:
    page = html.fromstring(web.login("entry_fhcc").get("/records").text)
    for cell in page.xpath("//span[contains(@class, 'cell ')]"):
        assert cell.text_content().strip(), "a status cell without text"
