import hashlib
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth import service, tokens
from app.auth.actor import SYSTEM
from app.core.errors import Conflict, DomainError, NotFound, Unauthorized
from app.models import ApiToken, Site, User
from tests.auth.conftest import audit_events


@pytest.fixture
def user(session: Session, sites: dict[str, Site]) -> User:
    return service.add_user(session, SYSTEM, "ana@auth.test", "site_entry", "AUTHA", "correct horse battery")


def test_a_token_is_shown_once_and_only_its_hash_is_stored(session: Session, user: User) -> None:
    token, secret = tokens.create_token(session, SYSTEM, "ana@auth.test", name="lab import")

    assert re.fullmatch(r"edc_[A-Za-z0-9_-]{43}", secret)
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert token.prefix == secret[:12]
    stored = session.execute(select(ApiToken.__table__)).mappings().all()
    assert not any(secret in str(value) for row in stored for value in row.values())
    [event] = audit_events(session, "token_created")
    assert {"field": "prefix", "old": None, "new": token.prefix} in event.changes
    assert {"field": "user", "old": None, "new": "ana@auth.test"} in event.changes
    assert secret not in str(event.changes) and token.token_hash not in str(event.changes)


def test_a_token_acts_as_its_user(session: Session, user: User, sites: dict[str, Site]) -> None:
    _, secret = tokens.create_token(session, SYSTEM, "ana@auth.test")

    actor = tokens.actor_for_token(session, secret)

    assert (actor.user_id, actor.email, actor.role, actor.source) == (
        user.id,
        "ana@auth.test",
        "site_entry",
        "api",
    )
    assert (actor.site_id, actor.site_code) == (sites["AUTHA"].id, "AUTHA")


def test_each_refusal_says_why(session: Session, user: User) -> None:
    revoked, revoked_secret = tokens.create_token(session, SYSTEM, "ana@auth.test")
    tokens.revoke_token(session, SYSTEM, revoked.prefix)
    expired, expired_secret = tokens.create_token(session, SYSTEM, "ana@auth.test", expires_days=1)
    expired.expires_at = datetime.now(UTC) - timedelta(minutes=1)
    unknown_secret = "edc_" + "A" * 43

    def refusal(secret: str | None) -> str:
        with pytest.raises(Unauthorized) as caught:
            tokens.actor_for_token(session, secret)
        return caught.value.detail

    assert refusal(None).startswith("no API token")
    assert refusal("").startswith("no API token")
    assert refusal("not-a-token").startswith("malformed API token")
    assert refusal(unknown_secret) == "unknown API token"
    assert refusal(revoked_secret).startswith(f"API token {revoked.prefix} was revoked on")
    assert refusal(expired_secret).startswith(f"API token {expired.prefix} expired on")


def test_a_deactivated_users_tokens_stop_working(session: Session, user: User) -> None:
    _, secret = tokens.create_token(session, SYSTEM, "ana@auth.test")
    service.deactivate_user(session, SYSTEM, "ana@auth.test")

    with pytest.raises(Unauthorized, match="belongs to ana@auth.test, who is deactivated"):
        tokens.actor_for_token(session, secret)
    with pytest.raises(Conflict, match="deactivated"):
        tokens.create_token(session, SYSTEM, "ana@auth.test")


def test_last_used_is_recorded_at_most_once_a_minute(session: Session, user: User) -> None:
    token, secret = tokens.create_token(session, SYSTEM, "ana@auth.test")
    assert token.last_used_at is None

    tokens.actor_for_token(session, secret)
    first_use = token.last_used_at
    tokens.actor_for_token(session, secret)
    assert first_use is not None and token.last_used_at == first_use

    token.last_used_at = first_use - timedelta(minutes=2)
    tokens.actor_for_token(session, secret)
    assert token.last_used_at > first_use

    session.flush()
    session.expire(token)
    assert token.last_used_at is not None and token.last_used_at.tzinfo is not None


def test_revoke_by_id_or_prefix_is_audited_once(session: Session, user: User) -> None:
    first, _ = tokens.create_token(session, SYSTEM, "ana@auth.test")
    second, _ = tokens.create_token(session, SYSTEM, "ana@auth.test")

    tokens.revoke_token(session, SYSTEM, str(first.id))
    tokens.revoke_token(session, SYSTEM, second.prefix.removeprefix("edc_"))
    tokens.revoke_token(session, SYSTEM, second.prefix)

    assert first.revoked_at is not None and second.revoked_at is not None
    revoked = [event.changes[0]["new"] for event in audit_events(session, "token_revoked")]
    assert revoked == [first.id, second.id]
    with pytest.raises(NotFound, match="no API token with id or prefix 'edc_nothing'"):
        tokens.revoke_token(session, SYSTEM, "edc_nothing")


def test_tokens_are_listed_per_user(session: Session, user: User) -> None:
    service.add_user(session, SYSTEM, "bob@auth.test", "admin", None, None)
    mine, _ = tokens.create_token(session, SYSTEM, "ana@auth.test")
    theirs, _ = tokens.create_token(session, SYSTEM, "bob@auth.test")

    assert [t.id for t in tokens.list_tokens(session, "ana@auth.test")] == [mine.id]
    assert {t.id for t in tokens.list_tokens(session)} >= {mine.id, theirs.id}


def test_expiry_and_name_are_checked(session: Session, user: User) -> None:
    for days in (0, 10**9):
        with pytest.raises(DomainError, match="valid for 1 to 3650 days"):
            tokens.create_token(session, SYSTEM, "ana@auth.test", expires_days=days)
    with pytest.raises(DomainError, match="at most 100 characters"):
        tokens.create_token(session, SYSTEM, "ana@auth.test", name="x" * 101)
    with pytest.raises(NotFound, match="no user with email"):
        tokens.create_token(session, SYSTEM, "nobody@auth.test")
