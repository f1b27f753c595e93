"""Request-scoped dependencies: one database session (one transaction) per request, the study."""

from collections.abc import AsyncIterator, Callable
from typing import Annotated, TypeVar

from fastapi import Depends, Path, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from app.core.database import INT_MAX
from app.forms.model import CompiledStudy

T = TypeVar("T")


async def _session(request: Request) -> AsyncIterator[Session]:
    # scope="function" (below) runs the code after `yield` before the response is sent, so the
    # client never sees a success for a transaction that then fails to commit.
    # Creating a session does no I/O, so it happens on the event loop; the commit, which does,
    # runs in the thread pool, unless `run_and_commit` already committed in its one thread call.
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


async def run_and_commit(session: Session, work: Callable[[], T]) -> T:
    """Run an endpoint's database work and the request's commit in one thread-pool call.

    Each `def` endpoint, `def` dependency and the commit in `_session` costs a hop to the thread
    pool and back; an `async def` endpoint that hands its whole unit of work to this pays one for
    all of it. A failure is rolled back by `SessionDep` as usual.
    """

    def work_then_commit() -> T:
        result = work()
        session.commit()
        return result

    return await run_in_threadpool(work_then_commit)


async def _study(request: Request) -> CompiledStudy:
    # async: reading app.state is no I/O, and a `def` dependency would cost a thread-pool hop.
    study: CompiledStudy = request.app.state.study
    return study


SessionDep = Annotated[Session, Depends(_session, scope="function")]
StudyDep = Annotated[CompiledStudy, Depends(_study)]


# An id in a path: one too large for the database is refused as a bad request (see INT_MAX).
RowId = Annotated[int, Path(ge=1, le=INT_MAX, description="A row's id")]
