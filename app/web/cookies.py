"""The browser session: a small signed cookie holding who signed in, the CSRF token and a flash message.

Signed with HMAC-SHA256 under `settings.secret_key`, so it cannot be forged or edited; nothing secret is
kept in it. Sessions end after `MAX_AGE` whatever happens, and after `settings.session_idle_minutes`
without a request (`seen`, moved on at most once a minute). A session also carries its user's
`session_epoch` from when it began: signing out moves the epoch on, so every copy of every cookie of
that user stops working at once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

COOKIE = "edc_session"
LANGUAGE_COOKIE = "edc_lang"
MAX_AGE = 12 * 3600


def new_token() -> str:
    return secrets.token_urlsafe(32)


@dataclass
class WebSession:
    user_id: int | None = None
    csrf: str = field(default_factory=new_token)
    issued: int = field(default_factory=lambda: int(time.time()))
    flash: dict[str, Any] | None = None
    epoch: int = 0
    seen: int = field(default_factory=lambda: int(time.time()))  # the last request, to the minute

    @property
    def signed_in(self) -> bool:
        return self.user_id is not None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(payload: str, key: str) -> str:
    return _b64(hmac.new(key.encode(), payload.encode("ascii"), hashlib.sha256).digest())


def encode(session: WebSession, key: str) -> str:
    body: dict[str, Any] = {
        "u": session.user_id,
        "c": session.csrf,
        "i": session.issued,
        "e": session.epoch,
        "s": session.seen,
    }
    if session.flash:
        body["f"] = session.flash
    payload = _b64(json.dumps(body, separators=(",", ":")).encode())
    return f"{payload}.{_signature(payload, key)}"


def decode(value: str | None, key: str, now: float | None = None) -> WebSession | None:
    """The session in a cookie, or None when it is missing, forged, unreadable or too old."""
    if not value or value.count(".") != 1:
        return None
    payload, signature = value.split(".")
    if not hmac.compare_digest(signature, _signature(payload, key)):
        return None
    try:
        body = json.loads(_unb64(payload))
        issued = int(body["i"])
        session = WebSession(
            body["u"],
            str(body["c"]),
            issued,
            body.get("f"),
            int(body.get("e", 0)),
            int(body.get("s", issued)),
        )
    except (ValueError, KeyError, TypeError):
        return None
    if (now if now is not None else time.time()) - session.issued > MAX_AGE:
        return None
    return session
