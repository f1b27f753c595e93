"""Queries on the pages: a monitor opens one on a field, the site answers, the monitor closes it."""

from __future__ import annotations

from lxml import html

from tests.web.conftest import Web, post

DEMOGRAPHICS = {"age_at_infusion": "88", "sex": "1", "weight_kg": "70.5"}


def test_the_life_of_a_query_on_a_field(web: Web) -> None:
    entry = web.login("entry_fhcc")
    record_id = web.new_patient(entry)
    form = f"/records/{record_id}/forms/demographics"
    post(entry, form, DEMOGRAPHICS)
    assert "Open a query" not in entry.get(form).text

    monitor = web.login("monitor")
    page = html.fromstring(monitor.get(form).text)
    [link] = page.xpath("//div[@data-field='age_at_infusion']//a[starts-with(., 'Open a query')]/@href")
    opened = post(
        monitor,
        f"/records/{record_id}/queries",
        {"form": "demographics", "instance": "1", "field": "age_at_infusion", "text": "88? Check."},
        page=link,
    )
    assert opened.status_code == 303 and opened.headers["location"] == form
    shown = html.fromstring(entry.get(form).text)
    [query_url] = shown.xpath("//div[@data-field='age_at_infusion']//a[@class='qlink']/@href")
    assert "88? Check." in shown.xpath("//div[@data-field='age_at_infusion']")[0].text_content()

    refused = post(entry, query_url + "/answer", {"text": "yes"}, page=query_url)
    assert refused.status_code == 403
    manager = web.login("manager_fhcc")
    assert (
        post(manager, query_url + "/answer", {"text": "Confirmed in the chart."}, page=query_url).status_code
        == 303
    )
    thread = manager.get(query_url).text
    assert "Confirmed in the chart." in thread and "Answered" in thread
    assert "data manager answers queries" in entry.get(query_url).text  # why site entry has no box
    reply = html.fromstring(monitor.get(query_url).text).xpath("//form[contains(@class,'reply')]")
    assert len(reply) == 1 and len(reply[0].xpath(".//textarea")) == 1  # one message, an action each
    assert reply[0].xpath(".//button/@formaction") == [
        f"{query_url}/{a}" for a in ("close", "cancel", "reopen")
    ]
    assert post(monitor, query_url + "/close", {"text": "Thanks."}, page=query_url).status_code == 303
    assert "Closed" in monitor.get(query_url).text
    history = entry.get(f"/records/{record_id}/history").text
    assert "query opened" in history and "query answered" in history and "query closed" in history


def test_the_list_counts_by_status_and_hides_other_sites(web: Web) -> None:
    entry = web.login("entry_fhcc")
    record_id = web.new_patient(entry)
    post(entry, f"/records/{record_id}/forms/demographics", {**DEMOGRAPHICS, "weight_kg": "160"})
    listed = html.fromstring(entry.get("/queries?status=open").text)
    assert record_id in listed.text_content()
    assert listed.xpath("//ul[contains(@class,'counts')]//a[@aria-current]")
    query_url = listed.xpath(f"//tr[.//a[text()='{record_id}']]//a[starts-with(@href,'/queries/')]/@href")[0]
    hcb = web.login("entry_hcb")
    assert record_id not in hcb.get("/queries").text
    assert hcb.get(query_url).status_code == 404


def test_only_monitors_open_queries(web: Web) -> None:
    entry = web.login("entry_fhcc")
    record_id = web.new_patient(entry)
    response = entry.get(f"/records/{record_id}/queries/new?form=demographics&field=sex")
    assert response.status_code == 403
    monitor = web.login("monitor")
    assert monitor.get(f"/records/{record_id}/queries/new?form=demographics&field=nope").status_code == 404


def test_a_checks_query_reads_in_each_readers_language(web: Web) -> None:
    entry = web.login("entry_hcb")  # a Spanish-speaking site
    record_id = web.new_patient(entry)
    form = f"/records/{record_id}/forms/demographics"
    post(entry, form, {**DEMOGRAPHICS, "weight_kg": "160"})
    spanish = html.fromstring(entry.get(form).text)
    [query_url] = spanish.xpath("//div[@data-field='weight_kg']//a[@class='qlink']/@href")
    assert "fuera del rango esperado" in spanish.xpath("//div[@data-field='weight_kg']")[0].text_content()
    monitor = web.login("monitor")  # reads English
    thread = html.fromstring(monitor.get(query_url).text).xpath("//p[@class='msg-text']/text()")
    assert thread == ["160 is outside the expected range 40–150 kg: please confirm"]
    beside = html.fromstring(monitor.get(form).text).xpath("//div[@data-field='weight_kg']")[0].text_content()
    assert "outside the expected range" in beside


def open_on_whole_form(web: Web, record_id: str, text: str = "Please review this form.") -> str:
    """A monitor's query on a patient's whole demographics form; its address."""
    monitor = web.login("monitor")
    opened = post(
        monitor,
        f"/records/{record_id}/queries",
        {"form": "demographics", "instance": "1", "field": "", "text": text},
        page=f"/records/{record_id}/queries/new?form=demographics",
    )
    assert opened.status_code == 303
    listed = html.fromstring(monitor.get(f"/queries?record_id={record_id}").text)
    [url] = listed.xpath("//tbody//a[starts-with(@href,'/queries/')]/@href")
    return str(url)


def test_a_monitor_closes_a_query_without_a_message_but_nothing_else_goes_without_one(web: Web) -> None:
    record_id = web.new_patient(web.login("entry_fhcc"))
    query_url = open_on_whole_form(web, record_id)
    monitor, manager = web.login("monitor"), web.login("manager_fhcc")
    for client, action in ((manager, "answer"), (monitor, "cancel")):
        refused = post(client, f"{query_url}/{action}", {"text": "  "}, page=query_url)
        assert refused.status_code == 303
        assert "Write a message." in client.get(query_url).text
    assert "Open" in html.fromstring(monitor.get(query_url).text).xpath("//h1")[0].text_content()
    box = html.fromstring(monitor.get(query_url).text).xpath("//textarea[@id='reply-text']")[0]
    assert box.get("aria-required") is None and "Optional when you close" in monitor.get(query_url).text
    [answer_box] = html.fromstring(manager.get(query_url).text).xpath("//textarea[@id='reply-text']")
    assert answer_box.get("aria-required") == "true"
    closed = post(monitor, f"{query_url}/close", {"text": ""}, page=query_url)
    assert closed.status_code == 303
    page = html.fromstring(monitor.get(query_url).text)
    assert "Query closed." in page.text_content() and "Closed" in page.xpath("//h1")[0].text_content()
    assert [m.get("class") for m in page.xpath("//li[contains(@class,'msg ')]")] == [
        "msg msg-open",
        "msg msg-close",
    ]
    reopened = post(monitor, f"{query_url}/reopen", {"text": ""}, page=query_url)
    assert reopened.status_code == 303 and "Write a message." in monitor.get(query_url).text


def test_a_query_on_the_whole_form_is_not_read_as_a_complete_form_in_spanish(web: Web) -> None:
    record_id = web.new_patient(web.login("entry_hcb"))
    query_url = open_on_whole_form(web, record_id)
    manager = web.login("manager_hcb")  # reads Spanish
    for url in ("/queries", query_url):
        text = manager.get(url).text
        assert "(todo el formulario)" in text and "formulario completo" not in text


def test_study_ids_in_the_list_stay_on_one_line(web: Web) -> None:
    record_id = web.new_patient(web.login("entry_fhcc"))
    open_on_whole_form(web, record_id)
    listed = html.fromstring(web.login("monitor").get(f"/queries?record_id={record_id}").text)
    [cell] = listed.xpath(f"//tbody//td[a[text()='{record_id}']]")
    assert "col-id" in cell.get("class", "").split()
