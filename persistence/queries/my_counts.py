"""The caller's own counters in one campaign: what the sender's Messenger shows.

A sender may not read the sweepers' overview, yet their page needs their own
numbers (assigned, sent, needs reply) before the first ``sender_stats`` event
of their channel arrives. This is that one row, read from the stored counters
(``conversation_counts``), never by counting conversations.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.store.models import ConversationCount
from persistence.store.scope import Actor, campaign_for

__all__ = ["MyCounts", "my_counts"]


@dataclass(frozen=True, slots=True)
class MyCounts:
    """The same numbers, under the same names, as a ``sender_stats`` event."""

    user_id: int
    assigned: int
    sent: int
    needs_reply: int

    def to_json(self) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "assigned": self.assigned,
            "sent": self.sent,
            "needs_reply": self.needs_reply,
        }


async def my_counts(session: AsyncSession, actor: Actor, campaign_id: int) -> MyCounts:
    """The actor's own counters in the campaign; zeros when nothing is assigned to them.

    Raises:
        NotFound: the campaign is not of the actor's organization.
        PermissionDenied: a sender who was not added to the campaign.
    """
    await campaign_for(session, actor, campaign_id)
    c = ConversationCount
    row = (
        await session.execute(
            select(c.assigned, c.sent, c.needs_reply).where(
                c.campaign_id == campaign_id, c.slot == actor.user_id
            )
        )
    ).one_or_none()
    assigned, sent, needs_reply = (int(v) for v in row) if row is not None else (0, 0, 0)
    return MyCounts(actor.user_id, assigned, sent, needs_reply)
