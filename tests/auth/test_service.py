import json
from contextlib import suppress
from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy.orm import Session

from app.auth import passwords, service
from app.auth.actor import SYSTEM
from app.core.errors import Conflict, DomainError, NotFound, Unauthorized, ValidationFailed
from app.models import Site, User
from tests.auth.conftest import audit_events

PASSWORD = "correct horse battery"


def add(
    session: Session, email: str = "ana@auth.test", role: str = "site_entry", site: str | None = "AUTHA"
) -> User:
    return service.add_user(session, SYSTEM, email, role, site, PASSWORD)


def test_add_user_stores_a_lower_case_email_and_an_argon2_hash(
    session: Session, sites: dict[str, Site]
) -> None:
    user = add(session, email="  Ana@Auth.TEST ")

    assert user.email == "ana@auth.test"
    assert user.site_id == sites["AUTHA"].id
    assert user.active
    assert user.password_hash is not None and user.password_hash.startswith("$argon2id$")
    assert passwords.verify_password(user.password_hash, PASSWORD)


@pytest.mark.parametrize("role", ["site_entry", "site_manager"])
def test_site_roles_need_a_site(session: Session, sites: dict[str, Site], role: str) -> None:
    with pytest.raises(DomainError, match=f"role {role} works at one site"):
        add(session, role=role, site=None)


@pytest.mark.parametrize("role", ["monitor", "coordinator", "admin"])
def test_central_roles_refuse_a_site(session: Session, sites: dict[str, Site], role: str) -> None:
    with pytest.raises(DomainError, match=f"role {role} is central"):
        add(session, role=role, site="AUTHA")
    assert add(session, role=role, site=None).site_id is None


def test_unknown_role_lists_the_roles(session: Session, sites: dict[str, Site]) -> None:
    with pytest.raises(DomainError, match="unknown role 'boss'.*site_entry, site_manager, monitor"):
        add(session, role="boss", site=None)


def test_unknown_site_lists_the_known_sites(session: Session, sites: dict[str, Site]) -> None:
    with pytest.raises(NotFound, match=r"no site with code 'NOPE' \(known sites: .*AUTHA, AUTHB"):
        add(session, site="NOPE")


def test_a_second_user_with_the_same_email_is_a_conflict(session: Session, sites: dict[str, Site]) -> None:
    add(session, email="ana@auth.test")

    with pytest.raises(Conflict, match="already exists"):
        add(session, email="ANA@auth.test", role="monitor", site=None)


def test_bad_emails_and_short_passwords_are_refused(session: Session, sites: dict[str, Site]) -> None:
    with pytest.raises(DomainError, match="not an email address"):
        add(session, email="ana at auth.test")
    with pytest.raises(ValidationFailed, match="at least 10 characters"):
        service.add_user(session, SYSTEM, "ana@auth.test", "monitor", None, "short")


def test_user_created_is_audited_without_the_password(session: Session, sites: dict[str, Site]) -> None:
    user = add(session)

    [event] = audit_events(session)
    assert (event.action, event.actor, event.source) == ("user_created", "system", "cli")
    assert {"field": "role", "old": None, "new": "site_entry"} in event.changes
    assert {"field": "site", "old": None, "new": "AUTHA"} in event.changes
    assert {"field": "email", "old": None, "new": "ana@auth.test"} in event.changes
    assert user.password_hash is not None
    assert_secrets_absent_from_audit(session, PASSWORD, user.password_hash)


def test_set_role_moves_a_user_and_audits_old_and_new(session: Session, sites: dict[str, Site]) -> None:
    add(session)

    user = service.set_role(session, SYSTEM, "ana@auth.test", "site_manager", "AUTHB")
    assert (user.role, user.site_id) == ("site_manager", sites["AUTHB"].id)
    user = service.set_role(session, SYSTEM, "ana@auth.test", "monitor")
    assert (user.role, user.site_id) == ("monitor", None)

    changed = audit_events(session, "user_changed")
    assert [e.changes for e in changed] == [
        [
            {"field": "email", "old": "ana@auth.test", "new": "ana@auth.test"},
            {"field": "role", "old": "site_entry", "new": "site_manager"},
            {"field": "site", "old": "AUTHA", "new": "AUTHB"},
        ],
        [
            {"field": "email", "old": "ana@auth.test", "new": "ana@auth.test"},
            {"field": "role", "old": "site_manager", "new": "monitor"},
            {"field": "site", "old": "AUTHB", "new": None},
        ],
    ]


def test_set_role_validates_like_add_user(session: Session, sites: dict[str, Site]) -> None:
    add(session)

    with pytest.raises(DomainError, match="role admin is central"):
        service.set_role(session, SYSTEM, "ana@auth.test", "admin", "AUTHA")
    with pytest.raises(NotFound, match="no user with email 'bob@auth.test'"):
        service.set_role(session, SYSTEM, "bob@auth.test", "admin")


def test_deactivated_users_cannot_sign_in(session: Session, sites: dict[str, Site]) -> None:
    add(session)

    service.deactivate_user(session, SYSTEM, "ana@auth.test")
    service.deactivate_user(session, SYSTEM, "ana@auth.test")

    [event] = audit_events(session, "user_changed")
    assert {"field": "active", "old": True, "new": False} in event.changes
    with pytest.raises(Unauthorized, match="deactivated"):
        service.authenticate_password(session, "ana@auth.test", PASSWORD)


def test_sign_in_returns_the_actor_and_is_audited(session: Session, sites: dict[str, Site]) -> None:
    user = add(session)

    actor = service.authenticate_password(session, "ANA@auth.test", PASSWORD)

    assert (actor.user_id, actor.email, actor.role) == (user.id, "ana@auth.test", "site_entry")
    assert (actor.site_id, actor.site_code, actor.source) == (sites["AUTHA"].id, "AUTHA", "web")
    [event] = audit_events(session, "login")
    assert (event.actor, event.role, event.site, event.source) == (
        "ana@auth.test",
        "site_entry",
        "AUTHA",
        "web",
    )


def test_five_wrong_passwords_in_a_row_lock_the_account(session: Session, sites: dict[str, Site]) -> None:
    user = add(session)
    for _ in range(4):
        with pytest.raises(Unauthorized, match="wrong email or password"):
            service.authenticate_password(session, "ana@auth.test", "wrong password")
    assert user.failed_logins == 4

    with pytest.raises(Unauthorized, match="locked until"):
        service.authenticate_password(session, "ana@auth.test", "wrong password")
    assert user.locked_until is not None
    assert timedelta(minutes=14) < user.locked_until - datetime.now(UTC) <= timedelta(minutes=15)

    with pytest.raises(Unauthorized, match="locked until"):
        service.authenticate_password(session, "ana@auth.test", PASSWORD)
    reasons = [event.reason for event in audit_events(session, "login_failed")]
    assert reasons[0] == "wrong password (1 in a row)"
    assert reasons[4] is not None and reasons[4].startswith(
        "wrong password (5 in a row); account locked until"
    )
    assert reasons[5] is not None and reasons[5].startswith("account locked until")


def test_the_lock_ends_after_15_minutes_and_success_resets_the_count(
    session: Session, sites: dict[str, Site]
) -> None:
    user = add(session)
    user.locked_until = datetime.now(UTC) - timedelta(seconds=1)
    user.failed_logins = 3

    service.authenticate_password(session, "ana@auth.test", PASSWORD)

    assert (user.failed_logins, user.locked_until) == (0, None)


def test_a_success_between_failures_starts_the_count_again(session: Session, sites: dict[str, Site]) -> None:
    user = add(session)
    for attempt in ["wrong"] * 4 + [PASSWORD] + ["wrong"] * 4:
        with suppress(Unauthorized):
            service.authenticate_password(session, "ana@auth.test", attempt)
    assert (user.failed_logins, user.locked_until) == (4, None)


def test_unknown_emails_fail_like_wrong_passwords_and_are_audited_as_anonymous(
    session: Session, sites: dict[str, Site]
) -> None:
    with pytest.raises(Unauthorized, match="^wrong email or password$"):
        service.authenticate_password(session, "Nobody@Auth.test", "some password")

    [event] = audit_events(session, "login_failed")
    assert (event.actor, event.role, event.actor_id, event.reason) == (
        "Nobody@Auth.test",
        "anonymous",
        None,
        "unknown email",
    )
    assert_secrets_absent_from_audit(session, "some password")


def test_an_old_hash_is_upgraded_at_sign_in(session: Session, sites: dict[str, Site]) -> None:
    user = add(session)
    user.password_hash = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)

    service.authenticate_password(session, "ana@auth.test", PASSWORD)

    assert user.password_hash is not None and not passwords.needs_rehash(user.password_hash)
    assert passwords.verify_password(user.password_hash, PASSWORD)


def test_no_audit_row_ever_holds_a_password_or_its_hash(session: Session, sites: dict[str, Site]) -> None:
    user = add(session)
    with pytest.raises(Unauthorized):
        service.authenticate_password(session, "ana@auth.test", "a wrong guess")
    service.authenticate_password(session, "ana@auth.test", PASSWORD)
    service.set_role(session, SYSTEM, "ana@auth.test", "monitor")

    assert user.password_hash is not None
    assert_secrets_absent_from_audit(session, PASSWORD, "a wrong guess", user.password_hash)


def assert_secrets_absent_from_audit(session: Session, *secrets: str) -> None:
    events = audit_events(session)
    assert events
    for event in events:
        row = json.dumps([event.actor, event.changes, event.reason, event.hash])
        for secret in secrets:
            assert secret not in row
