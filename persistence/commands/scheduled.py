"""Scheduled texts: one text (or one drip step) an inbox conversation's user sends later.

Automatic sending is for inbox conversations with contacts who did not opt
out: a campaign conversation is ``409 campaign_conversation`` (campaign texts
stay one human action each), an opted-out contact ``409 opted_out``. Both are
checked again when the text is due (``persistence/commands/scheduler.py``).
Every change of a scheduled text is a ``scheduled`` event on the
conversation's channels, so an open thread shows it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.commands.messaging import check_body
from persistence.commands.opt_out_message import is_opted_out
from persistence.outbox.notify import conversation_channels, iso
from persistence.outbox.record import emit
from persistence.rules.errors import Conflict, NotFound
from persistence.rules.schedule import check_send_at
from persistence.store.models import Contact, Conversation, ScheduledMessage
from persistence.store.scope import Actor, conversation_for
from persistence.store.types import utcnow

__all__ = [
    "automatic_target",
    "cancel_scheduled",
    "drop_drip_steps",
    "emit_scheduled",
    "list_scheduled",
    "schedule_message",
    "scheduled_data",
]


def scheduled_data(row: ScheduledMessage, *, state: str | None = None) -> dict[str, Any]:
    """A scheduled text as the API and the ``scheduled`` event show it."""
    return {
        "id": row.id,
        "conversation_id": row.conversation_id,
        "author_id": row.author_id,
        "body": row.body,
        "send_at": iso(row.send_at),
        "drip_id": row.drip_id,
        "drip_step": row.drip_step,
        "state": state or row.state,
        "message_id": row.message_id,
        "skip_reason": row.skip_reason,
        "created_at": iso(row.created_at),
    }


def emit_scheduled(
    session: AsyncSession, conversation: Conversation, row: ScheduledMessage, *, state: str | None = None
) -> None:
    """The ``scheduled`` event (``state`` ``cancelled`` or ``deleted`` for a row that is gone)."""
    data = {"conversation_id": conversation.id, "scheduled": scheduled_data(row, state=state)}
    for channel in conversation_channels(conversation):
        emit(session, channel, "scheduled", data)


async def automatic_target(
    session: AsyncSession, actor: Actor, conversation_id: int
) -> tuple[Conversation, Contact]:
    """The conversation, locked, if texts may be sent to it automatically; else the refusal.

    Raises:
        NotFound, PermissionDenied: as for any action on the conversation.
        Conflict: a campaign conversation (``campaign_conversation``); an
            opted-out contact (``opted_out``).
    """
    conversation, campaign = await conversation_for(session, actor, conversation_id, for_update=True)
    if campaign is not None:
        raise Conflict(
            "Scheduled texts and drips are for inbox conversations; campaign texts are sent one at a time.",
            code="campaign_conversation",
        )
    contact = await session.get_one(Contact, conversation.contact_id)
    if conversation.opted_out or await is_opted_out(session, actor.organization_id, contact.phone):
        raise Conflict("This contact has opted out; nothing was scheduled.", code="opted_out")
    return conversation, contact


async def schedule_message(
    session: AsyncSession, actor: Actor, conversation_id: int, *, body: str, send_at: datetime
) -> ScheduledMessage:
    """Schedule one text on an inbox conversation (see the module doc for the refusals)."""
    text = check_body(body)
    check_send_at(send_at, utcnow())
    conversation, _contact = await automatic_target(session, actor, conversation_id)
    row = ScheduledMessage(
        organization_id=actor.organization_id,
        conversation_id=conversation.id,
        author_id=actor.user_id,
        body=text,
        send_at=send_at,
        state="pending",
        created_at=utcnow(),
    )
    session.add(row)
    await session.flush()
    emit_scheduled(session, conversation, row)
    return row


async def list_scheduled(session: AsyncSession, actor: Actor, conversation_id: int) -> list[ScheduledMessage]:
    """The conversation's texts still to be sent, soonest first."""
    conversation, _campaign = await conversation_for(session, actor, conversation_id)
    rows = await session.scalars(
        select(ScheduledMessage)
        .where(ScheduledMessage.conversation_id == conversation.id, ScheduledMessage.state == "pending")
        .order_by(ScheduledMessage.send_at, ScheduledMessage.id)
    )
    return list(rows)


async def cancel_scheduled(session: AsyncSession, actor: Actor, scheduled_id: int) -> ScheduledMessage:
    """Delete a pending scheduled text; one already sent or skipped is ``409 not_pending``."""
    row = await session.scalar(
        select(ScheduledMessage)
        .where(ScheduledMessage.id == scheduled_id, ScheduledMessage.organization_id == actor.organization_id)
        .with_for_update()
    )
    if row is None:
        raise NotFound(f"No scheduled text {scheduled_id}.")
    # The same access as to the conversation itself (a sender's own inbox only).
    conversation, _campaign = await conversation_for(session, actor, row.conversation_id, for_update=True)
    # Read again under the conversation's lock: the scheduler may have sent it meanwhile.
    await session.refresh(row)
    if row.state != "pending":
        raise Conflict(f"This text was already {row.state}.", code="not_pending")
    await session.delete(row)
    await session.flush()
    emit_scheduled(session, conversation, row, state="cancelled")
    return row


async def drop_drip_steps(session: AsyncSession, conversations: list[Conversation]) -> int:
    """The contact wrote: delete the drip steps not yet sent in their conversations (locked by the caller)."""
    if not conversations:
        return 0
    by_id = {c.id: c for c in conversations}
    rows = list(
        await session.scalars(
            select(ScheduledMessage)
            .where(
                ScheduledMessage.conversation_id.in_(by_id),
                ScheduledMessage.state == "pending",
                ScheduledMessage.drip_step.is_not(None),
            )
            # A step the scheduler holds is being sent this moment (it was due before
            # the reply came): skip it rather than wait, as waiting in the other lock
            # order than the scheduler's could deadlock.
            .with_for_update(skip_locked=True)
        )
    )
    if rows:
        await session.execute(delete(ScheduledMessage).where(ScheduledMessage.id.in_([r.id for r in rows])))
        for row in rows:
            emit_scheduled(session, by_id[row.conversation_id], row, state="deleted")
    return len(rows)
