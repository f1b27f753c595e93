"""The pages on a database of their own (SQLite and PostgreSQL), with a signed-in client per role.

Users have passwords (Argon2, through the auth service); `Web.login` signs in the way a browser does:
it reads the CSRF token from the login page and posts the form. `post` does the same for any form.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, make_url, select

from app.auth.actor import SYSTEM
from app.auth.service import actor_for_user, add_user, user_by_email
from app.core import migrations
from app.core.errors import ValidationFailed
from app.core.settings import Settings
from app.demo.synthetic import form_values
from app.main import create_app
from app.models import AuditEvent
from app.records.patient import load_patient
from app.records.service import create_record, save_form
from app.records.workflow import change_status
from app.web.cookies import COOKIE, decode, encode
from tests.conftest import _new_database

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "correct-horse-battery"
SECRET_KEY = "web-test-secret-key"
# who: (role, site, language)
USERS = {
    "entry_hcb": ("site_entry", "HCB", "es"),
    "manager_hcb": ("site_manager", "HCB", "es"),
    "entry_fhcc": ("site_entry", "FHCC", "en"),
    "manager_fhcc": ("site_manager", "FHCC", "en"),
    "entry_lafe": ("site_entry", "LAFE", "en"),
    "monitor": ("monitor", None, "en"),
    "coordinator": ("coordinator", None, "en"),
    "admin": ("admin", None, "en"),
    "lockme": ("site_entry", "FHCC", "en"),
}
_CSRF = re.compile(r'name="_csrf" value="([^"]+)"')


def email(who: str) -> str:
    return f"{who}@web.test"


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def settings_for(url: str) -> Settings:
    return Settings(
        database_url=url,
        forms_dir=REPO / "forms",
        env="test",
        secret_key=SECRET_KEY,
        run_worker=False,
    )


def create_users(app: FastAPI) -> None:
    with app.state.session_factory.begin() as session:
        for who, (role, site, language) in USERS.items():
            add_user(session, SYSTEM, email(who), role, site, PASSWORD, language=language)


def seed_patients(
    app: FastAPI, who: str, count: int, forms: tuple[str, ...] = ("eligibility", "demographics")
) -> list[str]:
    """`count` patients at `who`'s site with synthetic values in some forms, entered through save_form."""
    study = app.state.study
    rng = random.Random(count)
    made = []
    with app.state.session_factory.begin() as session:
        actor = actor_for_user(session, user_by_email(session, email(who)), "test")
        for i in range(count):
            record = create_record(session, actor)
            for name in forms[: 1 + i % len(forms)]:
                patient = load_patient(session, study, record)
                raw = form_values(study, study.forms[name], rng, patient.data, 1)
                try:
                    save_form(session, study, actor, record.record_id, name, None, raw, patient=patient)
                except ValidationFailed:  # synthetic values are not always consistent: skip that form
                    continue
                if i % 3 == 0:
                    with suppress(ValidationFailed):
                        change_status(session, study, actor, record.record_id, name, None, "complete")
            made.append(record.record_id)
    return made


def post(
    client: TestClient, url: str, data: dict[str, Any] | None = None, page: str | None = None
) -> httpx.Response:
    """Post a form the way a browser does: with the CSRF token of the page it was on."""
    source = client.get(page or url)
    return client.post(url, data={"_csrf": csrf_of(source.text), **(data or {})})


def idle_for(client: TestClient, seconds: int) -> str:
    """Make the client's session look as if its last request was `seconds` ago; return that cookie."""
    session = decode(client.cookies[COOKIE], SECRET_KEY)
    assert session is not None
    session.seen = int(time.time()) - seconds
    value = encode(session, SECRET_KEY)
    # In place of the cookie the server set (same domain and path), not beside it.
    domain = next(c.domain for c in client.cookies.jar if c.name == COOKIE)
    client.cookies.set(COOKIE, value, domain=domain, path="/")
    return value


@dataclass
class Web:
    app: FastAPI

    def client(self) -> TestClient:
        return TestClient(self.app, follow_redirects=False)

    def login(self, who: str, password: str = PASSWORD) -> TestClient:
        client = self.client()
        token = csrf_of(client.get("/login").text)
        response = client.post("/login", data={"email": email(who), "password": password, "_csrf": token})
        assert response.status_code == 303, response.text
        return client

    def new_patient(self, client: TestClient) -> str:
        response = post(client, "/records", page="/records")
        assert response.status_code == 303, response.text
        return str(response.headers["location"]).rsplit("/", 1)[1]

    def audit_count(self, action: str | None = None) -> int:
        query = select(func.count()).select_from(AuditEvent)
        if action is not None:
            query = query.where(AuditEvent.action == action)
        with self.app.state.session_factory() as session:
            return int(session.scalar(query) or 0)


@pytest.fixture(scope="session")
def web_db_url(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database only these tests write to, of the same backend as `db_url`."""
    backend = make_url(db_url).get_backend_name()
    with _new_database(backend, tmp_path_factory.mktemp("web")) as url:
        migrations.upgrade(url, "head")
        yield url


@pytest.fixture(scope="session")
def web(web_db_url: str) -> Iterator[Web]:
    app = create_app(settings_for(web_db_url))
    with TestClient(app):
        create_users(app)
        yield Web(app)
