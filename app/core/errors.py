"""Domain errors and their one rendering: RFC 9457 `application/problem+json`."""

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException

from app.core.responses import SafeJSONResponse

PROBLEM_JSON = "application/problem+json"


class DomainError(Exception):
    """Raised by business code; the API turns it into a problem document, pages into a message."""

    status_code = HTTPStatus.BAD_REQUEST
    code = "bad-request"
    headers: Mapping[str, str] | None = None

    def __init__(self, detail: str, *, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors


class Unauthorized(DomainError):
    status_code = HTTPStatus.UNAUTHORIZED
    code = "unauthorized"


class Forbidden(DomainError):
    status_code = HTTPStatus.FORBIDDEN
    code = "forbidden"


class NotFound(DomainError):
    status_code = HTTPStatus.NOT_FOUND
    code = "not-found"


class Conflict(DomainError):
    status_code = HTTPStatus.CONFLICT
    code = "conflict"


class PreconditionFailed(DomainError):
    status_code = HTTPStatus.PRECONDITION_FAILED
    code = "precondition-failed"


class PayloadTooLarge(DomainError):
    status_code = HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    code = "payload-too-large"


class Busy(DomainError):
    """Another writer held the database past the busy timeout (SQLite writes one at a time)."""

    status_code = HTTPStatus.SERVICE_UNAVAILABLE
    code = "busy"
    headers = {"Retry-After": "5"}


def busy_error(exc: BaseException) -> Busy | None:
    """SQLite's "database is locked", or PostgreSQL's lock timeout (SQLSTATE 55P03), as a 503 to
    retry; None for any other error."""
    if not isinstance(exc, OperationalError):
        return None
    if "database is locked" in str(exc.orig) or getattr(exc.orig, "sqlstate", None) == "55P03":
        return Busy(
            "the database is busy with another change (a bulk upload or an export, for example); "
            "nothing was saved: try again in a few seconds"
        )
    return None


class ValidationFailed(DomainError):
    status_code = HTTPStatus.UNPROCESSABLE_ENTITY
    code = "validation-failed"

    def __init__(self, detail: str, *, errors: list[dict[str, Any]]) -> None:
        super().__init__(detail, errors=errors)


def problem_response(
    status: int,
    detail: str,
    *,
    type_: str = "about:blank",
    errors: list[dict[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {"type": type_, "title": _title(status), "status": int(status), "detail": detail}
    if errors is not None:
        body["errors"] = jsonable_encoder(errors)
    return SafeJSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def domain_error_response(exc: DomainError) -> JSONResponse:
    return problem_response(
        exc.status_code,
        exc.detail,
        type_=f"urn:edc:problem:{exc.code}",
        errors=exc.errors,
        headers=exc.headers,
    )


def register_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _handle_domain_error)
    app.add_exception_handler(RequestValidationError, _handle_request_validation)
    app.add_exception_handler(HTTPException, _handle_http_exception)
    app.add_exception_handler(OperationalError, _handle_database_error)
    app.add_exception_handler(Exception, _handle_unexpected)


async def _handle_domain_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    return domain_error_response(exc)


async def _handle_request_validation(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"loc": list(error.get("loc", ())), "msg": error.get("msg", ""), "type": error.get("type", "")}
        for error in exc.errors()
    ]
    if any(error["type"] == "json_invalid" for error in errors):
        return problem_response(HTTPStatus.BAD_REQUEST, "The request body is not valid JSON.", errors=errors)
    return problem_response(
        HTTPStatus.UNPROCESSABLE_ENTITY, "The request does not match the expected shape.", errors=errors
    )


async def _handle_http_exception(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    return problem_response(exc.status_code, str(exc.detail), headers=exc.headers)


async def _handle_database_error(request: Request, exc: Exception) -> JSONResponse:
    busy = busy_error(exc)
    if busy is not None:
        return domain_error_response(busy)
    return await _handle_unexpected(request, exc)


async def _handle_unexpected(_request: Request, _exc: Exception) -> JSONResponse:
    # Starlette re-raises after this response is sent, so the traceback still reaches the server log.
    return problem_response(HTTPStatus.INTERNAL_SERVER_ERROR, "An unexpected error occurred.")
