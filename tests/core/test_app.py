from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel

from app.core.errors import NotFound, ValidationFailed
from app.core.settings import Settings
from app.main import create_app

LIMIT = 1024


class Note(BaseModel):
    text: str


def add_probe_routes(app: FastAPI) -> None:
    """Routes that stand in for feature endpoints: one takes JSON, two raise domain errors."""

    @app.post("/probe/notes")
    def post_note(note: Note) -> Note:
        return note

    @app.get("/probe/missing")
    def missing() -> None:
        raise NotFound("No such record.")

    @app.get("/probe/invalid")
    def invalid() -> None:
        raise ValidationFailed("The record has errors.", errors=[{"field": "visit_date", "msg": "required"}])


@pytest.fixture
def client(migrated_db_url: str) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=migrated_db_url, max_request_bytes=LIMIT))
    add_probe_routes(app)
    with TestClient(app) as client:
        yield client


def assert_problem(response: object, status: int) -> dict[str, object]:
    assert getattr(response, "status_code") == status  # noqa: B009
    assert getattr(response, "headers")["content-type"] == "application/problem+json"  # noqa: B009
    body: dict[str, object] = getattr(response, "json")()  # noqa: B009
    assert body["status"] == status
    assert {"type", "title", "detail"} <= body.keys()
    return body


def test_healthz_reports_ok(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_openapi_describes_the_service(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert spec["info"]["title"] == "EDC"
    put = spec["paths"]["/api/v1/records/{record_id}/forms/{form}"]["put"]["responses"]
    assert {"401", "404", "412", "422", "503"} <= set(put)  # the error answers are documented
    assert put["412"]["content"]["application/problem+json"]["schema"]["$ref"].endswith("/Problem")


def test_declared_oversized_body_is_refused_with_413(client: TestClient) -> None:
    response = client.post(
        "/probe/notes", content=b"x" * (LIMIT + 1), headers={"content-type": "application/json"}
    )
    assert_problem(response, 413)


def test_streamed_oversized_body_is_refused_with_413(client: TestClient) -> None:
    chunks = iter([b'{"text": "', b"x" * LIMIT, b'"}'])
    response = client.post("/probe/notes", content=chunks, headers={"content-type": "application/json"})
    assert "content-length" not in response.request.headers
    assert_problem(response, 413)


def test_body_within_the_limit_is_accepted(client: TestClient) -> None:
    response = client.post("/probe/notes", json={"text": "x" * (LIMIT // 2)})
    assert response.status_code == 200


def test_malformed_json_is_a_400_problem(client: TestClient) -> None:
    response = client.post("/probe/notes", content=b'{"text": ', headers={"content-type": "application/json"})
    assert_problem(response, 400)


def test_wrong_shape_is_a_422_problem_listing_the_errors(client: TestClient) -> None:
    body = assert_problem(client.post("/probe/notes", json={"text": 5}), 422)
    assert body["errors"] == [
        {"loc": ["body", "text"], "msg": "Input should be a valid string", "type": "string_type"}
    ]


def test_domain_errors_become_problems(client: TestClient) -> None:
    body = assert_problem(client.get("/probe/missing"), 404)
    assert body == {
        "type": "urn:edc:problem:not-found",
        "title": "Not Found",
        "status": 404,
        "detail": "No such record.",
    }
    body = assert_problem(client.get("/probe/invalid"), 422)
    assert body["errors"] == [{"field": "visit_date", "msg": "required"}]


def test_unknown_path_is_a_404_problem(client: TestClient) -> None:
    assert_problem(client.get("/no/such/page"), 404)


def test_unexpected_errors_are_a_500_problem_without_traceback(migrated_db_url: str) -> None:
    app = create_app(Settings(database_url=migrated_db_url))

    @app.get("/probe/crash")
    def crash() -> None:
        raise RuntimeError("secret internals")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/probe/crash")
    body = assert_problem(response, 500)
    assert "secret internals" not in response.text
    assert body["detail"] == "An unexpected error occurred."
