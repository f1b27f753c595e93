"""API tokens: bearer secrets that act as their user. Only the SHA-256 of a secret is stored.

A secret is `edc_` followed by 43 URL-safe characters (256 random bits). It is shown once, when
made; afterwards a token is named by its id or its prefix (`edc_` and the next 8 characters).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Row, bindparam, select
from sqlalchemy.orm import Session, joinedload

from app.audit import service as audit
from app.auth.actor import Actor
from app.auth.service import audit_change, show_time, user_by_email
from app.core.errors import Conflict, DomainError, NotFound, Unauthorized
from app.models import ApiToken, Site, User

SECRET_START = "edc_"
PREFIX_LENGTH = len(SECRET_START) + 8
MAX_NAME_LENGTH = 100
MAX_EXPIRES_DAYS = 3650
# last_used_at is for people reviewing tokens; minute precision spares a write on every request.
LAST_USED_PRECISION = timedelta(minutes=1)

_SECRET = re.compile(r"edc_[A-Za-z0-9_-]{43}")

# Every API request runs this query, so it is built once (composing a SELECT costs more than SQLite
# takes to answer it) and reads plain columns: no ORM objects to build for a token check.
_TOKEN_CHECK = (
    select(
        ApiToken.id.label("token_id"),
        ApiToken.prefix,
        ApiToken.expires_at,
        ApiToken.revoked_at,
        ApiToken.last_used_at,
        User.id.label("user_id"),
        User.email,
        User.role,
        User.site_id,
        User.active,
        User.language,
        Site.code.label("site_code"),
    )
    .join(ApiToken.user)
    .outerjoin(User.site)
    .where(ApiToken.token_hash == bindparam("token_hash"))
)


def create_token(
    session: Session, actor: Actor, email: str, name: str = "", expires_days: int | None = None
) -> tuple[ApiToken, str]:
    """Make a token for an active user; return it with its secret, which is not stored anywhere."""
    user = user_by_email(session, email)
    if not user.active:
        raise Conflict(f"{user.email} is deactivated: a token for them would never work")
    if len(name) > MAX_NAME_LENGTH:
        raise DomainError(f"a token name has at most {MAX_NAME_LENGTH} characters")
    if expires_days is not None and not 1 <= expires_days <= MAX_EXPIRES_DAYS:
        raise DomainError(f"a token stays valid for 1 to {MAX_EXPIRES_DAYS} days; omit the expiry for no end")
    secret = SECRET_START + secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    token = ApiToken(
        user_id=user.id,
        token_hash=_digest(secret),
        prefix=secret[:PREFIX_LENGTH],
        name=name,
        created_at=now,
        expires_at=now + timedelta(days=expires_days) if expires_days is not None else None,
    )
    session.add(token)
    session.flush()
    expires = token.expires_at.isoformat() if token.expires_at is not None else None
    new_values = {
        "token_id": token.id,
        "prefix": token.prefix,
        "user": user.email,
        "name": name,
        "expires_at": expires,
    }
    audit.append(
        session,
        actor,
        "token_created",
        changes=[audit_change(field, None, value) for field, value in new_values.items()],
    )
    return token, secret


def revoke_token(session: Session, actor: Actor, token_id_or_prefix: str) -> ApiToken:
    """Revoke a token named by its id or prefix. Revoking a revoked token changes nothing."""
    token = _find(session, token_id_or_prefix.strip())
    if token.revoked_at is None:
        token.revoked_at = datetime.now(UTC)
        audit.append(
            session,
            actor,
            "token_revoked",
            changes=[
                # Unchanged entries name the token: audit events have no column for it.
                audit_change("token_id", token.id, token.id),
                audit_change("prefix", token.prefix, token.prefix),
                audit_change("revoked_at", None, token.revoked_at.isoformat()),
            ],
        )
    return token


def list_tokens(session: Session, email: str | None = None) -> list[ApiToken]:
    """Tokens with their user loaded, oldest first; only those of `email` when given."""
    query = select(ApiToken).options(joinedload(ApiToken.user)).order_by(ApiToken.id)
    if email is not None:
        query = query.where(ApiToken.user_id == user_by_email(session, email).id)
    return list(session.scalars(query))


def actor_for_token(session: Session, secret: str | None, source: str = "api") -> Actor:
    """The user a bearer secret acts as, or Unauthorized saying what is wrong with it.

    Read in the caller's transaction every time, never cached: a revoked or expired token, or a
    deactivated user, is refused from the next request on.
    """
    if not secret:
        raise Unauthorized("no API token: send the header 'Authorization: Bearer <token>'")
    if not _SECRET.fullmatch(secret):
        raise Unauthorized("malformed API token: expected 'edc_' and 43 more characters")
    row = session.execute(_TOKEN_CHECK, {"token_hash": _digest(secret)}).one_or_none()
    if row is None:
        raise Unauthorized("unknown API token")
    now = datetime.now(UTC)
    _refuse_unusable(row, now)
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_PRECISION:
        _touch(session, row.token_id, now)
    return Actor(
        user_id=row.user_id,
        email=row.email,
        role=row.role,
        site_id=row.site_id,
        site_code=row.site_code,
        source=source,
        language=row.language,
    )


def _refuse_unusable(row: Row[*tuple[Any, ...]], now: datetime) -> None:
    if row.revoked_at is not None:
        raise Unauthorized(f"API token {row.prefix} was revoked on {show_time(row.revoked_at)}")
    if row.expires_at is not None and row.expires_at <= now:
        raise Unauthorized(f"API token {row.prefix} expired on {show_time(row.expires_at)}")
    if not row.active:
        raise Unauthorized(f"API token {row.prefix} belongs to {row.email}, who is deactivated")


def _touch(session: Session, token_id: int, now: datetime) -> None:
    # At most once a minute per token, so through the ORM object: one the caller holds sees the change.
    token = session.get(ApiToken, token_id)
    assert token is not None, "the token was read in this transaction"
    token.last_used_at = now


def _find(session: Session, token_id_or_prefix: str) -> ApiToken:
    if token_id_or_prefix.isdigit():
        token = session.get(ApiToken, int(token_id_or_prefix))
        if token is not None:
            return token
    prefix = token_id_or_prefix
    if not prefix.startswith(SECRET_START):
        prefix = SECRET_START + prefix
    matches = list(session.scalars(select(ApiToken).where(ApiToken.prefix == prefix)))
    if not matches:
        raise NotFound(f"no API token with id or prefix '{token_id_or_prefix}' (see `edc tokens list`)")
    if len(matches) > 1:
        raise Conflict(f"several API tokens have the prefix '{token_id_or_prefix}': give the id instead")
    return matches[0]


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()
