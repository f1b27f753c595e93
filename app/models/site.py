from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.database import Base


class Site(Base):
    """A participating institution. Its code prefixes its patients' study IDs."""

    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(10), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))
    language: Mapped[str] = mapped_column(String(8))
    # The last sequence number handed out for a study ID at this site; bumped under a row lock.
    last_record_seq: Mapped[int] = mapped_column(Integer, default=0)
