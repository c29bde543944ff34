"""The long-lived objects of one server process, built by ``create_app``.

Typed, named fields: a handler asks for ``svc.live`` or ``svc.provider``, and
the type checker knows what it gets.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from starlette.requests import HTTPConnection

from channels import Broker
from persistence.outbox.outbox import Outbox
from persistence.store.database import Database
from presence import PresenceUnavailable, Tracker

from .actor_cache import ActorCache
from .live.hub import Hub
from .login_throttle import LoginThrottle
from .media_store import MediaStore
from .providers import Provider, Simulator
from .settings import Settings

if TYPE_CHECKING:  # server.practice imports this module
    from .practice import Practice

__all__ = ["Live", "Services", "services"]


@dataclass
class Live:
    """The live layer of a running process (see ``server.live.runtime``)."""

    hub: Hub
    tracker: Tracker
    broker: Broker

    async def online(self, campaign_id: int) -> set[int]:
        """The senders of ``campaign_id`` online right now, on any instance."""
        try:
            return await self.tracker.online(campaign_id)
        except PresenceUnavailable:
            # Redis is away: fall back to who is connected to this instance.
            return {uid for cid, uid in self.hub.presence.local if cid == campaign_id}


@dataclass
class Services:
    settings: Settings
    db: Database
    outbox: Outbox
    secret: str = ""
    # In-process unless the app gives it one shared through Redis (LoginThrottle.for_settings).
    login_throttle: LoginThrottle = field(default_factory=LoginThrottle.in_memory)
    # The simulator unless a real provider is configured.
    provider: Provider = field(default_factory=Simulator)
    # Set while the live hub runs (between start-up and shutdown).
    live: Live | None = None
    # Tells this process's send queue that a text was queued (server/dispatcher.py);
    # does nothing while no queue runs: the text waits for the next one.
    wake_queue: Callable[[], None] = field(default=lambda: None)
    # Simulated contacts of practice campaigns, while the process runs.
    practice: Practice | None = None
    # Where uploaded media bytes go: None keeps them in the database (server/media_store.py).
    media_store: MediaStore | None = None
    # Token users remembered between requests; the live hub forgets revoked ones (see ``actors``).
    actor_cache: ActorCache = field(default_factory=ActorCache)

    @property
    def actors(self) -> ActorCache | None:
        """The actor cache while the live hub hears revocations through a healthy broker, else None.

        With nothing to tell this process of a revocation (no hub: a command
        line, a test of one command; the broker away), a remembered user could
        outlive their access, so every request reads its user instead.
        """
        live = self.live
        listening = live is not None and live.hub.listening and live.broker.healthy
        return self.actor_cache if listening else None


def services(conn: HTTPConnection) -> Services:
    """The process's services, from a request or a WebSocket."""
    svc: Services = conn.app.state.services
    return svc
