"""The pace is one slot per organization, shared: by the database without Redis, else by Redis."""

from __future__ import annotations

import asyncio
import itertools
import secrets
import time

import pytest
import redis.asyncio as aioredis

from persistence.rules.pace import interval
from persistence.store.database import Database
from server.pacing import DatabasePacer, Pacer, RedisPacer
from server.settings import Settings
from tests.support.worlds.messaging import build


async def _slots(pacer: Pacer, organization_id: int, count: int, rate: int) -> list[float]:
    """The moments (epoch seconds) the reservations may go."""

    async def one() -> float:
        return await pacer.reserve(organization_id, rate) + time.time()

    return list(await asyncio.gather(*(one() for _ in range(count))))


async def test_two_pacers_on_one_store_hand_out_evenly_spaced_slots(db: Database, settings: Settings) -> None:
    world = await build(db, assign=["Sam"])
    if settings.redis_url is None:
        pacers: list[Pacer] = [DatabasePacer(db), DatabasePacer(db)]
        clients: list[aioredis.Redis] = []
    else:
        clients = [aioredis.Redis.from_url(settings.redis_url) for _ in range(2)]
        prefix = f"shiftline-test-{secrets.token_hex(4)}"
        pacers = [RedisPacer(client, prefix) for client in clients]
    try:
        first, second = await asyncio.gather(*(_slots(p, world.organization_id, 5, 2) for p in pacers))
    finally:
        for client in clients:
            await client.aclose()
    slots = sorted(first + second)
    # A slow rate: each slot is measured a moment after its answer, and a loaded
    # machine makes that moment vary by tens of milliseconds.
    step = interval(2)
    # Ten slots, one step apart, whoever asked.
    assert slots[-1] - slots[0] == pytest.approx(9 * step, abs=0.2)
    assert all(b - a > step * 0.7 for a, b in itertools.pairwise(slots))


async def test_each_organization_has_a_pace_of_its_own(db: Database) -> None:
    world = await build(db, assign=["Sam"])
    rival = await build(db, name="Rivals", domain="rival.org", number="+15005550007", assign=["Sam"])
    pacer = DatabasePacer(db)
    assert await pacer.reserve(world.organization_id, 1) == 0.0
    assert await pacer.reserve(world.organization_id, 1) == pytest.approx(interval(1), abs=0.05)
    assert await pacer.reserve(rival.organization_id, 1) == 0.0
