"""Signing in and out of the pages: session cookie, CSRF, lock-out, audit; on SQLite and PostgreSQL."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient
from sqlalchemy import select

from app.auth.actor import SYSTEM
from app.auth.service import deactivate_user
from app.models import AuditEvent, User
from app.web.cookies import COOKIE, decode
from tests.web.conftest import PASSWORD, SECRET_KEY, Web, csrf_of, email, idle_for, post


def test_pages_ask_to_sign_in_first(web: Web) -> None:
    response = web.client().get("/records/FHCC-0001-L?x=1")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Frecords%2FFHCC-0001-L%3Fx%3D1"


def test_sign_in_sets_an_httponly_samesite_session_cookie(web: Web) -> None:
    client = web.client()
    token = csrf_of(client.get("/login").text)
    before = web.audit_count("login")
    response = client.post(
        "/login",
        data={"email": email("entry_fhcc"), "password": PASSWORD, "_csrf": token, "next": "/queries"},
    )
    assert response.status_code == 303 and response.headers["location"] == "/queries"
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith(f"{COOKIE}="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert client.get("/records").status_code == 200
    assert web.audit_count("login") == before + 1
    # The token of the page seen before signing in is worth nothing afterwards.
    assert csrf_of(client.get("/records").text) != token


def test_sign_in_never_redirects_to_another_site(web: Web) -> None:
    client = web.client()
    token = csrf_of(client.get("/login").text)
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        response = client.post(
            "/login",
            data={"email": email("entry_fhcc"), "password": PASSWORD, "_csrf": token, "next": target},
        )
        assert response.headers["location"] == "/records"
        client.cookies.clear()
        token = csrf_of(client.get("/login").text)


def test_wrong_password_is_refused_in_the_users_language(web: Web) -> None:
    client = web.client()
    token = csrf_of(client.get("/login", headers={"Accept-Language": "es-ES,es;q=0.9"}).text)
    response = client.post(
        "/login",
        data={"email": email("entry_hcb"), "password": "not-the-password", "_csrf": token},
        headers={"Accept-Language": "es-ES,es;q=0.9"},
    )
    assert response.status_code == 401
    assert "Correo o contraseña incorrectos." in response.text
    assert 'aria-invalid="true"' in response.text


def test_five_wrong_passwords_lock_the_account_and_the_failures_are_kept(web: Web) -> None:
    failed_before = web.audit_count("login_failed")
    client = web.client()
    for _ in range(5):
        token = csrf_of(client.get("/login").text)
        client.post("/login", data={"email": email("lockme"), "password": "wrong-password!", "_csrf": token})
    token = csrf_of(client.get("/login").text)
    right = client.post("/login", data={"email": email("lockme"), "password": PASSWORD, "_csrf": token})
    assert right.status_code == 401
    assert "this account is locked until" in right.text
    assert web.audit_count("login_failed") == failed_before + 6
    with web.app.state.session_factory() as session:
        user = session.scalar(select(User).where(User.email == email("lockme")))
        assert user is not None and user.locked_until is not None


def test_login_without_the_csrf_token_is_refused(web: Web) -> None:
    client = web.client()
    client.get("/login")
    response = client.post("/login", data={"email": email("entry_fhcc"), "password": PASSWORD})
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("text/html")
    assert "This form was not accepted" in response.text


def test_sign_out_ends_the_session_and_is_audited(web: Web) -> None:
    client = web.login("entry_fhcc")
    before = web.audit_count("logout")
    response = post(client, "/logout", page="/records")
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert client.get("/records").status_code == 303
    assert web.audit_count("logout") == before + 1
    with web.app.state.session_factory() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "logout")).all()[-1]
        assert event.actor == email("entry_fhcc") and event.source == "web"
    assert "You have signed out." in client.get("/login").text


def test_sign_out_ends_copies_of_the_cookie_and_the_users_other_browsers(web: Web) -> None:
    client, other_browser = web.login("manager_fhcc"), web.login("manager_fhcc")
    stolen = web.client()
    stolen.cookies.set(COOKIE, client.cookies[COOKIE])
    assert stolen.get("/records").status_code == 200
    assert post(client, "/logout", page="/records").status_code == 303
    assert stolen.get("/records").status_code == 303
    assert other_browser.get("/records").status_code == 303
    assert web.login("manager_fhcc").get("/records").status_code == 200  # signing in again works


def test_deactivation_ends_sessions_for_good(web: Web) -> None:
    client = web.login("entry_lafe")
    cookie = client.cookies[COOKIE]
    with web.app.state.session_factory.begin() as session:
        deactivate_user(session, SYSTEM, email("entry_lafe"))
    assert client.get("/records").status_code == 303
    with web.app.state.session_factory.begin() as session:
        session.scalars(select(User).where(User.email == email("entry_lafe"))).one().active = True
    kept = web.client()
    kept.cookies.set(COOKIE, cookie)
    assert kept.get("/records").status_code == 303  # reactivated, but the old session stays ended
    assert web.login("entry_lafe").get("/records").status_code == 200


def test_a_spanish_user_reads_spanish_after_signing_out(web: Web) -> None:
    client = web.login("entry_hcb")  # language es; the test browser asks for nothing in particular
    assert post(client, "/logout", page="/records").status_code == 303
    assert "Ha cerrado la sesión." in client.get("/login").text


def test_a_forged_session_cookie_is_worth_nothing(web: Web) -> None:
    client = web.login("entry_fhcc")
    value = client.cookies[COOKIE]
    payload, signature = value.split(".")
    client.cookies.set(COOKIE, f"{payload}.{signature[:-2]}xx")
    assert client.get("/records").status_code == 303


def test_a_session_idle_past_the_limit_ends_and_says_why(web: Web) -> None:
    client = web.login("entry_hcb")  # Spanish
    old = idle_for(client, 31 * 60)  # the default limit is 30 minutes
    response = client.get("/records/HCB-0001-S?tab=1")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Frecords%2FHCB-0001-S%3Ftab%3D1"
    assert "Se cerró su sesión tras 30 minutos sin actividad" in client.get("/login").text
    copy = web.client()
    copy.cookies.set(COOKIE, old)
    assert copy.get("/records").status_code == 303
    assert web.login("entry_hcb").get("/records").status_code == 200


def test_each_request_moves_the_idle_limit_on(web: Web) -> None:
    client = web.login("entry_fhcc")
    idle_for(client, 29 * 60)
    response = client.get("/records")
    assert response.status_code == 200
    renewed = decode(response.cookies[COOKIE], SECRET_KEY)
    assert renewed is not None and renewed.seen >= int(time.time()) - 5
    idle_for(client, 20)  # within the minute: no new cookie for every request
    assert COOKIE not in client.get("/records").cookies


def test_a_form_sent_after_the_session_ended_leads_back_to_its_page(web: Web) -> None:
    page = "/records/FHCC-0001-L/forms/demographics"

    def idle_client() -> tuple[TestClient, str]:
        client = web.login("entry_fhcc")
        token = csrf_of(client.get("/records").text)
        idle_for(client, 31 * 60)
        return client, token

    client, token = idle_client()
    # The live preview meets the ended session first: a plain 401 for the script, nothing taken.
    preview = client.post(f"{page}/preview", data={"_csrf": token}, headers={"accept": "application/json"})
    assert preview.status_code == 401 and preview.json() == {"detail": "sign in to continue"}
    # Then Save, with the page's token: to the sign-in page, and from there back to the form.
    saved = client.post(page, data={"_csrf": token}, headers={"referer": f"http://testserver{page}"})
    assert saved.status_code == 303
    assert saved.headers["location"] == "/login?next=" + page.replace("/", "%2F")
    assert "signed out after 30 minutes without activity" in client.get("/login").text

    client, token = idle_client()
    behind_a_proxy = client.post(
        page, data={"_csrf": token}, headers={"referer": f"http://internal:8000{page}"}
    )
    assert behind_a_proxy.headers["location"] == "/login?next=" + page.replace("/", "%2F")
    client, token = idle_client()
    assert client.post(page, data={"_csrf": token}).headers["location"] == "/login?next=%2Frecords"


def test_signing_out_of_an_idle_session_still_ends_it_everywhere(web: Web) -> None:
    client, other_browser = web.login("manager_fhcc"), web.login("manager_fhcc")
    token = csrf_of(client.get("/records").text)
    before = web.audit_count("logout")
    idle_for(client, 31 * 60)
    response = client.post("/logout", data={"_csrf": token})
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert web.audit_count("logout") == before + 1
    assert other_browser.get("/records").status_code == 303
    assert "You have signed out." in client.get("/login").text


def test_pages_carry_security_headers(web: Web) -> None:
    response = web.login("entry_fhcc").get("/records")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"
