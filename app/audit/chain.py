"""How an event's hash is computed: SHA-256 over its canonical JSON and the previous event's hash."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import orjson

from app.models import AuditEvent

GENESIS = "0" * 64
# The event's columns that its hash covers, in the order they are written.
HASHED = (
    "at",
    "action",
    "actor_id",
    "actor",
    "role",
    "site",
    "source",
    "record_id",
    "form",
    "instance",
    "changes",
    "reason",
    "prev_hash",
)
# The canonical form: the standard library's sorted, compact JSON with non-ASCII kept as UTF-8.
_encode = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode


def canonical_json(content: Any, *, plain: bool | None = None) -> bytes:
    """`_encode`'s bytes, by orjson where it gives the very same bytes (it is ten times faster).

    They agree on strings, integers, booleans, null, lists and objects with string keys (a test
    holds them to it); floats are written differently, and orjson refuses lone surrogates and
    integers beyond 64 bits, so any such content takes the standard library. `plain` says the
    caller already knows (a walk over every value costs as much as the encoding saves).
    """
    if _plain(content) if plain is None else plain:
        try:
            return orjson.dumps(content, option=orjson.OPT_SORT_KEYS)
        except orjson.JSONEncodeError:
            pass
    return _encode(content).encode("utf-8")


def _plain(value: Any) -> bool:
    if value is None or type(value) in (str, int, bool):
        return True
    if type(value) is list:
        return all(_plain(item) for item in value)
    if type(value) is dict:
        return all(type(key) is str and _plain(item) for key, item in value.items())
    return False


def hash_content(content: Mapping[str, Any], *, plain_changes: bool = False, at: str | None = None) -> str:
    """The hash of an event given as its columns (`at` a datetime); the bulk writer's entry point.

    The other columns are strings and integers by their types; `plain_changes` says the changes are
    too (a form's field diff holds canonical texts only), which spares walking them. A batch of
    events shares one time: `at` passes it already written out.
    """
    canonical = {name: content[name] for name in HASHED}
    if at is None:
        moment: datetime = canonical["at"]
        at = moment.isoformat(timespec="microseconds")
    canonical["at"] = at
    plain = plain_changes or _plain(canonical["changes"])
    return hashlib.sha256(canonical_json(canonical, plain=plain)).hexdigest()


def hash_of(event: AuditEvent) -> str:
    return hash_content({name: getattr(event, name) for name in HASHED})
