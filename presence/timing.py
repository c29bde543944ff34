"""Presence timing, in one place (pure).

An instance's presence entries live ``ttl`` seconds unless refreshed; each
instance refreshes them (and sweeps expired ones) every ``ttl / 3``. So a
sender of an instance that dies goes offline at most ``ttl + ttl / 3``
seconds after its last refresh: 20 s with the default, inside the contract's
30 seconds.
"""

from __future__ import annotations

from typing import Final

__all__ = ["DEFAULT_TTL", "MIN_HEARTBEAT", "heartbeat_interval", "offline_within"]

DEFAULT_TTL: Final = 15.0
"""Seconds an instance's presence entry lives without a refresh."""

MIN_HEARTBEAT: Final = 0.5
"""Shortest refresh interval, however small the TTL (tests use small ones)."""


def heartbeat_interval(ttl: float) -> float:
    """Seconds between refreshes (and expiry sweeps): a third of the TTL."""
    return max(MIN_HEARTBEAT, ttl / 3)


def offline_within(ttl: float) -> float:
    """The longest a dead instance's senders stay online: the TTL and one heartbeat."""
    return ttl + heartbeat_interval(ttl)
