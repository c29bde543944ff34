"""Thousands of senders connecting at once never starve the presence heartbeat."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from persistence.store.database import Database
from presence import Key
from presence.memory import MemoryTracker
from server.live.presence_sync import PresenceSync


class SlowTracker(MemoryTracker):
    """Each join takes a while (a loaded Redis and database); refreshes are counted."""

    def __init__(self) -> None:
        super().__init__("slow", ttl=0.6)
        self.refresh_times: list[float] = []

    async def join(self, key: Key) -> bool:
        await asyncio.sleep(0.02)
        return await super().join(key)

    async def refresh(self, keys: Iterable[Key]) -> list[Key]:
        self.refresh_times.append(asyncio.get_running_loop().time())
        return await super().refresh(keys)


async def test_the_heartbeat_keeps_its_pace_while_a_long_queue_of_joins_is_applied(db: Database) -> None:
    tracker = SlowTracker()
    sync = PresenceSync(db, tracker, interval=0.2)
    for user_id in range(1, 61):  # about 1.2 s of joins, six heartbeat intervals
        sync.join((1, user_id))
    task = asyncio.create_task(sync.run())
    try:
        await sync.settle(10)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    gaps = [b - a for a, b in zip(tracker.refresh_times, tracker.refresh_times[1:], strict=False)]
    assert len(tracker.refresh_times) >= 4
    assert max(gaps) < 0.5  # never as long as the 0.6 s expiry
