"""The scheduler's commands: turn a due scheduled text into a queued message, once.

:func:`claim_due` locks the oldest due ``pending`` row with ``FOR UPDATE SKIP
LOCKED`` (PostgreSQL; SQLite has one writer at a time), so instances never
wait for each other or take the same row. :func:`send_scheduled` then writes
the message through the same command as a person's send
(``persistence/commands/messaging.py``) and marks the row ``sent`` in that
same transaction: the row changes state exactly when the message exists, so
a process killed at any moment leaves either both or neither, and the next
instance to look finds the row still pending. No lease is needed, because
nothing slow happens between the claim and the commit; the send queue then
hands the message to the provider as it does every text.

A text that may not be sent any more (the contact opted out meanwhile, the
organization turned drips off, the author was deactivated or lost access) is
marked ``skipped`` with the reason by :func:`skip_scheduled`, after the
refused transaction rolled back.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.commands.drips import drips_allowed
from persistence.commands.messaging import Outbound, send_message
from persistence.commands.scheduled import automatic_target, emit_scheduled
from persistence.rules.errors import PermissionDenied
from persistence.store.models import Conversation, ScheduledMessage, User
from persistence.store.scope import Actor

__all__ = ["any_due", "claim_due", "send_scheduled", "skip_scheduled"]


async def any_due(session: AsyncSession, now: datetime) -> bool:
    """Whether some text is due: a plain read, so an idle round takes no write lock."""
    found = await session.scalar(
        select(ScheduledMessage.id)
        .where(ScheduledMessage.state == "pending", ScheduledMessage.send_at <= now)
        .limit(1)
    )
    return found is not None


async def claim_due(
    session: AsyncSession, now: datetime, *, passing: Collection[int] = ()
) -> ScheduledMessage | None:
    """The oldest pending text due by ``now``, locked for this transaction; None when none is.

    ``passing``: rows this round already failed on, left for the next round so that
    one row that cannot be handled does not hold up the others.
    """
    stmt = select(ScheduledMessage).where(
        ScheduledMessage.state == "pending", ScheduledMessage.send_at <= now
    )
    if passing:
        stmt = stmt.where(ScheduledMessage.id.not_in(passing))
    return await session.scalar(
        stmt.order_by(ScheduledMessage.send_at, ScheduledMessage.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )


async def send_scheduled(session: AsyncSession, row: ScheduledMessage) -> Outbound:
    """Queue the claimed text as its author's message and mark it ``sent``.

    Raises the refusal (a DomainError, with its code) when it may not be sent;
    nothing is written then, and the caller rolls back and skips the row.
    """
    author = await session.get_one(User, row.author_id)
    if not author.active:
        raise PermissionDenied("The author of this text was deactivated.", code="author_inactive")
    if row.drip_step is not None and not await drips_allowed(session, row.organization_id):
        raise PermissionDenied("Drips are turned off for this organization.", code="drips_disabled")
    actor = Actor(author.id, row.organization_id, author.role)
    # Checked again now: the contact may have opted out since the text was scheduled.
    conversation, _contact = await automatic_target(session, actor, row.conversation_id)
    out = await send_message(session, actor, conversation.id, body=row.body)
    row.state = "sent"
    row.message_id = out.message.id
    await session.flush()
    emit_scheduled(session, conversation, row)
    return out


async def skip_scheduled(session: AsyncSession, row_id: int, reason: str) -> None:
    """Mark a refused text ``skipped`` with ``reason`` (if it is still pending)."""
    row = await session.scalar(
        select(ScheduledMessage).where(ScheduledMessage.id == row_id).with_for_update()
    )
    if row is None or row.state != "pending":
        return
    row.state = "skipped"
    row.skip_reason = reason[:40]
    await session.flush()
    conversation = await session.get(Conversation, row.conversation_id)
    if conversation is not None:
        emit_scheduled(session, conversation, row)
