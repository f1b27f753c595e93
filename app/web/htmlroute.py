"""Domain errors on pages, mapped once: a readable page in the reader's language, never problem+json.

Every web route uses `HtmlRoute`. The request's transaction has already been rolled back when the
error reaches this handler (the session dependency saw it first), so an error page never saves anything.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from http import HTTPStatus
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException

from app.core.errors import DomainError, NotFound, busy_error
from app.models import User
from app.web.auth import CsrfRefused, LoginRequired, page_language, web_session
from app.web.render import json_response, page, redirect

Handler = Callable[[Request], Coroutine[Any, Any, Response]]
logger = logging.getLogger(__name__)


class Unexpected(DomainError):
    status_code = HTTPStatus.INTERNAL_SERVER_ERROR
    code = "internal-error"


class HtmlRoute(APIRoute):
    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except LoginRequired:
                return _to_login(request)
            except DomainError as exc:
                return error_page(request, exc)
            except RequestValidationError:
                # A malformed address (an instance that is not a number): no such page.
                return error_page(request, NotFound("no such page"))
            except HTTPException:
                raise  # the framework's own (a malformed body): its handler answers
            except Exception as exc:
                busy = busy_error(exc)
                if busy is not None:
                    return error_page(request, busy, resend=await _resendable(request))
                logger.exception("unexpected error on %s %s", request.method, request.url.path)
                return error_page(request, Unexpected("an unexpected error occurred"))

        return guarded


def _to_login(request: Request) -> Response:
    if "application/json" in request.headers.get("accept", ""):
        # A script's request (the live preview): no redirect for it to follow, and no message taken
        # that the next page should show.
        return json_response(request, {"detail": "sign in to continue"}, status=401)
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.method != "GET":
        # Back to the page the form was on, where its unsaved entries wait as a draft. Only the path
        # is taken (a proxy may rewrite the host); the login page accepts nothing but a local path.
        came_from = urlsplit(request.headers.get("referer", ""))
        query = f"?{came_from.query}" if came_from.query else ""
        target = came_from.path + query if came_from.path.startswith("/") else "/records"
    return redirect(request, f"/login?next={quote(target, safe='')}")


def _user_language(request: Request) -> str | None:
    """The signed-in user's language, when the error came before the page looked the user up."""
    user_id = web_session(request).user_id
    if user_id is None or getattr(request.state, "lang", None):
        return None
    with request.app.state.session_factory() as session:
        # A read that must not wait for a writer: the error may be that one is holding the database.
        session.connection(execution_options={"sqlite_begin": "DEFERRED"})
        user = session.get(User, user_id)
        return user.language if user is not None else None


async def _resendable(request: Request) -> list[tuple[str, str]] | None:
    """The fields of a posted form, so that a page refused as busy can offer to send them again:
    what the user typed is never lost to another writer holding the database."""
    if request.method != "POST" or not request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        return None
    posted = await request.form()  # parsed already (the CSRF check read it): no second read of the body
    return [(name, value) for name, value in posted.multi_items() if isinstance(value, str)]


def error_page(request: Request, exc: DomainError, resend: list[tuple[str, str]] | None = None) -> Response:
    page_language(request, _user_language(request))
    status = int(exc.status_code)
    if isinstance(exc, CsrfRefused):
        title_key, text_key = "csrf_title", "csrf_text"
    else:
        title_key = f"error_title_{status}" if status in _TITLED else "error_title_400"
        text_key = f"error_text_{status}" if status in (403, 404, 503) else "error_text_other"
    return page(
        request,
        "error.html",
        status=status,
        title_key=title_key,
        text_key=text_key,
        detail=exc.detail,
        errors=[e.get("message") or e.get("msg") for e in exc.errors or []],
        resend=resend,
        resend_to=request.url.path + (f"?{request.url.query}" if request.url.query else ""),
    )


_TITLED = frozenset({400, 401, 403, 404, 409, 412, 422, 500, 503})
