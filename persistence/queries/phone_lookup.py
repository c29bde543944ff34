"""Phone Number Lookup: every conversation of one phone number in the organization's campaigns.

The number is reached through a conversation (``conversation_id``), never typed
in: a redacted number stays masked, and the lookup works all the same.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from persistence.outbox.notify import iso
from persistence.rules.errors import PermissionDenied
from persistence.rules.phones import mask_phone
from persistence.store.models import Campaign, Contact, Conversation, OptOut, Organization, User
from persistence.store.scope import Actor, conversation_for

from .conversations import conversation_status

__all__ = ["MAX_LOOKUP_ROWS", "phone_lookup"]

# One person texted by every campaign of a busy year still fits; the page says when it is cut.
MAX_LOOKUP_ROWS = 500


async def phone_lookup(session: AsyncSession, actor: Actor, conversation_id: int) -> dict[str, Any]:
    """The phone of ``conversation_id``'s contact and its conversations, newest first (sweepers only)."""
    if not actor.is_sweeper:
        raise PermissionDenied("Only owners, admins and moderators may look a phone number up.")
    conversation, _campaign = await conversation_for(session, actor, conversation_id)
    phone = (await session.get_one(Contact, conversation.contact_id)).phone
    redact = bool(
        await session.scalar(
            select(Organization.redact_phones).where(Organization.id == actor.organization_id)
        )
    )
    sender = aliased(User)
    rows = (
        await session.execute(
            select(Conversation, Campaign.title, Campaign.status, Contact, sender)
            .join(Campaign, Campaign.id == Conversation.campaign_id)
            .join(Contact, Contact.id == Conversation.contact_id)
            .outerjoin(sender, sender.id == Conversation.assigned_to)
            .where(Campaign.organization_id == actor.organization_id, Contact.phone == phone)
            .order_by(Conversation.last_message_at.desc().nulls_last(), Conversation.id.desc())
            .limit(MAX_LOOKUP_ROWS + 1)
        )
    ).all()
    opted_out = await session.scalar(
        select(exists().where(OptOut.organization_id == actor.organization_id, OptOut.phone == phone))
    )
    return {
        "phone": mask_phone(phone) if redact else phone,
        "opted_out": bool(opted_out),
        "truncated": len(rows) > MAX_LOOKUP_ROWS,
        "conversations": [
            {
                "id": conv.id,
                "campaign": {"id": conv.campaign_id, "title": title, "status": status},
                "contact": {"first_name": contact.first_name, "last_name": contact.last_name},
                "sender": (
                    {"id": user.id, "first_name": user.first_name, "last_name": user.last_name}
                    if user is not None
                    else None
                ),
                "status": conversation_status(conv),
                "last_message_at": iso(conv.last_message_at),
            }
            for conv, title, status, contact, user in rows[:MAX_LOOKUP_ROWS]
        ],
    }
