"""API tokens: bearer secrets that act as their user. Only the SHA-256 of a secret is stored.

A secret is `edc_` followed by 43 URL-safe characters (256 random bits). It is shown once, when
made; afterwards a token is named by its id or its prefix (`edc_` and the next 8 characters).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from app.audit import service as audit
from app.auth.actor import Actor
from app.auth.service import actor_for_user, audit_change, show_time, user_by_email
from app.core.errors import Conflict, DomainError, NotFound, Unauthorized
from app.models import ApiToken, User

SECRET_START = "edc_"
PREFIX_LENGTH = len(SECRET_START) + 8
MAX_NAME_LENGTH = 100
MAX_EXPIRES_DAYS = 3650
# last_used_at is for people reviewing tokens; minute precision spares a write on every request.
LAST_USED_PRECISION = timedelta(minutes=1)

_SECRET = re.compile(r"edc_[A-Za-z0-9_-]{43}")


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
    """The user a bearer secret acts as, or Unauthorized saying what is wrong with it."""
    if not secret:
        raise Unauthorized("no API token: send the header 'Authorization: Bearer <token>'")
    if not _SECRET.fullmatch(secret):
        raise Unauthorized("malformed API token: expected 'edc_' and 43 more characters")
    query = (
        select(ApiToken)
        .where(ApiToken.token_hash == _digest(secret))
        .options(joinedload(ApiToken.user).joinedload(User.site))
    )
    token = session.scalar(query)
    if token is None:
        raise Unauthorized("unknown API token")
    now = datetime.now(UTC)
    if token.revoked_at is not None:
        raise Unauthorized(f"API token {token.prefix} was revoked on {show_time(token.revoked_at)}")
    if token.expires_at is not None and token.expires_at <= now:
        raise Unauthorized(f"API token {token.prefix} expired on {show_time(token.expires_at)}")
    if not token.user.active:
        raise Unauthorized(f"API token {token.prefix} belongs to {token.user.email}, who is deactivated")
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
        token.last_used_at = now
    return actor_for_user(session, token.user, source)


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
