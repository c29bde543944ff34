"""The send pace shared by every instance: one "next slot" per organization.

:class:`Pacer` is one method; :class:`DatabasePacer` keeps the slot in the
``send_pace`` table (SQLite, or PostgreSQL without Redis) and
:class:`RedisPacer` in a Redis key, moved by a Lua script on Redis's own
clock (one round trip, atomic across instances). Both apply the pure rule of
``persistence/rules/pace.py``.

A hand-written script rather than a rate-limit library: the queue needs to
*reserve* a future slot ("you may call at t") so a text waits once and calls
at its moment; the common libraries answer only "allowed now or not", which
would have every instance poll.
"""

from __future__ import annotations

import time
from typing import Protocol

import redis.asyncio as aioredis
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from persistence.rules.pace import interval, reserve
from persistence.store.database import Database
from persistence.store.models import SendPace

__all__ = ["DatabasePacer", "Pacer", "RedisPacer"]


class Pacer(Protocol):
    async def reserve(self, organization_id: int, rate: float) -> float:
        """Take the organization's next slot; return the seconds to wait until it (0: now)."""
        ...


class DatabasePacer:
    """The slot in a row, locked for the moment it is moved (wall clock of the instances)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def reserve(self, organization_id: int, rate: float) -> float:
        async with self._db.transaction() as session:
            insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
            await session.execute(
                insert(SendPace)
                .values(organization_id=organization_id)
                .on_conflict_do_nothing(index_elements=[SendPace.organization_id])
            )
            row = await session.scalar(
                select(SendPace).where(SendPace.organization_id == organization_id).with_for_update()
            )
            if row is None:  # pragma: no cover - the upsert above made it
                raise RuntimeError("no send_pace row")
            now = time.time()
            slot, row.next_at = reserve(row.next_at, now, rate)
        return max(0.0, slot - now)


# KEYS[1]: the slot key. ARGV[1]: seconds between texts. Returns the wait in microseconds.
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local step = tonumber(ARGV[1])
local next_at = tonumber(redis.call('GET', KEYS[1]) or '0')
local slot = math.max(next_at, now)
local ttl = math.ceil((slot + step - now) / 1000) + 60000
redis.call('SET', KEYS[1], string.format('%.0f', slot + step), 'PX', ttl)
return slot - now
"""


class RedisPacer:
    """The slot in ``{prefix}:pace:{organization_id}``, microseconds on Redis's clock."""

    def __init__(self, client: aioredis.Redis, prefix: str) -> None:
        self._client = client
        self._prefix = prefix
        self._script = client.register_script(_RESERVE)

    async def reserve(self, organization_id: int, rate: float) -> float:
        step = round(interval(rate) * 1_000_000)
        wait = await self._script(keys=[f"{self._prefix}:pace:{organization_id}"], args=[step])
        return max(0.0, int(wait) / 1_000_000)
