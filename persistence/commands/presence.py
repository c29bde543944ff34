"""Recording a sender's presence change: the ``presence`` event and their offline-since time.

Every presence change goes through :func:`report`, in the transaction that
holds the campaign channel's lock, so the event and
``campaign_senders.offline_since`` (what the automatic rebalance reads) agree.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.outbox.record import emit
from persistence.rules.channels import campaign_channel
from persistence.store.models import CampaignSender
from persistence.store.types import utcnow

__all__ = ["report"]


async def report(session: AsyncSession, campaign_id: int, user_id: int, *, online: bool) -> None:
    """Queue the ``presence`` event and keep the sender's offline-since time (sweepers have none)."""
    emit(session, campaign_channel(campaign_id), "presence", {"user_id": user_id, "online": online})
    await session.execute(
        update(CampaignSender)
        .where(CampaignSender.campaign_id == campaign_id, CampaignSender.user_id == user_id)
        .values(offline_since=None if online else utcnow())
    )
