"""Every ORM model, imported here so that Alembic and cross-feature relations have one import point."""

from app.core.database import Base
from app.models.audit import AuditEvent
from app.models.query import DataQuery, QueryMessage
from app.models.record import FormData, Record
from app.models.schema_info import SchemaInfo
from app.models.site import Site
from app.models.upload import Upload
from app.models.user import ApiToken, User

__all__ = [
    "ApiToken",
    "AuditEvent",
    "Base",
    "DataQuery",
    "FormData",
    "QueryMessage",
    "Record",
    "SchemaInfo",
    "Site",
    "Upload",
    "User",
]
