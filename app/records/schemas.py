"""Request and response bodies of the records API (separate from the ORM models)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class RecordCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    site_pseudonym: str | None = Field(
        default=None,
        min_length=8,
        max_length=128,
        pattern=r"^[A-Za-z0-9_\-]+$",
        description="The keyed hash made by the site's pseudonymisation step; unique in the study.",
    )


class RecordCreated(BaseModel):
    record_id: str


class FormStatusOut(BaseModel):
    form: str
    instance: int
    status: str
    locked: bool


class RecordOut(BaseModel):
    record_id: str
    site: str
    created_at: datetime
    open_queries: int = 0
    forms: list[FormStatusOut] = []


class RecordList(BaseModel):
    items: list[RecordOut]
    limit: int
    offset: int


class FormWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")
    values: dict[str, Any] = Field(
        default_factory=dict,
        description="variable -> value: the text of a CSV cell or its JSON equivalent; a multiple choice "
        "as a list of codes; NA, UNK or ND as missing-data codes.",
    )
    reason: str | None = Field(default=None, max_length=2000, description="Why: required on a complete form.")


class IssueOut(BaseModel):
    field: str | None
    code: str
    severity: str
    message: str
    messages: dict[str, str]
    value: str | None = None
    form: str | None = None
    instance: int | None = None


class FormOut(BaseModel):
    record_id: str
    form: str
    instance: int
    status: str
    locked: bool
    version: int
    definition_version: str | None
    updated_at: datetime | None
    values: dict[str, Any]
    computed: dict[str, Any]
    changed: list[str] = []
    warnings: list[IssueOut] = []
    queries_opened: int = 0
    queries_answered: int = 0  # open check queries this change resolved: answered for the monitor to close


class StatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: Literal["complete", "reopen", "verify", "unverify", "lock", "unlock"]
    reason: str | None = Field(default=None, max_length=2000)


class AuditEventOut(BaseModel):
    id: int
    at: datetime
    action: str
    actor: str
    role: str
    site: str | None
    source: str
    record_id: str | None
    form: str | None
    instance: int | None
    changes: list[dict[str, Any]]
    reason: str | None
    hash: str
