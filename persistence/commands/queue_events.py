"""The ``send_queue`` event: an organization's queue depth, at most once a second.

Every instance may run :func:`publish_depths`; the ``send_pace`` row of the
organization, locked while it is compared and moved, makes sure that
together they publish a depth once, and not more often than ``every``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.commands.send_queue import queue_depth, queue_depths
from persistence.outbox.record import emit
from persistence.rules.channels import campaign_channel
from persistence.rules.pace import eta_seconds
from persistence.store.models import Campaign, Organization, SendPace

__all__ = ["organization_queue", "publish_depths", "queue_state"]


def queue_state(depth: int, rate: int) -> dict[str, Any]:
    """The keys of ``GET /api/organization/send-queue`` and of the ``send_queue`` event."""
    return {"depth": depth, "rate_per_second": rate, "eta_seconds": eta_seconds(depth, rate)}


async def organization_queue(session: AsyncSession, organization_id: int) -> dict[str, Any]:
    rate = await session.scalar(
        select(Organization.send_rate_per_second).where(Organization.id == organization_id)
    )
    return queue_state(await queue_depth(session, organization_id), int(rate or 0))


async def publish_depths(session: AsyncSession, *, now: float, every: float = 1.0) -> int:
    """Emit ``send_queue`` for each organization whose depth changed since its last one; how many."""
    depths = await queue_depths(session)
    stale = await session.scalars(select(SendPace.organization_id).where(SendPace.published_depth > 0))
    published = 0
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    for organization_id in sorted(set(depths) | set(stale)):
        depth = depths.get(organization_id, 0)
        await session.execute(
            insert(SendPace)
            .values(organization_id=organization_id)
            .on_conflict_do_nothing(index_elements=[SendPace.organization_id])
        )
        row = await session.scalar(
            select(SendPace)
            .where(SendPace.organization_id == organization_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if row is None or row.published_depth == depth or now - row.published_at < every:
            continue
        # The count again, under the lock: another instance may have published meanwhile.
        depth = await queue_depth(session, organization_id)
        if depth == row.published_depth:
            continue
        row.published_depth, row.published_at = depth, now
        rate = await session.scalar(
            select(Organization.send_rate_per_second).where(Organization.id == organization_id)
        )
        data = queue_state(depth, int(rate or 0))
        campaigns = await session.scalars(
            select(Campaign.id).where(
                Campaign.organization_id == organization_id, Campaign.status == "active"
            )
        )
        for campaign_id in campaigns:
            emit(session, campaign_channel(campaign_id), "send_queue", data)
        published += 1
    return published
