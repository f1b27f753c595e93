"""Request-scoped dependencies: one database session (one transaction) per request, the study."""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from app.forms.model import CompiledStudy


async def _session(request: Request) -> AsyncIterator[Session]:
    # scope="function" (below) runs the code after `yield` before the response is sent, so the
    # client never sees a success for a transaction that then fails to commit.
    # Creating a session does no I/O, so it happens on the event loop; the commit, which does,
    # runs in the thread pool. That is one thread hop per request instead of two.
    session: Session = request.app.state.session_factory()
    try:
        yield session
        if session.in_transaction():
            await run_in_threadpool(session.commit)
    except BaseException:
        await run_in_threadpool(session.rollback)
        raise
    finally:
        session.close()  # after commit or rollback the connection is back in the pool: no I/O left


def _study(request: Request) -> CompiledStudy:
    study: CompiledStudy = request.app.state.study
    return study


SessionDep = Annotated[Session, Depends(_session, scope="function")]
StudyDep = Annotated[CompiledStudy, Depends(_study)]
