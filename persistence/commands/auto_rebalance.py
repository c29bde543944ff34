"""The automatic rebalance: a campaign setting moves waiting replies away from absent senders.

A periodic task (``server/auto_rebalance.py``) asks :func:`due_campaigns`,
then for each one :func:`claim`\\ s the tick and runs :func:`auto_rebalance`.
The claim is a compare-and-set on ``campaigns.auto_rebalance_at``: with
several instances exactly one of them checks a campaign per tick (PostgreSQL
re-checks the ``WHERE`` after a concurrent update commits; SQLite serializes
writers). The move is a rebalance's (:func:`persistence.commands.shift.move_waiting`):
the same events and counters, recorded in the audit log with no actor.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.commands import audit
from persistence.commands.reassign import MoveResult, serialize_moves
from persistence.commands.shift import move_waiting, online_targets, waiting_by_sender
from persistence.rules.auto_rebalance import SenderState, due_senders
from persistence.store.models import Campaign, CampaignSender, PresenceState

__all__ = ["auto_rebalance", "claim", "due_campaigns"]


def _due(now: datetime, tick: timedelta) -> list[object]:
    c = Campaign
    return [
        c.status == "active",
        c.auto_rebalance_after_minutes.is_not(None),
        or_(c.auto_rebalance_at.is_(None), c.auto_rebalance_at <= now - tick),
    ]


async def due_campaigns(session: AsyncSession, *, now: datetime, tick: timedelta) -> list[int]:
    """Active campaigns with the setting on that no instance checked in the last ``tick``."""
    rows = await session.scalars(select(Campaign.id).where(*_due(now, tick)).order_by(Campaign.id))  # type: ignore[arg-type]
    return list(rows)


async def claim(session: AsyncSession, campaign_id: int, *, now: datetime, tick: timedelta) -> int | None:
    """Take this tick of the campaign: its ``auto_rebalance_after_minutes``, or None if not ours."""
    result = await session.execute(
        update(Campaign)
        .where(Campaign.id == campaign_id, *_due(now, tick))  # type: ignore[arg-type]
        .values(auto_rebalance_at=now)
        .returning(Campaign.auto_rebalance_after_minutes)
    )
    minutes = result.scalar_one_or_none()
    return None if minutes is None else int(minutes)


async def auto_rebalance(
    session: AsyncSession, campaign_id: int, online: Collection[int], *, now: datetime, after_minutes: int
) -> MoveResult | None:
    """Move the waiting replies of senders offline ``after_minutes`` or more to the online senders.

    Returns None when there is nothing to do (nobody due, or nobody online to take them).
    """
    await serialize_moves(session, campaign_id)
    waiting = await waiting_by_sender(session, campaign_id)
    cs, ps = CampaignSender, PresenceState
    rows = await session.execute(
        select(cs.user_id, cs.added_at, ps.online, ps.changed_at)
        .outerjoin(ps, (ps.campaign_id == cs.campaign_id) & (ps.user_id == cs.user_id))
        .where(cs.campaign_id == campaign_id)
    )
    states = {
        int(uid): SenderState(
            waiting.get(int(uid), 0), added, None if changed is None else (bool(was_online), changed)
        )
        for uid, added, was_online, changed in rows.all()
    }
    due = due_senders(states, online, now=now, after_minutes=after_minutes)
    targets = online_targets(waiting, online)
    if not due or not targets:
        return None
    result = await move_waiting(session, campaign_id, due, targets)
    if result.moved:
        detail = {"from": sorted(due), "after_minutes": after_minutes, **result.to_json()}
        audit.record(session, campaign_id, None, "auto_rebalance", detail)
    return result
