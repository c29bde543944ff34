"""The scheduler: one task per server process, owned by the app's lifespan.

Every ``POLL_SECONDS`` it turns the scheduled texts that are due into queued
messages, one transaction each (``persistence/commands/scheduler.py``), until
none is left, then wakes the send queue. Every instance runs it; the
database's row locks make them one scheduler, so each text is queued once, by
one instance, and a text due while every instance was down goes at the next
start. A text is queued at most ``POLL_SECONDS`` after its time, plus the
send queue's pace.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from persistence.commands.scheduler import any_due, claim_due, send_scheduled, skip_scheduled
from persistence.rules.errors import DomainError
from persistence.store.types import utcnow

from .services import Services

__all__ = ["POLL_SECONDS", "run_due", "running"]

logger = logging.getLogger("shiftline.scheduler")

POLL_SECONDS = 1.0
# Texts queued per round at most, so one round never holds the loop for long.
_BATCH = 500


async def run_due(svc: Services) -> int:
    """Queue every scheduled text due now (at most a batch); how many rows were handled."""
    handled = 0
    now = utcnow()
    failed: set[int] = set()
    async with svc.db.session() as session:
        if not await any_due(session, now):
            return 0
    while handled < _BATCH:
        row_id: int | None = None
        try:
            async with svc.db.transaction() as session:
                row = await claim_due(session, now, passing=failed)
                if row is None:
                    break
                row_id = row.id
                await send_scheduled(session, row)
        except DomainError as refused:
            # The refused transaction rolled back; record why in one of its own.
            assert row_id is not None
            async with svc.db.transaction() as session:
                await skip_scheduled(session, row_id, refused.code)
        except Exception:
            if row_id is None:  # no row claimed: the database itself failed
                raise
            # Rolled back, the row stays pending: the next round tries it again.
            logger.exception("queueing scheduled text %s failed", row_id)
            failed.add(row_id)
        handled += 1
    if handled:
        svc.wake_queue()
    return handled


async def _run_forever(svc: Services) -> None:
    """Poll until cancelled; a failing round (the database away) is logged and tried again."""
    while True:
        try:
            await run_due(svc)
        except Exception:
            logger.exception("the scheduler's round failed; trying again")
        await asyncio.sleep(POLL_SECONDS)


@asynccontextmanager
async def running(svc: Services) -> AsyncIterator[None]:
    """Run this instance's scheduler for the app's lifetime (cancelled when it stops).

    Cancelling it mid-round rolls back the round's open transaction: the text
    stays pending for the next round, here or on another instance.
    """
    task = asyncio.create_task(_run_forever(svc), name="scheduler")
    try:
        yield
    finally:
        task.cancel()
        await asyncio.wait({task}, timeout=5.0)
