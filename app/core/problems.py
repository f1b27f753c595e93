"""The error answers of the JSON API as OpenAPI documents them: RFC 9457 problem+json.

`core.errors` writes them; this tells clients (and the `/docs` page) what to expect from every route.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class ProblemError(BaseModel):
    field: str | None = None
    code: str
    message: str
    severity: str | None = None


class Problem(BaseModel):
    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[ProblemError] | None = None


_WHEN = {
    400: "Malformed request (not JSON, a bad parameter)",
    401: "No valid API token",
    403: "Your role may not do this",
    404: "No such record, form, instance or query, or one of another site",
    409: "Not possible in the current state (locked, already exists)",
    412: "Stale If-Match: someone saved in between; nothing was changed",
    413: "Request body over the configured limit",
    422: "Invalid values: every problem listed in `errors`; nothing was saved",
    503: "The database is busy with another change; nothing was saved: retry after Retry-After",
}
_SCHEMA = {"schema": {"$ref": "#/components/schemas/Problem"}}
# `model` puts Problem in the schema's components (listed under application/json as well).
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "description": when, "content": {"application/problem+json": _SCHEMA}}
    for status, when in _WHEN.items()
}
