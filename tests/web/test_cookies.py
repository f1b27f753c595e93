"""The signed session cookie: what it keeps, and what it refuses."""

import base64
import json

from app.web.cookies import MAX_AGE, WebSession, _signature, decode, encode

KEY = "a-test-key"


def test_a_session_comes_back_as_it_was_written() -> None:
    session = WebSession(user_id=7, flash={"key": "saved", "kind": "ok", "params": {}})
    back = decode(encode(session, KEY), KEY)
    assert back == session


def test_a_changed_cookie_another_key_or_an_old_session_is_refused() -> None:
    value = encode(WebSession(user_id=7), KEY)
    payload, signature = value.split(".")
    forged = encode(WebSession(user_id=1), KEY).split(".")[0]
    assert decode(f"{forged}.{signature}", KEY) is None
    assert decode(value, "another-key") is None
    assert decode("garbage", KEY) is None and decode(None, KEY) is None
    issued = WebSession(user_id=7).issued
    assert decode(value, KEY, now=issued + MAX_AGE + 1) is None


def test_a_cookie_from_before_idle_tracking_counts_from_when_it_was_issued() -> None:
    session = WebSession(user_id=7, issued=1_000, seen=5_000)
    payload = json.loads(base64.urlsafe_b64decode(encode(session, KEY).split(".")[0] + "=="))
    assert payload["s"] == 5_000
    del payload["s"]
    older = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    back = decode(f"{older}.{_signature(older, KEY)}", KEY, now=2_000)
    assert back is not None and back.seen == 1_000
