"""Request-scoped dependencies: one database session (one transaction) per request, the study."""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from app.forms.model import CompiledStudy


def _session(request: Request) -> Iterator[Session]:
    # scope="function" (below) runs the code after `yield` before the response is sent, so the
    # client never sees a success for a transaction that then fails to commit.
    session: Session = request.app.state.session_factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _study(request: Request) -> CompiledStudy:
    study: CompiledStudy = request.app.state.study
    return study


SessionDep = Annotated[Session, Depends(_session, scope="function")]
StudyDep = Annotated[CompiledStudy, Depends(_study)]
