"""The inbox list: a user's inbox conversations, newest first.

A conversation started but not yet texted has no ``last_message_at``; it is
the newest of all (it was just started), so it comes first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.outbox.notify import iso
from persistence.queries.conversations import conversation_status
from persistence.rules.errors import InvalidInput, PermissionDenied
from persistence.rules.inbox_cursor import InboxCursor, encode_inbox_cursor
from persistence.rules.phones import mask_phone
from persistence.rules.text import storable
from persistence.store.models import Contact, Conversation, Organization
from persistence.store.scope import Actor, user_for

__all__ = ["MAX_LIMIT", "InboxPage", "inbox_row", "list_inbox"]

MAX_LIMIT = 200


@dataclass(frozen=True, slots=True)
class InboxPage:
    rows: list[dict[str, Any]]
    next_cursor: str | None


def _after(cursor: InboxCursor) -> ColumnElement[bool]:
    """Rows after the cursor's in the list's order (never-texted first, then newest, then id)."""
    c = Conversation
    if cursor.last_message_at is None:
        return or_(and_(c.last_message_at.is_(None), c.id < cursor.id), c.last_message_at.is_not(None))
    return and_(
        c.last_message_at.is_not(None),
        or_(
            c.last_message_at < cursor.last_message_at,
            and_(c.last_message_at == cursor.last_message_at, c.id < cursor.id),
        ),
    )


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def inbox_row(conversation: Conversation, contact: Contact, *, redact: bool) -> dict[str, Any]:
    status = conversation_status(conversation)
    return {
        "id": conversation.id,
        "user_id": conversation.assigned_to,
        "contact": {
            "id": contact.id,
            "first_name": contact.first_name,
            "last_name": contact.last_name,
            "phone": mask_phone(contact.phone) if redact else contact.phone,
        },
        "status": status,
        "needs_reply": status == "needs_reply",
        "opted_out": conversation.opted_out,
        "last_message_at": iso(conversation.last_message_at),
        "archived": conversation.archived,
    }


async def list_inbox(
    session: AsyncSession,
    actor: Actor,
    *,
    user: int | None = None,
    archived: bool = False,
    search: str | None = None,
    limit: int = 50,
    cursor: InboxCursor | None = None,
) -> InboxPage:
    """The inbox conversations of ``user`` (default: the caller; another's: sweepers only).

    ``search`` (contact name, or three or more digits of the phone) finds
    archived and open conversations alike, each with its ``archived`` flag;
    without it, ``archived`` picks which of the two the list shows.
    ``cursor`` (the previous page's ``next_cursor``) gives the page after it;
    ``next_cursor`` is ``None`` on the last page.
    """
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"'limit' must be between 1 and {MAX_LIMIT}.")
    owner = actor.user_id if user is None else user
    if owner != actor.user_id:
        if not actor.is_sweeper:
            raise PermissionDenied("Only owners, admins and moderators see another user's inbox.")
        await user_for(session, actor, owner)
    c = Conversation
    where: list[ColumnElement[bool]] = [c.campaign_id.is_(None), c.assigned_to == owner]
    if search is not None and not storable(search):
        raise InvalidInput("'search' has characters that cannot be searched for.")
    if search and search.strip():
        needle = f"%{_escape_like(search.strip().lower())}%"
        matches = [func.lower(Contact.first_name + " " + Contact.last_name).like(needle, escape="\\")]
        digits = "".join(ch for ch in search if ch.isdigit())
        if len(digits) >= 3:
            matches.append(Contact.phone.like(f"%{digits}%"))
        where.append(or_(*matches))
    else:
        where.append(c.archived.is_(archived))
    if cursor is not None:
        where.append(_after(cursor))
    stmt = (
        select(c, Contact)
        .join(Contact, Contact.id == c.contact_id)
        .where(*where)
        .order_by(c.last_message_at.is_(None).desc(), c.last_message_at.desc(), c.id.desc())
        .limit(limit + 1)
    )
    rows = (await session.execute(stmt)).all()
    redact = bool(
        await session.scalar(
            select(Organization.redact_phones).where(Organization.id == actor.organization_id)
        )
    )
    page = [inbox_row(conversation, contact, redact=redact) for conversation, contact in rows[:limit]]
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1][0]
        next_cursor = encode_inbox_cursor(InboxCursor(last.last_message_at, last.id))
    return InboxPage(page, next_cursor)
