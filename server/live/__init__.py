"""The live hub: the WebSocket endpoint, event fan-out, presence and metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.routing import BaseRoute

from ..services import Services

__all__ = ["online_users", "revoke_access", "routes", "running"]

routes: list[BaseRoute] = []


@asynccontextmanager
async def running(svc: Services) -> AsyncIterator[None]:
    """Start the broker, presence and relay for the app's lifetime; stop them after."""
    yield


async def revoke_access(svc: Services, *, user_id: int, campaign_id: int | None = None) -> None:
    """End, on every instance, the live subscriptions a user may no longer hold.

    Called after a sender is removed from a campaign (``campaign_id``) or a
    user is deactivated (``campaign_id`` None).
    """


async def online_users(svc: Services, campaign_id: int) -> set[int]:
    """The senders of ``campaign_id`` online right now, on any instance."""
    return set()
