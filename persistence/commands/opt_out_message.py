"""The organization's opt-out message: the one text shiftline sends by itself.

After a keyword turns a phone from opted in to opted out, the organization's
``opt_out_message`` (if it has one) is written as an outbound message of the
conversation the keyword arrived in, in the same transaction as the opt-out:
``sender_id`` null, ``automatic`` true, ``queued`` for the normal delivery
path. A STOP from a phone already opted out (a repeat, or after a manual
opt-out) changes nothing and sends nothing, so the message goes once per
opt-out; a manual opt-out never sends it.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.commands.messaging import Outbound, emit_message
from persistence.rules.segments import plain_punctuation
from persistence.store.models import Conversation, Message, OptOut, Organization
from persistence.store.types import utcnow

__all__ = ["is_opted_out", "queue_opt_out_message"]


async def is_opted_out(session: AsyncSession, organization_id: int, phone: str) -> bool:
    """Whether the organization holds an opt-out of ``phone`` (read after the phone's lock)."""
    found = await session.scalar(
        select(OptOut.phone).where(OptOut.organization_id == organization_id, OptOut.phone == phone)
    )
    return found is not None


async def queue_opt_out_message(
    session: AsyncSession, conversation: Conversation, organization_id: int, phone: str
) -> Outbound | None:
    """Write the opt-out message in ``conversation`` as a queued automatic text; None when there is none.

    Call only for a keyword that has just opted ``phone`` out; the caller hands
    the returned text to the provider after commit.
    """
    org = await session.get_one(Organization, organization_id)
    if org.opt_out_message is None:
        return None
    body = plain_punctuation(org.opt_out_message) if org.plain_punctuation else org.opt_out_message
    message = Message(
        organization_id=organization_id,
        conversation_id=conversation.id,
        direction="outbound",
        body=body,
        media_urls=[],
        sender_id=None,
        automatic=True,
        delivery_status="queued",
        created_at=utcnow(),
    )
    session.add(message)
    await session.flush()
    emit_message(session, conversation, message)
    return Outbound(message, conversation, phone, org.sending_number, "opt_out_message")
