"""Presence for one process (the embedded default): a set in memory."""

from __future__ import annotations

from collections.abc import Iterable

from .base import Key, Tracker
from .timing import DEFAULT_TTL

__all__ = ["MemoryTracker"]


class MemoryTracker(Tracker):
    """With one process, being joined here is being online: nothing expires."""

    def __init__(self, instance_id: str = "local", *, ttl: float = DEFAULT_TTL) -> None:
        super().__init__(instance_id, ttl=ttl)
        self._online: set[Key] = set()

    async def join(self, key: Key) -> bool:
        if key in self._online:
            return False
        self._online.add(key)
        return True

    async def leave(self, key: Key) -> bool:
        if key not in self._online:
            return False
        self._online.discard(key)
        return True

    async def refresh(self, keys: Iterable[Key]) -> list[Key]:
        return [key for key in keys if key not in self._online]

    async def expiring(self) -> list[int]:
        return []

    async def expire(self, campaign_id: int) -> list[int]:
        return []

    async def online(self, campaign_id: int) -> set[int]:
        return {uid for cid, uid in self._online if cid == campaign_id}
