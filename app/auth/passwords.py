"""Password hashing with Argon2id (argon2-cffi's current parameters) and the password policy."""

import secrets
from contextlib import suppress
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from app.core.errors import ValidationFailed

MIN_LENGTH = 10
# Argon2 hashes any length, but a megabyte "password" is only a way to make the server work hard.
MAX_LENGTH = 256

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when `password` matches; a missing or unreadable hash never matches."""
    if password_hash is None:
        verify_nothing(password)
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def verify_nothing(password: str) -> None:
    """Spend the time a real check takes, so a reply does not tell which emails have accounts."""
    with suppress(VerificationError):
        _hasher.verify(_dummy_hash(), password)


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than the current ones."""
    return _hasher.check_needs_rehash(password_hash)


def check_policy(password: str) -> None:
    """Refuse a password that is too short or absurdly long."""
    if len(password) < MIN_LENGTH:
        problem = f"a password needs at least {MIN_LENGTH} characters"
    elif len(password) > MAX_LENGTH:
        problem = f"a password has at most {MAX_LENGTH} characters"
    else:
        return
    raise ValidationFailed(problem, errors=[{"loc": ["password"], "msg": problem, "type": "password_policy"}])


def generate_password() -> str:
    """A random password of 20 URL-safe characters (120 bits)."""
    return secrets.token_urlsafe(15)


@cache
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))
