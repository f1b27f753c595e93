"""The pages in a real browser: Debian's Chromium driven by Playwright, against uvicorn on 127.0.0.1.

Screenshots of the main pages are kept in test-artifacts/web/. Without /usr/bin/chromium these tests
are skipped, except in CI (CI set), where a missing browser is a failure.
"""

from __future__ import annotations

import os
import random
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from app.auth.service import actor_for_user, user_by_email
from app.core import migrations
from app.core.errors import ValidationFailed
from app.demo.synthetic import form_values
from app.main import create_app
from app.queries.service import open_query
from app.records.patient import load_patient
from app.records.service import create_record, save_form
from app.web.cookies import COOKIE, decode, encode
from tests.web.conftest import PASSWORD, REPO, SECRET_KEY, create_users, email, seed_patients, settings_for

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
ARTIFACTS = REPO / "test-artifacts" / "web"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, FastAPI]]:
    """The app on a temporary SQLite database, served by uvicorn in a thread on a free port."""
    url = f"sqlite:///{tmp_path_factory.mktemp('browser') / 'web.db'}"
    migrations.upgrade(url, "head")
    app = create_app(settings_for(url))
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    create_users(app)
    seed_patients(app, "manager_fhcc", 12, ("eligibility", "demographics", "disease", "cart_infusion"))
    try:
        yield f"http://127.0.0.1:{port}", app
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium)"
        if os.environ.get("CI"):
            pytest.fail(f"{message}; CI requires the browser tests", pytrace=False)
        pytest.skip(message)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


@pytest.fixture
def base(served: tuple[str, FastAPI]) -> str:
    return served[0]


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def signed_in(browser: Browser, base: str, who: str) -> tuple[BrowserContext, Page]:
    context = browser.new_context(base_url=base, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto("/login")
    sign_in(page, who)
    page.wait_for_url(f"{base}/records")
    return context, page


def sign_in(page: Page, who: str) -> None:
    """Fill in and send the sign-in page the browser is on."""
    page.get_by_label(re.compile("Email|Correo")).fill(email(who))
    page.get_by_label(re.compile("Password|Contraseña")).fill(PASSWORD)
    page.get_by_role("button", name=re.compile("Sign in|Iniciar sesión")).click()


def new_patient(page: Page) -> str:
    page.goto("/records")
    page.get_by_role("button", name=re.compile("New patient|Nuevo paciente")).click()
    page.wait_for_url(re.compile(r"/records/[A-Z]+-\d{4}-[A-Z0-9]$"))
    return page.url.rsplit("/", 1)[1]


def saved_demographics(page: Page) -> None:
    """A new patient whose demographics are saved (weight 70.5 kg), the form page open."""
    record_id = new_patient(page)
    page.goto(f"/records/{record_id}/forms/demographics")
    page.get_by_label("Age at CAR-T infusion (years)").fill("57")
    page.get_by_label("Female").check()
    page.get_by_label("Weight").fill("70.5")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".flash")).to_contain_text("Saved")


def test_login_page_and_dashboard(browser: Browser, base: str) -> None:
    context = browser.new_context(base_url=base, viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto("/records")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    shot(page, "01-login")
    context.close()
    context, page = signed_in(browser, base, "entry_fhcc")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Patients")
    expect(page.locator("table.grid tbody tr")).to_have_count(12)
    expect(page.locator(".cell-complete").first).to_contain_text("Comp")
    shot(page, "02-dashboard")
    context.close()


def test_the_patient_list_fits_a_narrow_screen(browser: Browser, base: str) -> None:
    context, page = signed_in(browser, base, "entry_fhcc")
    page.set_viewport_size({"width": 400, "height": 800})
    page.goto("/records")
    widths = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert widths[0] == widths[1], widths  # the table scrolls in its box; the page does not
    context.close()


def patient_with_entries(app: FastAPI, who: str) -> str:
    """A patient at `who`'s site with synthetic entries in every repeating form and a query on the
    whole of its first form, saved through save_form and the query service."""
    study = app.state.study
    rng = random.Random(5)
    with app.state.session_factory.begin() as session:
        actor = actor_for_user(session, user_by_email(session, email(who)), "test")
        monitor = actor_for_user(session, user_by_email(session, email("monitor")), "test")
        record = create_record(session, actor)
        for name in [name for name, cform in study.forms.items() if cform.repeating] * 2:
            patient = load_patient(session, study, record)
            raw = form_values(study, study.forms[name], rng, patient.data)
            with suppress(ValidationFailed):  # synthetic values are not always consistent
                save_form(session, study, actor, record.record_id, name, None, raw, new_instance=True)
        open_query(session, monitor, record, next(iter(study.forms)), 1, None, "Please review.")
        return record.record_id


def overflow(page: Page) -> list[str]:
    """What makes the page scroll sideways: the page's width beside the window's, then what sticks out
    past the window's right edge outside a box that scrolls on its own; nothing when the page fits."""
    return list(
        page.evaluate(
            """(() => {
              const root = document.documentElement;
              const out = Array.from(document.querySelectorAll('body *'))
                .filter(e => !e.closest('.table-wrap') && e.getBoundingClientRect().right > root.clientWidth)
                .map(e => e.tagName + ' ' + (e.textContent || '').trim().slice(0, 40));
              return root.scrollWidth > root.clientWidth ? [root.scrollWidth + 'px', ...out] : out;
            })()"""
        )
    )


def test_a_spanish_form_and_a_patient_with_entries_fit_a_narrow_screen(
    browser: Browser, served: tuple[str, FastAPI]
) -> None:
    base, app = served
    record_id = patient_with_entries(app, "entry_hcb")
    context, page = signed_in(browser, base, "entry_hcb")
    page.set_viewport_size({"width": 400, "height": 800})
    page.goto(f"/records/{record_id}/forms/demographics")
    expect(page.get_by_role("button", name="Guardar y marcar como completo")).to_be_visible()
    assert overflow(page) == []
    shot(page, "17-narrow-spanish-form")
    page.goto(f"/records/{record_id}")
    expect(page.locator("section.card .table-wrap table").nth(2)).to_be_visible()  # entries were made
    assert overflow(page) == []
    wide = page.evaluate(
        "Array.from(document.querySelectorAll('.table-wrap')).some(w => w.scrollWidth > w.clientWidth)"
    )
    assert wide  # a table wider than the screen scrolls inside its box
    shot(page, "18-narrow-patient")
    page.goto(f"/queries?record_id={record_id}")
    study_ids = page.locator("tbody td a", has_text=record_id)
    expect(study_ids.first).to_be_visible()
    lines = study_ids.evaluate_all("links => links.map(a => a.getClientRects().length)")
    assert lines and set(lines) == {1}, lines  # never "HCB-0006-" on one line and "S" on the next
    assert overflow(page) == []
    shot(page, "19-narrow-queries")
    context.close()


def test_daily_assessment_branching_grades_errors_and_workflow(browser: Browser, base: str) -> None:
    context, page = signed_in(browser, base, "entry_fhcc")
    record_id = new_patient(page)
    shot(page, "03-patient")
    page.locator("#form-daily_assessment").get_by_role("link", name="Add an entry").click()
    vasopressors = page.get_by_label("Number of vasopressors")
    expect(vasopressors).to_be_hidden()
    page.get_by_label("Study day of this assessment").fill("3")
    page.get_by_label("Highest temperature").fill("39.2")
    page.get_by_role("group", name="Hypotension", exact=True).get_by_label("Yes", exact=True).check()
    expect(vasopressors).to_be_visible()
    vasopressors.fill("1")
    expect(page.locator("#f-crs_grade")).to_have_text("3")
    page.get_by_role("group", name="Hypotension", exact=True).get_by_label("No", exact=True).check()
    expect(vasopressors).to_be_hidden()
    expect(page.locator("#f-crs_grade")).to_have_text("1")
    page.get_by_role("group", name="Hypotension", exact=True).get_by_label("Yes", exact=True).check()
    expect(page.locator("#f-crs_grade")).to_have_text("3")

    page.get_by_label("Highest temperature").fill("45")
    expect(page.locator("#issues-tmax_c")).to_contain_text("outside the allowed range")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#error-summary")).to_contain_text("Not saved")
    expect(page.get_by_label("Highest temperature")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Number of vasopressors")).to_have_value("1")
    shot(page, "04-form-error")

    page.get_by_label("Highest temperature").fill("39.2")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".flash")).to_contain_text("Saved")
    expect(page).to_have_url(re.compile(rf"/records/{record_id}/forms/daily_assessment/1$"))
    expect(page.locator("#f-crs_grade")).to_have_text("3")
    shot(page, "05-form-saved")

    page.goto(f"/records/{record_id}")
    expect(page.locator("#form-daily_assessment tbody tr")).to_have_count(1)
    expect(page.locator("#form-daily_assessment tbody tr")).to_contain_text("3")
    shot(page, "06-patient-with-entry")
    context.close()


def test_complete_then_edit_with_a_reason(browser: Browser, base: str) -> None:
    context, page = signed_in(browser, base, "entry_fhcc")
    saved_demographics(page)
    page.get_by_role("button", name="Mark complete", exact=True).click()
    expect(page.locator(".flash")).to_contain_text("Marked complete")
    expect(page.locator(".meta")).to_contain_text("Complete")
    reason = page.get_by_label(re.compile("Reason for change"))
    expect(reason).to_be_hidden()
    page.get_by_label("Weight").fill("72.0")
    expect(reason).to_be_visible()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#error-summary")).to_contain_text("A reason for the change is required")
    expect(reason).to_have_attribute("aria-invalid", "true")
    reason.fill("Chart re-read: weighed again on admission")
    shot(page, "07-form-reason")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".flash")).to_contain_text("Saved")
    expect(page.get_by_label("Weight")).to_have_value("72.0")
    page.locator('[data-field="weight_kg"]').get_by_role("link", name="History").click()
    expect(page.locator("table.history")).to_contain_text("Chart re-read")
    expect(page.locator("table.history")).to_contain_text("70.5 kg")
    shot(page, "08-history")
    context.close()


def test_mark_complete_with_unsaved_changes_asks_first_and_keeps_them(browser: Browser, base: str) -> None:
    context, page = signed_in(browser, base, "entry_fhcc")
    saved_demographics(page)
    page.get_by_label("Weight").fill("72.0")
    asked: list[str] = []

    def answer(dialog: Any) -> None:
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", answer)
    page.get_by_role("button", name="Mark complete", exact=True).click()
    expect(page.get_by_label("Weight")).to_have_value("72.0")
    assert asked and "not saved" in asked[0]
    expect(page.locator(".meta")).not_to_contain_text("Complete")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".flash")).to_contain_text("Saved")
    page.get_by_role("button", name="Mark complete", exact=True).click()  # nothing unsaved: no question
    expect(page.locator(".flash")).to_contain_text("Marked complete")
    assert len(asked) == 1
    context.close()


def test_entries_lost_to_an_ended_session_can_be_restored(browser: Browser, base: str) -> None:
    context, page = signed_in(browser, base, "entry_fhcc")
    record_id = new_patient(page)
    url = f"/records/{record_id}/forms/demographics"
    page.goto(url)
    page.get_by_label("Age at CAR-T infusion (years)").fill("57")
    page.get_by_label("Female").check()
    page.get_by_label("Weight").fill("70.5")
    context.clear_cookies()  # the session ends (signed out elsewhere, or too old)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("not accepted")
    for who in ("manager_fhcc", "entry_fhcc"):  # another user of the same browser is not offered it
        context.clear_cookies()
        page.goto("/login")
        sign_in(page, who)
        page.goto(url)
        if who == "manager_fhcc":
            expect(page.locator(".draft")).to_have_count(0)
    draft = page.locator(".draft")
    expect(draft).to_contain_text("was not saved")
    expect(page.get_by_label("Weight")).to_have_value("")
    draft.get_by_role("button", name="Restore it").click()
    expect(page.get_by_label("Weight")).to_have_value("70.5")
    expect(page.get_by_label("Female")).to_be_checked()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".flash")).to_contain_text("Saved")
    page.reload()
    expect(page.locator(".draft")).to_have_count(0)
    context.close()


def test_a_session_idle_too_long_leads_back_to_the_form_and_its_draft(browser: Browser, base: str) -> None:
    context, page = signed_in(browser, base, "entry_fhcc")
    record_id = new_patient(page)
    url = f"/records/{record_id}/forms/demographics"
    page.goto(url)
    page.wait_for_load_state("networkidle")
    (cookie,) = [c for c in context.cookies() if c["name"] == COOKIE]
    session = decode(cookie["value"], SECRET_KEY)
    assert session is not None
    session.seen -= 31 * 60  # as if the last request was 31 minutes ago (the limit is 30)
    context.add_cookies([{"name": COOKIE, "value": encode(session, SECRET_KEY), "url": base}])
    # Typing comes back first: the live preview meets the ended session before Save does.
    with page.expect_response(lambda r: r.url.endswith("/preview")) as answer:
        page.get_by_label("Weight").fill("70.5")
    assert answer.value.status == 401
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".flash")).to_contain_text("signed out after 30 minutes without activity")
    sign_in(page, "entry_fhcc")
    page.wait_for_url(f"{base}{url}")
    page.locator(".draft").get_by_role("button", name="Restore it").click()
    expect(page.get_by_label("Weight")).to_have_value("70.5")
    context.close()


def test_signing_out_forgets_what_the_tab_kept(browser: Browser, base: str) -> None:
    context, page = signed_in(browser, base, "entry_fhcc")
    record_id = new_patient(page)
    page.goto(f"/records/{record_id}/forms/demographics")
    page.get_by_label("Weight").fill("70.5")
    kept = "Object.keys(sessionStorage).filter(function (k) { return k.indexOf('edc:') === 0; }).length"
    assert page.evaluate(kept) == 1  # the draft
    page.once("dialog", lambda dialog: dialog.accept())  # "leave with unsaved changes?"
    page.get_by_role("button", name="Sign out").click()
    expect(page.locator(".flash")).to_contain_text("You have signed out.")
    page.wait_for_load_state("load")
    assert page.evaluate(kept) == 0
    context.close()


def test_a_restored_draft_never_overwrites_a_later_save(browser: Browser, base: str) -> None:
    context, page = signed_in(browser, base, "entry_fhcc")
    saved_demographics(page)  # version 1, weight 70.5
    url = page.url
    page.get_by_label("Weight").fill("71.0")  # typed, not saved: the draft is of version 1
    page.evaluate("window.onbeforeunload = null")
    other, theirs = signed_in(browser, base, "manager_fhcc")
    theirs.goto(url)
    theirs.get_by_label("Weight").fill("80.0")
    theirs.get_by_role("button", name="Save", exact=True).click()
    expect(theirs.locator(".flash")).to_contain_text("Saved")  # version 2
    other.close()
    page.once("dialog", lambda dialog: dialog.accept())
    page.goto(url)
    page.locator(".draft").get_by_role("button", name="Restore it").click()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("table.conflict")).to_contain_text("80.0")  # both shown, nothing overwritten
    context.close()


def test_a_form_is_saved_and_marked_complete_in_one_step(browser: Browser, base: str) -> None:
    context, page = signed_in(browser, base, "entry_fhcc")
    record_id = new_patient(page)
    page.goto(f"/records/{record_id}/forms/demographics")
    page.get_by_label("Age at CAR-T infusion (years)").fill("57")
    page.get_by_label("Female").check()
    page.get_by_label("Weight").fill("70.5")
    page.get_by_role("button", name="Save and mark complete").click()
    expect(page.locator(".flash")).to_contain_text("Saved and marked complete.")
    expect(page.get_by_role("button", name="Reopen")).to_be_visible()
    context.close()


def test_the_coordination_page(browser: Browser, base: str) -> None:
    context, page = signed_in(browser, base, "coordinator")
    page.goto("/coordination")
    export = page.locator("section", has=page.get_by_role("heading", name="Export the dataset"))
    expect(export.get_by_label("FHCC · ")).to_be_checked()
    expect(export.get_by_label("Labels and codebook in")).to_have_value("en")
    shot(page, "16-coordination")
    context.close()


def test_a_daily_assessment_can_be_marked_complete(browser: Browser, base: str) -> None:
    context, page = signed_in(browser, base, "entry_fhcc")
    record_id = new_patient(page)
    page.goto(f"/records/{record_id}/forms/daily_assessment/new")
    page.get_by_label("Study day of this assessment").fill("1")
    page.get_by_label("Highest temperature").fill("38.5")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".flash")).to_contain_text("Saved")
    page.get_by_role("button", name="Mark complete", exact=True).click()
    try:
        expect(page.locator(".flash")).to_contain_text("Marked complete", timeout=3000)
    finally:
        context.close()


def test_study_day_helper_never_sends_a_date(browser: Browser, base: str) -> None:
    context, page = signed_in(browser, base, "entry_fhcc")
    record_id = new_patient(page)
    bodies: list[str] = []
    page.on(
        "request",
        lambda request: bodies.append(request.post_data or "") if request.method == "POST" else None,
    )
    page.goto(f"/records/{record_id}/forms/daily_assessment/new")
    page.get_by_label("Infusion date (day 0)").fill("2024-03-01")
    calendar = page.locator("#cal-assess_day")
    assert calendar.get_attribute("name") is None
    assert page.locator("#infusion-date").get_attribute("name") is None
    calendar.fill("2024-03-06")
    calendar.dispatch_event("change")
    expect(page.get_by_label("Study day of this assessment")).to_have_value("5")
    expect(page.locator("#calnote-assess_day")).to_contain_text("Study day 5")
    stored = page.evaluate(
        "sessionStorage.getItem('edc:infusion:' + document.getElementById('crf').dataset.user + ':'"
        " + document.getElementById('infusion-date').dataset.record)"
    )
    assert stored == "2024-03-01"
    shot(page, "09-studyday-helper")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".flash")).to_contain_text("Saved")
    assert any("assess_day=5" in body for body in bodies)
    assert not [body for body in bodies if "2024" in body], bodies
    context.close()


def tab_to(page: Page, element_id: str, limit: int = 60) -> None:
    """Press Tab until the element has the focus, as someone without a mouse would."""
    for _ in range(limit):
        if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"#{element_id} cannot be reached with the Tab key")


def test_keyboard_alone(browser: Browser, base: str) -> None:
    context = browser.new_context(base_url=base)
    page = context.new_page()
    page.goto("/login")
    tab_to(page, "email")
    page.keyboard.type(email("entry_fhcc"))
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/records")
    record_id = new_patient(page)
    page.goto(f"/records/{record_id}/forms/daily_assessment/new")
    tab_to(page, "f-assess_day")
    page.keyboard.type("2")
    tab_to(page, "f-hypotension-0")
    page.keyboard.press("Space")
    expect(page.get_by_label("Number of vasopressors")).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.locator(".flash")).to_contain_text("Saved")
    context.close()


def test_another_site_cannot_open_the_patient(browser: Browser, base: str) -> None:
    context, page = signed_in(browser, base, "entry_fhcc")
    record_id = new_patient(page)
    context.close()
    context, page = signed_in(browser, base, "entry_hcb")
    response = page.goto(f"/records/{record_id}")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("No encontrado")
    shot(page, "10-other-site-404")
    context.close()


def test_a_post_without_the_csrf_token_is_refused(browser: Browser, base: str) -> None:
    context, page = signed_in(browser, base, "entry_fhcc")
    record_id = new_patient(page)
    cookies = {c["name"]: c["value"] for c in context.cookies()}
    url = f"{base}/records/{record_id}/forms/demographics"
    refused = httpx.post(url, data={"age_at_infusion": "57"}, cookies=cookies)
    assert refused.status_code == 403
    assert "This form was not accepted" in refused.text
    forged = httpx.post(url, data={"age_at_infusion": "57", "_csrf": "x" * 43}, cookies=cookies)
    assert forged.status_code == 403
    page.goto(f"/records/{record_id}/forms/demographics")
    expect(page.locator(".meta")).to_contain_text("Empty")
    context.close()


def test_spanish_interface(browser: Browser, base: str) -> None:
    context, page = signed_in(browser, base, "entry_hcb")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Pacientes")
    record_id = new_patient(page)
    page.goto(f"/records/{record_id}/forms/daily_assessment/new")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Evaluación diaria del SLC/ICANS")
    expect(page.get_by_label("Temperatura máxima")).to_be_visible()
    expect(page.get_by_role("button", name="Guardar", exact=True)).to_be_visible()
    page.get_by_label("Temperatura máxima").fill("50")
    expect(page.locator("#issues-tmax_c")).to_contain_text("fuera del rango permitido")
    shot(page, "11-spanish-form")
    page.goto(f"/records/{record_id}?lang=en")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Patient")
    page.goto(f"/records/{record_id}?lang=es")
    context.close()


def test_conflict_shows_both_values(browser: Browser, base: str) -> None:
    first, mine = signed_in(browser, base, "entry_fhcc")
    record_id = new_patient(mine)
    mine.goto(f"/records/{record_id}/forms/demographics")
    for label, value in (("Age at CAR-T infusion (years)", "57"), ("Weight", "70.5")):
        mine.get_by_label(label).fill(value)
    mine.get_by_label("Female").check()
    mine.get_by_role("button", name="Save", exact=True).click()
    expect(mine.locator(".flash")).to_contain_text("Saved")
    second, theirs = signed_in(browser, base, "manager_fhcc")
    theirs.goto(f"/records/{record_id}/forms/demographics")
    mine.get_by_label("Weight").fill("71.0")
    theirs.get_by_label("Weight").fill("72.5")
    theirs.get_by_role("button", name="Save", exact=True).click()
    expect(theirs.locator(".flash")).to_contain_text("Saved")
    mine.get_by_role("button", name="Save", exact=True).click()
    panel = mine.locator(".panel-conflict")
    expect(panel).to_contain_text("Someone else saved this form")
    expect(panel.locator("td.theirs")).to_have_text("72.5 kg")
    expect(panel.locator("td.yours")).to_have_text("71.0 kg")
    expect(mine.get_by_label("Weight")).to_have_value("71.0")
    shot(mine, "12-conflict")
    mine.get_by_role("button", name="Save", exact=True).click()
    expect(mine.locator(".flash")).to_contain_text("Saved")
    expect(mine.get_by_label("Weight")).to_have_value("71.0")
    first.close()
    second.close()


def test_monitor_queries_a_field_and_the_site_answers(browser: Browser, base: str) -> None:
    context, page = signed_in(browser, base, "entry_fhcc")
    record_id = new_patient(page)
    page.goto(f"/records/{record_id}/forms/demographics")
    page.get_by_label("Age at CAR-T infusion (years)").fill("88")
    page.get_by_label("Male", exact=True).check()
    page.get_by_label("Weight").fill("60")
    page.get_by_role("button", name="Save", exact=True).click()
    context.close()

    context, page = signed_in(browser, base, "monitor")
    page.goto(f"/records/{record_id}/forms/demographics")
    page.locator('[data-field="age_at_infusion"]').get_by_role("link", name="Open a query").click()
    page.get_by_label(re.compile("Question for the site")).fill("88 at infusion? Please check the chart.")
    page.get_by_role("button", name="Open a query").click()
    expect(page.locator(".flash")).to_contain_text("Query opened")
    shot(page, "13-monitor-form")
    context.close()

    context, page = signed_in(browser, base, "manager_fhcc")
    page.goto("/queries?status=open")
    page.get_by_role("link", name=record_id).first.wait_for()
    shot(page, "14-queries")
    page.goto(f"/records/{record_id}/forms/demographics")
    page.locator(".qlink").first.click()
    page.get_by_role("textbox", name="Your message").fill("Confirmed: 88 in the chart.")
    page.get_by_role("button", name="Answer").click()
    expect(page.locator(".flash")).to_contain_text("Answer sent")
    shot(page, "15-query")
    context.close()
