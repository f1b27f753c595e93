"""The signed session cookie: what it keeps, and what it refuses."""

from app.web.cookies import MAX_AGE, WebSession, decode, encode

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
