"""`run_and_commit`: an async endpoint's work and the request's commit, in one thread-pool call."""

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, text
from starlette.types import Message, Receive, Scope, Send

from app.core.database import make_engine, make_session_factory
from app.core.deps import SessionDep, run_and_commit
from app.core.errors import Conflict, register_error_handlers


@pytest.fixture
def notes_engine(fresh_db_url: str) -> Iterator[Engine]:
    engine = make_engine(fresh_db_url)
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE notes (text VARCHAR(50))")
    yield engine
    engine.dispose()


@pytest.fixture
def happened() -> list[tuple[str, int]]:
    """What happened in a request, in order, with the thread it happened on."""
    return []


@pytest.fixture
def client(notes_engine: Engine, happened: list[tuple[str, int]]) -> Iterator[TestClient]:
    sessions = make_session_factory(notes_engine)
    event.listen(sessions, "after_commit", lambda _session: happened.append(("commit", _thread())))
    app = FastAPI()
    register_error_handlers(app)
    app.state.session_factory = sessions

    @app.post("/notes/{note}")
    async def add_note(note: str, session: SessionDep) -> dict[str, str]:
        def work() -> dict[str, str]:
            happened.append(("work", _thread()))
            session.execute(text("INSERT INTO notes (text) VALUES (:note)"), {"note": note})
            if note == "refused":
                raise Conflict("this note is refused after it was written")
            return {"saved": note}

        return await run_and_commit(session, work)

    with TestClient(_RecordingResponseStart(app, happened)) as client:
        yield client


class _RecordingResponseStart:
    def __init__(self, app: FastAPI, happened: list[tuple[str, int]]) -> None:
        self.app, self.happened = app, happened

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def recording_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.happened.append(("response", _thread()))
            await send(message)

        await self.app(scope, receive, recording_send)


def _thread() -> int:
    return threading.get_ident()


def _notes(engine: Engine) -> list[Any]:
    with engine.connect() as connection:
        return list(connection.execute(text("SELECT text FROM notes")).scalars())


def test_the_work_and_its_commit_run_in_one_thread_before_the_response(
    client: TestClient, notes_engine: Engine, happened: list[tuple[str, int]]
) -> None:
    response = client.post("/notes/first")

    assert response.status_code == 200, response.text
    assert [what for what, _ in happened] == ["work", "commit", "response"]
    (_, work_thread), (_, commit_thread), (_, loop_thread) = happened
    assert work_thread == commit_thread != loop_thread, "off the event loop, in the same thread call"
    assert _notes(notes_engine) == ["first"]


def test_a_failure_in_the_work_is_rolled_back_and_answered_as_a_problem(
    client: TestClient, notes_engine: Engine, happened: list[tuple[str, int]]
) -> None:
    response = client.post("/notes/refused")

    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert "commit" not in [what for what, _ in happened]
    assert _notes(notes_engine) == []
