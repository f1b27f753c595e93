"""The audit trail of the exported patients, for the ODM file's AuditRecords.

Read as one frame: who, where, when and why, and the names of the fields each event changed (taken
from its `changes` column by polars, so a long trail costs little memory).
"""

from __future__ import annotations

from collections.abc import Collection

import polars as pl
from sqlalchemy import Text, cast, select
from sqlalchemy.orm import Session

from app.models import AuditEvent

COLUMNS: list[tuple[str, pl.DataType]] = [
    ("id", pl.Int64()),
    ("at", pl.Datetime("us", "UTC")),
    ("action", pl.String()),
    ("actor_id", pl.Int64()),
    ("actor", pl.String()),
    ("role", pl.String()),
    ("site", pl.String()),
    ("record_id", pl.String()),
    ("form", pl.String()),
    ("instance", pl.Int64()),
    ("changes", pl.String()),
    ("reason", pl.String()),
    ("hash", pl.String()),
]
# `changes` is a JSON list of {"field": ..., ...}; a pattern reads the names whatever else it holds.
_FIELD = r'"field": ?"([^"\\]*)"'


def audit_frame(session: Session, record_ids: Collection[str]) -> pl.DataFrame:
    """Every event about one of `record_ids` (the exported patients, already scoped), oldest first.

    `fields` holds the names of the fields an event changed, comma-separated.
    """
    query = (
        select(
            AuditEvent.id,
            AuditEvent.at,
            AuditEvent.action,
            AuditEvent.actor_id,
            AuditEvent.actor,
            AuditEvent.role,
            AuditEvent.site,
            AuditEvent.record_id,
            AuditEvent.form,
            AuditEvent.instance,
            cast(AuditEvent.changes, Text),
            AuditEvent.reason,
            AuditEvent.hash,
        )
        .where(AuditEvent.record_id.is_not(None))
        .order_by(AuditEvent.id)
    )
    frame = pl.DataFrame(session.execute(query).all(), schema=COLUMNS, orient="row")
    fields = pl.col("changes").str.extract_all(_FIELD).list.eval(pl.element().str.extract(_FIELD, 1))
    return (
        frame.filter(pl.col("record_id").is_in(list(record_ids)))
        .with_columns(fields.list.join(", ").fill_null("").alias("fields"))
        .drop("changes")
    )
