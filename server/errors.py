"""Every error leaves as ``{"error": {"code", "message"}}``.

Domain errors are mapped to status codes here, at the HTTP boundary; the
domain layer never speaks HTTP.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from persistence.errors import Conflict, DomainError, InvalidInput, Locked, NotFound, PermissionDenied

from .outage import RETRY_AFTER_SECONDS, UNAVAILABLE_MESSAGE, database_unreachable

__all__ = ["ApiError", "error_response", "exception_handlers"]

logger = logging.getLogger("shiftline.http")

_STATUS: dict[type[DomainError], int] = {
    InvalidInput: 422,
    NotFound: 404,
    PermissionDenied: 403,
    Conflict: 409,
    Locked: 423,
}

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    422: "invalid_input",
    423: "locked",
    429: "too_many_requests",
}


class ApiError(Exception):
    """An HTTP-level refusal (bad JSON, missing token) raised by handlers."""

    def __init__(self, status: int, code: str, message: str, *, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers


def error_response(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> Response:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)


def _status_of(exc: DomainError) -> int:
    for cls in type(exc).__mro__:
        if cls in _STATUS:
            return _STATUS[cls]
    return 400


async def _domain(_request: Request, exc: Exception) -> Response:
    if not isinstance(exc, DomainError):  # pragma: no cover - registered for DomainError only
        raise exc
    return error_response(_status_of(exc), exc.code, exc.message)


async def _api(_request: Request, exc: Exception) -> Response:
    if not isinstance(exc, ApiError):  # pragma: no cover
        raise exc
    return error_response(exc.status, exc.code, exc.message, exc.headers)


async def _http(_request: Request, exc: Exception) -> Response:
    if not isinstance(exc, HTTPException):  # pragma: no cover
        raise exc
    code = _HTTP_CODES.get(exc.status_code, "error")
    return error_response(exc.status_code, code, str(exc.detail), exc.headers)


async def _busy(_request: Request, exc: Exception) -> Response:
    # Every database connection stayed taken for the pool's whole timeout: an
    # overload, not a fault. The transaction never began, so a retry is safe.
    logger.warning("no database connection free in time: %s", exc)
    return error_response(
        503,
        "busy",
        "The server is too busy to take this right now; nothing was changed. Try again in a moment.",
        {"Retry-After": "1"},
    )


async def _unexpected(_request: Request, exc: Exception) -> Response:
    if database_unreachable(exc):
        # The database stopped, restarts or is out of reach. A transaction is
        # whole or absent (a commit cut off mid-way may have landed), never
        # half-written: the client retries, reading first where that matters.
        logger.warning("database unreachable: %s", exc)
        return error_response(
            503, "unavailable", UNAVAILABLE_MESSAGE, {"Retry-After": str(RETRY_AFTER_SECONDS)}
        )
    logger.exception("unhandled error", exc_info=exc)
    return error_response(500, "internal_error", "Something went wrong on the server; nothing was changed.")


exception_handlers: dict[Any, Any] = {
    DomainError: _domain,
    ApiError: _api,
    HTTPException: _http,
    PoolTimeout: _busy,
    # Handled here rather than by the catch-all, which re-raises into the server's log.
    DBAPIError: _unexpected,
    OSError: _unexpected,
    Exception: _unexpected,
}
