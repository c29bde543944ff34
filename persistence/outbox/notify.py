"""The live events every change to conversations emits, built in one place.

Commands call these after changing rows and counters; the events are written
with the transaction (see ``events``). Counter-derived events (``stats``,
``sender_stats``) follow right after the commit (see ``countsfeed``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from persistence.outbox.pending import pending
from persistence.outbox.record import emit
from persistence.rules.channels import campaign_channel, inbox_channel, sender_channel
from persistence.rules.status import derive_status
from persistence.store.models import Conversation

__all__ = [
    "conversation_channels",
    "conversation_data",
    "emit_conversation",
    "emit_counts",
    "emit_reassigned",
    "iso",
]


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def conversation_data(conversation: Conversation) -> dict[str, Any]:
    """The ``conversation`` event body of the contract."""
    status = derive_status(
        initial_sent=conversation.initial_sent_at is not None,
        has_replied=conversation.has_replied,
        needs_reply=conversation.needs_reply,
        opted_out=conversation.opted_out,
    )
    return {
        "id": conversation.id,
        "sender_id": conversation.assigned_to,
        "status": status,
        "needs_reply": status == "needs_reply",
        "last_message_at": iso(conversation.last_message_at),
        "archived": conversation.archived,
    }


def conversation_channels(conversation: Conversation) -> list[str]:
    """Where a conversation's events go.

    A campaign conversation's: the campaign's sweepers and the assigned
    sender's channel. An inbox conversation's: its owner's ``inbox:{uid}``
    (sweepers subscribe to that channel to watch it).
    """
    if conversation.campaign_id is None:
        return [] if conversation.assigned_to is None else [inbox_channel(conversation.assigned_to)]
    channels = [campaign_channel(conversation.campaign_id)]
    if conversation.assigned_to is not None:
        channels.append(sender_channel(conversation.campaign_id, conversation.assigned_to))
    return channels


def emit_conversation(session: AsyncSession, conversation: Conversation) -> None:
    """Tell everyone watching a conversation that it changed."""
    data = conversation_data(conversation)
    for channel in conversation_channels(conversation):
        emit(session, channel, "conversation", data)


def emit_counts(session: AsyncSession, campaign_id: int | None, slots: Iterable[int]) -> None:
    """Note that the counters of ``slots`` in the campaign changed (None: an inbox, no counters).

    The ``stats`` and ``sender_stats`` events follow after the commit, from
    ``countsfeed`` (which says why they are not written here).
    """
    if campaign_id is not None:
        pending(session).mark_counts(campaign_id, set(slots))


def emit_reassigned(
    session: AsyncSession,
    campaign_id: int,
    conversation_ids: Sequence[int],
    from_slot: int | None,
    to_slot: int | None,
) -> None:
    """One ``reassigned`` event per (from, to) pair: to sweepers, the loser and the gainer."""
    data = {"conversation_ids": list(conversation_ids), "from": from_slot, "to": to_slot}
    emit(session, campaign_channel(campaign_id), "reassigned", data)
    for user_id in {from_slot, to_slot} - {None}:
        if user_id is not None:
            emit(session, sender_channel(campaign_id, user_id), "reassigned", data)
