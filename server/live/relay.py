"""After commit: fan out locally, publish, mark published; relay what was missed; prune.

Publication is at-least-once. A commit's events are dispatched to this
process's clients at once and published to the broker; their ids are marked
published in batches. The relay publishes whatever stayed unpublished for a
few seconds (the broker was down, or the process died between commit and
publish). Clients drop duplicates by seq.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from channels import Broker, BrokerUnavailable, Message
from persistence.outbox.log import mark_published, prune, unpublished
from persistence.rules.events import EventRecord
from persistence.store.database import Database
from persistence.store.types import utcnow

from .hub import Hub
from .metrics import Metrics
from .protocol import encode_event
from .tasks import reraise_if_cancelled

__all__ = ["Publisher"]

logger = logging.getLogger("shiftline.live")


class Publisher:
    """Args: retention of the event log; ``grace`` before the relay takes over an event."""

    def __init__(
        self,
        db: Database,
        broker: Broker,
        hub: Hub,
        metrics: Metrics,
        *,
        retention: timedelta,
        grace: float = 2.0,
        relay_interval: float = 1.0,
        prune_interval: float = 600.0,
    ) -> None:
        self.db = db
        self.broker = broker
        self.hub = hub
        self.metrics = metrics
        self.retention = retention
        self.grace = grace
        self.relay_interval = relay_interval
        self.prune_interval = prune_interval
        self._published: list[int] = []

    async def on_commit(self, records: list[EventRecord]) -> None:
        """``Database.on_commit``: never raises; a failed publish is left to the relay."""
        # Put the events on their way to the other instances first, then fan
        # out here while they travel: the local fan-out of thousands of frames
        # would otherwise delay every other instance's.
        publish = asyncio.ensure_future(
            self.broker.publish_many([Message(r.channel, encode_event(r)) for r in records])
        )
        await asyncio.sleep(0)
        self.hub.dispatch_records(records)
        try:
            await publish
        except BrokerUnavailable as exc:
            self.metrics.publish_failures += len(records)
            logger.warning("publishing %d events failed; the relay will retry: %s", len(records), exc)
            return
        self.metrics.events_published += len(records)
        self._published.extend(r.id for r in records)

    async def run(self) -> None:
        """Mark published, relay and prune until cancelled (owned by ``running``)."""
        loop = asyncio.get_running_loop()
        next_prune = loop.time() + 5.0
        while True:
            reraise_if_cancelled()
            await asyncio.sleep(self.relay_interval)
            try:
                await self.flush()
                await self.relay()
                if loop.time() >= next_prune:
                    next_prune = loop.time() + self.prune_interval
                    await self.prune()
            except Exception as exc:  # the database or broker is away: next round
                reraise_if_cancelled()
                logger.warning("event relay round failed: %s", exc)

    async def flush(self) -> None:
        """Mark the events published since the last flush."""
        ids, self._published = self._published, []
        if ids:
            try:
                async with self.db.transaction() as session:
                    await mark_published(session, ids)
            except BaseException:
                self._published.extend(ids)
                raise

    async def relay(self) -> int:
        """Publish committed events that nobody published; return how many."""
        total = 0
        while True:
            async with self.db.transaction() as session:
                cutoff = utcnow() - timedelta(seconds=self.grace)
                records = await unpublished(session, older_than=cutoff, limit=500)
                if not records:
                    return total
                try:
                    await self.broker.publish_many(Message(r.channel, encode_event(r)) for r in records)
                except BrokerUnavailable:
                    return total  # still down: keep them for the next round
                self.hub.dispatch_records(records)
                await mark_published(session, [r.id for r in records])
            total += len(records)
            self.metrics.events_relayed += len(records)
            if len(records) < 500:
                return total

    async def prune(self) -> int:
        total = 0
        while True:
            async with self.db.transaction() as session:
                deleted = await prune(session, retention=self.retention)
            total += deleted
            if deleted < 10_000:
                break
        self.metrics.events_pruned += total
        return total
