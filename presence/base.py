"""Who is online, across instances: the tracker interface.

A key is ``(campaign_id, user_id)``. Each instance tells the tracker when its
first connection for a key opens (:meth:`Tracker.join`) and its last one
closes (:meth:`Tracker.leave`); the tracker answers whether that was a real
change for the whole deployment, so exactly one caller reports each change.
Instances that die stop refreshing their entries, and :meth:`Tracker.expire`
turns their users offline after ``ttl`` seconds.

Errors::

    PresenceError
     └── PresenceUnavailable   (the backend cannot be reached right now)
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from types import TracebackType
from typing import TypeAlias

from .timing import DEFAULT_TTL

__all__ = ["Key", "PresenceError", "PresenceUnavailable", "Tracker"]

Key: TypeAlias = tuple[int, int]  # (campaign_id, user_id)


class PresenceError(Exception):
    """Root of the presence errors."""


class PresenceUnavailable(PresenceError):
    """The backend could not be reached; nothing changed."""


class Tracker(ABC):
    """Online state per (campaign, user) shared by every instance.

    Args (of implementations):
        instance_id: this process's name, unique in the deployment.
        ttl: seconds an instance's entries live without a :meth:`refresh`.
    """

    def __init__(self, instance_id: str, *, ttl: float = DEFAULT_TTL) -> None:
        self.instance_id = instance_id
        self.ttl = ttl

    async def __aenter__(self) -> Tracker:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:  # noqa: B027 - in-memory trackers hold nothing
        """Release connections. Idempotent."""

    @abstractmethod
    async def join(self, key: Key) -> bool:
        """This instance now has a connection for ``key``. True if the user just came online."""

    @abstractmethod
    async def leave(self, key: Key) -> bool:
        """This instance has no connection left for ``key``. True if the user just went offline."""

    @abstractmethod
    async def refresh(self, keys: Iterable[Key]) -> list[Key]:
        """Keep this instance's entries alive; return the keys not marked online (lost state)."""

    @abstractmethod
    async def expiring(self) -> list[int]:
        """Campaigns where some online user has no live entry left (read-only)."""

    @abstractmethod
    async def expire(self, campaign_id: int) -> list[int]:
        """Turn offline the users of ``campaign_id`` with no live entry; return them."""

    @abstractmethod
    async def online(self, campaign_id: int) -> set[int]:
        """The users online in ``campaign_id``."""
