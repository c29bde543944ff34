"""An event published before its predecessors are read from the log is never skipped."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import pytest

import server.live.hub as hub_module
from channels import create_broker
from persistence.outbox.log import catch_up
from persistence.outbox.outbox import Outbox, Subscriber
from persistence.outbox.record import emit
from persistence.rules.events import EventRecord
from persistence.store.database import Database
from presence import create_tracker
from server.live.hub import Hub
from server.live.metrics import Metrics
from server.live.presence_sync import PresenceSync

CHANNEL = "campaign:1"


async def _commit(db: Database, count: int) -> list[EventRecord]:
    records: list[EventRecord] = []

    async def keep(committed: list[EventRecord]) -> None:
        records.extend(committed)

    with Outbox.of(db).subscribed(Subscriber(events=keep)):
        for i in range(count):
            async with db.transaction() as session:
                emit(session, CHANNEL, "stats", {"i": i})
    return records


async def test_a_gap_whose_events_commit_during_the_catch_up_read_is_filled_not_skipped(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    broker = create_broker(None)
    tracker = create_tracker(None, "test")
    async with broker, tracker:
        hub = Hub(db, broker, PresenceSync(db, tracker, interval=5), Metrics(), max_subscriptions=10)
        listening = asyncio.create_task(hub.listen())
        filling = asyncio.create_task(hub.catch_up_loop())
        try:
            for _ in range(500):  # the hub subscribes to its control channel first
                if hub._sub is not None:
                    break
                await asyncio.sleep(0.01)
            ch = await hub._channel(CHANNEL)
            delivered: list[int] = []
            caught_up = asyncio.Event()
            original_deliver = hub._deliver

            def recording_deliver(c: Any, r: EventRecord) -> None:
                delivered.append(r.seq)
                original_deliver(c, r)
                if r.seq == 4:
                    caught_up.set()

            monkeypatch.setattr(hub, "_deliver", recording_deliver)
            records = await _commit(db, 4)

            # The first read of the log sees only seqs 1..2, as if 3 committed just after it began.
            reads = 0

            async def racing_catch_up(session: Any, lasts: Mapping[str, int], **kw: Any) -> list[EventRecord]:
                nonlocal reads
                reads += 1
                rows = await catch_up(session, lasts, **kw)
                return [r for r in rows if r.seq <= 2] if reads == 1 else rows

            monkeypatch.setattr(hub_module, "catch_up", racing_catch_up)
            hub.dispatch(records[3])  # seq 4 is published first
            async with asyncio.timeout(5):
                await caught_up.wait()
            assert ch.seq.last == 4
            assert delivered == [1, 2, 3, 4]
            assert reads >= 2
        finally:
            listening.cancel()
            filling.cancel()
            await asyncio.gather(listening, filling, return_exceptions=True)
