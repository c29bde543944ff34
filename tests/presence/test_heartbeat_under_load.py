"""Thousands of senders connecting at once never starve the presence heartbeat."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from persistence.store.database import Database
from persistence.store.models import CampaignSender, User
from presence import Key
from presence.memory import MemoryTracker
from server.live.presence_sync import PresenceSync
from tests.support.worlds.sweep import build_world


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
    world = await build_world(db)
    async with db.transaction() as session:
        users = [
            User(
                organization_id=world.organization_id,
                email=f"sender{n}@heartbeat.example.org",
                password_hash="!",
                first_name=f"Sender{n}",
                last_name="Load",
                role="sender",
            )
            for n in range(60)
        ]
        session.add_all(users)
        await session.flush()
        session.add_all(CampaignSender(campaign_id=world.campaign_id, user_id=u.id) for u in users)
        user_ids = [u.id for u in users]
    tracker = SlowTracker()
    sync = PresenceSync(db, tracker, interval=0.2)
    for user_id in user_ids:  # about 1.2 s of joins, six heartbeat intervals
        sync.join((world.campaign_id, user_id))
    task = asyncio.create_task(sync.run())
    try:
        await sync.settle(10)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    gaps = [b - a for a, b in zip(tracker.refresh_times, tracker.refresh_times[1:], strict=False)]
    assert len(tracker.refresh_times) >= 4
    assert max(gaps) < 0.5  # never as long as the 0.6 s expiry
