"""Online presence per (campaign, sender) across server processes.

``create_tracker(None, ...)`` keeps it in memory (one process);
``create_tracker("redis://...", ...)`` shares it through Redis keys that
expire when their instance stops refreshing them. Backends load lazily.
"""

from __future__ import annotations

from .base import Key, PresenceError, PresenceUnavailable, Tracker
from .timing import DEFAULT_TTL

__all__ = ["Key", "PresenceError", "PresenceUnavailable", "Tracker", "create_tracker"]


def create_tracker(
    url: str | None, instance_id: str, *, prefix: str = "shiftline", ttl: float = DEFAULT_TTL
) -> Tracker:
    """The tracker for ``url``: None for in-process, ``redis://`` for Redis."""
    if url is None or url.startswith("memory://"):
        from .memory import MemoryTracker

        return MemoryTracker(instance_id, ttl=ttl)
    if url.startswith(("redis://", "rediss://", "unix://")):
        from .redis import RedisTracker

        return RedisTracker(url, instance_id, prefix=prefix, ttl=ttl)
    raise ValueError(f"unsupported presence URL {url!r}: use redis://host:port/db (or none)")
