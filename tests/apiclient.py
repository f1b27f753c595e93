"""An app on each database with the study in forms/, and users of every role at two sites: the
`api` fixture (tests/conftest.py) that API tests across the suite share."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.audit.service import verify
from app.auth.actor import SYSTEM
from app.auth.service import add_user
from app.auth.tokens import create_token
from app.core.settings import Settings
from app.main import create_app
from app.models import AuditEvent

REPO = Path(__file__).resolve().parents[1]
USERS = {
    "entry_hcb": ("site_entry", "HCB"),
    "manager_hcb": ("site_manager", "HCB"),
    "entry_fhcc": ("site_entry", "FHCC"),
    "manager_fhcc": ("site_manager", "FHCC"),
    "monitor": ("monitor", None),
    "coordinator": ("coordinator", None),
    "admin": ("admin", None),
}


@dataclass
class Api:
    client: TestClient
    tokens: dict[str, str]

    def headers(self, who: str, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}", **extra}

    def call(self, method: str, url: str, who: str = "entry_hcb", **kwargs: Any) -> Any:
        headers = {**self.headers(who), **kwargs.pop("headers", {})}
        return self.client.request(method, url, headers=headers, **kwargs)

    def new_record(self, who: str = "entry_hcb") -> str:
        response = self.call("POST", "/api/v1/records", who)
        assert response.status_code == 201, response.text
        return str(response.json()["record_id"])

    def audit_intact(self) -> bool:
        """Whether the whole audit chain verifies (what `edc audit verify` checks)."""
        with self.client.app.state.session_factory() as session:  # type: ignore[attr-defined]
            _, broken = verify(session)
            assert broken is None, str(broken)
            return True

    def audit_count(self) -> int:
        with self.client.app.state.session_factory() as session:  # type: ignore[attr-defined]
            return int(session.scalar(select(func.count()).select_from(AuditEvent)) or 0)


def make_api(migrated_db_url: str) -> Iterator[Api]:
    settings = Settings(
        database_url=migrated_db_url,
        forms_dir=REPO / "forms",
        env="test",
        secret_key="test-secret-key-for-the-suite",
        max_request_bytes=64 * 1024,
        max_upload_bytes=4 * 1024 * 1024,
        upload_dir=Path(tempfile.mkdtemp(prefix="edc-uploads-")),
    )
    app = create_app(settings)
    with TestClient(app) as client:
        tokens = {}
        with app.state.session_factory.begin() as session:
            for who, (role, site) in USERS.items():
                add_user(session, SYSTEM, f"{who}@records.test", role, site, None)
                _, secret = create_token(session, SYSTEM, f"{who}@records.test")
                tokens[who] = secret
        api = Api(client, tokens)
        yield api
        # Every API test of the session wrote to this one chain: whatever they did, it must verify.
        api.audit_intact()
