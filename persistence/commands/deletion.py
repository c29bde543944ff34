"""Deleting a conversation: it and all its messages, irreversibly.

Owners and admins only, and only while the organization allows it
(``allow_delete``). The phone's opt-out stays (it is the organization's, not
the conversation's). A campaign conversation's counters lose its
contribution in the same transaction, so the overview follows at once; a
``conversation_deleted`` event tells every list to drop it; the audit log
keeps who deleted what.
"""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.commands import audit
from persistence.commands.messaging import apply_conversation_deltas, contribution_of
from persistence.outbox.notify import conversation_channels
from persistence.outbox.record import emit
from persistence.rules.channels import slot_row
from persistence.rules.errors import PermissionDenied
from persistence.store.models import Message, Organization, ScheduledMessage, SurveyAnswer
from persistence.store.scope import Actor, conversation_for, require_admin

__all__ = ["delete_conversation"]


async def delete_conversation(session: AsyncSession, actor: Actor, conversation_id: int) -> int:
    """Delete the conversation and its messages; returns how many messages went.

    Raises:
        PermissionDenied: not an owner or admin (403 ``forbidden``), or the
            organization turned deleting off (403 ``delete_disabled``).
        NotFound: no such conversation in the organization.
    """
    require_admin(actor)
    allowed = await session.scalar(
        select(Organization.allow_delete).where(Organization.id == actor.organization_id)
    )
    if not allowed:
        raise PermissionDenied(
            "Deleting conversations is turned off for this organization.", code="delete_disabled"
        )
    conversation, _campaign = await conversation_for(session, actor, conversation_id, for_update=True)
    channels = conversation_channels(conversation)
    count = await session.scalar(select(func.count()).where(Message.conversation_id == conversation.id))
    await apply_conversation_deltas(
        session, conversation, {slot_row(conversation.assigned_to): -contribution_of(conversation)}
    )
    await session.execute(delete(SurveyAnswer).where(SurveyAnswer.conversation_id == conversation.id))
    # Its scheduled texts go with it (the sent ones point at its messages).
    await session.execute(delete(ScheduledMessage).where(ScheduledMessage.conversation_id == conversation.id))
    await session.execute(delete(Message).where(Message.conversation_id == conversation.id))
    await session.delete(conversation)
    await session.flush()
    data = {"id": conversation.id, "sender_id": conversation.assigned_to}
    for channel in channels:
        emit(session, channel, "conversation_deleted", data)
    audit.record(
        session,
        conversation.campaign_id,
        actor.user_id,
        "conversation_deleted",
        {
            "conversation_id": conversation.id,
            "organization_id": actor.organization_id,
            "contact_id": conversation.contact_id,
            "assigned_to": conversation.assigned_to,
            "messages": int(count or 0),
        },
    )
    return int(count or 0)
