"""The root of every error shiftline raises on purpose, and the domain's errors.

Every error carries a stable snake_case ``code`` and a message meant for a
person. The server maps the classes to HTTP statuses and close codes in one
table (``server/errors.py``, which draws the whole tree); nothing here knows
about HTTP.

    ShiftlineError
    └── DomainError
        ├── InvalidInput          bad shape or value (422)
        ├── NotFound              missing, or belongs to another organization (404)
        ├── PermissionDenied      visible but not yours to touch (403)
        ├── Conflict              state forbids it, e.g. opted out (409)
        └── Locked                campaign closed or window passed (423)
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "Conflict",
    "DomainError",
    "InvalidInput",
    "Locked",
    "NotFound",
    "PermissionDenied",
    "ShiftlineError",
]


class ShiftlineError(Exception):
    """Root of every error shiftline raises on purpose; ``code`` names it for clients."""

    code = "error"
    message: str


class DomainError(ShiftlineError):
    """An error a domain command raises: the request cannot be done as asked."""

    def __init__(self, message: str, *, code: str | None = None, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"


class InvalidInput(DomainError):
    code = "invalid_input"


class NotFound(DomainError):
    code = "not_found"


class PermissionDenied(DomainError):
    code = "forbidden"


class Conflict(DomainError):
    code = "conflict"


class Locked(DomainError):
    code = "locked"
