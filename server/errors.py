"""One error tree, and the one table that maps it to HTTP statuses and close codes.

Every error shiftline raises on purpose descends from one root::

    ShiftlineError                     persistence/rules/errors.py
    ├── DomainError                    the request cannot be done as asked
    │   ├── InvalidInput        422    bad shape or value (parsing raises it too)
    │   ├── NotFound            404    missing, or another organization's
    │   ├── PermissionDenied    403    visible, not yours to touch
    │   ├── Conflict            409    the state forbids it (opted out, closed)
    │   └── Locked              423    paused or closed campaign, window passed
    ├── ApiError               (own)   an HTTP-level refusal: body too large, throttled
    ├── InvalidToken            401    server/tokens.py; on a WebSocket: close 4001
    ├── ProtocolError       (frame)    server/live/protocol.py: a bad client frame,
    │                                  answered with an ``error`` frame, never a close
    └── ProviderError           502    server/providers.py: the SMS provider refused

Lower layers' errors are translated here, at the boundary, and never reach a
client as they are: a pool timeout is 503 ``busy``; anything unexpected is
500 ``internal_error`` and logged. The broker's and presence's own errors
(``channels``, ``presence``: stand-alone packages) are handled inside the live
layer, which degrades instead of failing a request.

Every error leaves as ``{"error": {"code", "message"}}``.
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

from persistence.rules.errors import (
    Conflict,
    DomainError,
    InvalidInput,
    Locked,
    NotFound,
    PermissionDenied,
    ShiftlineError,
)

from .live.protocol import CLOSE_UNAUTHORIZED
from .outage import RETRY_AFTER_SECONDS, UNAVAILABLE_MESSAGE, database_unreachable
from .providers import ProviderError
from .tokens import InvalidToken

__all__ = ["CLOSE_CODES", "HTTP_STATUS", "ApiError", "close_code_of", "error_response", "exception_handlers"]

logger = logging.getLogger("shiftline.http")

# The one table: an error class (or its nearest listed ancestor) -> HTTP status.
HTTP_STATUS: dict[type[ShiftlineError], int] = {
    InvalidInput: 422,
    NotFound: 404,
    PermissionDenied: 403,
    Conflict: 409,
    Locked: 423,
    DomainError: 400,
    InvalidToken: 401,
    ProviderError: 502,
}

# Errors that end a WebSocket, and the close code they end it with.
CLOSE_CODES: dict[type[ShiftlineError], int] = {
    InvalidToken: CLOSE_UNAUTHORIZED,
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


class ApiError(ShiftlineError):
    """An HTTP-level refusal (body too large, missing token, throttled) raised by handlers."""

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


def _nearest(table: Mapping[type[ShiftlineError], int], exc: ShiftlineError) -> int | None:
    for cls in type(exc).__mro__:
        if cls in table:
            return table[cls]
    return None


def close_code_of(exc: ShiftlineError) -> int | None:
    """The close code ``exc`` ends a WebSocket with, or None when it does not end one."""
    if isinstance(exc, ApiError) and exc.status == 401:
        return CLOSE_UNAUTHORIZED
    return _nearest(CLOSE_CODES, exc)


async def _listed(_request: Request, exc: Exception) -> Response:
    if not isinstance(exc, ShiftlineError):  # pragma: no cover - registered for the tree only
        raise exc
    return error_response(_nearest(HTTP_STATUS, exc) or 400, exc.code, exc.message)


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
    ApiError: _api,
    ShiftlineError: _listed,
    HTTPException: _http,
    PoolTimeout: _busy,
    # Handled here rather than by the catch-all, which re-raises into the server's log.
    DBAPIError: _unexpected,
    OSError: _unexpected,
    Exception: _unexpected,
}
