from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.database import Base, UTCDateTime


class AuditEvent(Base):
    """One append-only, hash-chained event. Never updated or deleted (a trigger refuses both).

    `hash` is the SHA-256 of this event's content together with `prev_hash`; `prev_hash` is unique,
    so two writers can never both extend the same event and fork the chain.
    """

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    action: Mapped[str] = mapped_column(String(40))
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(20))
    site: Mapped[str | None] = mapped_column(String(10))
    source: Mapped[str] = mapped_column(String(80))
    record_id: Mapped[str | None] = mapped_column(String(32), index=True)
    form: Mapped[str | None] = mapped_column(String(64))
    instance: Mapped[int | None] = mapped_column(Integer)
    changes: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)
