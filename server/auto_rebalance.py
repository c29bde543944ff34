"""The automatic rebalance's periodic task, owned by the server process.

Every ``auto_rebalance_interval_seconds`` the task looks for active campaigns
with ``auto_rebalance_after_minutes`` set, claims each one's tick (so with
several instances one of them checks a campaign per tick, see
:mod:`persistence.commands.auto_rebalance`), asks presence who is online and
moves the waiting replies of senders offline that long, as a rebalance does.
Each campaign is its own short transactions; one that fails is logged and
tried again next tick. The task is cancelled on shutdown (:func:`running`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from persistence.commands.auto_rebalance import auto_rebalance, claim, due_campaigns
from persistence.store.types import utcnow

from .live.tasks import reraise_if_cancelled
from .services import Services

__all__ = ["run_once", "running"]

logger = logging.getLogger("shiftline.auto_rebalance")

# However small the setting, the task never spins.
_MIN_INTERVAL = 0.1


async def run_once(svc: Services, tick: timedelta) -> int:
    """Check every due campaign once; return how many conversations moved."""
    live = svc.live
    if live is None:
        return 0
    async with svc.db.session() as session:
        campaigns = await due_campaigns(session, now=utcnow(), tick=tick)
    moved = 0
    for campaign_id in campaigns:
        async with svc.db.transaction() as session:
            minutes = await claim(session, campaign_id, now=utcnow(), tick=tick)
        if minutes is None:
            continue  # another instance took this tick
        online = await live.online(campaign_id)
        async with svc.db.transaction() as session:
            result = await auto_rebalance(session, campaign_id, online, now=utcnow(), after_minutes=minutes)
        if result is not None and result.moved:
            logger.info(
                "campaign %d: moved %d waiting replies from offline senders", campaign_id, result.moved
            )
            moved += result.moved
    return moved


async def _loop(svc: Services, interval: float) -> None:
    interval = max(_MIN_INTERVAL, interval)
    tick = timedelta(seconds=interval)
    while True:
        reraise_if_cancelled()
        await asyncio.sleep(interval)
        try:
            await run_once(svc, tick)
        except Exception as exc:  # the database is away: try again next tick
            reraise_if_cancelled()
            logger.warning("automatic rebalance failed: %s", exc)


@asynccontextmanager
async def running(svc: Services) -> AsyncIterator[None]:
    """Run the periodic task for the app's lifetime (inside the live layer: it needs presence)."""
    task = asyncio.create_task(
        _loop(svc, svc.settings.auto_rebalance_interval_seconds), name="auto-rebalance"
    )
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
