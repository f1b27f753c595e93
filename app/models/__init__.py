"""Every ORM model, imported here so that Alembic and cross-feature relations have one import point."""

from app.core.database import Base
from app.models.schema_info import SchemaInfo

__all__ = ["Base", "SchemaInfo"]
