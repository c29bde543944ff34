"""The live events every change to conversations emits, built in one place.

Commands call these after changing rows and counters; the events are written
with the transaction (see ``events``). Counter-derived events are computed at
flush time, so they always carry committed-order truth.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from .counters import UNASSIGNED
from .events import campaign_channel, emit, flush_memo, sender_channel
from .models import Conversation, ConversationCount
from .status import derive_status

__all__ = [
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
    }


def emit_conversation(session: AsyncSession, conversation: Conversation) -> None:
    """Tell the campaign's sweepers and the assigned sender that a conversation changed."""
    data = conversation_data(conversation)
    emit(session, campaign_channel(conversation.campaign_id), "conversation", data)
    if conversation.assigned_to is not None:
        emit(
            session, sender_channel(conversation.campaign_id, conversation.assigned_to), "conversation", data
        )


def emit_counts(session: AsyncSession, campaign_id: int, slots: Iterable[int]) -> None:
    """Queue ``stats`` for the campaign and ``sender_stats`` for each touched slot.

    Each sender's own ``sender_stats`` also goes to their sender channel.
    """

    async def stats(s: AsyncSession) -> dict[str, Any]:
        c = ConversationCount
        row = (
            await s.execute(
                select(
                    func.coalesce(func.sum(c.assigned), 0),
                    func.coalesce(func.sum(c.not_started), 0),
                    func.coalesce(func.sum(c.needs_reply), 0),
                ).where(c.campaign_id == campaign_id)
            )
        ).one()
        return {"total": int(row[0]), "not_started": int(row[1]), "needs_reply": int(row[2])}

    emit(session, campaign_channel(campaign_id), "stats", stats, key=f"stats:{campaign_id}")
    for slot in sorted(set(slots)):
        _emit_sender_stats(session, campaign_id, slot)


async def _slot_counts(s: AsyncSession, campaign_id: int) -> dict[int, tuple[int, int, int]]:
    """All of a campaign's (assigned, sent, needs_reply) by slot, read once per flush."""
    memo = flush_memo(s)
    key = ("slot_counts", campaign_id)
    if key not in memo:
        c = ConversationCount
        rows = await s.execute(
            select(c.slot, c.assigned, c.sent, c.needs_reply).where(c.campaign_id == campaign_id)
        )
        memo[key] = {int(slot): (int(a), int(sent), int(n)) for slot, a, sent, n in rows}
    counts: dict[int, tuple[int, int, int]] = memo[key]
    return counts


def _emit_sender_stats(session: AsyncSession, campaign_id: int, slot: int) -> None:
    async def sender_stats(s: AsyncSession) -> dict[str, Any]:
        assigned, sent, needs_reply = (await _slot_counts(s, campaign_id)).get(slot, (0, 0, 0))
        user_id = None if slot == UNASSIGNED else slot
        return {"user_id": user_id, "assigned": assigned, "sent": sent, "needs_reply": needs_reply}

    key = f"sender_stats:{campaign_id}:{slot}"
    emit(session, campaign_channel(campaign_id), "sender_stats", sender_stats, key=key)
    if slot != UNASSIGNED:
        emit(session, sender_channel(campaign_id, slot), "sender_stats", sender_stats, key=key + ":own")


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
