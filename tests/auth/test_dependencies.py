from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from app.auth import service, tokens
from app.auth.actor import SYSTEM, Role
from app.auth.dependencies import CurrentActor, require_roles
from app.core.deps import SessionDep
from app.core.errors import register_error_handlers
from app.models import ApiToken, Site


@pytest.fixture
def sessions_made() -> list[Session]:
    return []


@pytest.fixture
def client(session: Session, sessions_made: list[Session]) -> Iterator[TestClient]:
    """A one-route app whose request sessions join the test's rolled-back transaction."""
    connection = session.get_bind()
    assert isinstance(connection, Connection)

    def session_factory() -> Session:
        made = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
        sessions_made.append(made)
        return made

    app = FastAPI()
    register_error_handlers(app)
    app.state.session_factory = session_factory

    @app.get("/me")
    def me(actor: CurrentActor, _session: SessionDep) -> dict[str, Any]:
        return {"email": actor.email, "role": actor.role, "site": actor.site_code}

    @app.get("/admin", dependencies=[Depends(require_roles(Role.admin, Role.coordinator))])
    def admin() -> dict[str, bool]:
        return {"ok": True}

    with TestClient(app) as client:
        yield client


@pytest.fixture
def by_role(session: Session, sites: dict[str, Site]) -> dict[str, str]:
    """A token for a site_entry user at AUTHA and one for an admin."""
    service.add_user(session, SYSTEM, "ana@auth.test", "site_entry", "AUTHA", None)
    service.add_user(session, SYSTEM, "root@auth.test", "admin", None, None)
    session.flush()
    return {
        "site_entry": tokens.create_token(session, SYSTEM, "ana@auth.test")[1],
        "admin": tokens.create_token(session, SYSTEM, "root@auth.test")[1],
    }


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def test_a_valid_token_gives_its_user_in_the_requests_one_session(
    client: TestClient, session: Session, by_role: dict[str, str], sessions_made: list[Session]
) -> None:
    response = client.get("/me", headers=bearer(by_role["site_entry"]))

    assert response.status_code == 200, response.text
    assert response.json() == {"email": "ana@auth.test", "role": "site_entry", "site": "AUTHA"}
    assert len(sessions_made) == 1
    token = session.scalars(select(ApiToken).where(ApiToken.prefix == by_role["site_entry"][:12])).one()
    session.refresh(token)
    assert token.last_used_at is not None, "the request's transaction was committed with the token check"


@pytest.mark.parametrize(
    ("headers", "detail"),
    [
        ({}, "no API token"),
        ({"Authorization": "Basic YW5hOnNlY3JldA=="}, "the Authorization header must read 'Bearer <token>'"),
        (bearer("edc_short"), "malformed API token"),
        (bearer("edc_" + "B" * 43), "unknown API token"),
    ],
)
def test_requests_without_a_good_token_get_a_401_problem(
    client: TestClient, by_role: dict[str, str], headers: dict[str, str], detail: str
) -> None:
    response = client.get("/me", headers=headers)

    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "urn:edc:problem:unauthorized"
    assert problem["detail"].startswith(detail)


def test_a_revoked_token_is_refused(client: TestClient, session: Session, by_role: dict[str, str]) -> None:
    tokens.revoke_token(session, SYSTEM, by_role["admin"][:12])
    session.flush()

    response = client.get("/me", headers=bearer(by_role["admin"]))

    assert response.status_code == 401
    assert "was revoked on" in response.json()["detail"]


def test_a_401_names_the_bearer_scheme(client: TestClient, by_role: dict[str, str]) -> None:
    missing = client.get("/me")
    unknown = client.get("/me", headers=bearer("edc_" + "C" * 43))

    assert missing.headers["www-authenticate"] == unknown.headers["www-authenticate"] == "Bearer"


def test_require_roles_refuses_other_roles_with_403(client: TestClient, by_role: dict[str, str]) -> None:
    refused = client.get("/admin", headers=bearer(by_role["site_entry"]))
    allowed = client.get("/admin", headers=bearer(by_role["admin"]))

    assert refused.status_code == 403
    assert refused.json()["detail"] == "only admin or coordinator may do this; you are site_entry"
    assert allowed.status_code == 200


def test_openapi_declares_the_bearer_scheme(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()

    scheme = schema["components"]["securitySchemes"]["apiToken"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert "edc tokens create" in scheme["description"]
    assert schema["paths"]["/me"]["get"]["security"] == [{"apiToken": []}]
