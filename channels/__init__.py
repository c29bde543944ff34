"""Pub/sub between server processes: one small broker interface, two backends.

``create_broker(None)`` gives the in-process broker (one process);
``create_broker("redis://...")`` the Redis one. Backends are imported lazily.
"""

from __future__ import annotations

from .base import GAP, Broker, BrokerError, BrokerUnavailable, Message, Subscription

__all__ = ["GAP", "Broker", "BrokerError", "BrokerUnavailable", "Message", "Subscription", "create_broker"]


def create_broker(url: str | None, *, prefix: str = "shiftline") -> Broker:
    """The broker for ``url``: None or ``memory://`` in-process, ``redis://``/``rediss://`` Redis."""
    if url is None or url.startswith("memory://"):
        from .memory import MemoryBroker

        return MemoryBroker()
    if url.startswith(("redis://", "rediss://", "unix://")):
        from .redis import RedisBroker

        return RedisBroker(url, prefix=prefix)
    raise ValueError(f"unsupported broker URL {url!r}: use redis://host:port/db (or leave REDIS_URL unset)")
