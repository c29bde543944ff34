"""Tell a database that is away from a bug: the errors that mean "retry shortly".

When PostgreSQL stops, restarts or cannot be reached, the failure surfaces
in several shapes: the socket error of a refused or timed-out connect, the
driver's "connection closed in the middle of an operation", PostgreSQL's
own refusals while it shuts down or starts up (SQLSTATE class 08, 57P) or
has no connection slot left (53300), and SQLAlchemy's wrappers around each.
All of them mean the same to a client: nothing was done, try again soon.
"""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError

__all__ = ["RETRY_AFTER_SECONDS", "UNAVAILABLE_MESSAGE", "database_unreachable"]

RETRY_AFTER_SECONDS = 2
UNAVAILABLE_MESSAGE = "The database cannot be reached right now; try again in a moment."

# SQLSTATE: 08 connection exception, 57P01-57P05 shutting down / starting up, 53300 too many connections.
_UNREACHABLE_STATES = ("08", "57P", "53300")


def _chain(exc: BaseException) -> list[BaseException]:
    """``exc``, the driver error SQLAlchemy wraps and their causes, without loops."""
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop()
        if current is None or any(current is other for other in seen):
            continue
        seen.append(current)
        orig = current.orig if isinstance(current, DBAPIError) else None
        todo.extend((orig, current.__cause__, current.__context__))
    return seen


def database_unreachable(exc: BaseException) -> bool:
    """Whether ``exc`` says the database is away (not that a statement was wrong)."""
    for error in _chain(exc):
        if isinstance(error, DBAPIError) and error.connection_invalidated:
            return True
        if isinstance(error, OSError):  # refused, reset, timed out, name not resolved
            return True
        state = getattr(error, "sqlstate", None)
        if isinstance(state, str) and state.startswith(_UNREACHABLE_STATES):
            return True
    return False
