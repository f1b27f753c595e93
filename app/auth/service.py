"""Users: adding them, changing their role, deactivating them, and signing in with a password.

Every function works in the caller's session and never commits: the change and its audit event
are committed together by whoever owns the transaction (the request, the CLI command).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from app.audit import service as audit
from app.auth import passwords
from app.auth.actor import SITE_ROLES, Actor, Role
from app.core.errors import Conflict, DomainError, NotFound, Unauthorized
from app.models import Site, User
from app.sites.service import site_by_code

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
WRONG_CREDENTIALS = "wrong email or password"
ANONYMOUS_ROLE = "anonymous"

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")
_EMAIL_MAX_LENGTH = 254


def normalise_email(email: str) -> str:
    return email.strip().lower()


def check_role_and_site(role: str, site_code: str | None) -> Role:
    """The role, if it exists and fits the presence or absence of a site."""
    try:
        checked = Role(role)
    except ValueError:
        raise DomainError(f"unknown role '{role}' (roles: {', '.join(Role)})") from None
    if checked in SITE_ROLES and not site_code:
        raise DomainError(f"role {checked} works at one site: give the site's code")
    if checked not in SITE_ROLES and site_code:
        raise DomainError(f"role {checked} is central and sees every site: give no site")
    return checked


def user_by_email(session: Session, email: str) -> User:
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        raise NotFound(f"no user with email '{normalise_email(email)}'")
    return user


def list_users(session: Session) -> list[User]:
    query = select(User).options(joinedload(User.site)).order_by(User.email)
    return list(session.scalars(query))


def actor_for_user(session: Session, user: User, source: str) -> Actor:
    site = session.get(Site, user.site_id) if user.site_id is not None else None
    return Actor(
        user_id=user.id,
        email=user.email,
        role=user.role,
        site_id=user.site_id,
        site_code=site.code if site is not None else None,
        source=source,
        language=user.language,
    )


def add_user(
    session: Session,
    actor: Actor,
    email: str,
    role: str,
    site_code: str | None,
    password: str | None,
    *,
    language: str = "en",
) -> User:
    """Create an active user. With no password the user cannot sign in to the pages (tokens only)."""
    email = normalise_email(email)
    if len(email) > _EMAIL_MAX_LENGTH or not _EMAIL.fullmatch(email):
        raise DomainError(f"'{email}' is not an email address")
    checked_role = check_role_and_site(role, site_code)
    site = site_by_code(session, site_code) if site_code else None
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict(f"a user with email '{email}' already exists")
    if password is not None:
        passwords.check_policy(password)
    user = User(
        email=email,
        password_hash=passwords.hash_password(password) if password is not None else None,
        role=checked_role.value,
        site_id=site.id if site is not None else None,
        language=language,
        active=True,
        failed_logins=0,
        created_at=datetime.now(UTC),
    )
    session.add(user)
    session.flush()
    new_values = {"email": email, "role": user.role, "site": site_code, "language": language, "active": True}
    audit.append(
        session,
        actor,
        "user_created",
        changes=[audit_change(field, None, value) for field, value in new_values.items()],
    )
    return user


def set_role(session: Session, actor: Actor, email: str, role: str, site_code: str | None = None) -> User:
    """Give a user another role (and site); a site role needs a site, a central role has none."""
    user = user_by_email(session, email)
    checked_role = check_role_and_site(role, site_code)
    site = site_by_code(session, site_code) if site_code else None
    old_site = session.get(Site, user.site_id) if user.site_id is not None else None
    changes = []
    if user.role != checked_role.value:
        changes.append(audit_change("role", user.role, checked_role.value))
    if old_site is not site:
        changes.append(audit_change("site", old_site.code if old_site else None, site_code))
    if changes:
        user.role = checked_role.value
        user.site_id = site.id if site is not None else None
        audit.append(session, actor, "user_changed", changes=[_subject(user), *changes])
    return user


def deactivate_user(session: Session, actor: Actor, email: str) -> User:
    """Stop a user signing in and their API tokens working; their history stays. Repeating is harmless."""
    user = user_by_email(session, email)
    if user.active:
        user.active = False
        # Ends their web sessions for good: a later reactivation does not bring them back.
        user.session_epoch = User.session_epoch + 1
        audit.append(
            session,
            actor,
            "user_changed",
            changes=[_subject(user), audit_change("active", True, False)],
        )
    return user


def end_sessions(session: Session, user_id: int | None) -> None:
    """End every web session of the user, in every browser: they all began in an earlier epoch."""
    user = session.get(User, user_id) if user_id is not None else None
    if user is not None:
        user.session_epoch = User.session_epoch + 1  # in the database: concurrent ends never merge


def authenticate_password(session: Session, email: str, password: str, source: str = "web") -> Actor:
    """The user signing in, or Unauthorized; 5 wrong passwords in a row lock the account for 15 minutes.

    A failure also changes the database (the failure count, the lock, a `login_failed` event), so
    the caller must commit even when this raises: catch Unauthorized, show it, let the session commit.
    """
    now = datetime.now(UTC)
    user = session.scalar(select(User).where(User.email == normalise_email(email)).with_for_update())
    if user is None:
        passwords.verify_nothing(password)
        _login_failed(session, _anonymous(email, source), "unknown email")
        raise Unauthorized(WRONG_CREDENTIALS)
    actor = actor_for_user(session, user, source)
    if user.locked_until is not None and user.locked_until > now:
        _login_failed(session, actor, f"account locked until {show_time(user.locked_until)}")
        raise Unauthorized(_locked_message(user.locked_until))
    if not passwords.verify_password(user.password_hash, password):
        _count_failure(session, user, actor, now)
        if user.locked_until is not None and user.locked_until > now:
            raise Unauthorized(_locked_message(user.locked_until))
        raise Unauthorized(WRONG_CREDENTIALS)
    if not user.active:
        _login_failed(session, actor, "account deactivated")
        raise Unauthorized("this account is deactivated; ask an administrator")
    user.failed_logins = 0
    user.locked_until = None
    if user.password_hash is not None and passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    audit.append(session, actor, "login")
    return actor


def _count_failure(session: Session, user: User, actor: Actor, now: datetime) -> None:
    user.failed_logins += 1
    reason = f"wrong password ({user.failed_logins} in a row)"
    if user.failed_logins >= MAX_FAILED_LOGINS:
        user.locked_until = now + LOCKOUT
        user.failed_logins = 0
        reason += f"; account locked until {show_time(user.locked_until)}"
    _login_failed(session, actor, reason)


def _login_failed(session: Session, actor: Actor, reason: str) -> None:
    audit.append(session, actor, "login_failed", reason=reason)


def _anonymous(email: str, source: str) -> Actor:
    return Actor(None, email.strip()[:_EMAIL_MAX_LENGTH], ANONYMOUS_ROLE, None, None, source)


def _locked_message(locked_until: datetime) -> str:
    return f"too many wrong passwords: this account is locked until {show_time(locked_until)}"


def _subject(user: User) -> dict[str, Any]:
    # Audit events have no column for the user acted on; an unchanged "email" entry names them.
    return audit_change("email", user.email, user.email)


def audit_change(field: str, old: Any, new: Any) -> dict[str, Any]:
    """One entry of an audit event's `changes`."""
    return {"field": field, "old": old, "new": new}


def show_time(moment: datetime) -> str:
    """A timestamp as people read it in messages: minutes, UTC."""
    return f"{moment:%Y-%m-%d %H:%M} UTC"
