from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.database import Base, UTCDateTime


class Record(Base):
    """One pseudonymous patient. `record_id` is the study ID people see (site code, number, check)."""

    __tablename__ = "records"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[str] = mapped_column(String(32), unique=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    # The keyed hash made by the site's pseudonymisation step: the same patient sent twice is caught.
    site_pseudonym: Mapped[str | None] = mapped_column(String(128), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class FormData(Base):
    """One instance of one form of one patient. Once-forms use instance 1.

    `data` maps each variable to its canonical text (the REDCap CSV cell); computed fields included.
    `version` counts saves and makes the ETag, so a stale edit is refused instead of lost.
    """

    __tablename__ = "form_data"
    __table_args__ = (UniqueConstraint("record_pk", "form", "instance"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    record_pk: Mapped[int] = mapped_column(ForeignKey("records.id"), index=True)
    form: Mapped[str] = mapped_column(String(64))
    instance: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    # incomplete -> complete -> verified; a lock (by the site's data manager) freezes any of them.
    status: Mapped[str] = mapped_column(String(16), default="incomplete")
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    definition_version: Mapped[str] = mapped_column(String(80))
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deleted_reason: Mapped[str | None] = mapped_column(Text)
