"""A study database of its own per backend (SQLite and PostgreSQL), with hand-worked and synthetic patients.

Exports cover every patient in the database, so these tests do not share the session database with
other test packages: each backend gets a fresh, migrated database, seeded once.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, make_url, select, update
from sqlalchemy.orm import Session, sessionmaker

from app.auth.actor import SYSTEM, Actor
from app.auth.service import actor_for_user, add_user
from app.auth.tokens import create_token
from app.core import migrations
from app.core.database import make_engine, make_session_factory
from app.core.settings import Settings
from app.demo.seed import SeedReport, seed_patients
from app.exports.options import ExportOptions
from app.exports.service import ExportResult, run_export
from app.forms.compile import load_study
from app.forms.model import CompiledStudy
from app.main import create_app
from app.models import FormData, Record, User
from app.queries.service import open_query
from app.records.scope import get_record
from app.records.service import create_record, delete_instance, save_form
from app.sites.service import sync_sites
from tests.conftest import _new_database
from tests.exports.patients import DELETED, PATIENT_A, PATIENT_B, PATIENT_C

REPO = Path(__file__).resolve().parents[2]
EDC = Path(sys.executable).with_name("edc")
USERS = {
    "coordinator": ("coordinator", None),
    "monitor": ("monitor", None),
    "admin": ("admin", None),
    "entry_hcb": ("site_entry", "HCB"),
    "manager_hcb": ("site_manager", "HCB"),
    "entry_fhcc": ("site_entry", "FHCC"),
    "manager.ohsu@demo.example": ("site_manager", "OHSU"),
}


def email(who: str) -> str:
    return who if "@" in who else f"{who}@exports.test"


@dataclass
class StudyDb:
    url: str
    study: CompiledStudy
    engine: Engine
    sessions: sessionmaker[Session]
    records: dict[str, str] = field(default_factory=dict)  # A, B, C -> record_id

    def actor(self, session: Session, who: str) -> Actor:
        user = session.scalar(select(User).where(User.email == email(who)))
        assert user is not None
        return actor_for_user(session, user, "test")

    def export(self, out: Path, who: str = "coordinator", **options: Any) -> ExportResult:
        with self.sessions.begin() as session:
            return run_export(
                session, self.study, self.actor(session, who), ExportOptions(out=out, **options)
            )

    def edc(self, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "EDC_DATABASE_URL": self.url, "EDC_FORMS_DIR": str(REPO / "forms")}
        return subprocess.run([EDC, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=180)


def _enter(session: Session, study: CompiledStudy, actor: Actor, entries: dict[str, Any]) -> str:
    record = create_record(session, actor)
    for cform in study.forms.values():
        entry = entries.get(cform.name)
        for raw in entry if isinstance(entry, list) else [entry] if entry else []:
            save_form(
                session, study, actor, record.record_id, cform.name, None, raw, new_instance=cform.repeating
            )
    return record.record_id


def _mark(session: Session, record_id: str, status: str, forms: tuple[str, ...] = ()) -> None:
    """Set the status of a patient's forms directly: the workflow is not what these tests are about
    (and it refuses to complete a form holding calculated values, which is reported separately)."""
    record = session.scalar(select(Record).where(Record.record_id == record_id))
    assert record is not None
    query = update(FormData).where(FormData.record_pk == record.id)
    if forms:
        query = query.where(FormData.form.in_(forms))
    session.execute(query.values(status=status))


def _seed(db: StudyDb) -> None:
    with db.sessions.begin() as session:
        sync_sites(session, db.study)
        for who, (role, site) in USERS.items():
            add_user(session, SYSTEM, email(who), role, site, None)
    with db.sessions.begin() as session:
        hcb, fhcc = db.actor(session, "entry_hcb"), db.actor(session, "entry_fhcc")
        db.records["A"] = _enter(session, db.study, hcb, PATIENT_A)
        delete_instance(session, db.study, hcb, db.records["A"], DELETED[0], DELETED[1], "entered in error")
        db.records["B"] = _enter(session, db.study, fhcc, PATIENT_B)
        _mark(session, db.records["B"], "complete")
        _mark(session, db.records["B"], "verified", ("demographics",))
        db.records["C"] = _enter(session, db.study, hcb, PATIENT_C)
        monitor = db.actor(session, "monitor")
        record = get_record(session, monitor, db.records["C"])
        open_query(session, monitor, record, "demographics", 1, "sex", "Please confirm the sex.")
    with db.sessions.begin() as session:
        seed_patients(session, db.study, "OHSU", 3, 1, SeedReport())


@pytest.fixture(scope="session")
def study_db(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[StudyDb]:
    backend = make_url(db_url).get_backend_name()
    with _new_database(backend, tmp_path_factory.mktemp("exports-db")) as url:
        migrations.upgrade(url, "head")
        engine = make_engine(url)
        db = StudyDb(url, load_study(REPO / "forms"), engine, make_session_factory(engine))
        _seed(db)
        yield db
        engine.dispose()


@dataclass
class Api:
    client: TestClient
    tokens: dict[str, str]

    def call(self, method: str, url: str, who: str, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        return self.client.request(method, url, headers=headers, **kwargs)


@pytest.fixture(scope="session")
def api(study_db: StudyDb) -> Iterator[Api]:
    settings = Settings(
        database_url=study_db.url,
        forms_dir=REPO / "forms",
        env="test",
        secret_key="test-secret-key-for-exports",
    )
    app = create_app(settings)
    with TestClient(app) as client:
        tokens = {}
        with study_db.sessions.begin() as session:
            for who in USERS:
                tokens[who] = create_token(session, SYSTEM, email(who))[1]
        yield Api(client, tokens)
