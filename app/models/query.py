from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.database import Base, UTCDateTime


class DataQuery(Base):
    """A question about one field of one form instance: open -> answered -> closed (or cancelled)."""

    __tablename__ = "data_queries"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_pk: Mapped[int] = mapped_column(ForeignKey("records.id"), index=True)
    form: Mapped[str] = mapped_column(String(64))
    instance: Mapped[int] = mapped_column(Integer)
    field: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    origin: Mapped[str] = mapped_column(String(16))  # "check" (opened by a warning) or "monitor"
    code: Mapped[str | None] = mapped_column(String(80))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    opened_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class QueryMessage(Base):
    """One message in a query's thread."""

    __tablename__ = "query_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    query_id: Mapped[int] = mapped_column(ForeignKey("data_queries.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    author: Mapped[str] = mapped_column(String(254))
    kind: Mapped[str] = mapped_column(String(16))  # open, answer, close, cancel, reopen
    text: Mapped[str] = mapped_column(Text)
    # A message the platform wrote (a check's warning, an automatic answer) in every language of the
    # study, so that each reader sees their own; None for what a person wrote.
    texts: Mapped[dict[str, str] | None] = mapped_column(JSON)

    def text_in(self, language: str) -> str:
        return (self.texts or {}).get(language) or self.text
