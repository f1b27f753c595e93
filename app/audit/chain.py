"""How an event's hash is computed: SHA-256 over its canonical JSON and the previous event's hash."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from app.models import AuditEvent

GENESIS = "0" * 64


def content_of(event: AuditEvent) -> dict[str, Any]:
    at: datetime = event.at
    return {
        "at": at.isoformat(timespec="microseconds"),
        "action": event.action,
        "actor_id": event.actor_id,
        "actor": event.actor,
        "role": event.role,
        "site": event.site,
        "source": event.source,
        "record_id": event.record_id,
        "form": event.form,
        "instance": event.instance,
        "changes": event.changes,
        "reason": event.reason,
        "prev_hash": event.prev_hash,
    }


def hash_of(event: AuditEvent) -> str:
    canonical = json.dumps(content_of(event), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
