"""Signing in and out of the pages, with the auth service's Argon2 passwords and lock-out."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.auth.actor import Actor
from app.auth.service import (
    WRONG_CREDENTIALS,
    authenticate_password,
    end_sessions,
    normalise_email,
    show_time,
)
from app.core.deps import SessionDep
from app.core.errors import Unauthorized
from app.models import User
from app.web.auth import (
    LoginRequired,
    check_csrf,
    choose_language,
    replace_session,
    signed_in_actor,
    web_session,
)
from app.web.cookies import LANGUAGE_COOKIE, WebSession
from app.web.htmlroute import HtmlRoute
from app.web.i18n import LANGUAGES, Translator
from app.web.posted import Posted, text_of
from app.web.render import page, redirect, set_flash

router = APIRouter(route_class=HtmlRoute, dependencies=[Depends(check_csrf)], include_in_schema=False)
HOME = "/records"


def safe_next(target: str | None) -> str:
    """Only a path on this site: never send a user elsewhere after signing in."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return HOME
    return target


@router.get("/")
def home(request: Request) -> Response:
    return redirect(request, HOME)


@router.get("/login")
def login_page(request: Request, next: str = HOME) -> Response:
    choose_language(request)
    if web_session(request).signed_in:
        return redirect(request, safe_next(next))
    return page(request, "login.html", next=safe_next(next), email="", problem=None)


@router.post("/login")
def login(request: Request, session: SessionDep, form: Posted) -> Response:
    language = choose_language(request)
    email, target = text_of(form, "email"), safe_next(text_of(form, "next"))
    password = form.get("password")
    try:
        actor = authenticate_password(session, email, password if isinstance(password, str) else "", "web")
    except Unauthorized as exc:
        # The failure count, the lock and the login_failed event were written: answer normally so the
        # request's transaction commits them.
        problem = _problem(session, email, exc, Translator(language))
        return page(request, "login.html", status=401, next=target, email=email, problem=problem)
    # A new session (and CSRF token) at sign-in: a token seen before signing in is worth nothing after.
    user = session.get(User, actor.user_id)
    assert user is not None
    replace_session(request, WebSession(user_id=user.id, epoch=user.session_epoch))
    if request.cookies.get(LANGUAGE_COOKIE) not in LANGUAGES:
        # Remembered in the browser, so that pages seen signed out (signed out, session ended) stay
        # in the user's language.
        request.state.new_language = user.language
    return redirect(request, target)


def _problem(session: Session, email: str, exc: Unauthorized, t: Translator) -> str:
    if exc.detail == WRONG_CREDENTIALS:
        return t("wrong_credentials")
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is not None and user.locked_until is not None and user.locked_until > datetime.now(UTC):
        return t("account_locked", until=show_time(user.locked_until))
    return t("account_inactive")


@router.post("/logout")
def logout(request: Request, session: SessionDep) -> Response:
    try:
        actor: Actor | None = signed_in_actor(request, session, idle_ends_it=False)
    except LoginRequired:
        actor = None  # already ended: there is nothing left to end, but the tab is still cleared
    if actor is not None:
        audit.append(session, actor, "logout")
        end_sessions(session, actor.user_id)
    replace_session(request, WebSession())
    set_flash(request, "signed_out")
    return redirect(request, "/login")
