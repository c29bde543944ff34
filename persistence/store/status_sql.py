"""The status rules of ``rules.status`` as SQL, written once for every query.

Each predicate mirrors :func:`persistence.rules.status.derive_status`, whose
order decides: opted out wins, then a waiting contact (the green dot), then a
conversation whose initial message has not gone out. ``tests/persistence/
store/test_status_sql.py`` holds the two equal on every combination of the
columns.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, case, false
from sqlalchemy.sql.elements import ColumnElement

from persistence.rules.reassignment import PICK_BUCKETS
from persistence.rules.status import Status
from persistence.store.list_keys import green_dot
from persistence.store.models import Conversation

__all__ = ["is_status", "needs_reply", "not_started", "pick_order"]


def needs_reply(c: Any = Conversation) -> ColumnElement[bool]:
    """The green dot: the contact wrote last and is not opted out."""
    return green_dot(c)


def not_started(c: Any = Conversation) -> ColumnElement[bool]:
    """The initial message has not gone out (and nothing outranks that)."""
    return and_(c.initial_sent_at.is_(None), c.opted_out.is_(False), c.needs_reply.is_(False))


def is_status(status: Status, c: Any = Conversation) -> ColumnElement[bool]:
    """``derive_status(...) == status`` for the row ``c``."""
    started_quiet = and_(c.initial_sent_at.is_not(None), c.opted_out.is_(False), c.needs_reply.is_(False))
    match status:
        case "opted_out":
            return c.opted_out.is_(True)  # type: ignore[no-any-return]
        case "needs_reply":
            return needs_reply(c)
        case "not_started":
            return not_started(c)
        case "replied":
            return and_(started_quiet, c.has_replied.is_(True))
        case "sent":
            return and_(started_quiet, c.has_replied.is_(False))
    return false()  # pragma: no cover - every status is matched above


def pick_order(c: Any = Conversation) -> list[ColumnElement[Any]]:
    """ORDER BY terms for ``rules.reassignment.pick_key``, generated from ``PICK_BUCKETS``."""
    bucket = case(
        *[(is_status(status, c), rank) for rank, status in enumerate(PICK_BUCKETS)], else_=len(PICK_BUCKETS)
    )
    since = case((needs_reply(c), c.needs_reply_since), else_=None)
    return [bucket, since.asc().nulls_last(), c.id]
