"""Who is at the browser: the signed session cookie, the reader's language, and the CSRF check.

Pages take `WebActor` (a request that may write) or `ReadActor` (a GET or a preview, which only reads:
on SQLite its transaction does not take the write lock). Every POST must carry the session's CSRF
token, as the form field `_csrf` or the `X-CSRF-Token` header; the check runs for every web route.
"""

from __future__ import annotations

import hmac
import time
from dataclasses import replace
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from app.auth.actor import Actor
from app.auth.service import actor_for_user
from app.core.deps import SessionDep
from app.core.errors import Forbidden, Unauthorized
from app.models import User
from app.web.cookies import COOKIE, LANGUAGE_COOKIE, WebSession, decode
from app.web.i18n import LANGUAGES

CSRF_FIELD = "_csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class LoginRequired(Unauthorized):
    """No one is signed in: pages answer with a redirect to the login page."""


class CsrfRefused(Forbidden):
    """A POST without the session's CSRF token."""


def secret_key(request: Request) -> str:
    return str(request.app.state.settings.secret_key.get_secret_value())


def web_session(request: Request) -> WebSession:
    """The request's session, read once from its cookie; a new anonymous one if there is none."""
    state = request.state
    if not hasattr(state, "web_session"):
        found = decode(request.cookies.get(COOKIE), secret_key(request))
        state.web_session = found or WebSession()
        state.session_dirty = found is None
    session: WebSession = state.web_session
    return session


def replace_session(request: Request, session: WebSession) -> None:
    request.state.web_session = session
    request.state.session_dirty = True


def mark_dirty(request: Request) -> None:
    request.state.session_dirty = True


def _browser_language(request: Request) -> str:
    for part in request.headers.get("accept-language", "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return LANGUAGES[0]


def choose_language(request: Request, preferred: str | None = None) -> str:
    """`?lang=` (remembered in a cookie), else the cookie, else the user's language, else the browser's."""
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        request.state.new_language = asked
        language = asked
    elif request.cookies.get(LANGUAGE_COOKIE) in LANGUAGES:
        language = request.cookies[LANGUAGE_COOKIE]
    elif preferred in LANGUAGES:
        language = str(preferred)
    else:
        language = _browser_language(request)
    request.state.lang = language
    return language


def page_language(request: Request, preferred: str | None = None) -> str:
    found = getattr(request.state, "lang", None)
    return str(found) if found else choose_language(request, preferred)


def signed_in_actor(request: Request, session: Session, *, idle_ends_it: bool = True) -> Actor:
    """The user of the request's session, or LoginRequired. Signing out passes `idle_ends_it=False`:
    an idle session is still ended properly (its other copies too), not just let go."""
    current = web_session(request)
    if idle_ends_it and current.signed_in and _idle_too_long(request, current):
        minutes = request.app.state.settings.session_idle_minutes
        flash = {"key": "signed_out_idle", "kind": "warn", "params": {"n": minutes}}
        # The CSRF token stays: a form still open in the tab (or its live preview, first) must reach
        # the sign-in page and lead back to its draft, not be refused as forged.
        replace_session(request, WebSession(csrf=current.csrf, flash=flash))
        raise LoginRequired("the session ended after a time without activity")
    user_id = current.user_id
    user = session.get(User, user_id) if user_id is not None else None
    if user is None or not user.active or user.session_epoch != current.epoch:
        if user_id is not None:
            replace_session(request, WebSession())
        raise LoginRequired("sign in to continue")
    language = choose_language(request, user.language)
    actor = replace(actor_for_user(session, user, "web"), language=language)
    request.state.actor = actor
    return actor


def _idle_too_long(request: Request, current: WebSession) -> bool:
    """Whether the session has been idle past the limit; if not, this request counts as activity."""
    now = int(time.time())
    if now - current.seen > request.app.state.settings.session_idle_minutes * 60:
        return True
    if now - current.seen >= 60:  # a new cookie at most once a minute, not on every request
        current.seen = now
        mark_dirty(request)
    return False


def _writer(request: Request, session: SessionDep) -> Actor:
    return signed_in_actor(request, session)


def _reader(request: Request, session: SessionDep) -> Actor:
    # Must run before the first query of the request: the option applies when the transaction begins.
    session.connection(execution_options={"sqlite_begin": "DEFERRED"})
    return signed_in_actor(request, session)


WebActor = Annotated[Actor, Depends(_writer)]
ReadActor = Annotated[Actor, Depends(_reader)]


async def check_csrf(request: Request) -> None:
    """Refuse any unsafe request that does not carry the session's token (synchroniser token pattern)."""
    if request.method in SAFE_METHODS:
        return
    token: object = request.headers.get("x-csrf-token")
    content_type = request.headers.get("content-type", "")
    if token is None and content_type.startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        token = (await request.form()).get(CSRF_FIELD)
    expected = web_session(request).csrf
    if not isinstance(token, str) or not hmac.compare_digest(token.encode(), expected.encode()):
        raise CsrfRefused("the form did not carry this session's CSRF token")
