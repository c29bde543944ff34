"""The counts feed's loops for the app's lifetime: publish after every change, sweep for leftovers."""

from __future__ import annotations

import asyncio
import logging

from persistence.outbox.counts import CountsFeed

from .tasks import reraise_if_cancelled

__all__ = ["publish_forever", "sweep_forever"]

logger = logging.getLogger("shiftline.counts")


async def publish_forever(feed: CountsFeed, *, retry: float = 1.0) -> None:
    """Publish the noted counts every ``feed.interval`` while changes come in."""
    while True:
        reraise_if_cancelled()
        await feed.gather()
        try:
            await feed.flush()
        except Exception:  # the database is away: the notes are kept for the next round
            reraise_if_cancelled()
            logger.exception("publishing counts failed")
            await asyncio.sleep(retry)


async def sweep_forever(feed: CountsFeed, every: float = 2.0) -> None:
    """Take over, every ``every`` seconds, counts another process changed but never published."""
    while True:
        reraise_if_cancelled()
        await asyncio.sleep(every)
        try:
            taken = await feed.sweep()
        except Exception:  # the database is away: next round
            reraise_if_cancelled()
            logger.exception("looking for unpublished counts failed")
            continue
        if taken:
            logger.info("publishing %d counter rows another process left unreported", taken)
