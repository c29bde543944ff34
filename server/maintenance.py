"""Periodic upkeep of one server process, owned by the app's lifespan."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from .delivery import redeliver
from .services import Services

__all__ = ["running"]

logger = logging.getLogger("shiftline.maintenance")


async def _redeliver_forever(svc: Services, every: float, older_than: timedelta) -> None:
    while True:
        await asyncio.sleep(every)
        try:
            count = await redeliver(svc, older_than=older_than)
        except Exception:  # the database may be away for a while; try again next round
            logger.exception("redelivering queued messages failed")
            continue
        if count:
            logger.info("redelivered %d messages left queued by a stopped process", count)


@asynccontextmanager
async def running(
    svc: Services, *, every: float = 60.0, older_than: timedelta | None = None
) -> AsyncIterator[None]:
    """Retry, every ``every`` seconds, outbound texts a stopped process left queued.

    A text is retried once it has been queued ``older_than`` (default: the
    ``queued_retry_seconds`` setting). Cancelled when the app stops. Each
    instance runs it; a claim in the database keeps two instances from
    retrying the same message.
    """
    if older_than is None:
        older_than = timedelta(seconds=svc.settings.queued_retry_seconds)
    every = min(every, max(older_than.total_seconds(), 1.0))  # a short wait is not stretched to a minute
    async with asyncio.TaskGroup() as group:
        task = group.create_task(_redeliver_forever(svc, every, older_than), name="redeliver")
        try:
            yield
        finally:
            task.cancel()
